"""Exact Jaccard of many pairs, compiled or interpreted: the same floats as minhash.jaccard."""

from __future__ import annotations

import numpy as np
import pytest

from dataset_builder.decide import jaccard
from dataset_builder.decide.dedup import ShingleSets
from dataset_builder.decide.minhash import jaccard as one_pair


def random_sets(seed: int, count: int) -> list[np.ndarray]:
    """Sets drawn from a small pool, so that pairs share from nothing to everything; some empty."""
    rng = np.random.default_rng(seed)
    pool = rng.integers(0, 2**64, size=600, dtype=np.uint64)
    sets = [np.unique(rng.choice(pool, size=rng.integers(0, 400))) for _ in range(count)]
    sets[3] = pool[:0].copy()
    sets[4] = sets[5].copy()
    return sets


@pytest.mark.parametrize("compiled_from", [0, 10**9])
def test_every_pair_is_minhash_jaccard(monkeypatch: pytest.MonkeyPatch, compiled_from: int) -> None:
    monkeypatch.setattr(jaccard, "COMPILED_FROM", compiled_from)
    sets = random_sets(0, 60)
    pairs = np.array([(a, b) for a in range(60) for b in range(60)], dtype=np.int64)
    got = jaccard.similarities(sets, pairs)
    expected = [one_pair(sets[a], sets[b]) for a, b in pairs.tolist()]
    assert got.tolist() == expected
    assert {0.0, 1.0} <= set(got.tolist()) and len(set(got.tolist())) > 100


def test_shingle_sets_number_records_by_index() -> None:
    sets = random_sets(1, 30)
    records = {1000 + 7 * n: s for n, s in enumerate(sets)}  # record indices, not list positions
    pairs = np.array([(1000, 1007), (1203, 1000), (1021, 1028), (1028, 1028)], dtype=np.int64)
    shingles = ShingleSets(records)
    assert shingles.similarities(pairs).tolist() == [shingles.similarity(a, b) for a, b in pairs.tolist()]
    assert shingles.similarities(np.zeros((0, 2), dtype=np.int64)).tolist() == []


@pytest.mark.parametrize("at_least", [0.05, 0.3, 0.5, 0.8, 1.0])
def test_pairs_proven_below_the_threshold_are_nan_and_only_they(
    monkeypatch: pytest.MonkeyPatch, at_least: float
) -> None:
    """Compiled (stopping early) and interpreted give the same NaNs; every pair reaching
    `at_least` keeps its exact value; every NaN is below it."""
    sets = random_sets(2, 60)
    pairs = np.array([(a, b) for a in range(60) for b in range(60)], dtype=np.int64)
    expected = np.array([one_pair(sets[a], sets[b]) for a, b in pairs.tolist()])
    results = []
    for compiled_from in (0, 10**9):
        monkeypatch.setattr(jaccard, "COMPILED_FROM", compiled_from)
        results.append(jaccard.similarities(sets, pairs, at_least))
    compiled, interpreted = results
    assert np.array_equal(compiled, interpreted, equal_nan=True)
    proven = np.isnan(compiled)
    assert (expected[proven] < at_least).all()
    assert compiled[~proven].tolist() == expected[~proven].tolist()
    assert proven.sum() > 0 and (~proven & (expected < at_least)).sum() > 0  # a margin is kept


def pairs_at(similarity: float, size: int, count: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """`count` pairs of sets of `size` random hashes each, sharing as many as makes their
    Jaccard the first value at or above `similarity`."""
    shared = int(np.ceil(similarity * 2 * size / (1 + similarity)))
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(count):
        hashes = rng.integers(0, 2**64, size=2 * size, dtype=np.uint64)
        sets += [np.sort(hashes[:size]), np.sort(np.r_[hashes[:shared], hashes[size : 2 * size - shared]])]
    return sets, np.arange(2 * count, dtype=np.int64).reshape(-1, 2)


def test_sampling_rejects_pairs_far_below_the_threshold_and_keeps_those_at_it() -> None:
    """Pairs of 1,000-hash sets: at Jaccard 0.15 the sample of the union rejects every one
    (before the proof could: the proof rejects them too, but only near the end of the
    merge), at 0.3 (the threshold) none of 1,000, with a miss chance of 10^-6 a pair."""
    most = jaccard.rejection_table(0.3, 2000 // jaccard.LOOK)
    far_sets, far_pairs = pairs_at(0.15, 1000, 300, seed=3)
    assert all(jaccard.merged_count(far_sets[a], far_sets[b], most)[1] for a, b in far_pairs.tolist())
    near_sets, near_pairs = pairs_at(0.3, 1000, 1000, seed=4)
    assert not any(jaccard.merged_count(near_sets[a], near_sets[b], most)[1] for a, b in near_pairs.tolist())
    found = jaccard.similarities(near_sets, near_pairs, 0.3)
    assert not np.isnan(found).any() and (found >= 0.3).all()


def test_the_sampling_miss_chance_bounds_the_share_of_pairs_at_the_threshold_it_rejects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the miss chance raised to 20 %, pairs at the threshold are rejected, and no
    more often than that (the bound holds), by both paths alike."""
    monkeypatch.setattr(jaccard, "MISS", 0.2)
    sets, pairs = pairs_at(0.3, 600, 2000, seed=5)
    results = []
    for compiled_from in (0, 10**9):
        monkeypatch.setattr(jaccard, "COMPILED_FROM", compiled_from)
        results.append(jaccard.similarities(sets, pairs, 0.3))
    assert np.array_equal(results[0], results[1], equal_nan=True)
    rejected = np.isnan(results[0]).mean()
    assert 0 < rejected <= 0.2
