"""Bytes to text: which encoding a file is in, decided the same way every time.

1. A byte-order mark decides (UTF-8, UTF-16, UTF-32).
2. Strict UTF-8.
3. charset-normalizer's choice, but only when it is a multi-byte East Asian encoding
   (GB18030, Big5, Shift-JIS, EUC-KR, ...) and the text it gives is mostly CJK: these
   encodings reject random byte sequences, so a clean decode is strong evidence.
   Measured here, charset-normalizer 3.5 names cp1250 for Spanish CP1252 text and big5
   for Spanish Latin-1 text, so it is not trusted for single-byte encodings.
4. The configured fallback (default cp1252: the WHATWG Encoding Standard maps every
   "latin-1" label to it, as browsers do), unless the result is mostly control
   characters, i.e. binary.
5. Otherwise undecodable: the caller rejects the record, or decodes UTF-8 with
   replacement characters when the config says so.
"""

from __future__ import annotations

import codecs
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
    "shift_jisx0213",
    "cp932",
    "euc_jp",
    "euc_jis_2004",
    "euc_jisx0213",
    "iso2022_jp",
    "euc_kr",
    "cp949",
    "johab",
    "iso2022_kr",
}
MAX_CHAOS = 0.1
MIN_CJK_SHARE = 0.3
MAX_CONTROL_SHARE = 0.01
REPLACED = "utf-8 (undecodable bytes replaced)"
NEWLINE = b"\n"


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def bom_encoding(data: bytes) -> str | None:
    return next((name for bom, name in BOMS if data.startswith(bom)), None)


def decode(data: bytes, fallback: str | None, replace: bool) -> Decoded | UnicodeDecodeError:
    """The text of `data` and the encoding used, or the UTF-8 error when nothing fits."""
    declared = bom_encoding(data)
    if declared:
        try:
            return Decoded(data.decode(declared), declared)
        except UnicodeDecodeError as exc:
            return exc
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        error = exc
    guess = charset_normalizer.from_bytes(data).best()
    if guess is not None and guess.encoding in EAST_ASIAN and guess.chaos <= MAX_CHAOS:
        text = str(guess)
        if cjk_share(text) >= MIN_CJK_SHARE:
            return Decoded(text, guess.encoding)
    if fallback:
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            pass
        else:
            if control_share(text) <= MAX_CONTROL_SHARE:
                return Decoded(text, fallback)
    if replace:
        return Decoded(data.decode("utf-8", errors="replace"), REPLACED)
    return error


def cjk_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    cjk = sum(
        1 for c in letters if unicodedata.name(c, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))
    )
    return cjk / len(letters) if letters else 0.0


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
