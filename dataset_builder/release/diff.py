"""What changed between two releases of a dataset, record by record.

Records are matched by id. A record is changed when any of its published fields differ;
it has moved when it is in a different split (a new version should move none: see
split.base). Language and publisher counts show shifts in the whole corpus. Each added,
removed, changed and moved record is listed by id and title (`listed`), for people (a
bounded list in `summary`) and scripts (`as_json`).

Releases of format 1 (before `release_format`) wrote dates as text: against a format 2
release every record with a `published` or `retrieved` date, and every record once the
columns differ (`source_id`), counts as changed; added, removed and moved are unaffected.
The `quality_*` columns (format 3) are derived from the text and left out of the comparison:
a record is changed when what it says changed, not when a signal's definition did.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from dataset_builder.config import SPLITS
from dataset_builder.records import PREFIX as QUALITY_PREFIX
from dataset_builder.stages.columns import iso


@dataclass(frozen=True)
class Row:
    split: str
    digest: str  # of every published field but the split
    language: str
    source: str | None
    title: str | None


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
    listed: dict[str, list[dict[str, str | None]]] = field(default_factory=dict)  # kind -> records, by id

    def record(self, kind: str, record_id: str, row: Row, before: Row | None = None) -> None:
        entry = {"id": record_id, "split": row.split, "title": row.title}
        if before is not None:
            entry = {"id": record_id, "from": before.split, "to": row.split, "title": row.title}
        self.listed.setdefault(kind, []).append(entry)


def rows(release: Path) -> dict[str, Row]:
    found = {}
    for path in sorted((release / "data").glob("*.parquet")):
        split = path.name.split("-")[0]
        for row in pq.read_table(path).to_pylist():
            published = {k: v for k, v in row.items() if not k.startswith(QUALITY_PREFIX)}
            text = json.dumps(published, sort_keys=True, ensure_ascii=False, default=iso)
            digest = hashlib.sha256(text.encode()).hexdigest()
            found[row["id"]] = Row(split, digest, row["language"], row["source"], row["title"])
    return found


def compare(old: Path, new: Path, labels: tuple[str, str]) -> Changes:
    """Changes from the release folder `old` to `new` (labelled for the summary)."""
    before, after = rows(old), rows(new)
    changes = Changes(*labels)
    for record_id, row in after.items():
        previous = before.get(record_id)
        if previous is None:
            changes.added[row.split] += 1
            changes.record("added", record_id, row)
        elif previous.split != row.split:
            changes.moved.append((record_id, previous.split, row.split))
            changes.record("moved", record_id, row, previous)
        elif previous.digest != row.digest:
            changes.changed[row.split] += 1
            changes.record("changed", record_id, row)
    for record_id, row in before.items():
        if record_id not in after:
            changes.removed[row.split] += 1
            changes.record("removed", record_id, row)
    changes.moved.sort()
    for entries in changes.listed.values():
        entries.sort(key=lambda e: str(e["id"]))
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


KINDS = ("added", "removed", "changed", "moved")


def summary(changes: Changes, limit: int = 0) -> list[str]:
    """The changes as Markdown lines: a table per split, then moves and shifts; with a
    `limit`, the first records of each kind by id, with their titles."""
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
    for kind in KINDS if limit else ():
        entries = changes.listed.get(kind, [])
        if entries:
            lines += ["", f"{kind.capitalize()} ({len(entries)}):"]
            lines += [f"- `{e['id']}` {where(e)}: {e['title'] or '(no title)'}" for e in entries[:limit]]
            if len(entries) > limit:
                lines.append(f"- ... and {len(entries) - limit} more (--limit)")
    return lines


def where(entry: dict[str, str | None]) -> str:
    return f"{entry['from']} → {entry['to']}" if "from" in entry else str(entry["split"])


def as_json(changes: Changes, limit: int) -> dict[str, object]:
    """The changes for scripts: counts per split and kind, and the first `limit` records of
    each kind (id, split or from/to, title), with how many there are in all."""
    return {
        "old": changes.old,
        "new": changes.new,
        "counts": {
            **{kind: {s: getattr(changes, kind)[s] for s in SPLITS} for kind in KINDS[:3]},
            "moved": len(changes.moved),
        },
        "records": {kind: changes.listed.get(kind, [])[:limit] for kind in KINDS},
        "totals": {kind: len(changes.listed.get(kind, [])) for kind in KINDS},
        "languages": {k: list(v) for k, v in changes.languages.items()},
        "publishers": {k: list(v) for k, v in changes.sources.items()},
    }
