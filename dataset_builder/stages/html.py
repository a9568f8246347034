"""Saved web pages: the main article text and its metadata, found with trafilatura.

trafilatura finds the article; this module adds what it leaves to its caller. Each step is
measured in bench/html_extraction.py on the Zyte article-extraction benchmark, and none of
them knows about a particular site:

- bytes are decoded here: BOM, valid UTF-8, the declared charset, then detection among web
  encodings with a tie-break by language. trafilatura's own guess reads most undeclared
  windows-1252 pages in Spanish as windows-1250 or a DOS code page;
- comments are not article text, and trafilatura's precision mode keeps less page furniture;
  when that mode keeps almost nothing, the default mode's text is used instead;
- an article body split into blocks that share one class (an ad slot between each) is
  joined: trafilatura reads the first block only;
- lines trafilatura keeps that are page furniture are dropped: the headline, date and
  byline on top (they are metadata here), teaser links, and the credits, follow and
  newsletter prompts, tag and comment headers at the end.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Document
from trafilatura.utils import load_html

from dataset_builder.records import Record, Rejection
from dataset_builder.stages.clean import normalize_text
from dataset_builder.stages.decode import Decoded, codec_name, decode


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


def extract_article(data: bytes, url: str | None = None) -> HtmlArticle | None:
    """The main article of one saved page (HTML bytes), or None when it has no article text."""
    decoded = decode_html(data)
    tree = parse_html(decoded.text)
    if tree is None:
        return None
    document = run_trafilatura(tree, url, precision=False, metadata=True)
    if document is None:
        return None
    lines = strip_furniture(main_text(tree, url, document.text or ""), document.title, document.author)
    if not looks_like_article(tree, lines):
        return None
    return HtmlArticle(
        text=normalize_text("\n\n".join(lines)),
        title=document.title or None,
        authors=[name.strip() for name in (document.author or "").split(";") if name.strip()],
        published=document.date or None,
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


def main_text(tree: HtmlElement, url: str | None, default_text: str) -> str:
    """Precision mode's text, unless it keeps too little of the default mode's; with the
    blocks of a split article body joined."""
    precise = run_trafilatura(tree, url, precision=True)
    precision = precise is not None and keeps_enough(precise.text or "", default_text)
    text = (precise.text if precise is not None and precision else default_text) or ""
    merged = merge_split_body(tree, text)
    if merged is not None:
        joined = run_trafilatura(merged, url, precision=precision)
        if joined is not None and len(joined.text or "") > len(text):
            return joined.text or ""
    return text


def keeps_enough(precise_text: str, default_text: str) -> bool:
    return len(precise_text) >= FALLBACK_SHARE * len(default_text)


# --- decoding ------------------------------------------------------------------------------

META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-z0-9._:-]+)""", re.IGNORECASE)
XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]+encoding\s*=\s*["']([a-z0-9._-]+)""", re.IGNORECASE)
XML_DECLARATION = re.compile(r"\s*<\?xml[^>]*\?>")


def decode_html(data: bytes) -> Decoded:
    """Text of a page, by the project's one decoding policy (decode.py) with the charset the
    page declares; a page is never rejected for its bytes, undecodable ones are replaced."""
    decoded = decode(data, "cp1252", replace=True, declared=declared_charset(data))
    assert not isinstance(decoded, UnicodeDecodeError)  # replace=True always decodes
    return decoded


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first 8 KB, as a Python codec name. None when it
    declares none, one Python does not know, or UTF-16/32 (the declaration was readable as
    ASCII, so the page is not in either)."""
    head = data[:8192]
    match = XML_ENCODING.match(head) or META_CHARSET.search(head)
    name = codec_name(match.group(1).decode("ascii")) if match else None
    return None if name is None or name.startswith(("utf-16", "utf-32")) else name


def parse_html(text: str) -> HtmlElement | None:
    """lxml tree of a decoded page. An XML declaration is dropped first: with one, the text
    would be read again as bytes in the declared encoding."""
    return load_html(XML_DECLARATION.sub("", text, count=1))


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
        if LANGUAGE_TAG.fullmatch(tag):
            return _bcp47_case(tag)
    return None


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


# --- page furniture ------------------------------------------------------------------------------


def _rules(*patterns: str) -> re.Pattern[str]:
    """Patterns that must match a whole line, case-insensitively, like the cleaner's rules."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


WORD = re.compile(r"\w+")
SENTENCE_END = re.compile(r"[.!?。！？]\W*$")
SOCIAL = r"(?=.*(?:\b(?:twitter|facebook|instagram|youtube|linkedin|tiktok)\b|@\w|https?://))"

# Anywhere: links to other articles, and headings of the boxes that list them.
TEASER = _rules(
    r"\[?(related|related (posts?|articles?|stories|content|coverage|reading|videos?)|read more|read also"
    r"|also read|read next|see more|see also|more|more on this( story| topic)?|recommended)"
    r"\s?:\s?.{0,200}?\]?",
    r"also on [\w-]+(\.[\w-]+)+\s.{1,200}",
)
WIDGET_HEADING = _rules(
    r"(don'?t miss|you (may|might) (also )?like|most (read|viewed|popular|shared)( in .{1,40})?"
    r"|trending( now)?|editor'?s picks|popular (now|stories|articles)|recommended( for you)?)[:.…!]*",
)
WIDGET_LINES = 5  # headline-like lines a box heading may list (a "Don't miss" box, not a table)
SHORTCODE = re.compile(r"\[[a-z_]+\s+[a-z_-]+=[^\]]*\].*|\[([a-z_]+)\].*\[/\1\]")  # WordPress, leaked
READING_TIME = _rules(
    r"((estimated )?read(ing)? time|tempo de leitura|tiempo de lectura|temps de lecture|lesezeit"
    r"|tempo di lettura)\s?:?\s?\d+\s?\w{0,10}\.?",
    r"\d+\s?min(ute)?s?\.? read",
)

# At the end (see `trim_tail`): what a site puts after its articles.
FOOTER = _rules(
    # credits
    r"\(?((additional|with) )?(reporting|writing|editing|research) by .{1,250}\)?\.?",
    r".{1,200}\b(contributed|contributing) (to this (report|story|article)|reporting|additional reporting)"
    r"( from .{1,80})?\.?",
    r"(compiled|edited|written) by .{1,80}",
    # follow, contact, newsletter and share prompts
    SOCIAL + r".{0,300}\bfollow\b.{0,300}",
    r"(have a (news )?tip|reach (the )?(reporters?|writers?|authors?|him|her|us)|contact (the )?"
    r"(reporters?|writers?|authors?)|e-?mail (the )?(reporters?|writers?|authors?|us|him|her)"
    r"|send (us )?(your )?(news )?tips?)\b.{0,250}",
    r"(e-?mail:?\s*)?[\w.+-]+@[\w-]+(\.[\w-]+)+",
    r"(https?://)?(www\.)?(twitter|x|facebook|instagram|linkedin)\.com/\S+",
    r"@\w+",
    r"(?=.*\b(newsletters?|inbox)\b)"
    r"(.{0,40}|.{0,300}\b(sign(ing)? up|subscrib\w*|delivered|get|receive|join)\b.{0,300})",
    r"(like|enjoy(ed)?|love) this (story|article|post)\?.{0,100}",
    r"if you (enjoyed|liked|like|enjoy) this (article|story|post).{0,300}",
    # comment sections
    r"(\d+\s)?(comments?|responses?|replies|reactions)",
    r"(\d+ )?thoughts? on .{1,200}",
    r"(show|view|load|loading|read|see|add|post|write|leave|join)( all| the| a| your)?"
    r" (comments?|discussion|reply)(\.\.\.|…|!)?",
    r"comments? (are|is) closed\.?|comments? powered by .{1,40}",
    r"(tell|let) us what you think.{0,20}|want to join the discussion\??|feel free to contribute!?",
    r"you must (be )?log(ged)? in to (post|leave) a comment\.?|comment on this (story|article)",
    # labels
    r"(tags?|tagged( with)?|filed under|categories|category|topics?|keywords)\s?:?(\s.{0,300})?",
    r"(source|sources|fonte|fuente|quelle)\s?:\s?.{1,80}",
    r"(last )?updated( on| at)? .{0,40}\d.{0,40}",
    r"(copyright|©).{0,150}",
    r"[\w'’ .-]{1,40}:\s*https?://\S+.{0,40}",
)
TAIL_SLACK_WORDS = 40  # unmatched words a footer line may have below it (a tag list, a blurb)
TAIL_SLACK_LINES = 2

# On top, before the first paragraph: a date or time ("Nov. 20, 2019 - 11:28 AMT", "22 de
# janeiro de 2018 às 0:13", "2019年11月20日") on a short line, and the authors' names.
DATE = re.compile(
    r"\b\d{1,2}:\d{2}\b"
    r"|\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b"
    r"|\b\d{1,2}\.?\s+(de\s+)?[^\W\d_]{3,}\.?,?\s+(de\s+)?\d{4}\b"
    r"|\b[^\W\d_]{3,}\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}\b"
    r"|\d{4}年\d{1,2}月\d{1,2}日"
)
BYLINE_WORDS = {"by", "and", "por", "y", "e", "von", "und", "par", "et", "di", "przez", "i"}
HEAD_LINES = 4  # a headline, a standfirst, a date and a byline at most


def strip_furniture(text: str, title: str | None, author: str | None) -> list[str]:
    """The article's paragraphs, without the page furniture trafilatura kept with them."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = trim_head([line for line in lines if line], title, author)
    return trim_tail(drop_teasers(lines))


def _words(line: str) -> list[str]:
    return WORD.findall(line.lower())


def trim_head(lines: list[str], title: str | None, author: str | None) -> list[str]:
    """Drop leading lines that repeat the title, or are a date, a byline or a reading time;
    the last line is kept."""
    title_words = _words(title or "")
    author_words = set(_words(author or ""))
    start = 0
    while start < min(HEAD_LINES, len(lines) - 1):
        line, words = lines[start], _words(lines[start])
        if not (
            _repeats_title(words, title_words, author_words)
            or _is_dateline(line, words)
            or _is_byline(words, author_words)
            or READING_TIME.fullmatch(line)
        ):
            break
        start += 1
    return lines[start:]


def _repeats_title(words: list[str], title_words: list[str], author_words: set[str]) -> bool:
    """The line is the title, or its start (a title shown without the site's suffix), or
    the title followed by a few words of byline and date."""
    if len(title_words) < 2 or len(words) < 2:
        return False
    if words == title_words or (len(words) >= 3 and title_words[: len(words)] == words):
        return True
    if words[: len(title_words)] == title_words:
        rest = words[len(title_words) :]
        return sum(1 for w in rest if not w.isdigit() and w not in author_words) <= 6
    return False


def _is_dateline(line: str, words: list[str]) -> bool:
    return len(words) <= 16 and not SENTENCE_END.search(line) and bool(DATE.search(line))


def _is_byline(words: list[str], author_words: set[str]) -> bool:
    """The authors' names (as the page's metadata gives them), with "by" and "and"."""
    return bool(author_words & set(words)) and set(words) <= author_words | BYLINE_WORDS


def drop_teasers(lines: list[str]) -> list[str]:
    """Drop lines that link to other articles, and box headings with the few headline-like
    lines (short, no full stop) listed under them."""
    kept = []
    listed = 0  # headline-like lines still to drop under a box heading
    for line in lines:
        if WIDGET_HEADING.fullmatch(line):
            listed = WIDGET_LINES
        elif listed and len(_words(line)) <= 20 and not SENTENCE_END.search(line):
            listed -= 1
        else:
            listed = 0
            if not (TEASER.fullmatch(line) or SHORTCODE.fullmatch(line) or READING_TIME.fullmatch(line)):
                kept.append(line)
    return kept


def trim_tail(lines: list[str]) -> list[str]:
    """Cut the text at the first of its closing footer lines: a footer line below which there
    are only footer lines and at most a couple of short other lines. The first line is kept."""
    end = len(lines)
    slack_words = slack_lines = 0
    for index in range(len(lines) - 1, 0, -1):
        if FOOTER.fullmatch(lines[index]):
            end, slack_words, slack_lines = index, 0, 0
            continue
        slack_words += len(_words(lines[index]))
        slack_lines += 1
        if slack_words > TAIL_SLACK_WORDS or slack_lines > TAIL_SLACK_LINES:
            break
    return lines[:end]


def html_record(raw: Record) -> Record | Rejection:
    """A saved page (`raw["html"]`, bytes) as an article record, or why it holds none. Runs
    in the per-record stage, in workers: extraction is the costly part of reading HTML."""
    page: bytes = raw.pop("html")
    article = extract_article(page, raw.get("url"))
    if article is None:
        return Rejection.of(raw, "no-article", "no article text found in the page")
    metadata = {k: v for k, v in vars(article).items() if k not in ("language", "encoding") and v}
    return {**raw, **metadata, "raw_encoding": article.encoding}
