"""What flows between stages: records, and the two ways a record can leave the dataset.

Records are plain dicts (one per article) so a batch converts to and from an Arrow
table without a mapping layer. Every input record ends in exactly one place: a split,
`Rejection` (with a reason) or `Duplicate` (with the id it duplicates).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

Record = dict[str, Any]
"""An article: the fields of `schema/article.schema.json`."""

PROVENANCE = ("raw_path", "raw_line", "raw_sha256", "raw_format", "raw_encoding")


def provenance(record: Record) -> dict[str, Any]:
    return {key: record[key] for key in PROVENANCE}


def locator(record: Record | Rejection) -> str:
    """`path:line` as an editor understands it (element number for JSON arrays)."""
    prov = record if isinstance(record, dict) else asdict(record)
    sep = "#" if prov["raw_format"] == "json" else ":"
    return f"{prov['raw_path']}{sep}{prov['raw_line']}"


@dataclass(frozen=True)
class Rejection:
    """A record left out of the release, and why.

    `reason` is a short code (decode, json, schema, language, duplicate-id); `detail`
    names the line and field in words."""

    raw_path: str
    raw_line: int
    raw_sha256: str
    raw_format: str
    raw_encoding: str | None  # None when the bytes could not be decoded
    reason: str
    detail: str
    id: str | None = None

    @classmethod
    def of(cls, record: Record, reason: str, detail: str) -> Rejection:
        record_id = record.get("id")
        return cls(
            **provenance(record),
            reason=reason,
            detail=detail,
            id=record_id if isinstance(record_id, str) else None,
        )


@dataclass(frozen=True)
class Duplicate:
    """A record dropped because another record (`duplicate_of`) says the same thing.

    `duplicate_of` is its cluster's representative (the smallest id); `similarity` is the
    Jaccard similarity of their shingles (1.0 for exact duplicates)."""

    id: str
    duplicate_of: str
    kind: str  # "exact" or "near"
    similarity: float
    raw_path: str
    raw_line: int
    raw_sha256: str
    raw_format: str
    raw_encoding: str | None
