"""numpy helpers the hot paths share, below every layer."""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-D array: `np.unique(values)`, by a stable sort.

    Since numpy 2.3, `np.unique` without `return_*` finds the values with a hash table and
    sorts them after, which on arrays of mostly distinct integers costs far more than
    sorting: measured here with numpy 2.4, the 1,200 shingle hashes of a news article take
    0.53 ms against 0.02 ms, 14M candidate-pair codes 14.7 s against 0.29 s."""
    ordered = np.sort(values, kind="stable")
    if len(ordered) < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]
