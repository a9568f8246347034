"""Encodings: every file decoded right or rejected, never silently garbled."""

from __future__ import annotations

import codecs

import pytest

from dataset_builder.stages.decode import REPLACED, Decoded, decode

CHINESE = "人工智能的发展不仅仅是创造最复杂的模型，其主要目的是促进人工智能应用的广泛采用，造福社会。"
TRADITIONAL = "人工智慧的發展不僅僅是創造最複雜的模型，其主要目的是促進人工智慧應用的廣泛採用。"
JAPANESE = "人工知能の開発は、最も高度なモデルを作ることだけではありません。"
SPANISH = "El desarrollo de la inteligencia artificial no consiste sólo en crear modelos. Niño, año, corazón."
FRENCH = "Le développement de l'intelligence artificielle — « déjà » — concerne l'élève et le garçon."
BINARY = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (CHINESE, "gbk", "gb18030"),  # GB18030 is a superset of GBK
        (CHINESE, "gb18030", "gb18030"),
        (TRADITIONAL, "big5", "big5hkscs"),  # Big5-HKSCS is the superset browsers use
        (JAPANESE, "shift_jis", "cp932"),  # cp932 is Microsoft's superset of Shift-JIS
        (SPANISH, "latin-1", "cp1252"),
        (SPANISH + " “comillas”", "cp1252", "cp1252"),
        (FRENCH, "cp1252", "cp1252"),
        ("ok\nNiño", "latin-1", "cp1252"),  # short texts fool charset detectors; see decode.py
        ("Sólo el niño comió pan en la mañana con su mamá y su papá.", "cp1252", "cp1252"),
        ("Новости", "cp1251", "cp1251"),  # a non-Latin script is recognised even in a word
        ("Новости дня: правительство объявило о новых мерах.", "koi8_r", ("koi8_r", "koi8_u")),  # same text
        ("Příliš žluťoučký kůň úpěl ďábelské ódy, říká se v Česku každé dítě.", "cp1250", "cp1250"),
    ],
)
def test_legacy_encodings_decode_to_the_original_text(text, encoding, expected):
    decoded = decode(text.encode(encoding), "cp1252", replace=False)
    assert isinstance(decoded, Decoded) and decoded.text == text
    assert decoded.encoding in ((expected,) if isinstance(expected, str) else expected)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + SPANISH.encode(), "utf-8-sig"),
        (SPANISH.encode("utf-16"), "utf-16"),  # Python writes a BOM
        (codecs.BOM_UTF16_BE + CHINESE.encode("utf-16-be"), "utf-16"),
        (JAPANESE.encode("utf-32"), "utf-32"),
        (CHINESE.encode(), "utf-8"),
    ],
)
def test_unicode_encodings_are_decided_by_bom_or_utf8(data, encoding):
    decoded = decode(data, "cp1252", replace=False)
    assert isinstance(decoded, Decoded) and decoded.encoding == encoding
    assert decoded.text in (SPANISH, CHINESE, JAPANESE)


def test_binary_is_rejected_or_replaced_as_configured():
    assert isinstance(decode(BINARY, "cp1252", replace=False), UnicodeDecodeError)
    replaced = decode(BINARY, "cp1252", replace=True)
    assert replaced.encoding == REPLACED and "\ufffd" in replaced.text


def test_without_a_fallback_text_too_short_to_place_is_rejected():
    assert isinstance(decode("ok\nNiño".encode("latin-1"), None, replace=False), UnicodeDecodeError)


def test_a_declared_charset_comes_before_detection():
    assert decode(SPANISH.encode("cp1252"), "cp1252", replace=False, declared="cp1250").encoding == "cp1250"


def test_a_broken_bom_file_is_an_error_not_a_guess():
    assert isinstance(decode(codecs.BOM_UTF8 + b"caf\xe9", "cp1252", replace=False), UnicodeDecodeError)
