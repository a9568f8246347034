"""What changed between two releases of a dataset, record by record.

Records are matched by id. A record is changed when any of its published fields differ;
it has moved when it is in a different split (a new version should move none: see
split.base). Language and publisher counts show shifts in the whole corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from dataset_builder.config import SPLITS
from dataset_builder.stages.columns import iso


@dataclass(frozen=True)
class Row:
    split: str
    digest: str  # of every published field but the split
    language: str
    source: str | None


@dataclass
class Changes:
    old: str
    new: str
    added: Counter[str] = field(default_factory=Counter)  # per split
    removed: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # id, old split, new split
    languages: dict[str, tuple[int, int]] = field(default_factory=dict)  # language: (old, new)
    sources: dict[str, tuple[int, int]] = field(default_factory=dict)


def rows(release: Path) -> dict[str, Row]:
    found = {}
    for path in sorted((release / "data").glob("*.parquet")):
        split = path.name.split("-")[0]
        for row in pq.read_table(path).to_pylist():
            text = json.dumps(row, sort_keys=True, ensure_ascii=False, default=iso)
            digest = hashlib.sha256(text.encode()).hexdigest()
            found[row["id"]] = Row(split, digest, row["language"], row["source"])
    return found


def compare(old: Path, new: Path, labels: tuple[str, str]) -> Changes:
    """Changes from the release folder `old` to `new` (labelled for the summary)."""
    before, after = rows(old), rows(new)
    changes = Changes(*labels)
    for record_id, row in after.items():
        previous = before.get(record_id)
        if previous is None:
            changes.added[row.split] += 1
        elif previous.split != row.split:
            changes.moved.append((record_id, previous.split, row.split))
        elif previous.digest != row.digest:
            changes.changed[row.split] += 1
    for record_id, row in before.items():
        if record_id not in after:
            changes.removed[row.split] += 1
    changes.moved.sort()
    changes.languages = shifts(
        Counter(r.language for r in before.values()), Counter(r.language for r in after.values())
    )
    changes.sources = shifts(
        Counter(r.source or "(none)" for r in before.values()),
        Counter(r.source or "(none)" for r in after.values()),
    )
    return changes


def shifts(before: Counter[str], after: Counter[str]) -> dict[str, tuple[int, int]]:
    return {
        key: (before[key], after[key])
        for key in sorted(before.keys() | after.keys())
        if before[key] != after[key]
    }


def summary(changes: Changes) -> list[str]:
    """The changes as Markdown lines: a table per split, then moves and shifts."""
    lines = [
        f"Changes from {changes.old} to {changes.new}:",
        "",
        "| split | added | removed | changed |",
        "| --- | --- | --- | --- |",
        *(f"| {s} | {changes.added[s]} | {changes.removed[s]} | {changes.changed[s]} |" for s in SPLITS),
        "",
        f"Records that moved to another split: {len(changes.moved)}"
        + (": " + "; ".join(f"`{i}` {a} → {b}" for i, a, b in changes.moved[:20]) if changes.moved else "."),
    ]
    for title, counts in (("Languages", changes.languages), ("Publishers", changes.sources)):
        if counts:
            lines.append(
                f"{title} that changed: " + ", ".join(f"{k} {a} → {b}" for k, (a, b) in counts.items()) + "."
            )
    return lines
