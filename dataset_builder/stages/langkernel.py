"""langdetect's n-gram cutting and its seeded random walk, compiled (numba, no fastmath).

The walk is sequential: every draw's 55 multiplications depend on the previous ones, and the
convergence check every five draws decides whether there is a next. numpy can only replay it
one small call at a time (~6 µs a call); compiled, the same IEEE operations in the same order
cost a fraction of that. Nothing here is reordered: no fastmath, so LLVM neither fuses a
multiply and an add nor reassociates the sums, and the normalising sum runs left to right as
Python 3.11's `sum()` of floats does. The random draws are replayed from the pre-generated
Mersenne-Twister stream exactly as `random.choice` consumes it (`getrandbits(k)`, rejecting
values past the end), and `random.gauss` values are looked up from a table the interpreter
computed (`langprofiles.gauss_table`), so no transcendental function is evaluated here.

`cache=True`: compiled once per machine (a few seconds) into numba's cache, loaded after that.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SPACE = 32
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
SLOT_SHIFT = np.uint64(64 - 20)  # langprofiles.GRAM_TABLE_BITS
SLOT_MASK = np.uint64((1 << 20) - 1)
ONE = np.uint64(1)


@njit(cache=True, nogil=True)
def _lookup(key: np.uint64, keys: np.ndarray, rows: np.ndarray) -> int:
    slot = (key * GOLDEN) >> SLOT_SHIFT  # uint64 throughout: mixed with int64, numba goes to float
    while True:
        stored = keys[slot]
        if stored == key:
            return rows[slot]
        if stored == 0:
            return -1
        slot = (slot + ONE) & SLOT_MASK


@njit(cache=True, nogil=True)
def ngram_rows(chars: np.ndarray, upper: np.ndarray, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Profile rows of langdetect's `_extract_ngrams` over normalised code points `chars`, in
    order. NGram keeps the last three characters since a space (which it treats as the one
    before the text too); after each character it yields the 1-, 2- and 3-character n-grams
    that end there, unless this and the previous character are both upper case, never the
    lone space, and none that reach back across a space."""
    found = np.empty(3 * len(chars), dtype=np.int32)
    count = 0
    before2 = np.uint64(SPACE)
    before = np.uint64(SPACE)
    for i in range(len(chars)):
        here = np.uint64(chars[i])
        if not (upper[here] and upper[before]):
            space_here = here == SPACE
            space_before = before == SPACE
            two = (before << np.uint64(21)) | here
            if not space_here:
                row = _lookup(here, keys, rows)
                if row >= 0:
                    found[count] = row
                    count += 1
            if not (space_here and space_before):
                row = _lookup(two, keys, rows)
                if row >= 0:
                    found[count] = row
                    count += 1
            if not space_before:
                row = _lookup((before2 << np.uint64(42)) | two, keys, rows)
                if row >= 0:
                    found[count] = row
                    count += 1
        before2 = before
        before = here
    return found[:count].copy()


@njit(cache=True, nogil=True)
def choose(stream: np.ndarray, pos: int, n: int) -> tuple[int, int]:
    """`random.choice` of n items at stream position `pos`: (the index, the next position), or
    (-1, pos) where the stream runs out. `_randbelow` takes getrandbits(n.bit_length())
    until a value is below n; getrandbits(k <= 32) is one word's top k bits."""
    shift = 32
    while (1 << (32 - shift)) <= n:
        shift -= 1
    while pos < len(stream):
        r = np.int64(stream[pos]) >> np.int64(shift)
        pos += 1
        if r < n:
            return r, pos
    return -1, pos


@njit(cache=True, nogil=True)
def detect(
    ngrams: np.ndarray,
    stream: np.ndarray,
    gauss: np.ndarray,
    matrix: np.ndarray,
    settings: np.ndarray,
    langprob: np.ndarray,
) -> bool:
    """Detector._detect_block over the profile rows `ngrams`, adding each trial's probabilities
    / trials into `langprob`; False where the stream runs out (then langprob is no answer).
    `settings`: alpha, alpha width, base frequency, convergence threshold, iteration limit, trials."""
    alpha_default, alpha_width, base_freq, conv_threshold = settings[0], settings[1], settings[2], settings[3]
    iteration_limit, trials = int(settings[4]), int(settings[5])
    width = matrix.shape[1]
    n = len(ngrams)
    prob = np.empty(width)
    pos = 0
    cached = 0.0
    has_cached = False  # random.seed() clears gauss's cached value: none at a document's start
    for _ in range(trials):
        for j in range(width):
            prob[j] = 1.0 / width
        if has_cached:
            z = cached
            has_cached = False
        else:
            if pos + 4 > len(stream):
                return False
            z = gauss[0, pos]
            cached = gauss[1, pos]
            has_cached = True
            pos += 4
        alpha = alpha_default + z * alpha_width
        weight = alpha / base_freq
        i = 0
        while True:
            pick, pos = choose(stream, pos, n)
            if pick < 0:
                return False
            row = ngrams[pick]
            for j in range(width):
                prob[j] *= weight + matrix[row, j]
            if i % 5 == 0:
                total = 0.0
                for j in range(width):
                    total += prob[j]
                most = 0.0
                for j in range(width):
                    p = prob[j] / total
                    if most < p:
                        most = p
                    prob[j] = p
                if most > conv_threshold or i >= iteration_limit:
                    break
            i += 1
        for j in range(width):
            langprob[j] += prob[j] / trials
    return True
