"""Seeded langdetect 1.0.9, the same probabilities to the last bit, tens of times faster.

langdetect spends its time in Python loops: a dozen function calls per character to
normalise it and cut n-grams, and 55 float multiplications in a list loop per random
n-gram draw. Seeded, it is deterministic, so the same arithmetic can be done elsewhere:

- its profiles and character tables are arrays, precomputed once per machine and
  memory-mapped (`langprofiles`), so no process loads the JSON profiles;
- a text's regex cleaning stays langdetect's own (run only where it can match); its code
  points are normalised by table lookup, and cut into n-grams and looked up in the
  profiles by compiled code (`langkernel.ngram_rows`);
- with a fixed seed every document consumes the same Mersenne-Twister stream, so it is
  generated once (`langprofiles.gauss_table`) and each document's `random.gauss` and
  `random.choice` draws, rejected `choice` draws included, are replayed from it by the
  compiled random walk (`langkernel.detect`), the same float operations in the same order.

A process's first `INTERPRETED_TEXTS` texts skip numba (its start costs more than they do):
the same `detect` runs on lists of Python floats, and the n-grams are cut by numpy over all
positions at once (`langkernel.ngram_rows_vectorised`). The differential test runs both.

A text this module cannot replay (the stream runs out, or the self-check finds that this
interpreter's `random` differs from the replay) goes to langdetect itself, counted in
`FastDetector.fallbacks`.
"""

from __future__ import annotations

import random
from functools import cache
from operator import itemgetter
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
from langdetect.detector import Detector
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram

from dataset_builder.stages import langkernel
from dataset_builder.stages.langprofiles import gauss_table, load_profiles

if TYPE_CHECKING:
    from langdetect.detector_factory import DetectorFactory

Probabilities = list[tuple[str, float]]

MAX_TEXT_LENGTH = 10000
N_TRIAL = 7
# 7 trials of 1001 draws take about 14,000 words at `random.choice`'s worst acceptance rate (1/2).
STREAM_WORDS = 1 << 15
# numba's import and first call take ~0.5 s (more on a busy machine), what ~50 texts of
# ~2.5 KB take interpreted (~9 ms each): a small build never compiles, a large one does at
# its 33rd text.
INTERPRETED_TEXTS = 32
MAIL_CHARS = frozenset("-_.@0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
DMARKS = tuple(NGram.DMARK_CLASS)
# langdetect's defaults, a fresh detector, no prior map: what langkernel.detect is given.
SETTINGS = np.array(
    [
        Detector.ALPHA_DEFAULT,
        Detector.ALPHA_WIDTH,
        Detector.BASE_FREQ,
        Detector.CONV_THRESHOLD,
        Detector.ITERATION_LIMIT,
        N_TRIAL,
    ],
    dtype=np.float64,
)


@cache
def seeded_factory(seed: int) -> DetectorFactory:
    """langdetect's own seeded factory (the reference, and the fallback). Its 55 profiles take
    about a second to load, so only a fallback or a test loads them: once per process and
    seed. It is never changed after this, so sharing it is safe, and langdetect's
    process-wide default is left alone."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(seed)
    return factory


def remove_mail(text: str) -> str:
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


def code_points(text: str) -> np.ndarray:
    """The text's code points, surrogates included, as an array (no loop over characters)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


class FastDetector:
    """Seeded langdetect with default settings (alpha 0.5, 10,000 characters, no prior map):
    `probabilities(text)` equals `[(l.lang, l.prob) for l in detector.get_probabilities()]` of a
    fresh detector from `seeded_factory(seed)`, and is None where langdetect raises (no n-gram
    features). `fallbacks` counts the texts handed to langdetect itself; `replays` is False if
    this interpreter's `random` cannot be replayed, and then every text is. `stream_words` (the
    random stream generated up front) is there for tests of the fallback: the default is more
    than twice what the longest possible detection (7 trials of 1001 draws) takes."""

    def __init__(
        self, seed: int = 0, stream_words: int = STREAM_WORDS, interpreted: int = INTERPRETED_TEXTS
    ) -> None:
        self.seed = seed
        self.fallbacks = 0
        self.interpreted = interpreted  # texts run interpreted before the kernel is compiled
        self.profiles = load_profiles()
        self.langs = self.profiles.langs
        stream, self._gauss = gauss_table(seed, stream_words)
        self._stream = stream.astype(np.int64)
        self._lists: tuple[list[int], list[list[float]]] | None = None  # the stream and gauss, as lists
        self.replays = self._replay_matches_random()

    @property
    def factory(self) -> DetectorFactory:
        return seeded_factory(self.seed)

    def _kernel(self) -> SimpleNamespace | None:
        """The compiled kernel, or None while this detector still runs texts interpreted."""
        if self.interpreted > 0:
            self.interpreted -= 1
            return None
        return langkernel.compiled()

    def _prepare(self, text: str) -> np.ndarray:
        """Detector.append + cleaning_text + NGram.normalize: the code points langdetect cuts."""
        if "http" in text:
            text = Detector.URL_RE.sub(" ", text)
        if "@" in text:
            text = remove_mail(text)
        if not text.isascii() and any(mark in text for mark in DMARKS):
            text = NGram.normalize_vi(text)
        points = code_points(text[:MAX_TEXT_LENGTH])
        # cleaning_text: 'A' <= ch <= 'z' is Latin; its unicode_block test compares a number
        # with a string, so every character from U+0300 up counts as non-Latin.
        not_latin = (points - np.uint32(65)) > np.uint32(57)
        latin = len(points) - int(np.count_nonzero(not_latin))
        if latin * 2 < int(np.count_nonzero(points >= 0x300)):
            points = points[not_latin]
        return self.profiles.normal[points]

    def ngram_rows(self, text: str, kernel: SimpleNamespace | None = None) -> np.ndarray:
        """Profile rows of langdetect's `_extract_ngrams(text)`, in order."""
        points, profiles = self._prepare(text), self.profiles
        if kernel:
            return kernel.ngram_rows(points, profiles.upper, profiles.gram_keys, profiles.gram_rows)
        return langkernel.ngram_rows_vectorised(
            points, profiles.upper, profiles.gram_keys, profiles.gram_rows
        )

    def probabilities(self, text: str) -> Probabilities | None:
        """langdetect's sorted (language, probability) list for `text`, or None for no features."""
        kernel = self._kernel()
        rows = self.ngram_rows(text, kernel)
        if not len(rows):
            return None
        if not self.replays:
            return self._fallback(text)
        width = len(self.langs)
        if kernel:
            langprob = np.zeros(width)
            found = kernel.detect(
                rows, self._stream, self._gauss, self.profiles.matrix, SETTINGS, np.empty(width), langprob
            )
        else:  # on lists of Python floats: the rows this text draws from, numbered in order
            if self._lists is None:
                self._lists = (self._stream.tolist(), np.asarray(self._gauss).tolist())
            distinct, ngrams = np.unique(rows, return_inverse=True)
            matrix, langprob = self.profiles.matrix[distinct].tolist(), [0.0] * width
            found = langkernel.detect(
                ngrams.tolist(), *self._lists, matrix, SETTINGS.tolist(), [0.0] * width, langprob
            )
        if not found:
            return self._fallback(text)
        return self._sorted(np.asarray(langprob))

    def probabilities_batch(self, texts: list[str]) -> list[Probabilities | None]:
        """`probabilities` of each text (compiled, one text costs no more alone than in a batch)."""
        return [self.probabilities(text) for text in texts]

    def _fallback(self, text: str) -> Probabilities | None:
        self.fallbacks += 1
        detector = self.factory.create()
        detector.append(text)
        try:
            return [(lang.lang, lang.prob) for lang in detector.get_probabilities()]
        except LangDetectException:
            return None

    def _sorted(self, langprob: np.ndarray) -> Probabilities:
        """Detector._sort_probability: above the threshold, most probable first, ties in profile order."""
        result = [
            (lang, p)
            for lang, p in zip(self.langs, langprob.tolist(), strict=True)
            if p > Detector.PROB_THRESHOLD
        ]
        result.sort(key=itemgetter(1), reverse=True)
        return result

    def _replay_matches_random(self) -> bool:
        """Whether this interpreter's `random.gauss` and `random.choice` consume the Mersenne-Twister
        stream as the kernel replays it, rejected `choice` draws and the cached gauss value
        included. If not, every text falls back to langdetect."""
        stream, gauss = self._stream, self._gauss
        for n in (1, 3, 55, 1000, 4097):
            rng = random.Random(self.seed)
            expected = [rng.gauss(0.0, 1.0), *(rng.choice(range(n)) for _ in range(20))]
            expected += [rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)]
            got: list[float] = [float(gauss[0, 0])]
            pos, shift = 4, 32 - n.bit_length()
            while len(got) < 21 and pos < len(stream):
                pick = int(stream[pos]) >> shift
                pos += 1
                if pick < n:
                    got.append(pick)
            if len(got) < 21 or pos + 4 > len(stream):
                continue  # a stream this short cannot show it; texts that need more fall back anyway
            # The second gauss is the one the first kept; the third makes a new pair.
            got += [float(gauss[1, 0]), float(gauss[0, pos])]
            if got != expected:
                return False
        return True
