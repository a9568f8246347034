"""Seeded langdetect 1.0.9, the same probabilities to the last bit, several times faster.

langdetect spends its time in Python loops: a dozen function calls per character to
normalise it and cut n-grams, and 55 float multiplications in a list loop per random
n-gram draw. Seeded, it is deterministic, so the same arithmetic can be done in bulk:

- a text is cut into n-grams in arrays: every character normalised by table lookup, the
  1-, 2- and 3-character n-grams at every position built as integers, kept where NGram
  would yield them, and found in the profiles through a numpy hash table;
- the profiles are one float64 matrix; the five updates between two convergence checks
  are one sequential `np.multiply.reduce`, and the normalisation sums left to right as
  the interpreter's own `sum()` does (numpy's pairwise `sum` would round differently);
- with a fixed seed every document consumes the same Mersenne-Twister stream, so the
  stream is generated once and each document's `random.gauss` and `random.choice` draws,
  rejected `choice` draws included, are replayed from it.

A text this module cannot replay (the stream runs out, or the self-check finds that this
interpreter's `random` differs from the replay) goes to langdetect itself, counted in
`FastDetector.fallbacks`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import chain
from operator import itemgetter

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram

Probabilities = list[tuple[str, float]]

# langdetect's defaults: a fresh detector, no prior map.
ALPHA = Detector.ALPHA_DEFAULT
ALPHA_WIDTH = Detector.ALPHA_WIDTH
BASE_FREQ = Detector.BASE_FREQ
CONV_THRESHOLD = Detector.CONV_THRESHOLD
PROB_THRESHOLD = Detector.PROB_THRESHOLD
MAX_TEXT_LENGTH = 10000
N_TRIAL = 7
# Convergence is checked after draw i = 0, 5, 10, ... and the loop stops at i >= ITERATION_LIMIT.
LAST_CHECK = Detector.ITERATION_LIMIT // 5 + (Detector.ITERATION_LIMIT % 5 > 0)
# 7 trials of 1001 draws take about 14,000 words at `random.choice`'s worst acceptance rate (1/2).
STREAM_WORDS = 1 << 15
SPACE = np.uint64(32)
MAIL_CHARS = frozenset("-_.@0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
DMARKS = tuple(NGram.DMARK_CLASS)
FIVE = np.arange(5)
FIRST_CHUNK = 16  # convergence checks prepared at once when a trial starts; most news trials need fewer
TWOPI = 2.0 * math.pi
RANDOM_SCALE = 1.0 / 9007199254740992.0  # 2**-53, as in CPython's random()


@cache
def seeded_factory(seed: int) -> DetectorFactory:
    """langdetect's own seeded factory (the reference, and the fallback). Its 55 profiles take
    about a second to load: once per process and seed. It is never changed after this, so
    sharing it is safe, and langdetect's process-wide default is left alone."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(seed)
    return factory


class _OutOfStream(Exception):
    """The pre-generated random stream is too short for this text."""


def _python_sums(columns: np.ndarray) -> np.ndarray:
    """`sum()` of each column of a (languages, documents) array, by the interpreter itself."""
    return np.array([sum(column) for column in columns.T.tolist()])


def _numpy_sums(columns: np.ndarray) -> np.ndarray:
    """The same, as Python 3.11 adds: left to right. numpy adds down the slow axis of a C-ordered
    array one row at a time (pairwise summation is only for the fast axis); a single column
    collapses to the fast axis, so it takes a cumulative sum, which is always in order."""
    if columns.shape[1] == 1:
        return columns.cumsum(axis=0)[-1]
    return np.add.reduce(np.ascontiguousarray(columns), axis=0)


def _pick_sums() -> Callable[[np.ndarray], np.ndarray]:
    """numpy's column sums where they equal the interpreter's `sum()` on sums that tell orders
    apart; Python 3.12 made `sum()` of floats compensated, so there it is the interpreter's own."""
    rng = random.Random(0)
    checks = [np.array([[1e16] + [1.0] * 54] * docs).T for docs in (1, 2, 3)]
    checks += [np.array([[rng.random() * 10.0 ** -rng.randrange(30) for _ in range(55)]] * 64).T]
    if all(np.array_equal(_numpy_sums(c), _python_sums(c)) for c in checks):
        return _numpy_sums
    return _python_sums


_column_sums = _pick_sums()


@cache
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """NGram.normalize of every code point, and str.isupper of every code point, as arrays.

    NGram.normalize changes only Basic Multilingual Plane blocks; code points above map to themselves.
    """
    normal = np.arange(0x110000, dtype=np.uint32)
    for cp in range(0x10000):
        ch = chr(cp)
        normalized = NGram.normalize(ch)
        if normalized != ch:
            normal[cp] = ord(normalized)
    upper = np.fromiter((chr(cp).isupper() for cp in range(0x110000)), dtype=bool, count=0x110000)
    return normal, upper


class _GramIndex:
    """Profile n-gram -> matrix row, for a whole text's n-grams at once. An n-gram is one integer,
    21 bits a code point (so 'ab' and 'b' differ: code points are never 0 once normalised), found
    in an open-addressing hash table with linear probing, all queries probing together."""

    BITS = 20  # a Mi slots for langdetect's 87,598 n-grams: most found in the first slot they try
    EMPTY = 0

    def __init__(self, grams: list[str]) -> None:
        # langdetect looks up 1- to 3-character n-grams only; a row's number is its place in `grams`.
        numbers = np.array([i for i, gram in enumerate(grams) if 1 <= len(gram) <= 3], dtype=np.int32)
        keys = np.array([_gram_key(grams[i]) for i in numbers.tolist()], dtype=np.uint64)
        if len(keys) >= (1 << self.BITS) // 2 or not keys.all():
            raise ValueError("profile n-grams do not fit the hash table")
        self.keys = np.full(1 << self.BITS, self.EMPTY, dtype=np.uint64)
        self.rows = np.full(1 << self.BITS, -1, dtype=np.int32)
        slots = self._slots(keys)
        waiting = np.arange(len(keys))
        while len(waiting):
            free = self.keys[slots[waiting]] == self.EMPTY
            taken, first = np.unique(slots[waiting[free]], return_index=True)
            placed = waiting[free][first]  # one n-gram per free slot in each round
            self.keys[taken] = keys[placed]
            self.rows[taken] = numbers[placed]
            waiting = np.setdiff1d(waiting, placed, assume_unique=True)
            slots[waiting] = (slots[waiting] + 1) & ((1 << self.BITS) - 1)

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        """Fibonacci hashing: the top bits of key times 2**64 / golden ratio."""
        return ((keys * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - self.BITS)).astype(np.intp)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The row of each key, -1 for keys that are no profile n-gram."""
        found = np.full(len(keys), -1, dtype=np.int32)
        slots = self._slots(keys)
        todo = np.arange(len(keys))
        while len(todo):
            stored = self.keys[slots]
            hit = stored == keys[todo]
            found[todo[hit]] = self.rows[slots[hit]]
            going_on = (stored != self.EMPTY) & ~hit
            todo = todo[going_on]
            slots = (slots[going_on] + 1) & ((1 << self.BITS) - 1)
        return found


def _remove_mail(text: str) -> str:
    """Detector.MAIL_RE.sub(" ", text), run only on each run of address characters that holds
    an '@': no match can leave such a run, and the regex over a whole text is slow (it starts
    with a character class, so the regex engine tries it at every position)."""
    pieces = []
    done = 0
    at = text.find("@")
    while at >= 0:
        start, end = at, at + 1
        while start > done and text[start - 1] in MAIL_CHARS:
            start -= 1
        while end < len(text) and text[end] in MAIL_CHARS:
            end += 1
        pieces += (text[done:start], Detector.MAIL_RE.sub(" ", text[start:end]))
        done = end
        at = text.find("@", end)
    pieces.append(text[done:])
    return "".join(pieces)


def _gram_key(gram: str) -> int:
    key = 0
    for ch in gram:
        key = key << 21 | ord(ch)
    return key


@cache
def _profiles(seed: int) -> tuple[tuple[str, ...], _GramIndex, np.ndarray]:
    """Languages, n-gram -> row, and the (n-grams x languages) probability matrix, from the
    same seeded factory the tagger uses, so the language order (os.listdir) is the same."""
    factory = seeded_factory(seed)
    grams = factory.word_lang_prob_map
    # A row has a column per file in the profile folder; langdetect reads one per language.
    columns = len(next(iter(grams.values())))
    matrix = np.fromiter(chain.from_iterable(grams.values()), dtype=np.float64, count=len(grams) * columns)
    matrix = np.ascontiguousarray(matrix.reshape(len(grams), columns)[:, : len(factory.langlist)])
    return tuple(factory.langlist), _GramIndex(list(grams)), matrix


class _Stream:
    """The Mersenne-Twister output of `random.Random(seed)`, 32 bits a word, generated once."""

    def __init__(self, seed: int, words: int) -> None:
        rng = random.Random(seed)
        self.words = [rng.getrandbits(32) for _ in range(words)]
        self.array = np.array(self.words, dtype=np.uint32)
        self._shifted: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.words)

    def shifted(self, bits: int) -> np.ndarray:
        """What `getrandbits(bits)` returns at each position of the stream."""
        if bits not in self._shifted:
            self._shifted[bits] = self.array >> np.uint32(32 - bits)
        return self._shifted[bits]

    def gauss(self, pos: int, cached: float | None) -> tuple[float, int, float | None]:
        """`random.gauss(0.0, 1.0)` at stream position `pos`, given what the previous call left
        cached: the value, the position after it, and what this call leaves cached."""
        if cached is not None:
            return cached, pos, None
        if pos + 4 > len(self.words):
            raise _OutOfStream
        w = self.words
        x = ((w[pos] >> 5) * 67108864.0 + (w[pos + 1] >> 6)) * RANDOM_SCALE
        y = ((w[pos + 2] >> 5) * 67108864.0 + (w[pos + 3] >> 6)) * RANDOM_SCALE
        x2pi = x * TWOPI
        g2rad = math.sqrt(-2.0 * math.log(1.0 - y))
        return math.cos(x2pi) * g2rad, pos + 4, math.sin(x2pi) * g2rad


class _Draws:
    """One document's `random.choice(ngrams)` results in stream order: `getrandbits(k)` per word,
    kept where below the number of n-grams. Scanned lazily; most documents need a few hundred."""

    __slots__ = ("_doc_rows", "_n", "_scanned", "_shifted", "_total", "positions", "rows")

    def __init__(self, stream: _Stream, doc_rows: np.ndarray, first_scan: int) -> None:
        self._n = len(doc_rows)
        self._shifted = stream.shifted(self._n.bit_length())
        self._doc_rows = doc_rows
        self._total = len(stream)
        self._scanned = 0
        self.positions = np.empty(0, dtype=np.intp)
        self.rows = np.empty(0, dtype=np.int32)
        self._scan(min(first_scan, self._total))

    def _scan(self, end: int) -> None:
        window = self._shifted[self._scanned : end]
        hits = np.flatnonzero(window < self._n)
        self.positions = np.concatenate((self.positions, hits + self._scanned))
        self.rows = np.concatenate((self.rows, self._doc_rows[window[hits]]))
        self._scanned = end

    def _grow(self) -> None:
        if self._scanned >= self._total:
            raise _OutOfStream
        self._scan(min(self._total, max(2 * self._scanned, 256)))

    def extend_to(self, count: int) -> np.ndarray:
        """The rows of the first `count` draws, or of as many as the stream holds."""
        while len(self.positions) < count and self._scanned < self._total:
            self._grow()
        return self.rows

    def cover(self, count: int) -> None:
        """Make sure the first `count` draws are known."""
        while len(self.positions) < count:
            self._grow()

    def first_at(self, pos: int) -> int:
        """Index of the first draw at stream position `pos` or later."""
        while not len(self.positions) or self.positions[-1] < pos:
            self._grow()
        return int(np.searchsorted(self.positions, pos))


class FastDetector:
    """Seeded langdetect with default settings (alpha 0.5, 10,000 characters, no prior map):
    `probabilities(text)` equals `[(l.lang, l.prob) for l in detector.get_probabilities()]` of a
    fresh detector from `seeded_factory(seed)`, and is None where langdetect raises (no n-gram
    features). `probabilities_batch(texts)` gives the same, `batch_size` documents side by side.
    `fallbacks` counts the texts handed to langdetect itself; `replays` is False if this
    interpreter's `random` cannot be replayed, and then every text is. `stream_words` (the random
    stream generated up front) is there for tests of the fallback: the default is more than twice
    what the longest possible detection (7 trials of 1001 draws) takes."""

    def __init__(self, seed: int = 0, stream_words: int = STREAM_WORDS, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.seed = seed
        self.batch_size = batch_size
        self.fallbacks = 0
        self.factory: DetectorFactory = seeded_factory(seed)
        self.langs, self._index, self._matrix = _profiles(seed)
        self._normal, self._upper = _tables()
        self._stream = _Stream(seed, stream_words)
        self._uniform = np.full(len(self.langs), 1.0 / len(self.langs))
        self.replays = self._replay_matches_random()

    # -- text -> n-gram rows --------------------------------------------------------------

    def _prepare(self, text: str) -> np.ndarray:
        """Detector.append + cleaning_text + NGram.normalize: the code points langdetect cuts."""
        if "http" in text:
            text = Detector.URL_RE.sub(" ", text)
        if "@" in text:
            text = _remove_mail(text)
        if not text.isascii() and any(mark in text for mark in DMARKS):
            text = NGram.normalize_vi(text)
        points = np.frombuffer(text[:MAX_TEXT_LENGTH].encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        # cleaning_text: 'A' <= ch <= 'z' is Latin; its unicode_block test compares a number
        # with a string, so every character from U+0300 up counts as non-Latin.
        not_latin = (points - np.uint32(65)) > np.uint32(57)
        latin = len(points) - int(np.count_nonzero(not_latin))
        if latin * 2 < int(np.count_nonzero(points >= 0x300)):
            points = points[not_latin]
        return self._normal[points]

    def ngram_rows(self, text: str) -> np.ndarray:
        """Profile rows of langdetect's `_extract_ngrams(text)`, in order. NGram keeps the last
        three characters since a space (which it treats as the one before the text too); after
        each character it yields the 1-, 2- and 3-character n-grams that end there, unless this
        and the previous character are both upper case, never the lone space, and none that
        reach back across a space. All positions are done at once, in arrays."""
        points = self._prepare(text)
        size = len(points)
        chars = np.full(size + 2, SPACE, dtype=np.uint64)
        chars[2:] = points
        before2, before, here = chars[:-2], chars[1:-1], chars[2:]
        upper = self._upper[chars]
        capital = upper[2:] & upper[1:-1]
        space_here, space_before = here == SPACE, before == SPACE
        keep = np.empty((size, 3), dtype=bool)
        np.logical_not(capital | space_here, out=keep[:, 0])
        np.logical_not(capital | (space_here & space_before), out=keep[:, 1])
        np.logical_not(capital | space_before, out=keep[:, 2])
        keys = np.empty((size, 3), dtype=np.uint64)
        keys[:, 0] = here
        keys[:, 1] = before << np.uint64(21) | here
        keys[:, 2] = before2 << np.uint64(42) | keys[:, 1]
        rows = self._index.lookup(keys[keep])
        return rows[rows >= 0]

    # -- one document ---------------------------------------------------------------------

    def probabilities(self, text: str) -> Probabilities | None:
        """langdetect's sorted (language, probability) list for `text`, or None for no features."""
        rows = self.ngram_rows(text)
        if not len(rows):
            return None
        if not self.replays:
            return self._fallback(text)
        try:
            return self._detect(rows)
        except _OutOfStream:
            return self._fallback(text)

    def _fallback(self, text: str) -> Probabilities | None:
        self.fallbacks += 1
        detector = self.factory.create()
        detector.append(text)
        try:
            return [(lang.lang, lang.prob) for lang in detector.get_probabilities()]
        except LangDetectException:
            return None

    def _trial_start(self, draws: _Draws, pos: int, cached: float | None) -> tuple[int, float, float | None]:
        """Detector._detect_block's gauss draw for a trial starting at stream position `pos`: the
        trial's first draw, its weight, and the gauss value left cached for the next trial."""
        gauss, pos, cached = self._stream.gauss(pos, cached)
        alpha = ALPHA + gauss * ALPHA_WIDTH
        return draws.first_at(pos), alpha / BASE_FREQ, cached

    def _detect(self, rows: np.ndarray) -> Probabilities:
        draws = _Draws(self._stream, rows, 1024)
        langprob = np.zeros(len(self.langs))
        pos, cached = 0, None
        for _ in range(N_TRIAL):
            first, weight, cached = self._trial_start(draws, pos, cached)
            prob, used = self._trial(draws, first, weight)
            pos = int(draws.positions[first + used - 1]) + 1
            langprob += prob / N_TRIAL
        return self._sorted(langprob)

    def _sorted(self, langprob: np.ndarray) -> Probabilities:
        """Detector._sort_probability: above the threshold, most probable first, ties in profile order."""
        result = [
            (lang, p) for lang, p in zip(self.langs, langprob.tolist(), strict=True) if p > PROB_THRESHOLD
        ]
        result.sort(key=itemgetter(1), reverse=True)
        return result

    def _trial(self, draws: _Draws, first: int, weight: float) -> tuple[np.ndarray, int]:
        """One trial from draw `first`: the normalised probabilities where it stops, and the number
        of draws it used. Checks are prepared in growing chunks: a (6, languages) block each, the
        probabilities and then the factors of the draws before the check (the first check has
        one draw, then 1.0s), multiplied in order by one reduce."""
        matrix = self._matrix
        width = len(self.langs)
        product = np.empty(width)
        prob = self._uniform
        check, size = 0, FIRST_CHUNK
        while True:
            start = first + (0 if check == 0 else 1 + 5 * (check - 1))
            # As many checks as asked for, the trial still has, and the stream holds draws for.
            known = len(draws.extend_to(start + 5 * size)) - start
            size = min(size, LAST_CHECK + 1 - check, (known + 4 * (check == 0)) // 5)
            if size == 0:
                raise _OutOfStream
            count = 5 * size - 4 * (check == 0)
            blocks = np.empty((size, 6, width))
            chosen = draws.rows[start : start + count]
            if check == 0:
                np.add(weight, matrix[chosen[0]], out=blocks[0, 1])
                blocks[0, 2:] = 1.0
                np.add(weight, matrix[chosen[1:]].reshape(size - 1, 5, width), out=blocks[1:, 1:])
            else:
                np.add(weight, matrix[chosen].reshape(size, 5, width), out=blocks[:, 1:])
            blocks[0, 0] = prob
            for block, following in zip(blocks, chain(blocks[1:, 0], (product,)), strict=True):
                np.multiply.reduce(block, axis=0, out=product)
                values = product.tolist()
                total = sum(values)  # Detector._normalize_prob's own sum, on this interpreter
                # Division by a positive number keeps the order, so the largest quotient is this one.
                if max(values) / total > CONV_THRESHOLD or check >= LAST_CHECK:
                    return product / total, 1 + 5 * check
                np.divide(product, total, out=following)
                check += 1
            prob = product
            size *= 2

    # -- many documents side by side ------------------------------------------------------

    def probabilities_batch(self, texts: list[str]) -> list[Probabilities | None]:
        """`probabilities` of each text; up to `batch_size` documents advance together, so numpy
        calls are shared between documents instead of paid per convergence check."""
        if not self.replays:
            return [self.probabilities(text) for text in texts]
        results: list[Probabilities | None] = [None] * len(texts)
        for i, result in _Batch(self, texts).run():
            results[i] = result
        return results

    # -- safety ---------------------------------------------------------------------------

    def _replay_matches_random(self) -> bool:
        """Whether this interpreter's `random.gauss` and `random.choice` consume the Mersenne-Twister
        stream as replayed here, rejected `choice` draws and the cached gauss value included.
        If not, every text falls back to langdetect."""
        for n in (1, 3, 55, 1000, 4097):
            rng = random.Random(self.seed)
            expected = [rng.gauss(0.0, 1.0), *(rng.choice(range(n)) for _ in range(20))]
            expected += [rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)]
            draws = _Draws(self._stream, np.arange(n, dtype=np.int32), 1024)
            try:
                first_gauss, pos, cached = self._stream.gauss(0, None)
                first = draws.first_at(pos)
                draws.cover(first + 20)
                chosen = draws.rows[first : first + 20].tolist()
                second_gauss, pos, cached = self._stream.gauss(int(draws.positions[first + 19]) + 1, cached)
                third_gauss, _, _ = self._stream.gauss(pos, cached)
            except _OutOfStream:
                continue  # a stream this short cannot show it; texts that need more fall back anyway
            if [first_gauss, *chosen, second_gauss, third_gauss] != expected:
                return False
        return True


@dataclass
class _Doc:
    """A document in a batch row: where its draws are, and how far its trials have come."""

    index: int
    draws: _Draws
    base: int = 0  # draw index of the row's first column in the draw table
    trial: int = 0
    cached: float | None = None  # the gauss value `random.gauss` keeps for the next trial


class _Batch:
    """Documents side by side, each in its own trial: row r of every array is one document. Each
    step is one convergence check of every row; a row whose trial ends starts the next trial,
    and a row whose document is done takes the next document."""

    CAPACITY = 1024  # draws held per row; a row that runs out is refilled from its _Draws

    def __init__(self, detector: FastDetector, texts: list[str]) -> None:
        self.det = detector
        self.texts = texts
        self.queue = iter(range(len(texts)))
        self.more = bool(texts)  # whether the queue may hold another document
        self.results: list[tuple[int, Probabilities | None]] = []
        rows, width = min(detector.batch_size, len(texts)), len(detector.langs)
        self.prob = np.empty((rows, width))
        self.langprob = np.zeros((rows, width))
        self.weight = np.empty(rows)
        self.next_draw = np.zeros(rows, dtype=np.intp)  # column of the row's next draw
        self.check = np.zeros(rows, dtype=np.intp)  # convergence checks done in this trial
        self.filled = np.zeros(rows, dtype=np.intp)
        self.table = np.zeros((rows, self.CAPACITY), dtype=np.int32)  # profile rows drawn, in order
        self.docs: list[_Doc | None] = [None] * rows
        for row in range(rows):
            self._load(row)

    def run(self) -> list[tuple[int, Probabilities | None]]:
        """(index, probabilities) of every text that has n-grams."""
        while self.docs:
            self._step()
        return self.results

    def _step(self) -> None:
        """One convergence check of every row: blocks[0] is each row's probabilities and
        blocks[1:] the factors of its draws since the last check (one draw, then 1.0s, at a
        trial's first check), multiplied in order, then normalised by the left-to-right sum."""
        short = np.flatnonzero(self.next_draw + 5 > self.filled)
        if len(short):
            for row in short.tolist():
                self._refill(row, 1 if self.check[row] == 0 else 5)
            self._compact()
            if not self.docs:
                return
        first = self.check == 0
        rows = len(self.docs)
        drawn = self.table.ravel()[(np.arange(rows) * self.CAPACITY + self.next_draw) + FIVE[:, None]]
        blocks = np.empty((6, rows, self.prob.shape[1]))
        blocks[0] = self.prob
        np.take(self.det._matrix, drawn, axis=0, out=blocks[1:])
        blocks[1:] += self.weight[:, None]
        if first.any():
            blocks[2:, first] = 1.0
        product = np.multiply.reduce(blocks, axis=0)
        columns = np.ascontiguousarray(product.T)
        sums = _column_sums(columns)
        np.divide(product, sums[:, None], out=self.prob)
        # Division by a positive number keeps the order, so the largest quotient is the largest's.
        done = (np.maximum.reduce(columns, axis=0) / sums > CONV_THRESHOLD) | (self.check >= LAST_CHECK)
        self.next_draw += np.where(first, 1, 5)
        self.check += 1
        if done.any():
            ended = np.flatnonzero(done)
            self.langprob[ended] += self.prob[ended] / N_TRIAL
            for row in ended.tolist():
                self._next_trial(row)
            self._compact()

    def _next_trial(self, row: int) -> None:
        doc = self.docs[row]
        assert doc is not None
        doc.trial += 1
        if doc.trial == N_TRIAL:
            self.results.append((doc.index, self.det._sorted(self.langprob[row])))
            self._load(row)
            return
        pos = int(doc.draws.positions[doc.base + self.next_draw[row] - 1]) + 1
        try:
            first, weight, doc.cached = self.det._trial_start(doc.draws, pos, doc.cached)
        except _OutOfStream:
            self._give_up(row)
            return
        self._place(row, first, weight)

    def _load(self, row: int) -> None:
        """Put the next text that has n-grams in `row`, or mark the row free. Texts are cut into
        n-grams only here, so a long list never has all its n-grams in memory at once."""
        self.docs[row] = None
        for index in self.queue:
            rows = self.det.ngram_rows(self.texts[index])
            if len(rows):
                break
        else:
            self.more = False
            return
        doc = self.docs[row] = _Doc(index, _Draws(self.det._stream, rows, 2 * self.CAPACITY))
        try:
            first, weight, doc.cached = self.det._trial_start(doc.draws, 0, None)
        except _OutOfStream:
            self._give_up(row)
            return
        self.langprob[row] = 0.0
        self.filled[row] = 0  # the table still holds the previous document's draws
        self._place(row, first, weight)

    def _place(self, row: int, first: int, weight: float) -> None:
        """Start a trial in `row` at draw `first`."""
        doc = self.docs[row]
        assert doc is not None
        if first + 5 > doc.base + self.filled[row]:
            self._rebase(row, first)
        self.next_draw[row] = first - doc.base
        self.check[row] = 0
        self.weight[row] = weight
        self.prob[row] = self.det._uniform

    def _rebase(self, row: int, start: int) -> None:
        """Fill the row's draw table from draw `start` on, as far as the stream goes."""
        doc = self.docs[row]
        assert doc is not None
        draws = doc.draws.extend_to(start + self.CAPACITY)
        count = min(self.CAPACITY, len(draws) - start)
        self.table[row, :count] = draws[start : start + count]
        self.filled[row] = count
        doc.base = start

    def _refill(self, row: int, needed: int) -> None:
        doc = self.docs[row]
        if doc is None:
            return
        self._rebase(row, doc.base + int(self.next_draw[row]))
        self.next_draw[row] = 0
        if self.filled[row] < needed:
            self._give_up(row)

    def _give_up(self, row: int) -> None:
        """The stream is too short for this document: langdetect itself does it."""
        doc = self.docs[row]
        assert doc is not None
        self.results.append((doc.index, self.det._fallback(self.texts[doc.index])))
        self._load(row)

    def _compact(self) -> None:
        """Drop the rows left free once the queue is empty."""
        if self.more or None not in self.docs:
            return
        keep = np.array([doc is not None for doc in self.docs])
        self.docs = [doc for doc in self.docs if doc is not None]
        for name in ("prob", "langprob", "weight", "next_draw", "check", "filled", "table"):
            setattr(self, name, getattr(self, name)[keep])
