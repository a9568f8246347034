"""Unicode scripts, for the two things near-duplicate detection must know about a text.

1. Which characters belong to a script written without spaces between words (Han,
   Hiragana and Katakana, Hangul, Thai, Lao, Khmer, Myanmar). `minhash.tokens` makes each
   of them a token of its own: a Chinese or Japanese paragraph has no spaces, so as a
   "word" it is one token and its copies cannot be told apart from unrelated texts.
   Hangul is written with spaces, but its words carry particles and endings
   (정부는/정부가/정부의), so one edited ending changes a whole word; as characters,
   Korean copies score like Chinese ones (bench/near_dup_eval.py).
2. Which script a text is mostly written in, so that the datasheet and report can say how
   many records of each script were compared and how many near-duplicates each had.

The ranges are the Unicode blocks of each script (Unicode 15), not the Scripts.txt
property, which the standard library does not expose: what matters is that the letters
of running text fall in them, and that punctuation (U+3000–U+303F, U+30FB, full-width
forms) does not.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

HAN = (
    "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
KANA = "\u3041-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f\U0001b000-\U0001b16f"
HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff\uffa0-\uffdc"
THAI = "\u0e00-\u0e7f"
LAO = "\u0e80-\u0eff"
KHMER = "\u1780-\u17ff\u19e0-\u19ff"
MYANMAR = "\u1000-\u109f\ua9e0-\ua9ff\uaa60-\uaa7f"
UNSPACED = HAN + KANA + HANGUL + THAI + LAO + KHMER + MYANMAR
ASTRAL = ("\U0001b000-\U0001b16f", "\U00020000-\U0003134f")  # Kana supplement, Han extensions B-G

UNSPACED_CHAR = re.compile(f"[{UNSPACED}]")
# has_unspaced's first look: a class without astral ranges is searched twice as fast.
UNSPACED_OR_ASTRAL = re.compile(
    f"[{UNSPACED.replace(ASTRAL[0], '').replace(ASTRAL[1], '')}\U00010000-\U0010ffff]"
)
# Punctuation that CJK sites write either way, folded to one form (after NFKC, which
# already folds full-width and half-width forms): exact and near dedup both use it.
VARIANTS = {"「": "“", "」": "”", "『": "‘", "』": "’", "〜": "~", "―": "—", "・": "·", "⋯": "..."}
VARIANT = re.compile("|".join(VARIANTS))


def fold_punctuation(text: str) -> str:
    """`VARIANTS` replaced: a scan in C, a Python call only where one occurs."""
    return VARIANT.sub(lambda found: VARIANTS[found.group()], text)


# Scripts whose letters are counted to name a text's script. Han and Kana are counted
# apart and then joined: a text with Kana is Japanese, one with Han alone is Chinese.
LETTERS = {
    "Latin": "a-zA-Z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff",
    "Han": HAN,
    "Kana": KANA,
    "Hangul": HANGUL,
    "Thai": THAI,
    "Lao": LAO,
    "Khmer": KHMER,
    "Myanmar": MYANMAR,
    "Cyrillic": "\u0400-\u052f",
    "Greek": "\u0370-\u03ff\u1f00-\u1fff",
    "Arabic": "\u0600-\u06ff\u0750-\u077f",
    "Hebrew": "\u0590-\u05ff",
    "Devanagari": "\u0900-\u097f",
}
NAMES = list(LETTERS)
SAMPLE = 2000  # characters looked at: a text's script is clear long before its end
KANA_SHARE = 0.05  # of Han + Kana letters: Japanese (Chinese has none; Japanese ~50 %)
NO_SCRIPT = "none"
OTHER = "other"
ASCII_LETTER = re.compile(r"[a-zA-Z]")


def code_point_ranges() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`LETTERS` as sorted, disjoint code point ranges: starts, ends, index in `NAMES`."""
    found = []
    for index, ranges in enumerate(LETTERS.values()):
        for match in re.finditer(r"(.)-(.)|(.)", ranges, re.DOTALL):
            low, high, single = match.groups()
            start, end = (ord(low), ord(high)) if single is None else (ord(single), ord(single))
            found.append((start, end, index))
    found.sort()
    return tuple(np.array(column, dtype=np.int64) for column in zip(*found, strict=True))  # type: ignore[return-value]


STARTS, ENDS, SCRIPT_INDEX = code_point_ranges()


SPACE, WORD, ALONE, MARK = 0, 1, 2, 3  # what a character is in a text with an unspaced script


@cache
def basic_plane_classes() -> np.ndarray:
    """Per code point of the Basic Multilingual Plane: ALONE for unspaced letters (each a
    token), SPACE for white space, MARK for the punctuation and symbols of ASCII, of CJK
    (U+3000–U+303F) and of the full-width forms (a token beside an unspaced letter,
    elsewhere a separator: `minhash.MixedTokens`), WORD for the rest —
    ASCII letters and digits and every other character, whose runs are words. Outside
    unspaced text these are the plain path's tokens (`minhash.TOKEN`: ASCII letters and
    digits and all non-ASCII bytes), so one Chinese name in an English article changes the
    tokens next to it, not all of them. Built once, in ~0.1 s, when the first such text
    comes."""
    classes = np.full(0x10000, WORD, dtype=np.uint8)
    for point in range(0x10000):
        char = chr(point)
        if char.isspace():
            classes[point] = SPACE
        elif (point < 0x80 or 0x3000 <= point <= 0x303F or 0xFF00 <= point <= 0xFFEF) and not char.isalnum():
            classes[point] = MARK
    for match in re.finditer(r"(.)-(.)|(.)", UNSPACED, re.DOTALL):
        low, high, single = match.groups()
        start, end = (ord(low), ord(high)) if single is None else (ord(single), ord(single))
        classes[start : min(end, 0xFFFF) + 1] = ALONE
    return classes


def has_unspaced(text: str) -> bool:
    """Whether any character of `text` belongs to a script written without spaces."""
    if text.isascii():
        return False
    found = UNSPACED_OR_ASTRAL.search(text)
    while found is not None:  # past the basic plane (emoji, mostly), the full class decides
        if ord(found.group()) < 0x10000 or UNSPACED_CHAR.match(found.group()):
            return True
        found = UNSPACED_OR_ASTRAL.search(text, found.end())
    return False


def script_of(text: str) -> str:
    """The script most of the text's letters are written in, by name: Latin, Han (Chinese),
    Japanese (Han with Kana), Hangul, Thai, Lao, Khmer, Myanmar, Cyrillic, Greek, Arabic,
    Hebrew, Devanagari; "other" for letters of any other script, "none" without letters.
    Only the first `SAMPLE` characters are read, as code points in numpy (one regex per
    script cost ~0.3 ms a text, as much as its MinHash signature)."""
    sample = text[:SAMPLE]
    if sample.isascii():
        return "Latin" if ASCII_LETTER.search(sample) else NO_SCRIPT
    points = np.frombuffer(sample.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    at = np.searchsorted(STARTS, points, side="right") - 1
    inside = (at >= 0) & (points <= ENDS[np.maximum(at, 0)])
    counts = dict(
        zip(NAMES, np.bincount(SCRIPT_INDEX[at[inside]], minlength=len(NAMES)).tolist(), strict=True)
    )
    han, kana = counts.pop("Han"), counts.pop("Kana")
    counts["Japanese" if kana > KANA_SHARE * (han + kana) else "Han"] = han + kana
    name, count = max(counts.items(), key=lambda item: item[1])
    if count:
        return name
    return OTHER if any(c.isalpha() for c in sample) else NO_SCRIPT
