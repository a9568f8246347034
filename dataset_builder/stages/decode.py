"""Bytes to text: which encoding a file is in, decided the same way every time.

1. A byte-order mark decides (UTF-8, UTF-16, UTF-32).
2. Strict UTF-8.
3. The charset the file declares, when it has a way to (HTML's <meta charset>).
4. Detection with charset-normalizer, among the encodings web pages are written in; of
   the candidates it scores alike, one usual for the language it reads (measured:
   unrestricted, it reads Spanish windows-1252 as windows-1250 or a DOS code page). It is
   reliable for non-Latin scripts even on one word, not for Latin ones, so a Latin-script
   guess other than the fallback needs a dozen non-ASCII bytes; an East Asian guess must
   give CJK characters in runs (on a few bytes of Latin-1 Spanish charset-normalizer
   guesses Big5, giving lone ones); a single-byte guess must not put letters of another
   script inside Latin words ("Niño" read as windows-1251 is "Niсo"), and a Latin
   reading must not be all accents ("Новости" read as windows-1252 is "Íîâîñòè"). The
   candidates are tried best first until one reads as text.
   Measured on the Zyte pages re-encoded in their script's legacy encoding, undeclared:
   173 of 181 decoded right (trafilatura's own decoding: 81).
5. The configured fallback (default cp1252: the WHATWG Encoding Standard maps every
   "latin-1" label to it, as browsers do), unless the result is mostly control
   characters, i.e. binary.
6. Otherwise undecodable: the caller rejects the record, or decodes UTF-8 with
   replacement characters when the config says so.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import charset_normalizer

BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Labels browsers read as a superset (WHATWG Encoding Standard): a page labelled latin-1
# is in practice windows-1252, and so on.
SUPERSETS = {
    **dict.fromkeys(("ascii", "us-ascii", "latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1"), "cp1252"),
    **dict.fromkeys(("iso-8859-9", "latin5"), "cp1254"),
    **dict.fromkeys(("tis-620", "iso-8859-11"), "cp874"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk"), "gb18030"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji"), "cp932"),
    **dict.fromkeys(("euc-kr", "ks_c_5601-1987"), "cp949"),
    "big5": "big5hkscs",
}
# Encodings web pages are written in (the Encoding Standard's, less the rare ones): DOS
# and Mac code pages score as well as windows-1252 on Western text but are not the web's.
WEB_ENCODINGS = [
    *(f"cp{n}" for n in (1250, 1251, 1252, 1253, 1254, 1255, 1256, 1257, 1258, 874)),
    *(f"iso8859_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
    *("koi8_r", "koi8_u", "cp866", "gb18030", "big5hkscs", "euc_jp", "iso2022_jp", "cp932", "cp949"),
]
EAST_ASIAN = {
    "gb18030",
    "gbk",
    "gb2312",
    "hz",
    "big5",
    "big5hkscs",
    "cp950",
    "shift_jis",
    "shift_jis_2004",
    "cp932",
    "euc_jp",
    "euc_jis_2004",
    "iso2022_jp",
    "euc_kr",
    "cp949",
    "johab",
}
# The legacy encodings texts in a language were mostly written in. They break ties between
# encodings that detection scores alike: Spanish in windows-1250 and -1252 (á, é, í, ó,
# ú and ñ have the same bytes in both), Hungarian in the same two (ő and ű do not).
USUAL_ENCODINGS = {
    **dict.fromkeys(
        ("Croatian", "Czech", "Hungarian", "Polish", "Romanian", "Slovak", "Slovene"), ("cp1250",)
    ),
    **dict.fromkeys(("Bulgarian", "Kazakh", "Serbian"), ("cp1251",)),
    **{"Russian": ("cp1251", "koi8_r", "cp866"), "Ukrainian": ("cp1251", "koi8_u")},
    **dict.fromkeys(("Danish", "Dutch", "English", "Finnish", "French", "German", "Indonesian"), ("cp1252",)),
    **dict.fromkeys(("Italian", "Norwegian", "Portuguese", "Spanish", "Swedish"), ("cp1252",)),
    **dict.fromkeys(("Estonian", "Lithuanian"), ("cp1257",)),
    **{"Greek": ("cp1253",), "Turkish": ("cp1254",), "Hebrew": ("cp1255",), "Arabic": ("cp1256",)},
    **{"Farsi": ("cp1256",), "Vietnamese": ("cp1258",), "Thai": ("cp874",)},
    **{
        "Chinese": ("gb18030", "big5hkscs"),
        "Japanese": ("cp932", "euc_jp", "iso2022_jp"),
        "Korean": ("cp949",),
    },
}
DETECTION_TIE = 0.01  # of charset-normalizer's chaos and coherence scores (0 to 1)
# Single-byte encodings of the Latin script differ from windows-1252 in a few letters only:
# detection needs this many non-ASCII bytes before it may overrule the fallback (measured:
# Spanish and French sentences with up to 11 accented letters are read as windows-1250).
LATIN_VARIANTS = {
    "cp1250",
    "cp1252",
    "cp1254",
    "cp1257",
    "cp1258",
    *(f"iso8859_{n}" for n in (2, 3, 4, 9, 10, 13, 14, 15, 16)),
}
MIN_LATIN_EVIDENCE = 12
MIN_CJK_IN_RUNS = 0.5
MAX_MIXED_SCRIPT = 0.5
MAX_ACCENT_DENSITY = 0.8
WORD = re.compile(r"\w+")
MAX_CONTROL_SHARE = 0.01
REPLACED = "utf-8 (undecodable bytes replaced)"
NEWLINE = b"\n"


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def bom_encoding(data: bytes) -> str | None:
    return next((name for bom, name in BOMS if data.startswith(bom)), None)


def codec_name(label: str) -> str | None:
    """Python's codec for a charset label, as browsers read it; None if unknown."""
    label = label.strip().lower()
    try:
        return codecs.lookup(SUPERSETS.get(label, label)).name
    except LookupError:
        return None


def decode(
    data: bytes, fallback: str | None, replace: bool, declared: str | None = None
) -> Decoded | UnicodeDecodeError:
    """The text of `data` and the encoding used, or the UTF-8 error when nothing fits."""
    bom = bom_encoding(data)
    if bom:
        try:
            return Decoded(data.decode(bom), bom)
        except UnicodeDecodeError as exc:
            return (
                Decoded(data.decode(bom, errors="replace"), f"{bom} (undecodable bytes replaced)")
                if replace
                else exc
            )
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        error = exc
    evidence = sum(b > 127 for b in data)
    guesses = [  # a few accented letters cannot tell windows-1250 from 1252
        g for g in detect(data) if g not in LATIN_VARIANTS or g == fallback or evidence >= MIN_LATIN_EVIDENCE
    ]
    for candidate in (declared, *guesses, fallback):
        if candidate and (decoded := plausible(data, candidate)):
            return decoded
    if replace:
        return Decoded(data.decode("utf-8", errors="replace"), REPLACED)
    return error


def plausible(data: bytes, encoding: str) -> Decoded | None:
    """`data` decoded with `encoding`, if that reads as text in that encoding's script(s),
    with hardly any control characters."""
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    return Decoded(text, encoding) if reads_as_text(text, encoding) else None


def reads_as_text(text: str, encoding: str) -> bool:
    """Text decoded with `encoding` reads as text in that encoding's script(s), with hardly
    any control characters."""
    name = codecs.lookup(encoding).name
    if name in EAST_ASIAN:
        reads = cjk_in_runs(text) >= MIN_CJK_IN_RUNS
    else:
        latin = name not in LATIN_VARIANTS or accent_density(text) <= MAX_ACCENT_DENSITY
        reads = latin and mixed_script_share(text) <= MAX_MIXED_SCRIPT
    return reads and control_share(text) <= MAX_CONTROL_SHARE


def detect(data: bytes) -> list[str]:
    """charset-normalizer's candidates among web encodings, best first; of those it scores
    alike with the best (within DETECTION_TIE), one usual for the language it reads first."""
    matches = list(charset_normalizer.from_bytes(data, cp_isolation=WEB_ENCODINGS))
    if not matches:
        return []
    best = matches[0]
    ranked = [m.encoding for m in matches]
    for match in matches:
        usual = [e for e in USUAL_ENCODINGS.get(best.language, ()) if e in match.could_be_from_charset]
        tied = match.chaos <= best.chaos + DETECTION_TIE and match.coherence >= best.coherence - DETECTION_TIE
        if usual and tied:
            return [usual[0], *(e for e in ranked if e != usual[0])]
    return ranked


def cjk_in_runs(text: str) -> float:
    """Share of the CJK characters that have a CJK neighbour. Chinese or Japanese is written
    in runs; Latin text misread as a two-byte encoding gives lone ones ("Niño" -> "Ni隳")."""
    flags = [is_cjk(c) for c in text]
    cjk = sum(flags)
    if not cjk:
        return 0.0
    paired = sum(
        1
        for i, flag in enumerate(flags)
        if flag and ((i and flags[i - 1]) or (i + 1 < len(flags) and flags[i + 1]))
    )
    return paired / cjk


def is_cjk(char: str) -> bool:
    return not char.isascii() and unicodedata.name(char, "").startswith(
        ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")
    )


def mixed_script_share(text: str) -> float:
    """Of the words with a non-Latin letter, the share that also hold an ASCII letter: words of
    a real Cyrillic or Greek text are written in one script; Spanish misread as windows-1251
    gives words like "Niсo", with a Cyrillic letter inside. (Not for East Asian text, which
    has no spaces between words.)"""
    foreign = [w for w in text.split() if any(is_foreign(c) for c in w)]
    mixed = sum(1 for w in foreign if any(c.isascii() and c.isalpha() for c in w))
    return mixed / len(foreign) if foreign else 0.0


def is_foreign(char: str) -> bool:
    """A letter, mark or digit of a script other than Latin (an Arabic vowel sign counts)."""
    category = unicodedata.category(char)
    if char.isascii() or not (category[0] in "LM" or category == "Nd"):
        return False
    return not unicodedata.name(char, "").startswith(("LATIN", "COMBINING"))


def accent_density(text: str) -> float:
    """Non-ASCII letters among the letters of words that have one. Western words carry an
    accent or two among ASCII letters; Cyrillic or Greek misread as Latin is all accents
    ("Новости" read as windows-1252 is "Íîâîñòè")."""
    words = [w for w in WORD.findall(text) if not w.isascii()]
    letters = sum(1 for w in words for c in w if c.isalpha())
    accented = sum(1 for w in words for c in w if c.isalpha() and not c.isascii())
    return accented / letters if letters else 0.0


def control_share(text: str) -> float:
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r")
    return controls / len(text) if text else 0.0


def describe(data: bytes, error: UnicodeDecodeError, *, line: bool = True) -> str:
    """Where the bytes stop being text: `line 2, byte 15: not valid UTF-8 (0xff)`."""
    where = f"line {data.count(NEWLINE, 0, error.start) + 1}, " if line else ""
    return (
        f"{where}byte {error.start}: not valid {error.encoding.upper()} (0x{data[error.start]:02x}) and no "
        "other encoding fits; convert the file to UTF-8"
    )
