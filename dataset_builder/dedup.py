"""Stage 4: exact duplicates.

Two records are exact duplicates when their texts are equal after NFKC, case folding and
whitespace collapsing, so a re-post that differs only in curly quotes width, case or line
wrapping is caught. The representative of each group is the record with the smallest id:
the choice depends only on the records, never on the order the files were read in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import xxhash


def content_key(text: str) -> str:
    """128-bit hash of the text as dedup compares it."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return xxhash.xxh3_128_hexdigest(folded.encode("utf-8"))


def exact_duplicates(keys: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map each duplicate's id to its representative's id, from (id, content_key) pairs."""
    groups: dict[str, list[str]] = {}
    for record_id, key in keys:
        groups.setdefault(key, []).append(record_id)
    duplicates: dict[str, str] = {}
    for ids in groups.values():
        if len(ids) > 1:
            representative = min(ids)
            duplicates.update((i, representative) for i in ids if i != representative)
    return duplicates
