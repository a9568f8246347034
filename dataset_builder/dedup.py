"""Stage 4: exact duplicates, then near-duplicates.

Exact: texts equal after NFKC, case folding and whitespace collapsing, so a re-post that
differs only in character width, case or line wrapping is caught.

Near: MinHash + LSH proposes candidate pairs, and each candidate is confirmed by the real
Jaccard similarity of the two texts' word shingles: a band collision alone never removes
an article. Pairs at or above `threshold` are duplicates; their connected components are
clusters.

In both cases the representative of a group is the record with the smallest id: the
choice depends only on the records, never on the order the files were read in or on the
number of workers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xxhash

from dataset_builder.graph import connected_components
from dataset_builder.minhash import (
    MinHashSettings,
    TokenHasher,
    candidate_pairs,
    jaccard,
    lsh_shape,
    shingle_set,
)


def content_key(text: str) -> str:
    """128-bit hash of the text as exact dedup compares it."""
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


@dataclass(frozen=True)
class NearDupSettings:
    minhash: MinHashSettings
    threshold: float  # this similar or more: keep one
    group_threshold: float  # this similar or more: same split
    report_threshold: float  # similar pairs this close are kept for the leakage report
    recall: float  # LSH detection probability wanted at group_threshold

    @classmethod
    def from_settings(cls, near_dup: dict[str, Any]) -> NearDupSettings:
        return cls(
            MinHashSettings.from_settings(near_dup),
            near_dup["threshold"],
            near_dup["group_threshold"],
            near_dup["report_threshold"],
            near_dup["recall"],
        )

    @property
    def lsh_shape(self) -> tuple[int, int]:
        return lsh_shape(min(self.group_threshold, self.threshold), self.minhash.num_perm, self.recall)


@dataclass(frozen=True)
class SimilarPairs:
    """Confirmed pairs (index a < index b, Jaccard) at or above the report threshold."""

    pairs: np.ndarray  # (m, 2) int64
    similarity: np.ndarray  # (m,) float64
    candidates: int  # pairs LSH proposed, before the Jaccard check
    compared: int  # texts with a signature

    def at_least(self, threshold: float) -> np.ndarray:
        return self.pairs[self.similarity >= threshold]


class ShingleSets:
    """Each text's shingle set, computed when a candidate pair first needs it."""

    def __init__(self, texts: list[str], shingle_words: int) -> None:
        self.texts = texts
        self.shingle_words = shingle_words
        self.hasher = TokenHasher()
        self.sets: dict[int, np.ndarray] = {}

    def __getitem__(self, index: int) -> np.ndarray:
        if index not in self.sets:
            self.sets[index] = shingle_set(self.texts[index], self.shingle_words, self.hasher)
        return self.sets[index]

    def similarity(self, a: int, b: int) -> float:
        return jaccard(self[a], self[b])


def similar_pairs(
    signatures: list[np.ndarray | None], shingles: ShingleSets, settings: NearDupSettings
) -> SimilarPairs:
    """Candidates from LSH over the signatures, confirmed by exact Jaccard."""
    compared = np.array([i for i, s in enumerate(signatures) if s is not None], dtype=np.int64)
    empty = SimilarPairs(np.zeros((0, 2), dtype=np.int64), np.zeros(0), 0, len(compared))
    if len(compared) < 2:
        return empty
    matrix = np.stack([signatures[i] for i in compared])
    bands, rows = settings.lsh_shape
    candidates = compared[candidate_pairs(matrix, bands, rows)]
    similarity = np.array([shingles.similarity(a, b) for a, b in candidates], dtype=np.float64)
    keep = similarity >= settings.report_threshold
    return SimilarPairs(candidates[keep], similarity[keep], len(candidates), len(compared))


@dataclass(frozen=True)
class NearDuplicate:
    index: int
    representative: int
    similarity: float  # Jaccard with the representative


def near_duplicates(
    ids: list[str], pairs: SimilarPairs, shingles: ShingleSets, threshold: float
) -> list[NearDuplicate]:
    """Clusters of pairs at or above `threshold`; all but the smallest id of each go.

    A cluster is a connected component, so a member can be linked to its representative
    through another member; its similarity is still measured against the representative."""
    order = sorted(range(len(ids)), key=ids.__getitem__)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    labels = connected_components(len(ids), rank[pairs.at_least(threshold)])
    duplicates = []
    for position, label in enumerate(labels):
        if label != position:
            member, representative = order[position], order[label]
            duplicates.append(
                NearDuplicate(member, representative, shingles.similarity(member, representative))
            )
    return duplicates
