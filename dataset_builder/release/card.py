"""The release's README.md: a Hugging Face dataset card.

The YAML header is what `load_dataset` and the Hub read: `configs` maps each split to its
Parquet files (so audit files are never mistaken for a split) and `dataset_info` gives
the typed features and the row counts, as `datasets` writes them for the Arrow schema the
rows are written with. `dataset_info` is written here for the types a record has (strings,
numbers, booleans, timestamps, dates, lists of them; labels as ClassLabel), since importing
`datasets` alone takes most of a second; any other type is left to `datasets` itself
(tests/test_card.py compares both).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import yaml

from dataset_builder.config import SPLITS, Column, parse_columns
from dataset_builder.records import record_schema
from dataset_builder.release.markdown import text

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
    columns = parse_columns(config["ingest"].get("columns", {}))
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
        "dataset_info": dataset_info(
            record_schema(columns), {s: manifest["splits"][s] for s in splits}, labels(columns)
        ),
    }


def labels(columns: tuple[Column, ...]) -> dict[str, tuple[str, ...]]:
    """The label columns and their values: stored as the value's index, read as a ClassLabel."""
    return {column.name: tuple(column.values) for column in columns if column.type == "label"}


def dataset_info(
    schema: pa.Schema, rows: dict[str, int], labels: dict[str, tuple[str, ...]] | None = None
) -> dict[str, Any]:
    """`datasets.DatasetInfo(features=..., splits=...)._to_yaml_dict()`, the features being
    `Features.from_arrow_schema(schema)` with each of `labels` a `ClassLabel` of its values."""
    labels = labels or {}
    features = [
        _class_label(field.name, labels[field.name]) if field.name in labels else _feature(field)
        for field in schema
    ]
    splits = [{"name": name, "num_bytes": 0, "num_examples": count} for name, count in rows.items()]
    if all(features):
        return {"features": features, "splits": splits}
    import datasets  # a type this module does not write

    found = datasets.Features.from_arrow_schema(schema)
    for name, values in labels.items():
        found[name] = datasets.ClassLabel(names=list(values))
    info = datasets.DatasetInfo(
        features=found,
        splits=datasets.SplitDict(
            {name: datasets.SplitInfo(name, num_examples=n) for name, n in rows.items()}
        ),
    )
    return info._to_yaml_dict()


def _dtype(kind: pa.DataType) -> str | None:
    """The name `datasets.Value` gives a flat Arrow type, or None for another type."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_boolean(kind):
        return str(kind)
    if pa.types.is_timestamp(kind):
        return str(kind)  # "timestamp[us, tz=UTC]"
    if pa.types.is_date32(kind) or pa.types.is_date64(kind):
        return str(kind).removesuffix("[day]").removesuffix("[ms]")
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return {"halffloat": "float16", "float": "float32", "double": "float64"}.get(str(kind), str(kind))
    return None


def _feature(field: pa.Field) -> dict[str, str] | None:
    if pa.types.is_list(field.type):
        item = _dtype(field.type.value_type)
        return {"name": field.name, "list": item} if item else None
    dtype = _dtype(field.type)
    return {"name": field.name, "dtype": dtype} if dtype else None


def _class_label(name: str, values: tuple[str, ...]) -> dict[str, Any]:
    return {"name": name, "dtype": {"class_label": {"names": {str(i): v for i, v in enumerate(values)}}}}


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

# {text(meta["pretty_name"])}

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
