"""Stage 5: language tags with langdetect, the same on every run.

langdetect draws random numbers while it detects; unseeded, the same short text gets
different labels from run to run. The tagger owns a `DetectorFactory` seeded from the
config instead of setting langdetect's process-wide default, so nothing else in the
process changes behaviour. Seeds disagree on some texts, so the seed is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

UNDETERMINED = "und"


@dataclass(frozen=True)
class LanguageTag:
    language: str
    score: float


@cache
def seeded_factory(seed: int) -> DetectorFactory:
    """langdetect's 55 profiles take about a second to load: once per process and seed.
    The factory is never changed after this, so sharing it is safe."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(seed)
    return factory


class LanguageTagger:
    """Seeded langdetect, with a floor on how little text is worth judging."""

    def __init__(self, seed: int, min_chars: int) -> None:
        self.seed = seed
        self.min_chars = min_chars
        self.factory = seeded_factory(seed)

    def tag(self, text: str) -> LanguageTag:
        """Most probable language and its probability; `und` for text too short to judge."""
        if sum(ch.isalpha() for ch in text) < self.min_chars:
            return LanguageTag(UNDETERMINED, 0.0)
        detector = self.factory.create()
        detector.append(text)
        try:
            best = detector.get_probabilities()[0]
        except (LangDetectException, IndexError):
            return LanguageTag(UNDETERMINED, 0.0)
        return LanguageTag(best.lang, best.prob)
