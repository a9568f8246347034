"""Exact Jaccard similarity of many candidate pairs at once, on sorted shingle-hash arrays.

Confirming candidates is most of the near-duplicate step when distinct documents share
text (templated releases, wire rewrites): millions of candidate pairs, and numpy's
`intersect1d` costs ~14 µs a pair, most of it per-call overhead. Here every set sits in one
flat array (offsets say where each starts), and the shared count of each pair is one merge
of two sorted arrays: compiled by numba when there are many pairs, interpreted for a few
(numba's import and first call cost ~0.5 s); the merge steps without branching on the
hashes. The similarity is `shared / union`, one IEEE division of two exact integer counts
whichever path counted them, so it is the same float `minhash.jaccard` gives.

A merge stops early for a pair that cannot reach the threshold in play, by either of two
rules, and the pair is NaN:
- proven: what is left of the shorter set could not make up the shared count needed (an
  exact bound on the counts);
- sampled: the merge visits the union of the two sets in hash order, so its first u hashes
  are a uniform sample of the union (the hashes are random with respect to the shingles),
  and the share of them in both sets estimates the Jaccard. Every `LOOK` hashes the share
  is tested against the threshold t with Hoeffding's bound for sampling without
  replacement, P(share <= x) <= exp(-u KL(x || t)) for a pair at t or above, at a level
  that sums to `MISS` over all the looks: a pair at the threshold is rejected with chance
  at most `MISS` (10^-6), above it with less. That is the bound on the signatures the
  speed issue asked for, on the shingles themselves: 128 MinHash values tell a pair at 0.2
  from one at 0.3 too loosely (at a miss chance of 10^-7 they would reject 4 % of the
  candidates of bench/near_dup_overlap.py, where candidates sit at Jaccard 0.13-0.25),
  while the first few hundred union hashes of the merge do. No pair is removed or grouped
  on the sample: a pair that passes is counted to the end, exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

COMPILED_FROM = 20_000  # pairs: fewer are counted interpreted
LOOK = 64  # union hashes between two tests of the sampled share
MISS = 1e-6  # chance, over all its looks, that a pair at the threshold is rejected by sampling


def shared_counts(
    flat: np.ndarray,
    offsets: np.ndarray,
    pairs: np.ndarray,
    needed: np.ndarray,
    most: np.ndarray,
    out: np.ndarray,
) -> None:
    """`out[i]` = how many hashes sets `pairs[i, 0]` and `pairs[i, 1]` share, or -1 once they
    cannot share `needed[i]` (what is left of the shorter set would not be enough) or the
    first (k + 1) * LOOK hashes of their union hold `most[k]` shared ones or fewer. Both are
    tested every LOOK steps, between which the merge runs without a test. Set `s` is
    `flat[offsets[s]:offsets[s + 1]]`, sorted and distinct."""
    for i in range(len(pairs)):
        a, a_end = offsets[pairs[i, 0]], offsets[pairs[i, 0] + 1]
        b, b_end = offsets[pairs[i, 1]], offsets[pairs[i, 1] + 1]
        need = needed[i]
        shared = 0
        seen = 0  # union hashes merged: one a step
        while a < a_end and b < b_end:
            steps = min(LOOK - seen % LOOK, a_end - a, b_end - b)  # neither set runs out
            for _ in range(steps):
                x, y = flat[a], flat[b]  # no branch on them: hashes are random, it would mispredict
                shared += x == y
                a += x <= y
                b += y <= x
            seen += steps
            if shared + min(a_end - a, b_end - b) < need:
                shared = -1
                break
            look = seen // LOOK - 1
            if seen % LOOK == 0 and look < len(most) and shared <= most[look]:
                shared = -1
                break
        out[i] = shared


@cache
def _compiled_shared_counts() -> Callable[..., None]:
    from numba import njit

    return njit(cache=True, nogil=True)(shared_counts)


def rejection_table(at_least: float, looks: int) -> np.ndarray:
    """`most[k]`: the most shared hashes among the first (k + 1) * LOOK of a union at which a
    pair is rejected by sampling (-1: at none). Look k is allowed a miss chance of
    MISS * 6 / (pi^2 (k + 1)^2), which sums to MISS over any number of looks."""
    most = np.full(looks, -1, dtype=np.int64)
    if not 0.0 < at_least < 1.0 or looks == 0:
        return most
    seen = LOOK * np.arange(1, looks + 1, dtype=np.float64)
    allowed = np.log(np.pi**2 * np.arange(1, looks + 1, dtype=np.float64) ** 2 / (6 * MISS))
    low, high = np.full(looks, -1, dtype=np.int64), np.ceil(at_least * seen).astype(np.int64)
    while (high - low > 1).any():  # the largest s below t * u with u KL(s/u || t) >= allowed
        middle = (low + high) // 2
        share = middle / seen
        rejects = (share < at_least) & (seen * divergence(share, at_least) >= allowed)
        low, high = np.where(rejects, middle, low), np.where(rejects, high, middle)
    return low


def divergence(share: np.ndarray, t: float) -> np.ndarray:
    """KL(share || t) of two Bernoulli laws, 0 log 0 taken as 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = np.where(share > 0, share * np.log(share / t), 0.0)
        outside = np.where(share < 1, (1 - share) * np.log((1 - share) / (1 - t)), 0.0)
    return inside + outside


def merged_count(a: np.ndarray, b: np.ndarray, most: np.ndarray) -> tuple[int, bool]:
    """What `shared_counts` decides for one pair, in numpy: the shared count, and whether the
    sampling rule rejects the pair at a look the merge reaches (it stops when either set is
    exhausted, so only the union hashes up to the smaller of the two largest are looked at)."""
    both = np.sort(np.concatenate([a, b]))
    first = np.r_[True, both[1:] != both[:-1]]
    in_both = np.r_[both[1:] == both[:-1], False][first]
    shared = int(in_both.sum())
    if not len(a) or not len(b) or not (most >= 0).any():
        return shared, False
    merged = int(np.searchsorted(both[first], min(a[-1], b[-1]), side="right"))
    sampled = np.cumsum(in_both[: merged - merged % LOOK])[LOOK - 1 :: LOOK]
    return shared, bool((sampled <= most[: len(sampled)]).any())


def similarities(sets: list[np.ndarray], pairs: np.ndarray, at_least: float = 0.0) -> np.ndarray:
    """Exact Jaccard of each pair of `sets` (indices into the list), as float64; NaN for a pair
    rejected below `at_least` (J >= t needs shared >= t (|a| + |b|) / (1 + t)), proven by its
    counts or sampled (the module's docstring). The proof keeps a margin of one shared hash,
    so no pair whose Jaccard reaches `at_least` in floating point is proven below; the
    sample rejects such a pair with chance at most MISS."""
    if not len(pairs):
        return np.zeros(0, dtype=np.float64)
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    flat = np.concatenate(sets) if sets else np.zeros(0, dtype=np.uint64)
    pairs = np.ascontiguousarray(pairs, dtype=np.int64)
    total = sizes[pairs[:, 0]] + sizes[pairs[:, 1]]
    needed = np.maximum(np.floor(at_least * total / (1.0 + at_least)).astype(np.int64) - 1, 0)
    most = rejection_table(at_least, int(total.max()) // LOOK)
    shared = np.zeros(len(pairs), dtype=np.int64)
    sampled = np.zeros(len(pairs), dtype=bool)
    if len(pairs) >= COMPILED_FROM:
        _compiled_shared_counts()(flat, offsets, pairs, needed, most, shared)
    else:
        for i, (a, b) in enumerate(pairs.tolist()):
            shared[i], sampled[i] = merged_count(sets[a], sets[b], most)
    union = total - shared
    similarity = np.divide(shared, union, out=np.zeros(len(pairs)), where=union > 0)
    similarity[(shared < needed) | sampled] = np.nan  # the same pairs whichever path counted
    return similarity
