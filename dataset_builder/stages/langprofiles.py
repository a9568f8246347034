"""langdetect's profiles and character tables, precomputed once into a cache of .npy arrays.

Loading langdetect's 55 JSON profiles into a matrix takes about a second, and the tables of
what NGram.normalize and str.isupper do to each of the 1.1M code points a third of one; a
build paid both in the building process and again in every worker. Here they are computed
once per machine and kept in `$DATASET_BUILDER_CACHE` (default `~/.cache/dataset_builder`),
then memory-mapped: every process of a build shares the same pages.

The cache folder is named by a hash of everything the arrays are computed from: langdetect's
profile files (bytes and the order `os.listdir` gives, which is langdetect's language order),
its n-gram code, this module's format, the project's version, and the Python and Unicode
versions (`str.isupper`, `random`). Change any of them and a new folder is computed; a stale
one is never read. Folders are written aside and renamed into place, so a process never sees
a half-written one. Where the cache cannot be written, the arrays are computed in memory.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from itertools import chain
from pathlib import Path

import numpy as np

FORMAT = 1  # bump when what is stored, or how, changes
GRAM_TABLE_BITS = 20  # a Mi slots for langdetect's 87,598 n-grams: most found in the first slot they try
CODE_POINTS = 0x110000
RANDOM_SCALE = 1.0 / 9007199254740992.0  # 2**-53, as in CPython's random()
TWOPI = 2.0 * math.pi


@dataclass(frozen=True)
class Profiles:
    """langdetect's model as arrays. `matrix[row, lang]` is word_lang_prob_map's value for the
    n-gram of `row` (rows in the map's order), languages in `langs` order; n-gram keys (21 bits
    a code point) sit in an open-addressing table `gram_keys` -> `gram_rows` (Fibonacci
    hashing, linear probing, 0 = empty); `normal` is NGram.normalize and `upper`
    str.isupper of every code point, `alpha` str.isalpha."""

    langs: tuple[str, ...]
    matrix: np.ndarray
    gram_keys: np.ndarray
    gram_rows: np.ndarray
    normal: np.ndarray
    upper: np.ndarray
    alpha: np.ndarray


ARRAYS = ("matrix", "gram_keys", "gram_rows", "normal", "upper", "alpha")


def cache_root() -> Path:
    return Path(os.environ.get("DATASET_BUILDER_CACHE") or Path.home() / ".cache" / "dataset_builder")


def _langdetect_dir() -> Path:
    from langdetect.detector_factory import PROFILES_DIRECTORY

    return Path(PROFILES_DIRECTORY)


@cache
def sources_key() -> str:
    """The hash that names the cache folder (see the module docstring)."""
    profiles = _langdetect_dir()
    digest = hashlib.sha256()
    try:
        project = metadata.version("dataset-builder")
    except metadata.PackageNotFoundError:
        project = "unknown"
    for part in (FORMAT, project, metadata.version("langdetect"), sys.version, unicodedata.unidata_version):
        digest.update(f"{part}\0".encode())
    for name in os.listdir(profiles):  # langdetect's own order, which the matrix columns follow
        digest.update(name.encode() + b"\0" + (profiles / name).read_bytes() + b"\0")
    for source in ("utils/ngram.py", "utils/messages.properties", "utils/unicode_block.py"):
        digest.update((profiles.parent / source).read_bytes())
    return digest.hexdigest()[:20]


@cache
def load_profiles() -> Profiles:
    """The arrays from the cache, computed and stored first if they are not there."""
    folder = cache_root() / f"langdetect-{sources_key()}"
    if not (folder / "langs.txt").is_file():
        arrays = _compute_profiles()
        _store(folder, {name: getattr(arrays, name) for name in ARRAYS}, "\n".join(arrays.langs))
        if not (folder / "langs.txt").is_file():
            return arrays
    langs = tuple((folder / "langs.txt").read_text(encoding="utf-8").split("\n"))
    # Plain arrays over the mapped files: np.memmap's own indexing costs ~10 µs a call.
    loaded = {name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r")) for name in ARRAYS}
    return Profiles(langs, **loaded)


@cache
def gauss_table(seed: int, words: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `words` 32-bit outputs of `random.Random(seed)`, and (2, words) values: at every
    stream position the two that `random.gauss(0.0, 1.0)` makes from the four words there (the
    one it returns and the one it keeps for its next call), computed by the interpreter's own
    `math`, so the replay cannot round differently. Cached beside the profiles (~0.1 s to make)."""
    folder = cache_root() / f"langdetect-{sources_key()}"
    stream_name, gauss_name = f"stream-{seed}-{words}", f"gauss-{seed}-{words}"
    if not (folder / f"{gauss_name}.npy").is_file():
        stream, gauss = _compute_gauss(seed, words)
        _store(folder, {stream_name: stream, gauss_name: gauss}, None)  # the gauss file last
        if not (folder / f"{gauss_name}.npy").is_file():
            return stream, gauss
    return np.load(folder / f"{stream_name}.npy"), np.load(folder / f"{gauss_name}.npy")


def _compute_gauss(seed: int, words: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    stream = [rng.getrandbits(32) for _ in range(words)]
    high = [(w >> 5) * 67108864.0 for w in stream]
    low = [w >> 6 for w in stream]
    uniform = [(high[i] + low[i + 1]) * RANDOM_SCALE for i in range(words - 1)]
    gauss = np.zeros((2, words))
    cos, sin, log, sqrt = math.cos, math.sin, math.log, math.sqrt
    for i in range(words - 3):
        x2pi = uniform[i] * TWOPI
        g2rad = sqrt(-2.0 * log(1.0 - uniform[i + 2]))
        gauss[0, i] = cos(x2pi) * g2rad
        gauss[1, i] = sin(x2pi) * g2rad
    return np.array(stream, dtype=np.uint32), gauss


def _store(folder: Path, arrays: dict[str, np.ndarray], langs: str | None) -> None:
    """Write the arrays into a temporary folder and move each file into `folder` (langs.txt,
    which marks a complete folder, last). A cache that cannot be written is no error."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            for name, array in arrays.items():
                np.save(Path(tmp) / f"{name}.npy", np.ascontiguousarray(array))
            if langs is not None:
                (Path(tmp) / "langs.txt").write_text(langs, encoding="utf-8")
            for name in [*(f"{n}.npy" for n in arrays), *(["langs.txt"] if langs is not None else [])]:
                os.replace(Path(tmp) / name, folder / name)
    except OSError:
        return


def _compute_profiles() -> Profiles:
    """From langdetect itself: its factory's map, and NGram.normalize of every code point."""
    from langdetect.detector_factory import DetectorFactory
    from langdetect.utils.ngram import NGram

    factory = DetectorFactory()
    factory.load_profile(str(_langdetect_dir()))
    grams = factory.word_lang_prob_map
    # A row has a column per file in the profile folder; langdetect reads one per language.
    columns = len(next(iter(grams.values())))
    matrix = np.fromiter(chain.from_iterable(grams.values()), dtype=np.float64, count=len(grams) * columns)
    matrix = np.ascontiguousarray(matrix.reshape(len(grams), columns)[:, : len(factory.langlist)])
    keys, rows = _gram_table(list(grams))
    normal = np.arange(CODE_POINTS, dtype=np.uint32)
    for cp in range(0x10000):  # NGram.normalize changes only Basic Multilingual Plane blocks
        ch = chr(cp)
        normalized = NGram.normalize(ch)
        if normalized != ch:
            normal[cp] = ord(normalized)
    chars = [chr(cp) for cp in range(CODE_POINTS)]
    upper = np.fromiter(map(str.isupper, chars), dtype=bool, count=CODE_POINTS)
    alpha = np.fromiter(map(str.isalpha, chars), dtype=bool, count=CODE_POINTS)
    return Profiles(tuple(factory.langlist), matrix, keys, rows, normal, upper, alpha)


def gram_key(gram: str) -> int:
    key = 0
    for ch in gram:
        key = key << 21 | ord(ch)
    return key


def gram_slots(keys: np.ndarray) -> np.ndarray:
    """Fibonacci hashing: the top bits of key times 2**64 / golden ratio."""
    return ((keys * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - GRAM_TABLE_BITS)).astype(np.intp)


def _gram_table(grams: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The open-addressing table of the 1- to 3-character n-grams (the only ones langdetect
    looks up); a row's number is its place in `grams`. An n-gram is one integer, 21 bits a
    code point, so 'ab' and 'b' differ: code points are never 0 once normalised."""
    size = 1 << GRAM_TABLE_BITS
    numbers = np.array([i for i, gram in enumerate(grams) if 1 <= len(gram) <= 3], dtype=np.int32)
    keys = np.array([gram_key(grams[i]) for i in numbers.tolist()], dtype=np.uint64)
    if len(keys) >= size // 2 or not keys.all():
        raise ValueError("profile n-grams do not fit the hash table")
    table_keys = np.zeros(size, dtype=np.uint64)
    table_rows = np.full(size, -1, dtype=np.int32)
    slots = gram_slots(keys)
    waiting = np.arange(len(keys))
    while len(waiting):
        free = table_keys[slots[waiting]] == 0
        taken, first = np.unique(slots[waiting[free]], return_index=True)
        placed = waiting[free][first]  # one n-gram per free slot in each round
        table_keys[taken] = keys[placed]
        table_rows[taken] = numbers[placed]
        waiting = np.setdiff1d(waiting, placed, assume_unique=True)
        slots[waiting] = (slots[waiting] + 1) & (size - 1)
    return table_keys, table_rows
