"""Decontamination's per-batch work compiled by numba: tokens, their case folding, and each
n-gram's hash looked up in the index, in a few passes over the batch's code points.

The numpy path of tokens.py and index.py makes ~40 whole-batch arrays per batch (classes,
masks, cumulative sums, NUL positions, a bitmap test, a binary search) and case-folds and
decodes the batch as strings: ~0.15 ms per 3 KB record, a fifth of pass 1 (issue 24, item 5).
Here one pass finds and folds the tokens (`scan`), one copies them around the few tokens
that NFKC changes, normalised in Python (`splice`), and one hashes each n-gram and looks it
up (`lookup`). Everything is what the numpy path computes, to the bit: the same tokens,
the same polynomial hash modulo 2^64 and murmur finaliser, the first index entry with that
hash (`searchsorted`'s left side). tests/test_decontaminate.py compares both paths on
generated text of every script.

This module imports numba: tokens.py imports it only once a process has enough text for
numba's start to pay (`decontaminate.INTERPRETED_TEXTS`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Bits of `tokens.kernel_table()`, one uint8 per code point.
CLASS_BITS = 3  # tokens.OTHER, WORD or SINGLE
ODD = 4  # NFKC changes it (or beyond the BMP): its token is normalised in Python
UNKNOWN = 0x80  # beyond the BMP and not classified yet (no class bits): `scan` stops and says so
MULTI = np.uint32(0xFFFFFFFF)  # in `tokens.fold_table`'s single folds: this one folds to several

C1 = np.uint64(0xFF51AFD7ED558CCD)
C2 = np.uint64(0xC4CEB9FE1A85EC53)
S33 = np.uint64(33)


@njit(cache=True, nogil=True)
def scan(
    codes: np.ndarray,
    table: np.ndarray,
    single: np.ndarray,
    fold_offsets: np.ndarray,
    fold_codes: np.ndarray,
    offsets: np.ndarray,
) -> tuple:
    """The tokens of the batch `codes` (the texts joined by line breaks, which start at
    `offsets`): runs of WORD characters and single SINGLE characters, as tokens.tokenise_batch
    finds them, case-folded (`tokens.fold_table`) and joined by NUL.

    Returns (folded, length, count, starts, ends, original, record, odd, unknown): the
    folded codes (`folded[:length]`), each of the `count` tokens' span in them and in the
    batch, its text, and whether it holds an ODD character (its folded codes are then a
    placeholder). `unknown` is a code point beyond the BMP the table has no class for yet
    (then nothing else is valid), or -1."""
    size = len(codes)
    folded = np.empty(4 * size + 1, np.uint32)  # a fold is at most 3 code points, plus a NUL
    starts = np.empty(size, np.int64)
    ends = np.empty(size, np.int64)
    original = np.empty((size, 2), np.int64)
    record = np.empty(size, np.int64)
    odd = np.empty(size, np.bool_)
    count = 0
    length = 0
    text = 0
    i = 0
    while i < size:
        code = codes[i]
        bits = table[code]
        kind = bits & CLASS_BITS
        if kind == 0:  # UNKNOWN has no class bits: only here can a character be unknown
            if bits & UNKNOWN:
                return folded, 0, 0, starts, ends, original, record, odd, np.int64(code)
            i += 1
            continue
        while text + 1 < len(offsets) and offsets[text + 1] <= i:
            text += 1
        if count:
            folded[length] = 0
            length += 1
        starts[count] = length
        original[count, 0] = i
        record[count] = text
        seen = bits
        while True:
            seen |= bits
            if code <= 0xFFFF:  # beyond it, the token is ODD: no fold needed
                fold = single[code]
                if fold != MULTI:
                    folded[length] = fold
                    length += 1
                else:
                    for k in range(fold_offsets[code], fold_offsets[code + 1]):
                        folded[length] = fold_codes[k]
                        length += 1
            i += 1
            if kind != 1 or i == size:  # a SINGLE character is a token alone
                break
            code = codes[i]
            bits = table[code]
            if (bits & CLASS_BITS) != 1:
                break
        ends[count] = length
        original[count, 1] = i
        odd[count] = (seen & ODD) != 0
        count += 1
    return folded, length, count, starts, ends, original, record, odd, np.int64(-1)


@njit(cache=True, nogil=True)
def splice(
    folded: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    original: np.ndarray,
    record: np.ndarray,
    odd: np.ndarray,
    count: int,
    replaced: np.ndarray,
    bounds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tokens of `scan` with each odd token's placeholder swapped for what NFKC and
    case folding make of it (`replaced[bounds[j]:bounds[j + 1]]` for the j-th odd token:
    zero or more tokens joined by NUL, empty when it vanished). The tokens between two odd
    ones are copied as one block, their NULs with them, and their places shifted.

    Returns (codes, starts, ends, original, record) of the tokens, as `tokens.Tokens` has
    them."""
    most = count + len(replaced)
    out = np.empty(ends[count - 1] + len(replaced) + count, np.uint32)
    new_starts = np.empty(most, np.int64)
    new_ends = np.empty(most, np.int64)
    new_original = np.empty((most, 2), np.int64)
    new_record = np.empty(most, np.int64)
    length = 0
    made = 0
    j = 0
    t = 0
    while t < count:
        if not odd[t]:
            u = t
            while u < count and not odd[u]:
                u += 1
            if made:
                out[length] = 0
                length += 1
            shift = length - starts[t]
            size = ends[u - 1] - starts[t]
            out[length : length + size] = folded[starts[t] : ends[u - 1]]
            length += size
            for v in range(t, u):
                new_starts[made] = starts[v] + shift
                new_ends[made] = ends[v] + shift
                new_original[made, 0] = original[v, 0]
                new_original[made, 1] = original[v, 1]
                new_record[made] = record[v]
                made += 1
            t = u
            continue
        low, high = bounds[j], bounds[j + 1]
        j += 1
        k = low
        while k < high:  # one token per NUL-separated piece
            if made:
                out[length] = 0
                length += 1
            new_starts[made] = length
            while k < high and replaced[k] != 0:
                out[length] = replaced[k]
                length += 1
                k += 1
            new_ends[made] = length
            new_original[made, 0] = original[t, 0]
            new_original[made, 1] = original[t, 1]
            new_record[made] = record[t]
            made += 1
            k += 1  # past the NUL
        t += 1
    return out[:length], new_starts[:made], new_ends[:made], new_original[:made], new_record[:made]


@njit(cache=True, nogil=True)
def lookup(
    codes: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    record: np.ndarray,
    n: int,
    up: np.ndarray,
    down: np.ndarray,
    bitmap: np.ndarray,
    shift: int,
    hashes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each run of n tokens of one text whose hash (tokens.ngram_hashes) is in the sorted
    `hashes`: its position, and the first index entry with that hash (as `searchsorted`
    finds it), the bitmap of the index (`index.make_bitmap`) asked first.

    The prefix sums are tokens.ngram_hashes's own, in the same order: uint64 products and
    sums wrap modulo 2^64 in numba as in numpy, so every hash is the same. The bitmap is
    asked for every hash in a loop without a branch (the position is written, and kept only
    if its bit is set): each bit is a cache miss in a bitmap of 64 MiB, and only a loop
    whose loads do not wait on each other's outcome keeps many of them in flight (a `continue`
    on each bit made this pass 2.3 times slower)."""
    size = len(codes)
    prefix = np.zeros(size + 1, np.uint64)
    total = np.uint64(0)
    for i in range(size):
        total += np.uint64(codes[i]) * up[i]
        prefix[i + 1] = total
    count = max(len(starts) - n + 1, 0)
    found = np.empty(count, np.uint64)
    for i in range(count):
        start = starts[i]
        h = (prefix[ends[i + n - 1]] - prefix[start]) * down[start]
        h ^= h >> S33
        h *= C1
        h ^= h >> S33
        h *= C2
        h ^= h >> S33
        found[i] = h
    width = np.uint64(shift)
    maybe = np.empty(count, np.int64)
    kept = 0
    for i in range(count):
        top = found[i] >> width
        maybe[kept] = i
        kept += (bitmap[top >> np.uint64(3)] >> (top & np.uint64(7))) & np.uint8(1)
    positions = np.empty(kept, np.int64)
    places = np.empty(kept, np.int64)
    hits = 0
    for j in range(kept):
        i = maybe[j]
        if record[i] != record[i + n - 1]:  # a run across two texts of the batch
            continue
        h = found[i]
        low, high = 0, len(hashes)
        while low < high:
            middle = (low + high) >> 1
            if hashes[middle] < h:
                low = middle + 1
            else:
                high = middle
        if low < len(hashes) and hashes[low] == h:
            positions[hits] = i
            places[hits] = low
            hits += 1
    return positions[:hits], places[:hits]
