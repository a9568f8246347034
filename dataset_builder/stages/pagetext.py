"""A saved page's bytes as text and as a tree, or why they are neither.

Bytes are decoded by the project's one policy (decode.py) with the charset the page
declares. Saved pages often hold a few broken bytes (a multi-byte character cut in two by a
crawler, a stray byte in a GBK page: 2 of the 69 Chinese benchmark pages decode strictly in
no encoding): such a page is read in the encoding that replaces fewest bytes, if that is
almost none. A page whose bytes no encoding reads (binary data, a corrupt file) is
`UndecodablePage`, which the build rejects with its reason.

Pages saved by crawlers are sometimes wrapped in an element of their own (`<text id=URL
title=...>` around the page, in the Chinese benchmark): trafilatura takes such a document
for something other than HTML, so it is parsed again as a whole HTML document.
"""

from __future__ import annotations

import re

import lxml.html
from lxml.etree import ParserError
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from dataset_builder.stages.decode import Decoded, codec_name, decode, describe, detect, reads_as_text

META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-z0-9._:-]+)""", re.IGNORECASE)
XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]+encoding\s*=\s*["']([a-z0-9._-]+)""", re.IGNORECASE)
XML_DECLARATION = re.compile(r"\s*<\?xml[^>]*\?>")
HTML_TAG = re.compile(r"<(?:html|body|head|div|p|table|td|span|a|h[1-6]|br)\b", re.IGNORECASE)
# Encodings a page with broken bytes is tried in, after the one it declares and detection's:
# UTF-8 and the East Asian ones, whose multi-byte characters a broken byte cuts.
NEARLY_ENCODINGS = ("utf-8", "gb18030", "big5hkscs", "cp932", "cp949", "cp1252")
# Broken bytes a page may have: a handful, or 0.1 % of its characters, not a page in another
# encoding or binary data (whose every reading replaces hundreds).
MAX_REPLACED = 4
MAX_REPLACED_SHARE = 0.001


class UndecodablePage(ValueError):
    """A page whose bytes are not text in any encoding it could be in."""


def decode_html(data: bytes) -> Decoded:
    """Text of a page: decode.py's policy with the declared charset, else, of the readings
    that read as text in their encoding's script, the one that replaces fewest bytes when
    that is a handful; UndecodablePage otherwise."""
    declared = declared_charset(data)
    decoded = decode(data, "cp1252", replace=False, declared=declared)
    if isinstance(decoded, Decoded):
        return decoded
    best: Decoded | None = None
    fewest = len(data) + 1
    for encoding in dict.fromkeys([*([declared] if declared else []), *detect(data), *NEARLY_ENCODINGS]):
        text = data.decode(encoding, errors="replace")
        replaced = text.count("\ufffd")
        if replaced < fewest and reads_as_text(text, encoding):
            best, fewest = Decoded(text, f"{encoding} (undecodable bytes replaced)"), replaced
    if best is not None and fewest <= max(MAX_REPLACED, MAX_REPLACED_SHARE * len(best.text)):
        return best
    raise UndecodablePage(describe(data, decoded, line=False).replace("convert the file", "convert the page"))


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first 8 KB, as a Python codec name. None when it
    declares none, one Python does not know, or UTF-16/32 (the declaration was readable as
    ASCII, so the page is not in either)."""
    head = data[:8192]
    match = XML_ENCODING.match(head) or META_CHARSET.search(head)
    name = codec_name(match.group(1).decode("ascii")) if match else None
    return None if name is None or name.startswith(("utf-16", "utf-32")) else name


def parse_html(text: str) -> HtmlElement | None:
    """lxml tree of a decoded page, None when it is no HTML. An XML declaration is dropped
    first: with one, the text would be read again as bytes in the declared encoding."""
    text = XML_DECLARATION.sub("", text, count=1)
    tree = load_html(text)
    if tree is None and HTML_TAG.search(text):
        try:
            tree = lxml.html.document_fromstring(text)
        except ParserError:
            return None
    return tree
