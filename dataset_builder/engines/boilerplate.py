"""Publisher-learned boilerplate in a build: after pass 1, before the global steps.

Pass 1 returns each spooled record's publisher and distinct line hashes; here the whole
corpus's hashes give each publisher's boilerplate (`learned`), and every spool batch holding
a record with such a line (`to_strip`) is rewritten without those lines, its dedup keys
computed again (`strip_batch`): exact and near dedup then compare the articles without their
shared footer, which would otherwise inflate the similarity of two reports.

Each engine runs `strip_batch` where its spool batches are: the local one in its forked
workers, the Ray one in actors over pass 1's dataset, whose keys column it replaces. A
batch's answer depends on that batch alone, and `summary` reads the answers in spool order,
so what is removed, and the example kept of each line, is the same for any engine and
number of workers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from dataset_builder.config import Settings
from dataset_builder.decide.boilerplate import learn, line_hash, publisher_of, strip
from dataset_builder.decide.dedup import NearDupSettings
from dataset_builder.decide.steps import DedupKeys
from dataset_builder.engines.passes import dedup_keys
from dataset_builder.records import spool_schema
from dataset_builder.spool import Spool, read_batch, write_batch

Removed = list[tuple[str, int, str]]  # per record, each distinct line removed: publisher, hash, as written


@dataclass(frozen=True)
class Learned:
    """What a worker needs to strip spool batches: each publisher's boilerplate hashes, and
    how the batch's dedup keys are computed again."""

    spool: Path
    wanted: dict[str, frozenset[int]]  # publisher -> its learned line hashes
    near: NearDupSettings | None
    group_by: tuple[str, ...]
    schema: pa.Schema  # the spool's


@dataclass(frozen=True)
class Stripped:
    """One spool batch, rewritten: its new dedup keys and the lines removed from it."""

    keys: DedupKeys
    removed: Removed


def learned(spool: Spool, lines: list[tuple[str, tuple[int, ...]]], settings: Settings) -> Learned | None:
    """Each publisher's boilerplate, from every spooled record's (publisher, line hashes);
    None when no publisher has any."""
    chosen = settings.boilerplate
    found = learn(
        [publisher for publisher, _ in lines],
        [hashes for _, hashes in lines],
        chosen.min_articles,
        chosen.min_share,
        chosen.max_publishers,
    )
    if not found:
        return None
    near = NearDupSettings.from_settings(settings.near_dup) if settings.near_dup.enabled else None
    return Learned(
        spool.folder,
        {publisher: frozenset(hashes) for publisher, hashes in found.items()},
        near,
        settings.split.group_by,
        spool_schema(settings.ingest.columns),
    )


def to_strip(spool: Spool, lines: list[tuple[str, tuple[int, ...]]], plan: Learned) -> list[int]:
    """The spool batches (by number) that hold a record with one of its publisher's learned
    lines: the only ones read and written again."""
    none: frozenset[int] = frozenset()
    return [
        number
        for number, first in enumerate(spool.starts)
        if any(
            plan.wanted.get(lines[row][0], none).intersection(lines[row][1])
            for row in range(first, first + spool.size(number))
        )
    ]


def strip_batch(name: str, plan: Learned) -> Stripped:
    """Spool batch `name` without its records' learned lines, written back in place; an
    article of nothing but such lines stays whole. The publisher is found from the spooled
    record as pass 1 found it (`passes.publisher_lines`)."""
    records = read_batch(plan.spool, name).to_pylist()
    removed: Removed = []
    for record in records:
        publisher = publisher_of(record.get("source"), record.get("url"), record["raw_path"])
        text, lines = strip(record["text"], plan.wanted.get(publisher, frozenset()))
        if not lines or not text.strip():
            continue
        record["text"] = text
        first = {line_hash(line): line for line in reversed(lines)}  # each line as first written
        removed += [(publisher, hashed, line) for hashed, line in first.items()]
    write_batch(plan.spool, name, pa.RecordBatch.from_pylist(records, schema=plan.schema))
    return Stripped(dedup_keys(records, plan.near, plan.group_by), removed)


def summary(answers: Iterable[Removed]) -> dict[str, list[dict[str, Any]]]:
    """Per publisher, each line removed (as first written, in spool order) and the articles
    it was removed from, most articles first; `answers` are the stripped batches' in spool
    order."""
    examples: dict[tuple[str, int], str] = {}
    articles: defaultdict[tuple[str, int], int] = defaultdict(int)
    for removed in answers:
        for publisher, hashed, line in removed:
            examples.setdefault((publisher, hashed), line)
            articles[(publisher, hashed)] += 1
    found: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for (publisher, hashed), n in sorted(
        articles.items(), key=lambda item: (item[0][0], -item[1], item[0][1])
    ):
        found[publisher].append({"line": examples[(publisher, hashed)], "articles": n})
    return dict(found)
