"""Exact Jaccard similarity of many candidate pairs at once, on sorted shingle-hash arrays.

Confirming candidates is most of the near-duplicate step when distinct documents share
text (templated releases, wire rewrites): millions of candidate pairs, and numpy's
`intersect1d` costs ~14 µs a pair, most of it per-call overhead. Here every set sits in one
flat array (offsets say where each starts), and the shared count of each pair is one merge
of two sorted arrays: compiled by numba when there are many pairs, interpreted for a few
(numba's import and first call cost ~0.5 s). The similarity is `shared / union`, one IEEE
division of two exact integer counts whichever path counted them, so it is the same float
`minhash.jaccard` gives.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

COMPILED_FROM = 20_000  # pairs: fewer are counted interpreted


def shared_counts(flat: np.ndarray, offsets: np.ndarray, pairs: np.ndarray, out: np.ndarray) -> None:
    """`out[i]` = how many hashes sets `pairs[i, 0]` and `pairs[i, 1]` share. Set `s` is
    `flat[offsets[s]:offsets[s + 1]]`, sorted and distinct."""
    for i in range(len(pairs)):
        a, a_end = offsets[pairs[i, 0]], offsets[pairs[i, 0] + 1]
        b, b_end = offsets[pairs[i, 1]], offsets[pairs[i, 1] + 1]
        shared = 0
        while a < a_end and b < b_end:
            x, y = flat[a], flat[b]
            if x == y:
                shared += 1
                a += 1
                b += 1
            elif x < y:
                a += 1
            else:
                b += 1
        out[i] = shared


@cache
def _compiled_shared_counts() -> Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]:
    from numba import njit

    return njit(cache=True, nogil=True)(shared_counts)


def similarities(sets: list[np.ndarray], pairs: np.ndarray) -> np.ndarray:
    """Exact Jaccard of each pair of `sets` (indices into the list), as float64."""
    if not len(pairs):
        return np.zeros(0, dtype=np.float64)
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    flat = np.concatenate(sets) if sets else np.zeros(0, dtype=np.uint64)
    pairs = np.ascontiguousarray(pairs, dtype=np.int64)
    shared = np.zeros(len(pairs), dtype=np.int64)
    if len(pairs) >= COMPILED_FROM:
        _compiled_shared_counts()(flat, offsets, pairs, shared)
    else:
        for i, (a, b) in enumerate(pairs.tolist()):
            shared[i] = np.intersect1d(sets[a], sets[b], assume_unique=True).size
    union = sizes[pairs[:, 0]] + sizes[pairs[:, 1]] - shared
    return np.divide(shared, union, out=np.zeros(len(pairs)), where=union > 0)
