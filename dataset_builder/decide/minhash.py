"""Shingles, MinHash signatures, LSH banding and exact Jaccard similarity.

A shingle is k tokens in a row. In a text written with spaces a token is a word; in the
runs of a script written without them (Han, Kana, Hangul, Thai, Lao, Khmer, Myanmar:
`dataset_builder.scripts`) a token is one character, so a Chinese article of 1,000 characters has
~1,000 shingles, as an English one of 1,000 words does. Both kinds of token sit in one
sequence, in text order: a Latin name inside a Chinese sentence is one token among its
characters, a Chinese name in an English article a few tokens among its words. k is
`Shingling.words` (3) in a text mostly of words and `Shingling.chars` (5) in one mostly
of unspaced letters, so that the same edit moves the Jaccard similarity about as far in
every script: measured against the character 5-gram Jaccard of the two texts (the
targets' measure) on real articles with made copies, 5-word shingles missed 42 of 3,348
Latin copies at 0.8 (exact Jaccard, no LSH), 3-word ones 23 and 2-word ones 15, while
distinct articles reach 0.013 at 3 words and 0.065 at 2, where every common word pair
is shared (bench/near_dup_eval.py); 3-character shingles would merge distinct Chinese
articles (up to 0.55), 5-character ones stay below 0.38.

Signatures come from rensa (measured here 2.5x faster than datasketch, with the same
estimation error: bench/near_dup_speed.py). What no library does cheaply is turning text
into shingle hashes, so that part is vectorised over a whole batch: tokens are hashed and
combined into k-word shingles in numpy. rensa's LSH only flags rows as duplicates, without
the candidate pairs a Jaccard check needs, so banding is done here too: rows that share a
band key become candidate pairs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import rensa
import xxhash

from dataset_builder.arrays import distinct
from dataset_builder.config import NearDupConfig
from dataset_builder.hashing import fmix64
from dataset_builder.scripts import (
    ALONE,
    MARK,
    SPACE,
    UNSPACED_CHAR,
    WORD,
    basic_plane_classes,
    fold_punctuation,
    has_unspaced,
)

TOKEN = re.compile(rb"[0-9a-z\x80-\xff]+")  # on lower-cased UTF-8: letters of any script stay whole
MIX = np.uint64(0x9E3779B97F4A7C15)
SEED = np.uint64(0x2545F4914F6CDD1D)
LANES = 4  # tokens of up to 4 x 8 bytes are hashed in numpy


@dataclass(frozen=True)
class Shingling:
    """How many tokens a shingle spans: `words` in a text mostly written with spaces,
    `chars` in one mostly written in an unspaced script (`MixedTokens.mostly_unspaced`)."""

    words: int
    chars: int


@dataclass(frozen=True)
class MinHashSettings:
    num_perm: int
    shingling: Shingling
    seed: int

    @classmethod
    def from_settings(cls, near_dup: NearDupConfig) -> MinHashSettings:
        shingling = Shingling(near_dup.shingle_words, near_dup.shingle_chars)
        return cls(near_dup.num_perm, shingling, near_dup.seed)


def tokens(text: str) -> list[bytes]:
    """The text's tokens as UTF-8: words, and each character of an unspaced script.

    A text with an unspaced script is NFKC-folded first (full-width letters and digits are
    common in CJK text: 885 of 900 livedoor articles change under NFKC) and its punctuation
    variants are folded, so a copy whose quotes or commas were swapped for other forms
    keeps its shingles. A punctuation mark (ASCII or CJK) next to an unspaced letter is a
    token, as the letters are (NFKC makes the full-width comma, colon, brackets ASCII):
    a Chinese text is then shingled as the character 5-grams the targets are measured by,
    which catches more copies at 0.8 than dropping them (bench/near_dup_eval.py). Elsewhere
    the tokens are the plain path's, so a few CJK characters in an English article change
    only the shingles next to them. Spaces are not tokens: copies respace CJK text freely."""
    if not has_unspaced(text):
        return TOKEN.findall(text.lower().encode("utf-8"))
    split = MixedTokens.of(text)
    pieces = [chr(point).encode("utf-8") for point in split.alone.tolist()] + split.runs
    return [pieces[i] for i in split.order.tolist()]


def folded(text: str) -> str:
    """NFKC, lower case and `fold_punctuation`: what the tokens of a text with an unspaced
    script are read from. NFKC is the costliest step of that path (~0.2 ms for 1,000
    characters), and what it changes in CJK text is mostly full-width ASCII, ideographic
    and no-break spaces and the ellipsis: those are folded first (in numpy, and by
    str.replace), and NFKC runs only if something else remains (in 4 % of the real CJK
    articles; then on the original text, so the result is NFKC's either way: the folded
    characters are replaced by their own compatibility decompositions)."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    wide, space = (points >= 0xFF01) & (points <= 0xFF5E), (points == 0x3000) | (points == 0xA0)
    narrow = text
    if wide.any() or space.any():
        fixed = points.copy()
        fixed[wide] -= 0xFEE0
        fixed[space] = 0x20
        narrow = fixed.tobytes().decode("utf-32-le")
    if "…" in narrow:
        narrow = narrow.replace("…", "...")
    if not unicodedata.is_normalized("NFKC", narrow):
        narrow = unicodedata.normalize("NFKC", text)
    return fold_punctuation(narrow.lower())


@dataclass(frozen=True)
class MixedTokens:
    """The tokens of a text with an unspaced script, as hashing wants them: the single-
    character tokens as code points, the word runs (Latin words, numbers) as bytes, the
    order that interleaves the two (`concatenate([alone, runs])[order]`: text order), and
    how many of the single characters are letters of an unspaced script."""

    alone: np.ndarray  # int64 code points
    runs: list[bytes]
    order: np.ndarray
    letters: int

    @classmethod
    def of(cls, text: str) -> MixedTokens:
        """The text's tokens (`tokens`), classified per code point in numpy: a regex and a
        bytes object per token cost twice the MinHash itself."""
        fold = folded(text)
        points = np.frombuffer(fold.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        kind = basic_plane_classes()[np.minimum(points, 0xFFFF)]
        for i in np.flatnonzero(points > 0xFFFF).tolist():  # beyond the basic plane: rare
            kind[i] = ALONE if UNSPACED_CHAR.match(fold[i]) else WORD
        letters = int(np.count_nonzero(kind == ALONE))
        marks = np.flatnonzero(kind == MARK)
        if marks.size:
            kind[marks] = np.where(beside_unspaced(kind, marks), ALONE, SPACE)
        edges = np.diff(np.concatenate([[0], (kind == WORD).astype(np.int8), [0]]))
        run_starts, run_ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        alone = np.flatnonzero(kind == ALONE)
        runs = [
            fold[a:b].encode("utf-8") for a, b in zip(run_starts.tolist(), run_ends.tolist(), strict=True)
        ]
        order = np.argsort(np.concatenate([alone, run_starts]), kind="stable")
        return cls(points[alone], runs, order, letters)

    def __len__(self) -> int:
        return len(self.order)

    @property
    def mostly_unspaced(self) -> bool:
        """More unspaced letters than words: shingled by `Shingling.chars`."""
        return self.letters >= len(self.runs)


def beside_unspaced(kind: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """Per mark: whether the nearest letter or word before or after it (spaces and other
    marks skipped) is an unspaced letter."""
    solid = np.flatnonzero((kind == WORD) | (kind == ALONE))
    if not solid.size:
        return np.zeros(len(marks), dtype=bool)
    after = np.searchsorted(solid, marks)
    before_alone = (after > 0) & (kind[solid[np.maximum(after - 1, 0)]] == ALONE)
    after_alone = (after < len(solid)) & (kind[solid[np.minimum(after, len(solid) - 1)]] == ALONE)
    return before_alone | after_alone


def mixed_token_hashes(text: str) -> np.ndarray:
    """`token_hashes(tokens(text))` for a text with an unspaced script, from code points:
    a single character's hash is its UTF-8 bytes as the first lane, the other lanes zero,
    as token_hashes pads them."""
    split = MixedTokens.of(text)
    return np.concatenate([utf8_hashes(split.alone), token_hashes(split.runs)])[split.order]


def utf8_hashes(points: np.ndarray) -> np.ndarray:
    """token_hashes of single characters, from their code points."""
    lane = np.where(
        points < 0x80,
        points,
        np.where(
            points < 0x800,
            (0xC0 | points >> 6) | (0x80 | points & 0x3F) << 8,
            np.where(
                points < 0x10000,
                (0xE0 | points >> 12) | (0x80 | points >> 6 & 0x3F) << 8 | (0x80 | points & 0x3F) << 16,
                (0xF0 | points >> 18)
                | (0x80 | points >> 12 & 0x3F) << 8
                | (0x80 | points >> 6 & 0x3F) << 16
                | (0x80 | points & 0x3F) << 24,
            ),
        ),
    ).astype(np.uint64)
    hashes = fmix64(np.full(len(points), SEED, dtype=np.uint64) ^ lane)
    for _ in range(LANES - 1):
        hashes = fmix64(hashes)  # the zero lanes: x ^ 0 == x
    return hashes


def token_hashes(words: list[bytes]) -> np.ndarray:
    """A 64-bit hash per token, for a whole batch at once.

    Tokens up to 32 bytes (all but a handful in news text) become one fixed-width numpy
    array, and each 8-byte lane is folded in with murmur3's 64-bit finalizer: no Python
    call per token, which otherwise costs more than the MinHash itself. Tokens never
    contain a NUL byte, so zero padding cannot make two tokens equal. A longer token is
    hashed on its own with xxh3, so a token's hash never depends on its batch."""
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    lanes = np.array(words, dtype=f"S{LANES * 8}").view("<u8").reshape(-1, LANES)
    hashes = np.full(len(words), SEED, dtype=np.uint64)
    for lane in lanes.T:
        hashes = fmix64(hashes ^ lane)
    for i in np.flatnonzero(lengths > LANES * 8):
        hashes[i] = xxhash.xxh3_64_intdigest(words[i])
    return hashes


def shingle_hashes(texts: list[str], shingling: Shingling) -> tuple[np.ndarray, np.ndarray]:
    """All shingle hashes of a batch, flat, and how many belong to each text.

    A text shorter than its shingle size is one shingle; a text without tokens has none."""
    words: list[bytes] = []
    mixed: dict[int, MixedTokens] = {}  # text number -> its tokens, if it has an unspaced script
    counts, sizes = [], []
    for n, text in enumerate(texts):
        if has_unspaced(text):
            split = mixed[n] = MixedTokens.of(text)
            counts.append(len(split))
            sizes.append(shingling.chars if split.mostly_unspaced else shingling.words)
        else:
            found = TOKEN.findall(text.lower().encode("utf-8"))
            counts.append(len(found))
            sizes.append(shingling.words)
            words.extend(found)
    token_hash = batch_token_hashes(words, mixed, counts) if mixed else token_hashes(words)
    lengths = np.array(counts, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    windows = np.minimum(lengths, np.array(sizes, dtype=np.int64))  # a short text: one window
    shingle_counts = np.where(lengths > 0, lengths - windows + 1, 0)
    first = np.repeat(starts, shingle_counts) + ragged_arange(shingle_counts)
    width = np.repeat(windows, shingle_counts)
    combined = token_hash[first]
    with np.errstate(over="ignore"):
        for offset in range(1, max(sizes, default=1)):
            inside = offset < width
            combined[inside] = combined[inside] * MIX + token_hash[first[inside] + offset]
    return combined, shingle_counts


def batch_token_hashes(words: list[bytes], mixed: dict[int, MixedTokens], counts: list[int]) -> np.ndarray:
    """The token hashes of a batch, in text order: the word tokens of the texts without an
    unspaced script (`words`), and the `mixed` ones' tokens, each kind hashed in one call."""
    runs = [run for split in mixed.values() for run in split.runs]
    word_hash = token_hashes(words + runs)
    alone_hash = utf8_hashes(np.concatenate([split.alone for split in mixed.values()]))
    pieces, w, r, a = [], 0, len(words), 0
    for n, count in enumerate(counts):
        if n in mixed:
            split = mixed[n]
            na, nr = len(split.alone), len(split.runs)
            pieces.append(np.concatenate([alone_hash[a : a + na], word_hash[r : r + nr]])[split.order])
            a, r = a + na, r + nr
        else:
            pieces.append(word_hash[w : w + count])
            w += count
    return np.concatenate(pieces)


def ragged_arange(counts: np.ndarray) -> np.ndarray:
    """[0..c0), [0..c1), ... concatenated."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def signatures(texts: list[str], settings: MinHashSettings) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (uint32, one row of num_perm per text), and each text's number of
    distinct-position shingles: a text without any has no signature worth comparing, and
    one with a single shingle can only be equal or unrelated to another."""
    flat, counts = shingle_hashes(texts, settings.shingling)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint64)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        flat, offsets, settings.num_perm, settings.seed
    )
    rows = np.array(matrix.to_rows(), dtype=np.uint32).reshape(len(texts), settings.num_perm)
    return rows, counts


def band_keys(signature_matrix: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One uint64 per band: texts that agree on all of a band's rows share its key."""
    keys = np.empty((signature_matrix.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            key = np.full(signature_matrix.shape[0], np.uint64(band), dtype=np.uint64)
            for column in signature_matrix[:, band * rows : (band + 1) * rows].T.astype(np.uint64):
                key = key * MIX + column
            keys[:, band] = key
    return keys


def shingle_set(text: str, shingling: Shingling) -> np.ndarray:
    """The sorted, distinct shingle hashes of one text, for an exact Jaccard."""
    flat, _ = shingle_hashes([text], shingling)
    return distinct(flat)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    shared = np.intersect1d(a, b, assume_unique=True).size
    union = a.size + b.size - shared
    return shared / union if union else 0.0


def detection_probability(similarity: float, bands: int, rows: int) -> float:
    """Chance that LSH makes a pair of this Jaccard similarity a candidate (the S-curve)."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def lsh_shape(threshold: float, num_perm: int, recall: float) -> tuple[int, int]:
    """Bands and rows: the most rows per band (fewest chance candidates) that still find
    a pair at `threshold` with probability >= `recall`. Candidates are confirmed by their
    real Jaccard, so a false candidate costs time, a missed one costs a duplicate."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if detection_probability(threshold, bands, rows) >= recall:
            return bands, rows
    return num_perm, 1


def candidate_pairs(bands: Iterable[np.ndarray], n: int) -> np.ndarray:
    """Pairs (i < j) of the `n` rows that share at least one band key; shape (m, 2). `bands`
    are the rows' keys band after band, so only one band need be in memory at a time."""
    found = [collisions(band, np.arange(n), n) for band in bands]
    codes = distinct(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    return np.stack([codes // n, codes % n], axis=1)


def collisions(keys: np.ndarray, nodes: np.ndarray, n: int) -> np.ndarray:
    """Within one band, the pairs (a < b) of nodes (below n) whose keys are equal, as codes
    a * n + b; a pair sharing several bands comes once per band."""
    order = np.argsort(keys, kind="stable")
    sorted_keys, ordered = keys[order], nodes[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    two = starts[sizes == 2]  # nearly every collision: one pair, built without a loop
    first, second = ordered[two], ordered[two + 1]
    found = [np.minimum(first, second) * n + np.maximum(first, second)]
    for start, size in zip(starts[sizes > 2], sizes[sizes > 2], strict=True):
        members = np.sort(ordered[start : start + size])
        i, j = np.triu_indices(size, k=1)
        found.append(members[i] * n + members[j])
    return np.concatenate(found).astype(np.int64)
