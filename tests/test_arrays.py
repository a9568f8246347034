"""arrays.distinct is np.unique, by a stable sort."""

from __future__ import annotations

import numpy as np
import pytest

from dataset_builder.arrays import distinct


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
@pytest.mark.parametrize("size", [0, 1, 2, 17, 5000])
def test_distinct_is_numpys_unique(dtype: type, size: int) -> None:
    rng = np.random.default_rng(size)
    values = rng.integers(0, max(size // 3, 1), size=size).astype(dtype)  # repeats
    values[: size // 2] = rng.integers(0, 2**62, size=size // 2).astype(dtype)  # and large values
    got = distinct(values)
    assert got.dtype == values.dtype
    assert got.tolist() == np.unique(values).tolist()
