"""Normalised tokens and the hashes of their n-grams, for decontamination.

Tokens are what survives light editing: words of space-delimited scripts (runs of letters
and digits) and single characters of Han, kana, Hangul and Thai runs, which have no spaces
to split on. Punctuation and whitespace are not tokens, and tokens are NFKC-normalised and
case-folded, so a test item re-typed with other quotes, line breaks or capitals still
yields the same n-grams. (`decide/minhash.py` tokenises for near-duplicates on UTF-8 bytes
and keeps CJK runs whole; the two could share a script-aware tokeniser later.)

An n-gram is the span of the tokens joined by NUL (which no token contains), and its hash
is a polynomial hash of that span's code points modulo 2^64, from one prefix sum per text:
numpy computes every n-gram's hash at once, with no Python call per token. Such a hash can
collide, so a hash match is only a candidate: `index.EvalIndex` compares the spans'
characters before it calls anything a match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

# Scripts written without spaces between words: one character is one token.
SCRIPT_CHARS = (
    "\u0e00-\u0e7f"  # Thai
    "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # Hangul jamo and syllables
    "\u3040-\u30ff\u31f0-\u31ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\U00020000-\U0003134f"
)
TOKEN = re.compile(f"[{SCRIPT_CHARS}]|[^\\W_{SCRIPT_CHARS}]+")
SEPARATOR = "\x00"
BASE = 0x100000001B3  # odd, so that it has an inverse modulo 2^64
BASE_INVERSE = pow(BASE, -1, 2**64)


@dataclass(frozen=True)
class Tokens:
    """A text's normalised tokens, joined by NUL (`joined`), and where each token starts and
    ends in `joined`."""

    joined: str
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.starts)

    def span(self, first: int, n: int) -> tuple[int, int]:
        """Where the n tokens from token `first` start and end in `joined`."""
        return int(self.starts[first]), int(self.ends[first + n - 1])


def tokenise(text: str) -> Tokens:
    """Normalised tokens of `text`; token i is the i-th match of `TOKEN` in it, whatever
    NFKC and case folding make of it (see `original_spans`)."""
    words = TOKEN.findall(text)
    if not words:
        return Tokens("", np.zeros(0, np.int64), np.zeros(0, np.int64))
    joined = unicodedata.normalize("NFKC", SEPARATOR.join(words)).casefold()
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    separators = np.flatnonzero(codes == 0)
    starts = np.concatenate([[0], separators + 1])
    ends = np.concatenate([separators, [len(codes)]])
    return Tokens(joined, starts, ends)


def original_spans(text: str) -> list[tuple[int, int]]:
    """Where each token of `tokenise(text)` is in `text` itself, for quoting a match."""
    return [m.span() for m in TOKEN.finditer(text)]


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
    the same n tokens hash the same in any text."""
    count = len(tokens) - n + 1
    if count <= 0:
        return np.zeros(0, np.uint64)
    codes = np.frombuffer(tokens.joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    up, down = POWERS.upto(len(codes) + 1)
    prefix = np.zeros(len(codes) + 1, np.uint64)
    np.cumsum(codes * up[: len(codes)], dtype=np.uint64, out=prefix[1:])
    starts = tokens.starts[:count]
    ends = tokens.ends[n - 1 :]
    with np.errstate(over="ignore"):
        return (prefix[ends] - prefix[starts]) * down[starts]
