"""Stage 5: language tags with langdetect's model and answers, the same on every run.

langdetect draws random numbers while it detects; unseeded, the same short text gets
different labels from run to run. The tagger uses a seeded detector of its own instead of
setting langdetect's process-wide default, so nothing else in the process changes
behaviour. Seeds disagree on some texts, so the seed is recorded.

The detection itself is `fastlangid.FastDetector`: langdetect's algorithm replayed by a
compiled kernel, the same labels and the same probabilities to the last bit (differential
test: tests/test_fastlangid.py), tens of times faster. Letters are counted by table lookup
over the text's code points, not a Python loop over its characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataset_builder.stages.fastlangid import FastDetector, Probabilities, code_points

UNDETERMINED = "und"


@dataclass(frozen=True)
class LanguageTag:
    language: str
    score: float


class LanguageTagger:
    """Seeded langdetect, with a floor on how little text is worth judging."""

    def __init__(self, seed: int, min_chars: int) -> None:
        self.seed = seed
        self.min_chars = min_chars
        self.detector = FastDetector(seed)

    def tag(self, text: str) -> LanguageTag:
        """Most probable language and its probability; `und` for text too short to judge."""
        return self.tag_batch([text])[0]

    def tag_batch(self, texts: list[str]) -> list[LanguageTag]:
        """`tag` for many texts."""
        alpha = self.detector.profiles.alpha  # str.isalpha of every code point
        judged = [i for i, text in enumerate(texts) if letters(text, alpha) >= self.min_chars]
        found = self.detector.probabilities_batch([texts[i] for i in judged])
        tags = [LanguageTag(UNDETERMINED, 0.0)] * len(texts)
        for i, probabilities in zip(judged, found, strict=True):
            tags[i] = best(probabilities)
        return tags


def letters(text: str, alpha: np.ndarray) -> int:
    """`sum(ch.isalpha() for ch in text)`, in arrays."""
    return int(np.count_nonzero(alpha[code_points(text)]))


def best(probabilities: Probabilities | None) -> LanguageTag:
    if not probabilities:
        return LanguageTag(UNDETERMINED, 0.0)
    language, score = probabilities[0]
    return LanguageTag(language, score)
