"""Normalised tokens and the hashes of their n-grams, for decontamination.

Tokens are what survives light editing: words of space-delimited scripts (runs of letters
and digits) and single characters of Han, kana, Hangul and Thai runs, which have no spaces
to split on, NFKC-normalised and case-folded. Punctuation and whitespace are not tokens,
so a test item re-typed with other quotes, line breaks or capitals still yields the same
n-grams. (`decide/minhash.py` tokenises for near-duplicates on UTF-8 bytes and keeps CJK
runs whole; the two could share a script-aware tokeniser later.)

An n-gram is the span of the tokens joined by NUL (which no token contains), and its hash
is a polynomial hash of that span's code points modulo 2^64, from one prefix sum per batch:
numpy finds the tokens and computes every n-gram's hash at once, with no Python call per
token (pass 1 runs this for every record: see bench/decontamination.py). Such a hash can
collide, so a hash match is only a candidate: `index.EvalIndex` compares the spans'
characters before it calls anything a match.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache

import numpy as np

# Scripts written without spaces between words: one character is one token.
SCRIPT_RANGES = (
    (0x0E00, 0x0E7F),  # Thai
    (0x1100, 0x11FF),  # Hangul jamo
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x31F0, 0x31FF),  # katakana extensions
    (0x3400, 0x4DBF),  # CJK ideographs, extension A
    (0x4E00, 0x9FFF),  # CJK ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3134F),  # CJK ideographs, extensions B-G
)
OTHER, WORD, SINGLE = 0, 1, 2
SEPARATOR = "\x00"
BASE = 0x100000001B3  # odd, so that it has an inverse modulo 2^64
BASE_INVERSE = pow(BASE, -1, 2**64)


def character_classes() -> np.ndarray:
    """The class of every BMP code point: a letter or digit (`str.isalnum`, what a regex's
    `[^\\W_]` matches) is WORD, a character of an unspaced script SINGLE."""
    table = np.array([WORD if chr(c).isalnum() else OTHER for c in range(0x10000)], dtype=np.uint8)
    for low, high in SCRIPT_RANGES:
        table[low : min(high, 0xFFFF) + 1] = SINGLE
    return table


CLASSES = character_classes()


def classify(codes: np.ndarray) -> np.ndarray:
    if not len(codes) or codes.max() <= 0xFFFF:
        return CLASSES[codes]
    classes = CLASSES[np.minimum(codes, 0xFFFF)]
    for i in np.flatnonzero(codes > 0xFFFF).tolist():  # beyond the BMP: rare, one by one
        code = int(codes[i])
        single = any(low <= code <= high for low, high in SCRIPT_RANGES)
        classes[i] = SINGLE if single else WORD if chr(code).isalnum() else OTHER
    return classes


@dataclass(frozen=True)
class Tokens:
    """The normalised tokens of a batch of texts: their code points joined by NUL
    (`codes`; as a string, `joined`), where each token starts and ends in them, which text
    it is from (`record`), and where it is in `quotable`, the texts joined by line breaks."""

    codes: np.ndarray  # uint32
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    record: np.ndarray  # int64: the text of each token
    quotable: str
    original: np.ndarray  # (tokens, 2) int64: start and end in `quotable`

    def __len__(self) -> int:
        return len(self.starts)

    @cached_property
    def joined(self) -> str:
        """`codes` as a string: only confirming a candidate (or indexing an item) needs it."""
        return self.codes.tobytes().decode("utf-32-le")

    def span(self, first: int, n: int) -> tuple[int, int]:
        """Where the n tokens from token `first` start and end in `joined`."""
        return int(self.starts[first]), int(self.ends[first + n - 1])

    def quote(self, first: int, n: int) -> str:
        """The n tokens from token `first` as the text writes them, with what lies between."""
        return self.quotable[int(self.original[first, 0]) : int(self.original[first + n - 1, 1])]


def changed_by_nfkc() -> np.ndarray:
    """Whether NFKC changes each BMP code point on its own (a full-width letter, a
    ligature, a superscript, º and ª...)."""
    return np.array([unicodedata.normalize("NFKC", chr(c)) != chr(c) for c in range(0x10000)], dtype=bool)


CHANGED = changed_by_nfkc()


def normalise(compact: np.ndarray, starting: np.ndarray) -> tuple[str, np.ndarray | None]:
    """The NUL-joined tokens `compact`, NFKC-normalised token by token where a character
    needs it (a token's characters never combine with each other: combining marks are not
    token characters, and Hangul jamo are tokens of their own), then case-folded; and, when
    NFKC split a token ("½" is "1⁄2": the tokens 1 and 2, as in "1/2"), the token of
    `compact` that each token comes from. NFKC on the whole batch cost ~30 ns a character;
    only a few tokens of a batch need it."""
    joined = compact.tobytes().decode("utf-32-le")
    odd = np.flatnonzero(CHANGED[np.minimum(compact, 0xFFFF)] | (compact > 0xFFFF))
    if not len(odd):
        return joined.casefold(), None
    bounds = np.concatenate([np.flatnonzero(starting), [len(compact) + 1]])
    pieces, done = [], 0
    counts = np.ones(len(bounds) - 1, dtype=np.int64)  # tokens each token becomes
    for token in np.unique(np.searchsorted(bounds, odd, side="right") - 1).tolist():
        start, end = int(bounds[token]), int(bounds[token + 1]) - 1
        parts = split(unicodedata.normalize("NFKC", joined[start:end]))
        counts[token] = len(parts)
        pieces += [joined[done:start], SEPARATOR.join(parts)]
        done = end
    pieces.append(joined[done:])
    joined = "".join(pieces)
    if (counts == 0).any():  # NUL runs where tokens vanished
        joined = SEPARATOR.join(t for t in joined.split(SEPARATOR) if t)
    return joined.casefold(), np.repeat(np.arange(len(counts)), counts)


def split(token: str) -> list[str]:
    """The tokens in a normalised token (usually itself)."""
    codes = np.frombuffer(token.encode("utf-32-le"), dtype=np.uint32)
    classes = classify(codes)
    tokens, current = [], ""
    for char, kind in zip(token, classes.tolist(), strict=True):
        if kind == WORD:
            current += char
            continue
        if current:
            tokens.append(current)
            current = ""
        if kind == SINGLE:
            tokens.append(char)
    return [*tokens, current] if current else tokens


def tokenise(text: str) -> Tokens:
    return tokenise_batch([text])


def tokenise_batch(texts: list[str]) -> Tokens:
    """Tokens of a batch of texts: runs of WORD characters and single SINGLE characters,
    found on the code points of the whole batch at once (numpy's cost per call is paid
    once, not per text), never across two texts; then the tokens alone are normalised."""
    quotable = "\n".join(texts)
    codes = np.frombuffer(quotable.encode("utf-32-le"), dtype=np.uint32)
    classes = classify(codes)
    word = classes == WORD
    single = classes == SINGLE
    before = np.concatenate([[False], word[:-1]])
    after = np.concatenate([word[1:], [False]])
    first = np.flatnonzero(single | (word & ~before))
    if not len(first):
        empty = np.zeros(0, np.int64)
        return Tokens(np.zeros(0, np.uint32), empty, empty, empty, quotable, np.zeros((0, 2), np.int64))
    last = np.flatnonzero(single | (word & ~after)) + 1
    kept = np.flatnonzero(word | single)
    starting = np.zeros(len(codes), dtype=bool)
    starting[first] = True
    place = np.arange(len(kept)) + np.cumsum(starting[kept]) - 1  # one NUL before each token but the first
    compact = np.zeros(len(kept) + len(first) - 1, dtype=np.uint32)
    compact[place] = codes[kept]
    token_starts = np.zeros(len(compact), dtype=bool)
    token_starts[place[starting[kept]]] = True
    joined, source = normalise(compact, token_starts)
    if not joined:  # every token vanished under NFKC
        empty = np.zeros(0, np.int64)
        return Tokens(np.zeros(0, np.uint32), empty, empty, empty, quotable, np.zeros((0, 2), np.int64))
    normalised = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    separators = np.flatnonzero(normalised == 0)
    starts = np.concatenate([[0], separators + 1])
    ends = np.concatenate([separators, [len(normalised)]])
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    offsets = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])  # each text's start in `quotable`
    record = np.searchsorted(offsets, first, side="right") - 1
    original = np.stack([first, last], axis=1)
    if source is not None:
        record, original = record[source], original[source]
    return Tokens(normalised, starts, ends, record, quotable, original)


def tokenise_batch_compiled(texts: list[str]) -> Tokens:
    """`tokenise_batch` by decontaminate/kernel.py: the same tokens, codes and places, from
    one compiled pass over the batch instead of ~30 numpy arrays and two string passes
    (case folding, decoding). The tokens NFKC changes (a ligature, a full-width letter, ½,
    any character beyond the BMP: ~20 in a batch of 64 news articles) are normalised here,
    one Python call per distinct token, exactly as `normalise` does."""
    from dataset_builder.stages.decontaminate import kernel  # imports numba: only when it pays

    quotable = "\n".join(texts)
    codes = np.frombuffer(quotable.encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    offsets = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])  # each text's start in `quotable`
    table = kernel_table()
    single, folds, fold_codes = fold_table()
    while True:
        folded, length, count, starts, ends, original, record, odd, unknown = kernel.scan(
            codes, table, single, folds, fold_codes, offsets
        )
        if unknown < 0:
            break
        classify_beyond_bmp(table, codes)  # new characters beyond the BMP: once per process each
    if not count:
        return empty_tokens(quotable)
    strange = np.flatnonzero(odd[:count])
    if not len(strange):
        codes, starts, ends = folded[:length], starts[:count], ends[:count]
        return Tokens(codes, starts, ends, record[:count], quotable, original[:count])
    pieces = [normalised_token(quotable[a:b]) for a, b in original[strange].tolist()]
    bounds = np.zeros(len(pieces) + 1, np.int64)
    bounds[1:] = np.cumsum([len(p) for p in pieces])
    replaced = np.frombuffer("".join(pieces).encode("utf-32-le"), dtype=np.uint32)
    joined, starts, ends, original, record = kernel.splice(
        folded, starts, ends, original, record, odd, count, replaced, bounds
    )
    if not len(starts):  # every token vanished under NFKC
        return empty_tokens(quotable)
    return Tokens(joined, starts, ends, record, quotable, original)


def empty_tokens(quotable: str) -> Tokens:
    empty = np.zeros(0, np.int64)
    return Tokens(np.zeros(0, np.uint32), empty, empty, empty, quotable, np.zeros((0, 2), np.int64))


@lru_cache(maxsize=1 << 16)
def normalised_token(token: str) -> str:
    """What `normalise` makes of a token NFKC changes: the tokens of its NFKC form, case
    folded, joined by NUL ("" when none is left). Tokens recur (º, ½, ﬁ in many words), so
    each distinct one is normalised once per process."""
    return SEPARATOR.join(split(unicodedata.normalize("NFKC", token))).casefold()


@cache
def kernel_table() -> np.ndarray:
    """kernel.scan's table: for every code point its class, and ODD where `normalise` sends
    its token to NFKC (changed by NFKC alone, or beyond the BMP). The BMP is CLASSES and
    CHANGED; the million code points beyond it start UNKNOWN and are classified as batches
    meet them (`classify_beyond_bmp`): classifying them all would cost ~0.2 s a process."""
    from dataset_builder.stages.decontaminate.kernel import ODD, UNKNOWN

    table = np.full(0x110000, UNKNOWN, dtype=np.uint8)
    table[:0x10000] = CLASSES | (CHANGED * np.uint8(ODD))
    return table


def classify_beyond_bmp(table: np.ndarray, codes: np.ndarray) -> None:
    """Fill `table` for the code points beyond the BMP in `codes` that it has no class for."""
    from dataset_builder.stages.decontaminate.kernel import ODD, UNKNOWN

    beyond = np.unique(codes[codes > 0xFFFF])
    beyond = beyond[table[beyond] == UNKNOWN]
    table[beyond] = classify(beyond) | np.uint8(ODD)


@cache
def fold_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`str.casefold` of every BMP code point, which folds each character on its own (no
    context, unlike `lower`'s final sigma): the one code point most fold to (`single`), or
    kernel.MULTI for the ~100 that fold to two or three ("ß" is "ss"), found in
    codes[offsets[c]:offsets[c + 1]]."""
    from dataset_builder.stages.decontaminate.kernel import MULTI

    folds = [chr(c).casefold() for c in range(0x10000)]
    offsets = np.zeros(0x10001, np.int64)
    offsets[1:] = np.cumsum([len(f) for f in folds])
    codes = np.frombuffer("".join(folds).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    single = np.full(0x10000, MULTI, np.uint32)
    one = np.flatnonzero(np.diff(offsets) == 1)
    single[one] = codes[offsets[one]]
    return single, offsets, codes


class Powers:
    """BASE^i and BASE^-i modulo 2^64, grown on demand and kept per process."""

    def __init__(self) -> None:
        self.up = np.ones(1, np.uint64)
        self.down = np.ones(1, np.uint64)

    def upto(self, length: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.up) < length:
            size = max(length, 2 * len(self.up))
            self.up = powers(BASE, size)
            self.down = powers(BASE_INVERSE, size)
        return self.up[:length], self.down[:length]


def powers(base: int, size: int) -> np.ndarray:
    """base^0 .. base^(size-1) modulo 2^64 (numpy's unsigned products wrap)."""
    factors = np.full(size, base, np.uint64)
    factors[0] = 1
    return np.cumprod(factors, dtype=np.uint64)


POWERS = Powers()


def ngram_hashes(tokens: Tokens, n: int) -> np.ndarray:
    """The hash of each run of n tokens (`len(tokens) - n + 1` of them, none when fewer):
    the same n tokens hash the same in any text. In a batch, a run that spans two texts
    has a hash too: `within_texts` says which do not."""
    count = len(tokens) - n + 1
    if count <= 0:
        return np.zeros(0, np.uint64)
    codes = tokens.codes.astype(np.uint64)
    up, down = POWERS.upto(len(codes) + 1)
    prefix = np.zeros(len(codes) + 1, np.uint64)
    np.cumsum(codes * up[: len(codes)], dtype=np.uint64, out=prefix[1:])
    starts = tokens.starts[:count]
    ends = tokens.ends[n - 1 :]
    return mix((prefix[ends] - prefix[starts]) * down[starts])


def within_texts(tokens: Tokens, n: int) -> np.ndarray:
    """For each run of n tokens, whether its tokens are all from one text."""
    count = max(len(tokens) - n + 1, 0)
    return tokens.record[:count] == tokens.record[n - 1 : n - 1 + count]


def mix(hashes: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finalizer: every bit of the polynomial hash reaches the top bits,
    which the index's bitmap uses."""
    hashes = hashes ^ (hashes >> np.uint64(33))
    hashes = hashes * np.uint64(0xFF51AFD7ED558CCD)
    hashes = hashes ^ (hashes >> np.uint64(33))
    hashes = hashes * np.uint64(0xC4CEB9FE1A85EC53)
    return hashes ^ (hashes >> np.uint64(33))
