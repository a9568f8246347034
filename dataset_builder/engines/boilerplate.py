"""Publisher-learned boilerplate in a build: after pass 1, before the global steps.

Pass 1 returns each spooled record's publisher and distinct line hashes; here the whole
corpus's hashes give each publisher's boilerplate (`decide.boilerplate.learn`), and every
spool batch holding a record with such a line is rewritten without those lines, its dedup
keys computed again (`passes.dedup_keys`): exact and near dedup then compare the articles
without their shared footer, which would otherwise inflate the similarity of two reports.
Batches are visited in spool order, so what is removed, and the example kept of each line,
is the same for any number of workers. The Ray engine keeps its keys in its own dataset:
a build with `boilerplate.learn` there is refused (pipeline.py) until it learns this.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from dataset_builder.config import Settings
from dataset_builder.decide.boilerplate import learn, line_hash, strip
from dataset_builder.decide.dedup import NearDupSettings
from dataset_builder.engines.passes import dedup_keys
from dataset_builder.records import spool_schema
from dataset_builder.spool import Spool, read_batch, write_batch


def strip_learned(
    spool: Spool, blocks: Any, lines: list[tuple[str, tuple[int, ...]]], settings: Settings
) -> dict[str, list[dict[str, Any]]]:
    """Remove each publisher's learned lines from its spooled articles, replacing the dedup
    keys of each rewritten batch in `blocks` (by spool batch number); returns, per
    publisher, each line removed (as first written) and the articles it was removed from."""
    chosen = settings.boilerplate
    learned = learn(
        [publisher for publisher, _ in lines],
        [hashes for _, hashes in lines],
        chosen.min_articles,
        chosen.min_share,
        chosen.max_publishers,
    )
    if not learned:
        return {}
    wanted = {publisher: set(hashes) for publisher, hashes in learned.items()}
    near = NearDupSettings.from_settings(settings.near_dup) if settings.near_dup.enabled else None
    schema = spool_schema(settings.ingest.columns)
    examples: dict[tuple[str, int], str] = {}
    articles: defaultdict[tuple[str, int], int] = defaultdict(int)
    for number, first in enumerate(spool.starts):
        rows = range(first, first + spool.size(number))
        if not any(wanted.get(lines[row][0], set()).intersection(lines[row][1]) for row in rows):
            continue
        records = read_batch(spool.folder, spool.names[number]).to_pylist()
        for row, record in zip(rows, records, strict=True):
            publisher = lines[row][0]
            text, removed = strip(record["text"], wanted.get(publisher, set()))
            if not removed or not text.strip():  # an article of nothing but furniture stays whole
                continue
            record["text"] = text
            for hashed, line in {line_hash(line): line for line in reversed(removed)}.items():
                examples.setdefault((publisher, hashed), line)
                articles[(publisher, hashed)] += 1
        write_batch(spool.folder, spool.names[number], records, schema)
        blocks.replace(number, dedup_keys(records, near, settings.split.group_by))
    found: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for (publisher, hashed), n in sorted(
        articles.items(), key=lambda item: (item[0][0], -item[1], item[0][1])
    ):
        found[publisher].append({"line": examples[(publisher, hashed)], "articles": n})
    return dict(found)
