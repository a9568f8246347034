"""Saved web pages: the main article text and its metadata, found with trafilatura.

trafilatura finds the article; this module adds what it leaves to its caller. Each step is
measured in bench/html_extraction.py on three benchmarks with gold (Zyte, WCXB and a Chinese
set), and none of them knows about a particular site:

- bytes are decoded in `pagetext.py`: BOM, valid UTF-8, the declared charset, then
  detection among web encodings with a tie-break by language (trafilatura's own guess reads
  most undeclared windows-1252 pages in Spanish as windows-1250 or a DOS code page); a page
  with a few broken bytes is read past them, one that is no text is rejected;
- comments are not article text, and trafilatura's precision mode keeps less page furniture;
  when that mode keeps almost nothing, the default mode's text is used instead;
- an article body split into blocks that share one class (an ad slot between each) is
  joined: trafilatura reads the first block only;
- lines trafilatura keeps that are page furniture are dropped (`furniture.py`);
- the title, authors and date are checked against what the page shows (`metadata.py`).
"""

from __future__ import annotations

import codecs
import re
from copy import deepcopy
from dataclasses import dataclass

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Document

from dataset_builder.records import Record, Rejection
from dataset_builder.stages.clean import normalize_text
from dataset_builder.stages.furniture import strip_furniture
from dataset_builder.stages.metadata import article_authors, article_title, shown_date
from dataset_builder.stages.pagetext import UndecodablePage, decode_html, parse_html
from dataset_builder.stages.publisher import site_of


@dataclass(frozen=True)
class HtmlArticle:
    text: str  # paragraphs separated by blank lines
    title: str | None
    authors: list[str]
    published: str | None  # ISO date, as trafilatura (htmldate) finds it
    source: str | None  # the site's name, else its host name
    url: str | None  # the canonical URL if the page declares one, else the URL given
    language: str | None  # as the page declares it, written as a BCP 47 tag; not detected
    encoding: str  # what the page's bytes were decoded with (decode.py)


# The steps extract_article adds to trafilatura, by name: bench/html_extraction.py leaves
# each out in turn to show what it is worth.
STEPS = ("fallback", "split body", "head", "teasers", "tail")


def extract_article(
    data: bytes, url: str | None = None, skip: frozenset[str] = frozenset()
) -> HtmlArticle | None:
    """The main article of one saved page (HTML bytes), or None when it has no article text;
    UndecodablePage when its bytes are not text. `skip` names steps to leave out (`STEPS`),
    for measuring them."""
    decoded = decode_html(data)
    tree = parse_html(decoded.text)
    if tree is None:
        return None
    document = run_trafilatura(tree, url, precision=False, metadata=True)
    if document is None:
        return None
    text = main_text(tree, url, document.text or "", skip)
    lines = strip_furniture(text, document.title, document.author, skip)
    if not looks_like_article(tree, lines):
        return None
    host = document.hostname or site_of(url)
    return HtmlArticle(
        text=normalize_text("\n\n".join(lines)),
        title=article_title(tree, document.title, document.sitename, host, document.url or url),
        authors=article_authors(tree, document.author, document.sitename, host),
        published=shown_date(tree) or document.date or None,
        source=document.sitename or document.hostname or None,
        url=document.url or url,
        language=declared_language(tree),
        encoding=decoded.encoding,
    )


# Less text than this is a notice ("Page not found"), not an article.
MIN_ARTICLE_CHARS = 100
# More of the text than this in lines that are the text of a link: a home page or an index,
# whose headlines trafilatura's fallbacks return. Articles here have at most 18 %.
MAX_LINKED_SHARE = 0.5


def looks_like_article(tree: HtmlElement, lines: list[str]) -> bool:
    size = sum(len(line) for line in lines)
    if size < MIN_ARTICLE_CHARS:
        return False
    anchors = {" ".join(a.text_content().split()) for a in tree.iter("a")}
    linked = sum(len(line) for line in lines if line.lstrip("-•* ") in anchors)
    return linked <= MAX_LINKED_SHARE * size


# --- trafilatura -----------------------------------------------------------------------------

# htmldate rejects dates after `max_date`, today by default: with a fixed bound a page gets
# the same date whatever day it is read on.
DATE_PARAMS = {"original_date": True, "extensive_search": True, "max_date": "2099-12-31"}
# Precision mode sometimes settles on a small block (a reprint notice) and keeps almost
# nothing: below this share of the default mode's text, the default mode's text is used.
FALLBACK_SHARE = 0.2


def run_trafilatura(
    tree: HtmlElement, url: str | None, precision: bool, metadata: bool = False
) -> Document | None:
    """One trafilatura run, comments left out. trafilatura works on a copy of a parsed tree,
    so one parse serves every run."""
    document = bare_extraction(
        tree,
        url=url,
        favor_precision=precision,
        include_comments=False,
        with_metadata=metadata,
        date_extraction_params=DATE_PARAMS,
    )
    return document if isinstance(document, Document) else None


def main_text(tree: HtmlElement, url: str | None, default_text: str, skip: frozenset[str]) -> str:
    """Precision mode's text, unless it keeps too little of the default mode's; with the
    blocks of a split article body joined."""
    precise = run_trafilatura(tree, url, precision=True)
    precision = precise is not None and ("fallback" in skip or keeps_enough(precise.text or "", default_text))
    text = (precise.text if precise is not None and precision else default_text) or ""
    merged = None if "split body" in skip else merge_split_body(tree, text)
    if merged is not None:
        joined = run_trafilatura(merged, url, precision=precision)
        if joined is not None and len(joined.text or "") > len(text):
            return joined.text or ""
    return text


def keeps_enough(precise_text: str, default_text: str) -> bool:
    return len(precise_text) >= FALLBACK_SHARE * len(default_text)


LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*", re.IGNORECASE)


def declared_language(tree: HtmlElement) -> str | None:
    """<html lang>, else the Content-Language or og:locale meta tag, as a BCP 47 tag."""
    root = tree.getroottree().getroot()
    candidates = [root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for meta in tree.iter("meta"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in ("content-language", "og:locale"):
            candidates.append(meta.get("content"))
    for value in candidates:
        tag = (value or "").split(",")[0].strip().replace("_", "-")
        if LANGUAGE_TAG.fullmatch(tag) and not names_charset(tag):
            return _bcp47_case(tag)
    return None


def names_charset(tag: str) -> bool:
    """A charset written where a language goes (`<meta http-equiv="Content-Language"
    content="utf-8">`, on one of the Chinese benchmark's pages), which the tag pattern
    alone takes for utf with a subtag 8. Only tags with a subtag: `hz` is Herero as well
    as a codec."""
    try:
        codecs.lookup(tag)
    except LookupError:
        return False
    return "-" in tag


# Deprecated ISO 639 codes and their IANA preferred values (pages still write `iw`), and
# the tags that say "no language in particular".
PREFERRED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
NO_LANGUAGE = frozenset({"und", "mul", "zxx"})


def primary_language(tag: str | None) -> str | None:
    """A declared BCP 47 tag's primary subtag, lower case (pt-BR -> pt, zh-Hant-TW -> zh),
    the record's `declared_language`: the script and region are left out because
    langdetect's labels have none to compare them with but Chinese's (zh-cn, zh-tw), and a
    zh-TW page may be written in either script. None for und, mul and zxx."""
    primary = (tag or "").split("-")[0].lower()
    primary = PREFERRED.get(primary, primary)
    return primary if primary and primary not in NO_LANGUAGE else None


def _bcp47_case(tag: str) -> str:
    """en-us -> en-US, zh-hant-tw -> zh-Hant-TW."""
    primary, *rest = tag.split("-")
    subtags = [primary.lower()]
    for part in rest:
        if len(part) == 2 and part.isalpha():
            subtags.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            subtags.append(part.title())
        else:
            subtags.append(part.lower())
    return "-".join(subtags)


# --- an article body split into blocks ----------------------------------------------------------

# Blocks that repeat the article block's class are more of the article only when they hold
# this much prose trafilatura did not keep: less is a widget that happens to share it.
SPLIT_MIN_CHARS = 1000
SPLIT_MIN_SHARE = 0.3  # of the text kept


def merge_split_body(tree: HtmlElement, text: str) -> HtmlElement | None:
    """A copy of the tree with the article's blocks joined into the first one, or None when
    the article is not split.

    trafilatura's block is the closest common ancestor of the paragraphs it kept, or one of
    that ancestor's two parents; the other blocks are elements of the same tag and class
    under the block's great-grandparent."""
    kept = {" ".join(line.split()) for line in text.split("\n") if len(line) > 30}
    paragraphs = [p for p in tree.iter("p") if _squashed(p) in kept]
    if len(paragraphs) < 2:
        return None
    block = _common_ancestor(paragraphs)
    for _ in range(3):
        if block is None or block.tag in ("body", "html"):
            return None
        others = _same_class_blocks(block)
        if others:
            new = sum(len(t) for other in others for p in other.iter("p") if (t := _squashed(p)) not in kept)
            if new < max(SPLIT_MIN_CHARS, SPLIT_MIN_SHARE * len(text)):
                return None
            return _joined(tree, [block, *others])
        block = block.getparent()
    return None


def _squashed(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _common_ancestor(elements: list[HtmlElement]) -> HtmlElement | None:
    lineages = [[*reversed(list(element.iterancestors())), element] for element in elements]
    common = None
    for level in zip(*lineages, strict=False):
        if any(node is not level[0] for node in level):
            break
        common = level[0]
    return common


def _same_class_blocks(block: HtmlElement) -> list[HtmlElement]:
    """Elements with the block's tag and class near it, none inside another or the block."""
    css = block.get("class")
    if not css:
        return []
    scope = block
    for _ in range(3):
        scope = scope.getparent() if scope.getparent() is not None else scope
    found: list[HtmlElement] = []
    for element in scope.iter(block.tag):
        if element is block or element.get("class") != css:
            continue
        ancestors = set(element.iterancestors())
        nested = block in ancestors or element in set(block.iterancestors())
        if not nested and not any(other in ancestors for other in found):
            found.append(element)
    return found


def _joined(tree: HtmlElement, blocks: list[HtmlElement]) -> HtmlElement:
    """A copy of the tree in which the blocks' children all sit in the first block, in
    document order."""
    paths = sorted(_path(block) for block in blocks)
    copy = deepcopy(tree)
    first, *rest = [_follow(copy, path) for path in paths]
    for block in rest:
        for child in list(block):
            first.append(child)
    return copy


def _path(element: HtmlElement) -> list[int]:
    """Child indexes from the root down to the element; their order is document order."""
    path = []
    parent = element.getparent()
    while parent is not None:
        path.append(parent.index(element))
        element, parent = parent, parent.getparent()
    return path[::-1]


def _follow(root: HtmlElement, path: list[int]) -> HtmlElement:
    for index in path:
        root = root[index]
    return root


def html_record(raw: Record) -> Record | Rejection:
    """A saved page (`raw["html"]`, bytes) as an article record, or why it holds none. Runs
    in the per-record stage, in workers: extraction is the costly part of reading HTML."""
    page: bytes = raw.pop("html")
    try:
        article = extract_article(page, raw.get("url"))
    except UndecodablePage as error:
        return Rejection.of(raw, "decode", str(error))
    if article is None:
        return Rejection.of(raw, "no-article", "no article text found in the page")
    metadata = {k: v for k, v in vars(article).items() if k not in ("language", "encoding") and v}
    declared = primary_language(article.language)
    return {**raw, **metadata, "declared_language": declared, "raw_encoding": article.encoding}
