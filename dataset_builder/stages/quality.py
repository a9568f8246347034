"""Quality signals of a text, the heuristics web-corpus pipelines filter on, for a whole batch.

Every signal is a ratio of integer counts of the one text, so it is the same whatever batch
the text is in, and it holds for every script: a *word* is a run of letters and digits in
scripts written with spaces, and one character in Han, Kana, Thai, Lao, Khmer and Myanmar
(which write no spaces between words; Hangul does, so a Korean word stays a word). That is
where English-tuned code misfires (datatrove#202: `isalpha` counts a Chinese paragraph as
one long "word"). Where each comes from (README, "Quality signals"):

- Gopher quality filter (Rae et al. 2021, "Scaling Language Models", appendix A.1.1):
  `words`, `mean_word_length`, `symbol_word_ratio` (# and ellipses per word),
  `lines_start_bullet`, `lines_end_ellipsis`, `stop_words`.
- Gopher repetition removal (same appendix): `dup_line_frac`, `dup_para_frac` (share of
  lines or paragraphs that repeat an earlier one), `top_{2,3,4}gram_frac` (characters of
  the most frequent repeated word n-gram, times its count, over all word characters),
  `dup_{5..10}gram_frac` (characters of the words covered by any repeated n-gram).
- C4 (Raffel et al. 2020, section 2.2): `sentences`; C4 and FineWeb (Penedo et al. 2024,
  `line_punct_ratio`): `lines_end_punct`, the share of lines ending in terminal punctuation.

Two implementations give the same values (tests/test_quality.py checks both against a
plain reference). A process's first `INTERPRETED_TEXTS` texts are scored here, by regular
expressions, splits and numpy (one `np.unique` per n over the batch's words); after that by
stages/qualitykernel.py, compiled by numba: one pass over each text's code points and hash
tables for the n-grams, ~8x faster, but numba's import and the load of the compiled code
cost more than a small build scores. `python bench/quality_signals.py cost` measures both
against pass 1.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from dataset_builder.config import Bound
from dataset_builder.hashing import fmix64
from dataset_builder.records import DUP_NGRAMS, TOP_NGRAMS
from dataset_builder.scripts import HAN, KANA, KHMER, LAO, MYANMAR, THAI

CHARACTER_WORDS = HAN + KANA + THAI + LAO + KHMER + MYANMAR
CHARACTER_WORD = f"[{CHARACTER_WORDS}]"
WORD = re.compile(f"{CHARACTER_WORD}|(?:(?!{CHARACTER_WORD})\\w)+")
PLAIN_WORD = re.compile(r"\w+")  # the same, for a text without a character-word script (10x faster)
HAS_CHARACTER_WORD = re.compile(CHARACTER_WORD)

END_PUNCT = frozenset(".!?\"'”’»」』。！？…")  # C4's . ? ! " and their other-script forms
BULLETS = frozenset("-*•●○■□▪▫◦‣∙·–—")
# A sentence ends at a run of . ! ? … before a space or the end, at 。！？ and at a line
# break. Written to begin with one character class, which the regex engine scans for in C
# (5x faster than the alternation in THAI_SENTENCE_END, the same splits).
SENTENCE_END = re.compile(r"[.!?…。！？\n](?:(?<=[。！？\n])[。！？]*|[.!?…]*(?=\s|$))")
THAI_SENTENCE_END = re.compile(f"[.!?…]+(?=\\s|$)|[。！？]+|\\n|(?<=[{THAI}]) +(?=[{THAI}])")
HAS_THAI = re.compile(f"[{THAI}]")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
ANY_WORD = re.compile(r"\w")

# The function words whose presence tells running text from lists and tables. English's
# are Gopher's eight; the others are eight of the most frequent words of each language
# (ours). In Chinese, Japanese and Thai a stop word is looked for as a substring.
STOP_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("the", "be", "to", "of", "and", "that", "have", "with"),
    "de": ("der", "die", "und", "in", "den", "von", "zu", "das"),
    "es": ("de", "la", "que", "el", "en", "y", "los", "del"),
    "fr": ("de", "la", "le", "et", "les", "des", "en", "un"),
    "it": ("di", "il", "la", "che", "e", "per", "in", "un"),
    "nl": ("de", "het", "een", "en", "van", "in", "is", "dat"),
    "pt": ("de", "que", "o", "a", "e", "do", "da", "em"),
    "ru": ("и", "в", "не", "на", "что", "с", "по", "это"),
    "zh": ("的", "了", "是", "在", "和", "有", "这", "不"),
    "ja": ("の", "に", "は", "を", "た", "が", "で", "て"),
    "th": ("ที่", "และ", "ใน", "ของ", "การ", "เป็น", "ได้", "มี"),
}
SUBSTRING_STOP_WORDS = frozenset({"zh", "ja", "th"})


def base_language(language: str) -> str:
    """`zh-cn` -> `zh`: the stop-word lists and the per-language thresholds are per language."""
    return language.split("-")[0]


def signals_batch(texts: Sequence[str], languages: Sequence[str]) -> list[dict[str, Any]]:
    """The signals of each text (`SIGNALS`), `languages` being their language tags."""
    global _interpreted_left
    if _interpreted_left > 0:
        _interpreted_left -= len(texts)
        return signals_interpreted(texts, languages)
    return signals_compiled(texts, languages)


def signals_interpreted(texts: Sequence[str], languages: Sequence[str]) -> list[dict[str, Any]]:
    """`signals_batch` by regular expressions, str methods and numpy: no compile to wait for."""
    words = [(PLAIN_WORD if plain(text) else WORD).findall(text) for text in texts]
    repetition = ngram_signals(words)
    return [
        {**line_signals(text, found, language), **repeated}
        for text, found, language, repeated in zip(texts, words, languages, repetition, strict=True)
    ]


def plain(text: str) -> bool:
    """Whether the text has no character of a script whose characters are words."""
    return text.isascii() or not HAS_CHARACTER_WORD.search(text)


def line_signals(text: str, words: list[str], language: str) -> dict[str, Any]:
    """The signals read from the text's words, lines and paragraphs, one text at a time."""
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    paragraphs = [p.strip() for p in PARAGRAPH_BREAK.split(text) if p.strip()]
    count, chars = len(words), sum(map(len, words))
    symbols = text.count("#") + text.count("...") + text.count("…")
    return {
        "words": count,
        "sentences": sentences(text),
        "mean_word_length": chars / count if count else 0.0,
        "symbol_word_ratio": symbols / count if count else 0.0,
        "lines_end_punct": share(lines, lambda line: line[-1] in END_PUNCT),
        "lines_start_bullet": share(lines, lambda line: line[0] in BULLETS),
        "lines_end_ellipsis": share(lines, lambda line: line.endswith(("...", "…"))),
        "dup_line_frac": repeated_share(lines),
        "dup_para_frac": repeated_share(paragraphs),
        "stop_words": stop_words(text, words, language),
    }


def sentences(text: str) -> int:
    """The parts between sentence ends (and line breaks) that hold a word; in Thai text a
    space between two Thai characters ends a sentence too."""
    ends = SENTENCE_END if text.isascii() or not HAS_THAI.search(text) else THAI_SENTENCE_END
    return sum(1 for part in ends.split(text) if ANY_WORD.search(part))


def share(lines: list[str], test: Any) -> float:
    return sum(1 for line in lines if test(line)) / len(lines) if lines else 0.0


def repeated_share(parts: list[str]) -> float:
    """Gopher's duplicate fraction: the parts equal to an earlier one, over all parts."""
    return (len(parts) - len(set(parts))) / len(parts) if parts else 0.0


def stop_words(text: str, words: list[str], language: str) -> int | None:
    """How many of the language's stop words the text holds (each counted once)."""
    listed = STOP_WORDS.get(base_language(language))
    if listed is None:
        return None
    if base_language(language) in SUBSTRING_STOP_WORDS:
        return sum(1 for word in listed if word in text)
    present = set(words)
    return sum(1 for w in listed if w in present or w.capitalize() in present or w.upper() in present)


def ngram_signals(words: list[list[str]]) -> list[dict[str, float]]:
    """Gopher's repetition signals of a batch's texts, in numpy over all their words at once.

    Words become ids (equal words, equal ids); the n-gram at a position is the fmix64 chain
    of its text's number and its ids, grown by one word per n. An n-gram can repeat only
    where the (n-1)-grams at its position and the next both repeat, so each n counts
    (`np.unique`) only those positions: every occurrence of a repeated n-gram is among them,
    and the sorts shrink as n grows."""
    vocabulary: dict[str, int] = {}
    lengths = np.array([len(w) for w in words], dtype=np.int64)
    flat = [word for text in words for word in text]
    size = len(flat)
    ids = np.fromiter(map(vocabulary.setdefault, flat, itertools.count()), np.uint64, size)
    chars = np.fromiter(map(len, flat), np.int64, size)
    doc = np.repeat(np.arange(len(words), dtype=np.int64), lengths)
    room = np.cumsum(lengths)[doc] - np.arange(size)  # words from each position to its text's end
    total = np.bincount(doc, weights=chars, minlength=len(words)) if size else np.zeros(len(words))
    cumulative = np.concatenate([[0], np.cumsum(chars)])
    keys = fmix64(doc.astype(np.uint64) + np.uint64(1))
    repeated = np.ones(size + 1, dtype=bool)
    repeated[size] = False
    answers: dict[str, np.ndarray] = {}
    for n in range(1, DUP_NGRAMS[-1] + 1):
        candidates = np.flatnonzero((room >= n) & repeated[:-1] & (repeated[1:] if n > 1 else True))
        keys[candidates] = fmix64(keys[candidates] ^ ids[candidates + n - 1])
        counts = occurrences(keys[candidates])
        repeated = np.zeros(size + 1, dtype=bool)
        repeated[candidates[counts > 1]] = True
        if n in TOP_NGRAMS:
            gram_chars = cumulative[candidates + n] - cumulative[candidates]
            score = np.where(counts > 1, counts * (1 << 32) + gram_chars, 0)
            best = np.zeros(len(words), dtype=np.int64)
            np.maximum.at(best, doc[candidates], score)
            covered = (best >> 32) * (best & 0xFFFFFFFF)
            answers[f"top_{n}gram_frac"] = fraction(covered, total)
        elif n in DUP_NGRAMS:
            marks = np.zeros(size + 1, dtype=np.int64)
            starts = np.flatnonzero(repeated[:-1])
            np.add.at(marks, starts, 1)
            np.add.at(marks, starts + n, -1)
            inside = np.cumsum(marks[:-1]) > 0
            covered = np.bincount(doc[inside], weights=chars[inside], minlength=len(words))
            answers[f"dup_{n}gram_frac"] = fraction(covered, total)
    names = [f"top_{n}gram_frac" for n in TOP_NGRAMS] + [f"dup_{n}gram_frac" for n in DUP_NGRAMS]
    return [{key: float(answers[key][i]) for key in names} for i in range(len(words))]


def fraction(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.zeros(len(whole)), where=whole > 0)


def occurrences(keys: np.ndarray) -> np.ndarray:
    """For each key, how often it occurs among `keys`."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return counts[inverse]


# numba's own start takes ~0.3 s in a process (in pass 2 language ID pays it after its 32nd
# text); then the character table ~0.1 s and the kernel's load from numba's cache ~0.015 s
# (its first compile on a machine ~6 s, once). 1,000 texts of ~3 KB take ~0.4 s interpreted:
# a small build, and most tests, never load the kernel.
INTERPRETED_TEXTS = 1000
_interpreted_left = INTERPRETED_TEXTS  # this process's texts still to score interpreted


def signals_compiled(texts: Sequence[str], languages: Sequence[str]) -> list[dict[str, Any]]:
    """`signals_batch` by stages/qualitykernel.py: counts for the whole batch in one call,
    divided here int by int (as `signals_interpreted` does, so the floats are the same)."""
    from dataset_builder.stages import qualitykernel  # imports numba: only when it pays

    # utf-32 with surrogatepass: one uint32 per code point, as `len` counts them (a lone
    # surrogate too), so each text's bounds are the running sum of their lengths.
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    bounds[1:] = np.cumsum([len(text) for text in texts])
    stops = stop_variants()
    lists = np.array([stop_range(language) for language in languages], np.int64).reshape(-1, 2)
    table = char_classes()
    counts = qualitykernel.batch_counts(cps, bounds, table, stops.cps, stops.bounds, stops.word, lists)
    integers, numerators, denominators = kernel_columns()
    whole = counts[:, denominators]
    ratios = np.divide(counts[:, numerators], whole, out=np.zeros(whole.shape), where=whole > 0).tolist()
    rows = []
    for (words, sentences, stops_found), values, text, language in zip(
        counts[:, integers].tolist(), ratios, texts, languages, strict=True
    ):
        if stops_found < 0:
            stops_found = stop_words(text, [], language)  # None, or a substring count
        # In the order of signals_interpreted's keys.
        rows.append(dict(zip(ORDER, (words, sentences, *values[:7], stops_found, *values[7:]), strict=True)))
    return rows


RATIOS = {
    "mean_word_length": ("word_chars", "words"),
    "symbol_word_ratio": ("symbols", "words"),
    "lines_end_punct": ("lines_end_punct", "lines"),
    "lines_start_bullet": ("lines_start_bullet", "lines"),
    "lines_end_ellipsis": ("lines_end_ellipsis", "lines"),
    "dup_line_frac": ("repeated_lines", "lines"),
    "dup_para_frac": ("repeated_paragraphs", "paragraphs"),
    **{f"top_{n}gram_frac": (f"top_{n}gram", "word_chars") for n in TOP_NGRAMS},
    **{f"dup_{n}gram_frac": (f"dup_{n}gram", "word_chars") for n in DUP_NGRAMS},
}
"""The float signals, each the kernel's count over another (0.0 where that is 0)."""


ORDER = ("words", "sentences", *list(RATIOS)[:7], "stop_words", *list(RATIOS)[7:])


@cache
def kernel_columns() -> tuple[list[int], list[int], list[int]]:
    """The columns of qualitykernel.COLUMNS that are signals as they are (words, sentences,
    stop words), and those RATIOS divide, numerators and denominators."""
    from dataset_builder.stages.qualitykernel import COLUMNS

    return (
        [COLUMNS.index(name) for name in ("words", "sentences", "stop_words")],
        [COLUMNS.index(part) for part, _ in RATIOS.values()],
        [COLUMNS.index(whole) for _, whole in RATIOS.values()],
    )


@cache
def stop_range(language: str) -> tuple[int, int]:
    """The range of `stop_variants` the kernel looks up for `language` (-1, -1: none)."""
    return stop_variants().ranges.get(base_language(language), (-1, -1))


@dataclass(frozen=True)
class StopVariants:
    """The stop words looked up among a text's words (not as substrings), for the kernel: each
    in the three forms `stop_words` accepts, their code points `cps[bounds[v]:bounds[v + 1]]`,
    `word[v]` the stop word variant `v` is a form of (its index in its list), `ranges` each
    language's variants."""

    cps: np.ndarray
    bounds: np.ndarray
    word: np.ndarray
    ranges: dict[str, tuple[int, int]]


@cache
def stop_variants() -> StopVariants:
    variants: list[str] = []
    word: list[int] = []
    ranges: dict[str, tuple[int, int]] = {}
    for language, listed in STOP_WORDS.items():
        if language in SUBSTRING_STOP_WORDS:
            continue
        first = len(variants)
        for index, stop in enumerate(listed):
            forms = dict.fromkeys((stop, stop.capitalize(), stop.upper()))
            variants += forms
            word += [index] * len(forms)
        ranges[language] = (first, len(variants))
    cps = np.frombuffer("".join(variants).encode("utf-32-le"), dtype=np.uint32)
    bounds = np.concatenate([[0], np.cumsum([len(v) for v in variants])]).astype(np.int64)
    return StopVariants(cps, bounds, np.array(word, dtype=np.int64), ranges)


@cache
def char_classes() -> np.ndarray:
    """For each code point, the qualitykernel bits of the classes it is in, found by the very
    patterns and sets the interpreted signals use (so `\\w` and `\\s` are this Python's
    Unicode tables): the kernel looks a character up instead of matching it. ~0.1 s."""
    from dataset_builder.stages import qualitykernel as k

    every = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    table = np.zeros(0x110000, dtype=np.uint16)
    for pattern, bit in (
        (r"\w+", k.WORD_CHAR),
        (r"\s+", k.SPACE),
        (f"{CHARACTER_WORD}+", k.CHARACTER_WORD_CHAR),
        (f"{HAS_THAI.pattern}+", k.THAI_CHAR),
    ):
        for run in re.finditer(pattern, every):
            table[run.start() : run.end()] |= bit
    for chars, bit in (
        (END_PUNCT, k.END_PUNCT_CHAR),
        (BULLETS, k.BULLET_CHAR),
        (".!?…。！？", k.SENTENCE_END_CHAR),
    ):
        table[[ord(c) for c in chars]] |= bit
    table[(table & k.WORD_CHAR > 0) & (table & k.CHARACTER_WORD_CHAR == 0)] |= k.RUN_CHAR
    table[[ord(c) for c in "\n#.!?…。！？"]] |= k.SLOW_CHAR
    return table


def failures(values: dict[str, Any], bounds: Sequence[Bound], language: str) -> list[str]:
    """Each bound the record's signals break, in words: the signal, its value, the bound."""
    found = []
    for bound in bounds:
        value = values[bound.signal]
        if value is None:
            continue
        name = bound.signal
        if bound.minimum is not None and value < bound.minimum:
            found.append(f"{name} = {value:.6g} is below quality.min.{name} = {bound.minimum:g}")
        if bound.maximum is not None and value > bound.maximum:
            found.append(f"{name} = {value:.6g} is above quality.max.{name} = {bound.maximum:g}")
    return [f"{text} (language {language})" for text in found]
