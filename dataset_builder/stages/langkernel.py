"""langdetect's n-gram cutting and its seeded random walk, as code numba compiles (no fastmath).

The walk is sequential: every draw's 55 multiplications depend on the previous ones, and the
convergence check every five draws decides whether there is a next. numpy can only replay it
one small call at a time (~6 µs a call); compiled, the same IEEE operations in the same order
cost a fraction of that. Nothing here is reordered: no fastmath, so LLVM neither fuses a
multiply and an add nor reassociates the sums, and the normalising sum runs left to right as
Python 3.11's `sum()` of floats does. The random draws are replayed from the pre-generated
Mersenne-Twister stream exactly as `random.choice` consumes it (`getrandbits(k)`, rejecting
values past the end), and `random.gauss` values are looked up from a table the interpreter
computed (`langprofiles.gauss_table`), so no transcendental function is evaluated here.

The functions are plain Python, and `compiled()` returns them compiled: numba's import and
first call cost about half a second, more than a few texts take interpreted, so
`fastlangid.FastDetector` runs a process's first texts as they are here and compiles only
when more come. Compiled with `cache=True`: once per machine into numba's cache, loaded after
that. Each function is whole (no calls between them), so numba compiles each on its own.
"""

from __future__ import annotations

from collections.abc import MutableSequence, Sequence
from functools import cache
from types import SimpleNamespace

import numpy as np

SPACE = 32
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
SLOT_SHIFT = np.uint64(64 - 20)  # langprofiles.GRAM_TABLE_BITS
SLOT_MASK = np.uint64((1 << 20) - 1)
ONE = np.uint64(1)
SHIFT_2 = np.uint64(21)
SHIFT_3 = np.uint64(42)


def ngram_rows(chars: np.ndarray, upper: np.ndarray, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Profile rows of langdetect's `_extract_ngrams` over normalised code points `chars`, in
    order. NGram keeps the last three characters since a space (which it treats as the one
    before the text too); after each character it yields the 1-, 2- and 3-character n-grams
    that end there, unless this and the previous character are both upper case, never the
    lone space, and none that reach back across a space. An n-gram is 21 bits a code point,
    found in the open-addressing table `keys` -> `rows` (uint64 throughout: mixed with int64,
    numba would compute in floats)."""
    found = np.empty(3 * len(chars), dtype=np.int32)
    count = 0
    before2 = np.uint64(SPACE)
    before = np.uint64(SPACE)
    for i in range(len(chars)):
        here = np.uint64(chars[i])
        if not (upper[here] and upper[before]):
            two = (before << SHIFT_2) | here
            for n in range(3):
                if n == 0:
                    if here == SPACE:
                        continue
                    key = here
                elif n == 1:
                    if here == SPACE and before == SPACE:
                        continue
                    key = two
                else:
                    if before == SPACE:
                        continue
                    key = (before2 << SHIFT_3) | two
                slot = (key * GOLDEN) >> SLOT_SHIFT
                while keys[slot] != key and keys[slot] != 0:
                    slot = (slot + ONE) & SLOT_MASK
                if keys[slot] == key:
                    found[count] = rows[slot]
                    count += 1
        before2 = before
        before = here
    return found[:count].copy()


def ngram_rows_vectorised(
    chars: np.ndarray, upper: np.ndarray, keys: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """`ngram_rows` in numpy calls over all positions at once, for the interpreted path (where a
    loop over characters would cost milliseconds a text): the three n-grams ending at each
    position as integers, kept by the same rules, then the table probed for all of them
    together until each finds its key or an empty slot."""
    size = len(chars)
    padded = np.full(size + 2, np.uint64(SPACE), dtype=np.uint64)
    padded[2:] = chars
    before2, before, here = padded[:-2], padded[1:-1], padded[2:]
    is_upper = upper[padded]
    capital = is_upper[2:] & is_upper[1:-1]
    space_here, space_before = here == SPACE, before == SPACE
    keep = np.empty((size, 3), dtype=bool)
    np.logical_not(capital | space_here, out=keep[:, 0])
    np.logical_not(capital | (space_here & space_before), out=keep[:, 1])
    np.logical_not(capital | space_before, out=keep[:, 2])
    grams = np.empty((size, 3), dtype=np.uint64)
    grams[:, 0] = here
    grams[:, 1] = before << SHIFT_2 | here
    grams[:, 2] = before2 << SHIFT_3 | grams[:, 1]
    wanted = grams[keep]
    found = np.full(len(wanted), -1, dtype=np.int32)
    slots = (wanted * GOLDEN) >> SLOT_SHIFT
    todo = np.arange(len(wanted))
    while len(todo):
        stored = keys[slots]
        hit = stored == wanted[todo]
        found[todo[hit]] = rows[slots[hit]]
        going_on = (stored != 0) & ~hit
        todo = todo[going_on]
        slots = (slots[going_on] + ONE) & SLOT_MASK
    return found[found >= 0]


def detect(
    ngrams: Sequence[int],
    stream: Sequence[int],
    gauss: Sequence[Sequence[float]],
    matrix: Sequence[Sequence[float]],
    settings: Sequence[float],
    prob: MutableSequence[float],
    langprob: MutableSequence[float],
) -> bool:
    """Detector._detect_block over `ngrams` (rows of `matrix`), adding each trial's
    probabilities / trials into `langprob`; False where the stream runs out (then langprob is
    no answer). `stream` holds the 32-bit words as int64, `gauss[0][pos]` and `gauss[1][pos]`
    are random.gauss's pair at a position, `prob` is room for one trial's probabilities.
    `settings`: alpha, alpha width, base frequency, convergence threshold, iteration limit,
    trials. `random.choice(ngrams)` is `_randbelow(n)`: getrandbits(k) with k = n.bit_length()
    until a value is below n, and getrandbits(k <= 32) is one word's top k bits. Arrays for
    numba; lists of Python numbers run as fast as the interpreter can (the same results)."""
    alpha_default, alpha_width, base_freq, conv_threshold = settings[0], settings[1], settings[2], settings[3]
    iteration_limit, trials = int(settings[4]), int(settings[5])
    width = len(langprob)
    n = len(ngrams)
    shift = 32
    while (1 << (32 - shift)) <= n:
        shift -= 1
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
            z = gauss[0][pos]
            cached = gauss[1][pos]
            has_cached = True
            pos += 4
        alpha = alpha_default + z * alpha_width
        weight = alpha / base_freq
        i = 0
        while True:
            pick = n
            while pick >= n:
                if pos >= len(stream):
                    return False
                pick = stream[pos] >> shift  # int64 words: numba keeps it an integer
                pos += 1
            row = matrix[ngrams[pick]]
            for j in range(width):
                prob[j] *= weight + row[j]
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


@cache
def compiled() -> SimpleNamespace:
    """`ngram_rows` and `detect`, compiled (or loaded from numba's cache)."""
    from numba import njit

    return SimpleNamespace(
        ngram_rows=njit(cache=True, nogil=True)(ngram_rows), detect=njit(cache=True, nogil=True)(detect)
    )
