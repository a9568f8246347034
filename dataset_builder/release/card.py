"""The release's README.md: a Hugging Face dataset card.

The YAML header is what `load_dataset` and the Hub read: `configs` maps each split to its
Parquet files (so audit files are never mistaken for a split) and `dataset_info` gives
the typed features and the row counts. The features come from `datasets` itself, built
from the Arrow schema the rows are written with.
"""

from __future__ import annotations

from typing import Any

import datasets
import yaml

from dataset_builder.config import SPLITS, Column, parse_columns
from dataset_builder.records import record_schema

SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
]


def size_category(rows: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if rows < limit), "n>1B")


def features(columns: tuple[Column, ...]) -> datasets.Features:
    """The rows' features as `datasets` derives them from their Arrow schema, with each
    label column a ClassLabel of its values (stored as their index)."""
    found = datasets.Features.from_arrow_schema(record_schema(columns))
    for column in columns:
        if column.type == "label":
            found[column.name] = datasets.ClassLabel(names=list(column.values))
    return found


def card_metadata(manifest: dict[str, Any]) -> dict[str, Any]:
    config = manifest["config"]
    languages = sorted(
        {
            lang.split("-")[0]
            for per_split in manifest["languages"].values()
            for lang in per_split
            if lang != "und"
        }
    )
    splits = [s for s in SPLITS if manifest["splits"][s]]
    info = datasets.DatasetInfo(
        features=features(parse_columns(config["ingest"].get("columns", {}))),
        splits=datasets.SplitDict(
            {s: datasets.SplitInfo(s, num_examples=manifest["splits"][s]) for s in splits}
        ),
    )
    return {
        "pretty_name": config.get("pretty_name", manifest["name"]),
        "license": config["license"],
        "language": languages,
        "size_categories": [size_category(manifest["counts"]["kept"])],
        "task_categories": config["task_categories"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": s, "path": f"data/{s}-*"} for s in splits],
            }
        ],
        "dataset_info": info._to_yaml_dict(),
    }


def render(manifest: dict[str, Any]) -> str:
    meta = card_metadata(manifest)
    counts, config = manifest["counts"], manifest["config"]
    release = f"{manifest['name']}/{manifest['version']}"
    rows = "\n".join(f"| {s} | {manifest['splits'][s]} |" for s in SPLITS)
    langs = ", ".join(
        f"{lang} {n}"
        for lang, n in sorted(
            {
                lang: sum(manifest["languages"][s].get(lang, 0) for s in SPLITS)
                for s in SPLITS
                for lang in manifest["languages"][s]
            }.items()
        )
    )
    return f"""---
{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000).rstrip()}
---

# {meta["pretty_name"]}

{config.get("description", "").strip()}

Release `{release}`, built by dataset_builder {manifest["versions"]["dataset_builder"]}.

| split | rows |
| --- | --- |
{rows}

Languages (langdetect, seed {config["langid"]["seed"]}): {langs}.

## Load it

```python
from datasets import load_dataset

ds = load_dataset("path/to/{release}")  # this folder
```

## Where the rows come from

{counts["read"]} records were read from {len(manifest["inputs"])} file(s): {counts["kept"]} kept,
{counts["rejected"]} rejected, {counts["duplicates"]} dropped as duplicates.
Each row carries its provenance (`raw_path`, `raw_line`, `raw_sha256`);
`lineage.parquet` gives the fate of every record read, `audit/` lists the rejects and
duplicates with their reasons, `DATASHEET.md` answers the questions of Gebru et al.'s
datasheets, and `manifest.json` holds the hashes of every file and the release fingerprint.
"""
