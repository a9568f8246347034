"""Exact Jaccard similarity of many candidate pairs at once, on sorted shingle-hash arrays.

Confirming candidates is most of the near-duplicate step when distinct documents share
text (templated releases, wire rewrites): millions of candidate pairs, and numpy's
`intersect1d` costs ~14 µs a pair, most of it per-call overhead. Here every set sits in one
flat array (offsets say where each starts), and the shared count of each pair is one merge
of two sorted arrays: compiled by numba when there are many pairs, interpreted for a few
(numba's import and first call cost ~0.5 s); the merge steps without branching on the
hashes, and stops early for a pair proven below the threshold in play. The similarity is
`shared / union`, one IEEE division of two exact integer counts whichever path counted
them, so it is the same float `minhash.jaccard` gives.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

COMPILED_FROM = 20_000  # pairs: fewer are counted interpreted


def shared_counts(
    flat: np.ndarray, offsets: np.ndarray, pairs: np.ndarray, needed: np.ndarray, out: np.ndarray
) -> None:
    """`out[i]` = how many hashes sets `pairs[i, 0]` and `pairs[i, 1]` share, or -1 as soon as
    they cannot share `needed[i]` (what is left of the shorter set would not be enough). Set
    `s` is `flat[offsets[s]:offsets[s + 1]]`, sorted and distinct."""
    for i in range(len(pairs)):
        a, a_end = offsets[pairs[i, 0]], offsets[pairs[i, 0] + 1]
        b, b_end = offsets[pairs[i, 1]], offsets[pairs[i, 1] + 1]
        need = needed[i]
        shared = 0
        while a < a_end and b < b_end:
            if shared + min(a_end - a, b_end - b) < need:
                shared = -1
                break
            x, y = flat[a], flat[b]  # no branch on them: hashes are random, a branch mispredicts
            shared += x == y
            a += x <= y
            b += y <= x
        out[i] = shared


@cache
def _compiled_shared_counts() -> Callable[..., None]:
    from numba import njit

    return njit(cache=True, nogil=True)(shared_counts)


def similarities(sets: list[np.ndarray], pairs: np.ndarray, at_least: float = 0.0) -> np.ndarray:
    """Exact Jaccard of each pair of `sets` (indices into the list), as float64; NaN for a pair
    proven below `at_least` by its counts (J >= t needs shared >= t (|a| + |b|) / (1 + t)):
    the merge stops once the rest of the shorter set could not make up the difference. The
    bound keeps a margin of one shared hash, so no pair whose Jaccard reaches `at_least` in
    floating point is ever NaN; it is exact, not an estimate."""
    if not len(pairs):
        return np.zeros(0, dtype=np.float64)
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    flat = np.concatenate(sets) if sets else np.zeros(0, dtype=np.uint64)
    pairs = np.ascontiguousarray(pairs, dtype=np.int64)
    total = sizes[pairs[:, 0]] + sizes[pairs[:, 1]]
    needed = np.maximum(np.floor(at_least * total / (1.0 + at_least)).astype(np.int64) - 1, 0)
    shared = np.zeros(len(pairs), dtype=np.int64)
    if len(pairs) >= COMPILED_FROM:
        _compiled_shared_counts()(flat, offsets, pairs, needed, shared)
    else:
        for i, (a, b) in enumerate(pairs.tolist()):
            shared[i] = np.intersect1d(sets[a], sets[b], assume_unique=True).size
    union = total - shared
    similarity = np.divide(shared, union, out=np.zeros(len(pairs)), where=union > 0)
    similarity[shared < needed] = np.nan  # the same pairs whichever path counted
    return similarity
