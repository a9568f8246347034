"""Stage 4: exact duplicates, then near-duplicates.

Exact: texts equal after NFKC, case folding and whitespace collapsing, so a re-post that
differs only in character width, case or line wrapping is caught. In a text with an
unspaced script (`dataset_builder.scripts`) the key also ignores spaces beside its characters
(an ideographic space, a space a site put between 中文 and English, a line wrap inside a
Chinese sentence) and folds the punctuation variants CJK sites swap (「」 and “”, 『』 and
‘’, 〜 and ~, ― and —, ・ and ·, ⋯ and ...); full-width and half-width forms are NFKC's
already. Spaces between Hangul words are kept: Korean is written with spaces. Traditional
and Simplified Chinese are different characters and stay different texts: converting
one into the other is a rewrite for another readership (and not one-to-one), not a copy.

Near: MinHash + LSH proposes candidate pairs, and each candidate is confirmed by the real
Jaccard similarity of the two texts' word shingles: a band collision alone never removes
an article. Pairs at or above `threshold` are duplicates; their connected components are
clusters.

In both cases the representative of a group is the record with the smallest id: the
choice depends only on the records, never on the order the files were read in or on the
number of workers.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from dataset_builder.arrays import distinct
from dataset_builder.config import NearDupConfig
from dataset_builder.decide.graph import connected_components
from dataset_builder.decide.jaccard import similarities
from dataset_builder.decide.minhash import (
    MinHashSettings,
    Shingling,
    candidate_pairs,
    jaccard,
    lsh_shape,
    shingle_set,
)
from dataset_builder.scripts import (
    HAN,
    KANA,
    KHMER,
    LAO,
    MYANMAR,
    THAI,
    fold_punctuation,
    has_unspaced,
)

SPACED_OUT = HAN + KANA + THAI + LAO + KHMER + MYANMAR
SPACE_BESIDE_UNSPACED = re.compile(f" (?=[{SPACED_OUT}])|(?<=[{SPACED_OUT}]) ")


def content_key(text: str) -> bytes:
    """128-bit hash of the text as exact dedup compares it (see the module's docstring)."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    if has_unspaced(folded):
        folded = SPACE_BESIDE_UNSPACED.sub("", fold_punctuation(folded))
    return xxhash.xxh3_128_digest(folded.encode("utf-8"))


def id_ranks(ids: Sequence[str] | pa.Array) -> np.ndarray:
    """Each record's position in id order: 'smallest id' becomes 'smallest rank' (equal ids
    in row order). UTF-8 bytes sort as code points do, so Arrow's order is Python's."""
    strings = ids if isinstance(ids, pa.Array) else pa.array(ids, pa.string())
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[pc.sort_indices(strings).to_numpy()] = np.arange(len(ids))
    return ranks


def exact_duplicates(keys: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """For each record, the index of its group's representative (itself if it is one):
    records share a group when their content keys are equal."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((ranks, keys))
    sorted_keys = keys[order]
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))
    representative = np.empty(len(keys), dtype=np.int64)
    representative[order] = order[first]
    return representative


@dataclass(frozen=True)
class NearDupSettings:
    minhash: MinHashSettings
    threshold: float  # this similar or more: keep one
    group_threshold: float  # this similar or more: same split
    report_threshold: float  # similar pairs this close are kept for the leakage report
    recall: float  # LSH detection probability wanted at group_threshold

    @classmethod
    def from_settings(cls, near_dup: NearDupConfig) -> NearDupSettings:
        return cls(
            MinHashSettings.from_settings(near_dup),
            near_dup.threshold,
            near_dup.group_threshold,
            near_dup.report_threshold,
            near_dup.recall,
        )

    @property
    def lsh_shape(self) -> tuple[int, int]:
        return lsh_shape(min(self.group_threshold, self.threshold), self.minhash.num_perm, self.recall)


@dataclass(frozen=True)
class SimilarPairs:
    """Confirmed pairs (a < b, as record indices) at or above the report threshold."""

    pairs: np.ndarray  # (m, 2) int64
    similarity: np.ndarray  # (m,) float64
    candidates: int  # pairs LSH proposed, before the Jaccard check
    compared: int  # texts with words

    def at_least(self, threshold: float) -> np.ndarray:
        return self.pairs[self.similarity >= threshold]


class ShingleSets:
    """Shingle sets of the texts candidate pairs need, computed once each, by record index."""

    def __init__(self, sets: dict[int, np.ndarray]) -> None:
        self.sets = sets

    @classmethod
    def of_texts(cls, texts: Iterable[tuple[int, str]], shingling: Shingling) -> ShingleSets:
        """From (record index, text) pairs: the texts themselves are not kept."""
        return cls({index: shingle_set(text, shingling) for index, text in texts})

    def __getitem__(self, index: int) -> np.ndarray:
        return self.sets[index]

    def similarity(self, a: int, b: int) -> float:
        return jaccard(self[a], self[b])

    def similarities(self, pairs: np.ndarray, at_least: float = 0.0) -> np.ndarray:
        """`similarity` of each (a, b) row of `pairs`, all at once; NaN where it is proven
        below `at_least` (`jaccard.similarities`)."""
        indices = distinct(pairs.ravel())  # sorted: a record's place among them is found by bisection
        numbered = np.searchsorted(indices, pairs).reshape(-1, 2)
        return similarities([self.sets[index] for index in indices.tolist()], numbered, at_least)


class BandKeys(Protocol):
    """Every record's MinHash band keys, wherever they are kept (memory, or files on disk)."""

    def columns(self, rows: np.ndarray) -> Iterator[np.ndarray]:
        """The keys of `rows` (record indices), one band after another."""
        ...


@dataclass(frozen=True)
class BandMatrix:
    """Band keys in memory: `keys[i]` are record i's."""

    keys: np.ndarray  # (records, bands) uint64

    def columns(self, rows: np.ndarray) -> Iterator[np.ndarray]:
        return (self.keys[rows, band] for band in range(self.keys.shape[1]))


def lsh_candidates(bands: BandKeys, rows: np.ndarray) -> np.ndarray:
    """Candidate pairs, as record indices, among the records `rows`."""
    if len(rows) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    return rows[candidate_pairs(bands.columns(rows), len(rows))]


def similar_pairs(
    candidates: np.ndarray, shingles: ShingleSets, compared: int, report: float
) -> SimilarPairs:
    """Candidates confirmed by exact Jaccard; those below `report` are dropped."""
    similarity = shingles.similarities(candidates, report)
    keep = similarity >= report  # NaN, proven below, is not
    return SimilarPairs(candidates[keep], similarity[keep], len(candidates), compared)


@dataclass(frozen=True)
class NearDuplicate:
    index: int
    representative: int
    similarity: float  # Jaccard with the representative


def near_duplicates(
    ranks: np.ndarray, pairs: SimilarPairs, shingles: ShingleSets, threshold: float
) -> list[NearDuplicate]:
    """Clusters of pairs at or above `threshold`; all but the smallest id of each go.

    `ranks` orders the records by id. A cluster is a connected component, so a member can
    be linked to its representative through another member; its similarity is still
    measured against the representative."""
    by_rank = np.argsort(ranks)
    labels = connected_components(len(ranks), ranks[pairs.at_least(threshold)])
    duplicates = []
    for rank in np.flatnonzero(labels != np.arange(len(ranks))):
        member, representative = int(by_rank[rank]), int(by_rank[labels[rank]])
        duplicates.append(NearDuplicate(member, representative, shingles.similarity(member, representative)))
    return duplicates


def near_duplicate_stage(
    bands: BandKeys,
    rows: np.ndarray,
    shingles_of: Callable[[np.ndarray], ShingleSets],
    ranks: np.ndarray,
    settings: NearDupSettings,
) -> tuple[SimilarPairs, list[NearDuplicate]]:
    """The whole near-duplicate step among the records `rows`; `shingles_of(records)` gives
    the shingle sets of just the records candidate pairs need."""
    candidates = lsh_candidates(bands, rows)
    shingles = shingles_of(candidates.ravel())
    pairs = similar_pairs(candidates, shingles, len(rows), settings.report_threshold)
    return pairs, near_duplicates(ranks, pairs, shingles, settings.threshold)


def lowest_similarity(dropped: list[NearDuplicate], ranks: np.ndarray, count: int) -> list[NearDuplicate]:
    """The `count` dropped records least similar to their representatives: the cases that
    show whether the threshold is right."""
    return sorted(dropped, key=lambda d: (d.similarity, ranks[d.index]))[:count]


def difference_excerpt(kept: str, dropped: str, context: int = 25, span: int = 80) -> list[list[str]]:
    """Where two similar texts first differ, as word segments [tag, kept words, dropped
    words] (tags from difflib: equal, replace, delete, insert): up to `context` equal words
    before the first difference, then about `span` words. Only the first 5,000 words of
    each text are compared, which bounds the cost of difflib."""
    a, b = kept.split()[:5000], dropped.split()[:5000]
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    first = next((n for n, (tag, *_) in enumerate(opcodes) if tag != "equal"), None)
    if first is None:  # the same words: the texts differ in spacing only
        return [["equal", " ".join(a[:span]), " ".join(b[:span])]]
    segments = []
    if first > 0:
        _, _, end, _, _ = opcodes[first - 1]
        lead = " ".join(a[max(0, end - context) : end])
        segments.append(["equal", lead, lead])
    shown = 0
    for tag, i1, i2, j1, j2 in opcodes[first:]:
        if shown >= span:
            break
        room = span - shown
        segments.append([tag, " ".join(a[i1 : min(i2, i1 + room)]), " ".join(b[j1 : min(j2, j1 + room)])])
        shown += max(i2 - i1, j2 - j1)
    return segments
