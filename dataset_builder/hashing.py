"""Two hashes more than one layer needs: a file's SHA-256 (release files, evaluation sets)
and murmur3's 64-bit finalizer over numpy arrays (shingles, quality n-grams, Ray's
partition keys). Here, below stages and decisions, so that neither imports the other."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def fmix64(x: np.ndarray) -> np.ndarray:
    """murmur3's finalizer: every input bit affects every output bit."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(33))
        x = x * np.uint64(0xFF51AFD7ED558CCD)
        x = x ^ (x >> np.uint64(33))
        x = x * np.uint64(0xC4CEB9FE1A85EC53)
        return x ^ (x >> np.uint64(33))
