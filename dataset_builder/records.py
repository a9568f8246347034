"""The record contract: what flows between stages, where each record came from, where it
went, and the Arrow schemas of what a release publishes.

Records are plain dicts (one per article) so a batch converts to and from an Arrow
table without a mapping layer. Every input record ends in exactly one place: a split,
`Rejection` (with a reason) or `Duplicate` (with the id it duplicates); `balanced` is the
one check of that, used by the build, its summary and the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass, fields
from functools import cache
from typing import Any

import pyarrow as pa

from dataset_builder.config import Column, load_schema

Record = dict[str, Any]
"""An article: the fields of `schema/article.schema.json`."""

METADATA_FIELDS = ("title", "url", "source", "published", "authors", "keywords", "license", "retrieved")
"""The fields whose missing values a release counts (manifest `missing_values`)."""

# The quality signals of stages/quality.py: part of the record contract, as release columns.
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)

SIGNALS: dict[str, str] = {
    "words": "int",
    "sentences": "int",
    "mean_word_length": "float",
    "symbol_word_ratio": "float",
    "lines_end_punct": "float",
    "lines_start_bullet": "float",
    "lines_end_ellipsis": "float",
    "dup_line_frac": "float",
    "dup_para_frac": "float",
    **{f"top_{n}gram_frac": "float" for n in TOP_NGRAMS},
    **{f"dup_{n}gram_frac": "float" for n in DUP_NGRAMS},
    "stop_words": "int",  # None where the language has no list
}
"""Each signal and its type; the release has a column `quality_<signal>` for each."""
PREFIX = "quality_"

QUALITY_TYPES = {"int": pa.int64(), "float": pa.float64()}
QUALITY = tuple((PREFIX + name, QUALITY_TYPES[kind]) for name, kind in SIGNALS.items())
"""The quality signals' columns (stages/quality.py), after the declared columns."""

TAGS = ("language", "language_score", *(name for name, _ in QUALITY))
"""The fields pass 2 adds: absent from the spool, present in the release."""


@dataclass(frozen=True)
class Provenance:
    """Where a record came from: the file (relative to `raw/`), the line (element number for
    JSON arrays), the SHA-256 of its raw bytes, the format and the encoding they were
    decoded with (None when they could not be)."""

    raw_path: str
    raw_line: int
    raw_sha256: str
    raw_format: str
    raw_encoding: str | None

    @classmethod
    def of(cls, record: Record) -> Provenance:
        return cls(*(record[name] for name in PROVENANCE))

    def values(self) -> tuple[Any, ...]:
        """The provenance fields alone, in order (also for subclasses)."""
        return astuple(self)[: len(PROVENANCE)]

    @property
    def locator(self) -> str:
        return locator(self.raw_path, self.raw_line, self.raw_format)


PROVENANCE = tuple(f.name for f in fields(Provenance))


def locator(path: str, line: int, fmt: str) -> str:
    """`path:line` as an editor understands it; `path#n` for element n of a JSON array."""
    return f"{path}{'#' if fmt == 'json' else ':'}{line}"


def provenance(record: Record) -> dict[str, Any]:
    return {key: record[key] for key in PROVENANCE}


@dataclass(frozen=True)
class Rejection(Provenance):
    """A record left out of the release, and why.

    `reason` is a short code (decode, json, schema, language, duplicate-id); `detail`
    names the line and field in words."""

    reason: str
    detail: str
    id: str | None = None

    @classmethod
    def of(cls, record: Record, reason: str, detail: str) -> Rejection:  # type: ignore[override]
        record_id = record.get("id")
        return cls(
            **provenance(record),
            reason=reason,
            detail=detail,
            id=record_id if isinstance(record_id, str) else None,
        )


@dataclass(frozen=True)
class Duplicate(Provenance):
    """A record dropped because another record (`duplicate_of`) says the same thing.

    `duplicate_of` is its cluster's representative (the smallest id); `similarity` is the
    Jaccard similarity of their shingles (1.0 for exact duplicates)."""

    id: str
    duplicate_of: str
    kind: str  # "exact" or "near"
    similarity: float


def balanced(counts: Mapping[str, int]) -> bool:
    """read == kept + rejected + duplicates: every record read ended in exactly one place."""
    return counts["read"] == counts["kept"] + counts["rejected"] + counts["duplicates"]


RELEASE_FORMAT = 4
"""The version of the rows' layout, in every manifest. 1: dates as text, no `source_id`,
no declared columns (releases before it have no `release_format`); 2: `published` a UTC
timestamp, `retrieved` a date, `source_id`, the columns of `[ingest.columns]`; 3: the
`quality_*` signal columns; 4: `declared_language`."""

DATE_TYPES = {"published": pa.timestamp("us", tz="UTC"), "retrieved": pa.date32()}
"""Fields validated as RFC 3339 text and published as Arrow dates (see stages/columns.py)."""

COLUMN_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "list[string]": pa.list_(pa.string()),
    "label": pa.int64(),  # the index into its values: a Hugging Face ClassLabel's storage
}
"""The Arrow type of each type of declared column (`[ingest.columns]`)."""


@cache
def record_schema(columns: tuple[Column, ...] = ()) -> pa.Schema:
    """The Arrow schema of the published rows: the JSON Schema's fields, then the declared
    columns (sorted by name), then the quality signals."""
    properties = load_schema("article.schema.json")["properties"]
    fields = [(name, DATE_TYPES.get(name) or arrow_type(spec)) for name, spec in properties.items()]
    return pa.schema(fields + [(c.name, COLUMN_TYPES[c.type]) for c in columns] + list(QUALITY))


@cache
def spool_schema(columns: tuple[Column, ...] = ()) -> pa.Schema:
    """The record schema before pass 2's tags."""
    return pa.schema([f for f in record_schema(columns) if f.name not in TAGS])


def arrow_type(spec: dict[str, Any]) -> pa.DataType:
    types = spec.get("type", "string")
    kind = next((t for t in ([types] if isinstance(types, str) else types) if t != "null"), "string")
    if kind == "array":
        return pa.list_(arrow_type(spec["items"]))
    return {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}.get(kind, pa.string())


LINEAGE_SCHEMA = pa.schema(
    [
        ("raw_path", pa.string()),
        ("raw_line", pa.int64()),
        ("raw_sha256", pa.string()),
        ("raw_format", pa.string()),
        ("raw_encoding", pa.string()),
        ("id", pa.string()),
        ("fate", pa.string()),  # split:NAME, rejected:REASON or duplicate:ID
        ("pii", pa.string()),
        ("redacted", pa.bool_()),
    ]
)
"""One row per record read: its provenance, id and fate (`lineage.parquet`)."""
