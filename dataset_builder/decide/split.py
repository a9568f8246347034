"""Stage 6: assign each record to train, validation or test.

A record's split comes from a hash of an id and the configured salt: no random state and
no dependence on row order. Records that must not be separated — near-duplicates above
the grouping threshold, records sharing a `split.group_by` value — form a group, and a
group goes where the hash of its smallest id sends it. So a record keeps its split when
other records are added or removed, unless its group changes.

Groups do change as a corpus grows: a new article can link two stories, or bring a
smaller id. A group holding a record that a `[[decontaminate]]` entry with `action =
"split"` matched goes to test, before anything else is considered. With `split.base` set
to a published version, records that were in that release keep their split; a group
whose old members sat in different splits goes to the split most of them were in (ties:
the split of the smallest id), and every record that moves is reported.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from dataset_builder.config import SPLITS


@dataclass(frozen=True)
class Move:
    """A record of the base release that changed split, because its group did."""

    id: str
    before: str
    after: str
    group: str  # smallest id of the group


def split_of(key: str, ratios: dict[str, float], salt: str) -> str:
    """The split whose share of [0, 1) contains the key's hash point."""
    point = unit_interval(f"{salt}\x00{key}")
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


def assign_splits(
    ids: list[str],
    groups: list[int],
    ratios: dict[str, float],
    salt: str,
    base: dict[str, str] | None = None,
    to_test: frozenset[str] = frozenset(),
) -> tuple[list[str], list[Move]]:
    """Split of each record (`groups[i]` labels record i's group), and the moves from base;
    a group holding an id of `to_test` goes to test."""
    members: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    splits = [""] * len(ids)
    moves: list[Move] = []
    for indices in members.values():
        group_ids = sorted(ids[i] for i in indices)
        before = {record_id: base[record_id] for record_id in group_ids if base and record_id in base}
        forced = not to_test.isdisjoint(group_ids)
        split = "test" if forced else group_split(group_ids, before, ratios, salt)
        for i in indices:
            splits[i] = split
        moves.extend(Move(rid, old, split, group_ids[0]) for rid, old in before.items() if old != split)
    return splits, sorted(moves, key=lambda m: m.id)


def group_split(group_ids: list[str], before: dict[str, str], ratios: dict[str, float], salt: str) -> str:
    if not before:
        return split_of(group_ids[0], ratios, salt)
    votes = Counter(before.values())
    most = max(votes.values())
    return next(before[rid] for rid in sorted(before) if votes[before[rid]] == most)
