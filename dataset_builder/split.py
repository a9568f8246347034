"""Stage 6: assign each record to train, validation or test.

The split comes from a hash of the record's id and the configured salt: no random state,
no dependence on row order, and a record keeps its split when other records are added
or removed. Changing the salt reshuffles everything (a major version change).
"""

from __future__ import annotations

import hashlib

from dataset_builder.config import SPLITS


def split_of(record_id: str, ratios: dict[str, float], salt: str) -> str:
    """The split whose share of [0, 1) contains the id's hash point."""
    point = unit_interval(f"{salt}\x00{record_id}")
    edge = 0.0
    for name in SPLITS:
        edge += ratios[name]
        if point < edge:
            return name
    return next(name for name in reversed(SPLITS) if ratios[name] > 0)


def unit_interval(key: str) -> float:
    """A uniform point in [0, 1) from the first 64 bits of SHA-256."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
