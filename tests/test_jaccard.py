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
