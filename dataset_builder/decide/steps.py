"""The global steps between the passes, and what they decide.

    exact dedup      records with equal content keys: keep the smallest id
    near dedup       LSH candidates -> Jaccard -> clusters: keep the smallest id
    split groups     similar pairs and shared `group_by` values -> groups -> one split each
    publisher names  the survivors' (site, spelling) counts -> one spelling per publisher

They are the only steps that look at the whole corpus at once. The local engine runs them
here, on arrays in memory (`decide`); the Ray engine runs the same stage functions as
distributed grouping operations (`engines.ray_steps`). Both return `Decisions`,
which say the same thing about the same records: the release does not depend on which
engine decided.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from dataset_builder.config import SPLITS, Settings
from dataset_builder.decide.dedup import (
    BandKeys,
    NearDuplicate,
    NearDupSettings,
    ShingleSets,
    exact_duplicates,
    near_duplicate_stage,
)
from dataset_builder.decide.graph import connected_components
from dataset_builder.decide.minhash import Shingling
from dataset_builder.decide.publishers import Renames, publisher_names
from dataset_builder.decide.split import Move, assign_splits
from dataset_builder.spool import Spool


@dataclass(frozen=True)
class Corpus:
    """What the global steps know of the spooled records: row i is spool row i."""

    ids: pa.Array  # strings
    ranks: np.ndarray  # each row's place in id order
    alive: np.ndarray  # bool: not already rejected
    spool: Spool
    settings: Settings
    base: dict[str, str] | None  # id -> split in the `split.base` release
    to_test: frozenset[str] = frozenset()  # ids whose group goes to test (decontamination)


@dataclass(frozen=True)
class DedupKeys:
    """Pass 1's answer for a batch (or, concatenated, for the corpus), for the global steps:
    per valid record, in order, what exact dedup, near dedup, split grouping and publisher
    names compare."""

    keys: list[bytes]  # content keys
    bands: np.ndarray  # (records, bands) uint64; no columns when near-dup is off
    words: np.ndarray  # (records,) bool: the text has words to compare
    groups: dict[str, list[Any]]  # split.group_by field -> its value per record
    scripts: list[str]  # the script of each text (scripts.script_of); "" when near-dup is off
    few: np.ndarray  # (records,) bool: one shingle only, too few to judge by (Jaccard 0 or 1)
    publishers: list[tuple[str, str]]  # the distinct (site, source) pairs of the records
    publisher: np.ndarray  # (records,) int32: the record's place in `publishers`, -1 without a
    # source (a few strings per batch rather than two per record)

    @classmethod
    def concatenated(cls, blocks: list[DedupKeys]) -> DedupKeys:
        keys = [key for block in blocks for key in block.keys]
        bands = np.concatenate([b.bands for b in blocks]) if blocks else np.zeros((0, 0), np.uint64)
        words = np.concatenate([b.words for b in blocks]) if blocks else np.zeros(0, bool)
        groups = {
            name: [v for b in blocks for v in b.groups[name]] for name in (blocks[0].groups if blocks else ())
        }
        scripts = [script for block in blocks for script in block.scripts]
        few = np.concatenate([b.few for b in blocks]) if blocks else np.zeros(0, bool)
        return cls(keys, bands, words, groups, scripts, few, *joined_publishers(blocks))

    def sliced(self, start: int, stop: int) -> DedupKeys:
        """Rows `start` to `stop` (the records of one piece of a batch, for the cache)."""
        return DedupKeys(
            self.keys[start:stop],
            self.bands[start:stop],
            self.words[start:stop],
            {name: values[start:stop] for name, values in self.groups.items()},
            self.scripts[start:stop],
            self.few[start:stop],
            self.publishers,
            self.publisher[start:stop],
        )

    def publisher_counts(self, rows: np.ndarray) -> list[tuple[str, str, int]]:
        """(site, source, records) among `rows`, for `publishers.publisher_names`."""
        codes = self.publisher[rows]
        counts = np.bincount(codes[codes >= 0], minlength=len(self.publishers))
        return [(*pair, int(n)) for pair, n in zip(self.publishers, counts.tolist(), strict=True) if n]


def publisher_codes(pairs: list[tuple[str, str] | None]) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Per-record (site, source) pairs (None: no source) as distinct pairs and codes."""
    places: dict[tuple[str, str], int] = {}
    codes = [-1 if pair is None else places.setdefault(pair, len(places)) for pair in pairs]
    return list(places), np.array(codes, dtype=np.int32)


def joined_publishers(blocks: list[DedupKeys]) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The blocks' publisher codes renumbered into one list of distinct pairs."""
    places: dict[tuple[str, str], int] = {}
    renumbered = []
    for block in blocks:
        table = np.array([places.setdefault(pair, len(places)) for pair in block.publishers] + [-1], np.int32)
        renumbered.append(table[block.publisher])  # -1 picks the table's last entry: -1
    return list(places), np.concatenate(renumbered) if renumbered else np.zeros(0, np.int32)


@dataclass(frozen=True)
class NearStats:
    compared: int  # texts with words, after exact dedup
    too_short: int  # texts without words, after dedup
    candidates: int  # pairs LSH proposed
    at_or_above: dict[str, int]  # confirmed pairs at or above each threshold
    histogram: list[int]  # confirmed pairs per `similarity_edges` bin
    scripts: dict[str, dict[str, int]]  # script -> compared, near_duplicates, too_few_shingles


@dataclass(frozen=True)
class Decisions:
    exact: list[tuple[int, int]]  # (row, the row it duplicates)
    near: list[NearDuplicate]
    near_stats: NearStats | None  # None: near dedup is off
    splits: np.ndarray  # int8 per row: its split's place in SPLITS, NOT_KEPT if it did not survive
    moves: list[Move]  # records of the base release whose split changed, by id
    groups: dict[str, int]
    crossing: list[tuple[int, int, float]]  # similar pairs (a < b) whose rows got different splits
    publishers: Renames  # spellings of one publisher's name, to write as one (decide/publishers.py)


NOT_KEPT = -1


def split_column(rows: int, survivors: Iterable[int], assigned: Iterable[str]) -> np.ndarray:
    """Each row's split as its place in SPLITS (one byte a row, not a dict entry)."""
    column = np.full(rows, NOT_KEPT, dtype=np.int8)
    places = {split: place for place, split in enumerate(SPLITS)}
    column[np.fromiter(survivors, np.int64)] = np.fromiter(map(places.__getitem__, assigned), np.int8)
    return column


def crossing_pairs(
    pairs: np.ndarray, similarity: np.ndarray, splits: np.ndarray
) -> list[tuple[int, int, float]]:
    """The similar pairs whose two rows both survived, in different splits."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    first, second = splits[pairs[:, 0]], splits[pairs[:, 1]]
    crossed = (first != NOT_KEPT) & (second != NOT_KEPT) & (first != second)
    found = pairs[crossed].tolist()
    return [(a, b, s) for (a, b), s in zip(found, np.asarray(similarity)[crossed].tolist(), strict=True)]


def similarity_edges(report_threshold: float) -> np.ndarray:
    """Bins of the similarity histogram: 0.05 wide, from just below the report threshold."""
    return np.arange(min(int(report_threshold * 20), 19), 21) / 20


def script_counts(
    compared: Iterable[tuple[int, str, bool]], near: list[NearDuplicate]
) -> dict[str, dict[str, int]]:
    """Per script, in name order: how many texts were compared, how many of them were
    removed as near-duplicates, and how many had a single shingle (too few to judge: any
    edit makes such a text look unrelated). `compared` gives (row, script, few) per text."""
    removed = {d.index for d in near}
    counts: dict[str, dict[str, int]] = {}
    for row, script, few in compared:
        entry = counts.setdefault(script, {"compared": 0, "near_duplicates": 0, "too_few_shingles": 0})
        entry["compared"] += 1
        entry["near_duplicates"] += row in removed
        entry["too_few_shingles"] += bool(few)
    return dict(sorted(counts.items()))


def near_stats(
    similarity: Iterable[np.ndarray],
    settings: NearDupSettings,
    compared: int,
    too_short: int,
    candidates: int,
    scripts: dict[str, dict[str, int]],
) -> NearStats:
    """Counts and histogram of confirmed similarities, given in chunks so they can stream."""
    edges = similarity_edges(settings.report_threshold)
    histogram = np.zeros(len(edges) - 1, dtype=np.int64)
    names = {
        "report_threshold": settings.report_threshold,
        "group_threshold": settings.group_threshold,
        "threshold": settings.threshold,
    }
    counts = dict.fromkeys(names, 0)
    for chunk in similarity:
        histogram += np.histogram(chunk, bins=edges)[0]
        for name, value in names.items():
            counts[name] += int((chunk >= value).sum())
    return NearStats(compared, too_short, candidates, counts, histogram.tolist(), scripts)


def group_sizes(labels: Iterable[int]) -> dict[str, int]:
    sizes = Counter(labels)
    return {
        "groups_of_several": sum(1 for c in sizes.values() if c > 1),
        "records_in_them": sum(c for c in sizes.values() if c > 1),
        "largest": max(sizes.values(), default=0),
    }


def value_links(values: Iterable[tuple[Any, int]]) -> np.ndarray:
    """Edges chaining the rows that share a value: (value, row) pairs in, (m, 2) out."""
    rows_of: dict[Any, list[int]] = {}
    for value, row in values:
        if value:
            rows_of.setdefault(value, []).append(row)
    chained = [pair for rows in rows_of.values() for pair in itertools.pairwise(sorted(rows))]
    return np.array(chained, dtype=np.int64).reshape(-1, 2)


def decide(
    corpus: Corpus,
    dedup: DedupKeys,
    bands: BandKeys,
    shingles: Callable[[np.ndarray, Shingling], ShingleSets],
) -> Decisions:
    """The global steps in memory, from the dedup keys of every spooled row and their band
    keys (`bands`: the engine keeps them, `dedup.bands` is not read); `shingles(rows,
    shingling)` gives the shingle sets of the texts candidate pairs need (the engine decides
    who computes them, and where the texts are read)."""
    settings = corpus.settings
    keys, words, groups = dedup.keys, dedup.words, dedup.groups
    rows = np.flatnonzero(corpus.alive)
    representative = rows[exact_duplicates(np.array(keys, dtype="S16")[rows], corpus.ranks[rows])]
    exact = [(int(r), int(rep)) for r, rep in zip(rows, representative, strict=True) if r != rep]
    alive = corpus.alive.copy()
    alive[[row for row, _ in exact]] = False
    near: list[NearDuplicate] = []
    stats = None
    pairs = np.zeros((0, 2), dtype=np.int64)
    similarity = np.zeros(0)
    if settings.near_dup.enabled:
        near_settings = NearDupSettings.from_settings(settings.near_dup)
        compared = np.flatnonzero(alive & words)
        shingling = near_settings.minhash.shingling
        similar, near = near_duplicate_stage(
            bands,
            compared,
            lambda rows: shingles(rows, shingling),
            corpus.ranks,
            near_settings,
        )
        pairs, similarity = similar.pairs, similar.similarity
        alive[[d.index for d in near]] = False
        too_short = int((alive & ~words).sum())
        scripts = script_counts(((r, dedup.scripts[r], dedup.few[r]) for r in compared.tolist()), near)
        stats = near_stats([similarity], near_settings, len(compared), too_short, similar.candidates, scripts)
    links = [pairs[similarity >= settings.near_dup.group_threshold]]
    for values in groups.values():
        links.append(value_links((value, row) for row, value in enumerate(values) if alive[row]))
    labels = connected_components(len(corpus.ids), np.concatenate(links))
    survivors = np.flatnonzero(alive).tolist()
    assigned, moves = assign_splits(
        corpus.ids.take(pa.array(survivors, pa.int64())).to_pylist(),
        [int(labels[r]) for r in survivors],
        settings.split.ratios,
        settings.split.salt,
        corpus.base,
        corpus.to_test,
    )
    splits = split_column(len(corpus.ids), survivors, assigned)
    crossing = crossing_pairs(pairs, similarity, splits)
    renames = publisher_names(dedup.publisher_counts(np.array(survivors, dtype=np.int64)))
    sizes = group_sizes(labels[survivors].tolist())
    return Decisions(exact, near, stats, splits, moves, sizes, crossing, renames)
