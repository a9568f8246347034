"""A saved page's title and authors: trafilatura's, checked against what the page shows.

trafilatura takes the title from the page's meta tags first, so it often carries the site's
name (`Machine learning, explained | MIT Sloan`) or is the site's name alone, and it takes
authors from bylines it finds, with what sits beside the name in the page (`Harry
Rabinowitz Tech Reporter`, `CM Craig McCarthy Last updated`) or the site itself (`USA
TODAY`, `Accruent`). Measured in bench/html_extraction.py against the gold titles and
authors of WCXB (English) and the Chinese set; no rule names a site.

- Title: the page's headline (an <h1>) when one shares words with the meta title, else
  the meta title; the meta title when an element of the headline is that beside a label
  or a source link; then without a segment that is the site's name or the section the
  URL files the page under. A title that is the site's name is no title.
- Authors: role words, dates and avatar initials around a name dropped; the site itself,
  labels and fragments are no author. A scholarly page's citation tags first; when
  trafilatura finds no one but the site, a link preview's `Written by`, a labelled byline
  in the page (`By …`, `Written by …`, `Author: …`, `作者：…`, `记者 …`, `本报记者 …`,
  `文/…`), a link to an author's page, an `author-name` element, the name beside the
  dateline's date.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from dataset_builder.stages.header import MONTHS

SEPARATOR = re.compile(r"\s+(?:[|•·:/\\–—-]{1,2}|::)\s+")
MAX_HEADLINE_CHARS = 300


def normal(text: str) -> str:
    """NFKC, case folded, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"\W+", " ", text).split())


def _squashed(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def is_site_name(text: str, site: str | None, host: str | None) -> bool:
    """The text names the site: it is the site's name or host name (`davidbau.com`, `MIT
    Sloan`), or a part of either at least four letters long (`Accruent` on accruent.com)."""
    squashed = normal(text).removeprefix("the ").replace(" ", "")
    if not squashed:
        return True
    names = [normal(site or "").replace(" ", "")]
    if host:
        host = host.removeprefix("www.")
        names += [normal(host).replace(" ", ""), normal(host.rsplit(".", 2)[-2] if "." in host else host)]
    return any(name and (squashed == name or (len(squashed) >= 4 and squashed in name)) for name in names)


# A site's name is a few words: a longer last segment is the title's (`Take care - our team
# at the 2018 fair` on ourteam.example).
MAX_SITE_NAME_WORDS = 4


def names_domain(segment: str, host: str | None) -> bool:
    """A short segment with the domain's name as one of its words: the site's name as the
    page's owner writes it (`Shopify App Store` on apps.shopify.com, `Parkview Health` on
    parkview.com)."""
    words = normal(segment).split()
    label = host.removeprefix("www.").rsplit(".", 2)[-2] if host and "." in host else host
    return bool(label) and len(words) <= MAX_SITE_NAME_WORDS and normal(label or "") in words


def without_site_name(title: str, site: str | None, host: str | None) -> str:
    """The title without a first or last segment (`… | MIT Sloan`) that names the site. Only
    a last one is taken for the site's name by the domain alone: a first one that names it
    is often the title's subject (`Docker Hardened Images: … | Docker`)."""
    parts = SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    if is_site_name(parts[-1], site, host) or names_domain(parts[-1], host):
        return title[: title.rfind(parts[-1])].rstrip(" |•·:/\\–—-") or title
    if is_site_name(parts[0], site, host):
        return title[len(parts[0]) :].lstrip(" |•·:/\\–—-") or title
    return title


# A class blogs and CMSs give the heading of a post (`entry-title`, `post-title`, `title`).
TITLE_CLASS = re.compile(r"\b(?:entry|post|article|page)[-_]?(?:title|headline)\b|^title$", re.IGNORECASE)
# A byline or date a headline element holds after the headline itself.
HEADLINE_TAIL = re.compile(r"\s+(?:posted|published|updated|written)\s+(?:on|by)\b.*$", re.IGNORECASE)


def headlines(tree: HtmlElement) -> list[str]:
    """The page's <h1> texts, then those of headings whose class says they are a post's."""
    found = [_squashed(h) for h in tree.iter("h1")]
    found += [_squashed(h) for h in tree.iter("h2", "h3") if TITLE_CLASS.search(h.get("class") or "")]
    return [HEADLINE_TAIL.sub("", text) for text in found if 0 < len(text) <= MAX_HEADLINE_CHARS]


def article_title(
    tree: HtmlElement, title: str | None, site: str | None, host: str | None, url: str | None = None
) -> str | None:
    """The headline the page shows that shares most words with the meta title, else the
    meta title; without the site's name, nor the section the URL files it under. A headline
    that holds the meta title in one of its elements beside others (a label, a kicker, a
    source link) is the meta title; a heading that is the meta title's first segment is the
    title. trafilatura sometimes takes the whole meta title for the site's name (`Title -
    Site`): then only the host name tells the site."""
    if site and title and normal(title) in normal(site):
        site = None
    meta = without_site_name(title, site, host) if title else ""
    if is_site_name(meta, site, host):
        meta = ""
    if meta and any(shown_apart(h, meta) for h in tree.iter("h1")):
        return without_section(meta, url)
    if shown := shown_first_segment(tree, meta):
        return without_section(shown, url)
    meta_words = set(normal(meta).split())
    candidates = [h for h in headlines(tree) if not is_site_name(h, site, host)]
    best, shared = None, 0.0
    for headline in candidates:
        words = set(normal(headline).split())
        share = len(words & meta_words) / len(words | meta_words)
        if share > shared:
            best, shared = headline, share
    if best is None and not meta and candidates:
        best = candidates[0]
    found = without_site_name(best, site, host) if best else meta
    return without_section(found, url) or None


def shown_first_segment(tree: HtmlElement, meta: str) -> str | None:
    """The meta title's first segment when a heading of the page (<h1>, <h2>) is just that:
    the rest is a name the site goes by (`What do people love about Rust? | Rust Blog`),
    and a heading that only shares words with the meta title (an <h1> in the post's body)
    is not the title."""
    first = SEPARATOR.split(meta)[0]
    if first == meta:
        return None
    return first if any(normal(_squashed(h)) == normal(first) for h in tree.iter("h1", "h2")) else None


def shown_apart(headline: HtmlElement, meta: str) -> bool:
    """The headline's own text, or one element in it, is the meta title, and the headline
    shows more (a label, a kicker, a source link): `<h1><span class="descriptor">Title:</span>
    A study</h1>`, `<h1><a>Grads find jobs scarce</a> <span>(paper.example)</span></h1>`."""
    wanted = normal(meta)
    if normal(_squashed(headline)) == wanted:
        return False
    own = " ".join(filter(None, [headline.text, *(child.tail for child in headline)]))
    return any(normal(part) == wanted for part in [own, *(_squashed(e) for e in headline.iterdescendants())])


def without_section(title: str, url: str | None) -> str:
    """The title without a last segment that names a folder of the URL's path: the section
    the page is filed under (`… | Opinion` at /story/opinion/…)."""
    parts = SEPARATOR.split(title)
    folders = {normal(folder) for folder in urlsplit(url or "").path.split("/")[:-1] if folder}
    if len(parts) < 2 or normal(parts[-1]) not in folders:
        return title
    return title[: title.rfind(parts[-1])].rstrip(" |•·:/\\–—-") or title


# --- authors -----------------------------------------------------------------------------------

# Words that say what a person does, written beside their name in bylines.
ROLES = {
    "author", "editor", "writer", "reporter", "correspondent", "columnist", "contributor",
    "journalist", "founder", "co", "ceo", "staff", "senior", "contributing", "trending", "tech",
    "expert", "head", "chief", "managing", "associate", "digital", "security", "producer",
    "updated", "last", "published", "posted", "on", "privacy",
}  # fmt: skip
# The last word of a newsroom's collective byline (`Science X staff`, `The Upwork Team`).
STAFF = {"staff", "team", "desk", "editors", "newsroom"}
# Dates written beside a name (`Jordana Cepelewicz December`, `Jeff Foust Monday`).
DATE_WORDS = set(MONTHS) | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
# Degrees written after a name (`Vanessa Mendez, MD`): part of a byline, not a name.
CREDENTIALS = {
    "md",
    "dvm",
    "phd",
    "rn",
    "rd",
    "do",
    "mba",
    "mph",
    "msc",
    "bsc",
    "ma",
    "ba",
    "jd",
    "cpa",
    "esq",
}
NOT_NAMES = {"name", "written by", "webmaster", "admin", "administrator", "by", "unknown", "anonymous user"}
# What a byline goes on with after the authors' names: another role.
CLAUSE = re.compile(
    r"\s+(?:(?:reviewed|fact[- ]checked|edited|updated|photos?|illustrations?)\s+by|is\s+an?|is\s+the)\b.*",
    re.I,
)
LEAD = re.compile(
    r"^(?:(?:written|posted|article|story|words)\s+)?(?:by|author|read more about)\s*:?\s+", re.I
)


# A Chinese name written one character, a space, the next (`赵 培`, `王 小 明`).
PADDED_HAN_NAME = re.compile(r"[\u4e00-\u9fff](?: [\u4e00-\u9fff]){1,2}")


def is_role(word: str) -> bool:
    """`Editor`, `Co-Founder`."""
    return all(part in ROLES for part in word.lower().strip(".,").split("-"))


def clean_author(name: str, site: str | None, host: str | None, first: bool = True) -> str | None:
    """The person a byline names, or None when it names nobody but a label. A role after a
    name goes (`Harry Rabinowitz Tech Reporter`), but not from a collective byline (`HNN
    Staff`), nor where the rest would name the site itself (`AAA Travel Editor` on aaa.com).
    After another name, a role is that person's (`Tom Krisher; AP Auto Writer`), not an
    author."""
    name = CLAUSE.sub("", LEAD.sub("", " ".join(name.split())))
    if PADDED_HAN_NAME.fullmatch(name):  # `赵  培`: spaced out to line up with longer names
        name = name.replace(" ", "")
    if normal(name) in NOT_NAMES or normal(name) in CREDENTIALS:
        return None
    if name.split()[-1].lower() in STAFF:  # `HNN Staff`: an organisation's byline, whole
        return name
    words = name.split()
    while words and (
        is_role(words[-1]) or words[-1].lower().strip(".,") in DATE_WORDS or words[-1].isdigit()
    ):
        words.pop()
    if not first and words != name.split() and is_role(name.split()[-1]):
        return None
    if len(words) >= 3 and words[0].isupper() and len(words[0]) <= 3:
        initials = "".join(w[0] for w in words[1 : 1 + len(words[0])])
        if initials.upper() == words[0]:  # an avatar's initials before the name
            words = words[1:]
    person = " ".join(words).strip(" ,;:|-–—")
    if not any(c.isalpha() for c in person) or normal(person) in NOT_NAMES:
        return None
    if set(normal(person).split()) <= ROLES:  # `Co-Founder`
        return None
    return name if is_site_name(person, site, host) else person


# A byline's label and the name after it; a name ends at a separator, a date or a clause.
BYLINE = re.compile(
    r"^(?i:(?:written|posted|article|story|words)\s+by|by|author)\s*:?\s+"
    r"(?P<name>[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|da|van|von|der|del|di|bin|al-\w+)){0,3})"
    r"(?=$|\s*[|•·,;(]|\s+(?:on|at|in|and|published|updated|[0-9]|"
    + "|".join(m.title() for m in MONTHS)
    + r")\b)",
)
# Words a Chinese byline line goes on with after the names: source, time, reads…
HAN_LABELS = "(?:来源|出自|时间|日期|阅读|发布|点击|编辑|责任编辑)"
HAN_NAME = r"[\u4e00-\u9fff]{2,4}(?![\u4e00-\u9fff])"
HAN_BYLINE = re.compile(
    r"(?<![\u4e00-\u9fff])(?:作者\s*[：:]|记者[：:\s]|文\s*/)\s*"
    rf"(?P<name>(?:{HAN_NAME}|[a-zA-Z][\w.-]{{1,19}})(?:\s+(?!{HAN_LABELS}){HAN_NAME})*)"
)
# A newsroom's reporter line: `光明日报记者 王建宏 张文攀`, `本报记者罗科苏盈发自北京`,
# `商报记者马俊峰/文`. Written close up, the name must end where a byline does (`/文`,
# `发自`, `报道`), not in a sentence (`本报记者获悉，`) or a menu's link (`新华社记者看东北`).
HAN_REPORTER = re.compile(
    r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff·]{1,12}?记者"
    rf"(?:\s+(?P<names>{HAN_NAME}(?:\s+(?!{HAN_LABELS}){HAN_NAME})*)"
    r"|(?P<name>[\u4e00-\u9fff]{2,4}?)(?=/|发自|报道))"
)
BYLINE_TAGS = (
    "p",
    "span",
    "div",
    "a",
    "li",
    "td",
    "address",
    "strong",
    "b",
    "font",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
)
MAX_BYLINE_CHARS = 80


MENU_CLASS = re.compile(r"\b(?:nav|navbar|navigation|menu|dropdown)\b", re.IGNORECASE)


def in_menu(element: HtmlElement) -> bool:
    """Inside a site's navigation, where `By Role` or `By Topic` is a menu's label. (Not an
    <aside> or <footer>: an article's author box is often one; nor a block holding the
    headline, whose class says where it sits, `under-menu`.)"""
    return any(
        ancestor.tag == "nav"
        or ancestor.get("role") == "navigation"
        or (MENU_CLASS.search(ancestor.get("class") or "") and ancestor.find(".//h1") is None)
        for ancestor in element.iterancestors()
    )


def byline_authors(tree: HtmlElement) -> list[str]:
    """The names of the first labelled byline in the page: `By A`, `Written by A`,
    `Author: A`, `作者：甲`, `记者 甲 乙`, `光明日报记者 甲 乙`, `文/甲`."""
    for element in tree.iter(*BYLINE_TAGS):
        text = " ".join(" ".join(element.itertext()).split())  # "By<span>A</span>": "By A"
        if not text or len(text) > MAX_BYLINE_CHARS or in_menu(element):
            continue
        if match := BYLINE.match(text):
            return [match["name"]]
        if LABEL.fullmatch(text) and (name := _next_name(element)):
            return [name]
        if (match := HAN_BYLINE.search(text) or HAN_REPORTER.search(text)) and match.start() <= 20:
            return (match.groupdict().get("name") or match["names"]).split()
    return []


LABEL = re.compile(r"(?i:(?:written|posted|article|story|words)\s+by|by|author)\s*:?")


def _next_name(label: HtmlElement) -> str | None:
    """The name in the element after a byline's label, when the line goes on with other
    things its pattern cannot tell from a name (`Article by` `Jane Doe` `Let's talk`)."""
    following = label.getnext()
    name = _squashed(following) if following is not None else ""
    return name if SHOWN_NAME.fullmatch(name) else None


def card_authors(tree: HtmlElement) -> list[str]:
    """The names a link preview's label and data pair gives (`<meta name="twitter:label1"
    content="Written by">` then `twitter:data1`, as WordPress SEO plugins write them)."""
    values = {
        (meta.get("name") or "").lower(): " ".join((meta.get("content") or "").split())
        for meta in tree.iter("meta")
        if (meta.get("name") or "").lower().startswith("twitter:")
    }
    for key, label in values.items():
        if key.startswith("twitter:label") and LABEL.fullmatch(label):
            data = values.get(key.replace("label", "data"), "")
            return [name for name in re.split(r",\s*|\s+and\s+", data) if name]
    return []


def meta_authors(tree: HtmlElement) -> list[str]:
    """`<meta name="author">`, which trafilatura leaves out when it is one word (`Zach`)."""
    for meta in tree.iter("meta"):
        if (meta.get("name") or meta.get("property") or "").lower() in ("author", "article:author"):
            content = " ".join((meta.get("content") or "").split())
            if content and "/" not in content and len(content) <= MAX_BYLINE_CHARS:
                return [content]
    return []


CITATION_AUTHOR = {"citation_author", "citation_authors"}


def citation_authors(tree: HtmlElement) -> list[str]:
    """The `citation_author` meta tags a scholarly page writes for indexers (Highwire Press
    tags, read by Google Scholar): every author in order, where trafilatura takes one from
    the byline or splits `Roy, Aniruddha` in two. `Last, First` is turned round."""
    found = []
    for meta in tree.iter("meta"):
        if (meta.get("name") or "").lower() in CITATION_AUTHOR:
            last, _, first = " ".join((meta.get("content") or "").split()).partition(", ")
            if last:
                found.append(f"{first} {last}" if first else last)
    return found


def article_authors(tree: HtmlElement, author: str | None, site: str | None, host: str | None) -> list[str]:
    """The first people named by: a scholarly page's citation tags, trafilatura (`;`-separated),
    a link preview's `Written by` pair, a labelled byline, a link to an author's page, an
    element whose class says it holds an author's name, the dateline, `<meta name=author>`;
    each cleaned. Beside other names, the site is its publisher, not an author; alone, it
    is (a personal site bears its author's name, a company's page is signed by the company)
    unless a later source names a person: a newsroom's name in trafilatura's byline often
    stands for the reporter the page links to."""
    sources = (
        lambda: citation_authors(tree),
        lambda: [name for name in (author or "").split(";") if name.strip() and not commenter(tree, name)],
        lambda: card_authors(tree),
        lambda: byline_authors(tree),
        lambda: author_links(tree),
        lambda: author_name_elements(tree, site, host),
        lambda: dateline_authors(tree),
        lambda: meta_authors(tree),
    )
    first_found: list[str] = []
    for source in sources:
        found = (clean_author(name, site, host, first=i == 0) for i, name in enumerate(source()))
        cleaned = list(dict.fromkeys(name for name in found if name))
        if people := [name for name in cleaned if not is_site_name(name, site, host)]:
            return people
        first_found = first_found or cleaned
    return first_found


COMMENTS = re.compile(r"comment", re.IGNORECASE)


def commenter(tree: HtmlElement, name: str) -> bool:
    """The name shows only inside the comments (`<div class="comment-author-name">`):
    trafilatura's search for an author's element took a reader's. A name split over
    elements is not looked for."""
    wanted = normal(name)
    places = []
    for element in tree.iter():
        if not isinstance(element.tag, str):  # an HTML comment, not the page's comments
            continue
        if element.text and wanted in normal(element.text):
            places.append(element)
        if element.tail and wanted in normal(element.tail) and element.getparent() is not None:
            places.append(element.getparent())
    return bool(places) and all(in_comments(place) for place in places)


def in_comments(element: HtmlElement) -> bool:
    """Inside the readers' comments: an element, or one around it, whose class or id says
    so (`comment-list`, `recentcomments`, `comments`)."""
    return any(
        COMMENTS.search(f"{node.get('class') or ''} {node.get('id') or ''}")
        for node in (element, *element.iterancestors())
    )


# The class themes give the element that shows an author's name (`author-name`,
# `post-author__name`, `authorName`).
AUTHOR_NAME_CLASS = re.compile(r"author[-_]{0,2}name", re.IGNORECASE)


def author_name_elements(tree: HtmlElement, site: str | None, host: str | None) -> list[str]:
    """The first name, not the site's, in an element whose class says it shows an author's
    name, outside the comments (trafilatura takes the first such element, and gives up when
    it is the site's: `<div class="post_author-name">Acme</div>` before the person's)."""
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or not AUTHOR_NAME_CLASS.search(element.get("class") or ""):
            continue
        text = _squashed(element)
        if not text or len(text) > MAX_BYLINE_CHARS or any(form.search(text) for form in SHOWN_DATES):
            continue  # (a theme's name box that holds only the date)
        if not in_menu(element) and not in_comments(element):
            found.append(text)
            if not is_site_name(text, site, host):
                return found
    return found


# A link to an author's page: `/author/jane-doe`, `/authors/…`, `/staff/123/jane-doe/`.
AUTHOR_PAGE = re.compile(r"/(?:authors?|staff|writers?|contributors?)/[^?#]*[a-z]", re.IGNORECASE)
# A person's name as a link shows it: one to four capitalised words (`Sir Nuno`, `Jean-Luc Aufranc`).
SHOWN_NAME = re.compile(r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|da|van|von|der|del|di)){0,3}")


def author_links(tree: HtmlElement) -> list[str]:
    """The name on the first link to an author's page (`<a href="/authors/jane-doe">Jane
    Doe</a>`, or `rel=author`) outside the site's menus: the byline where trafilatura finds
    none, or the site's name only."""
    for link in tree.iter("a"):
        if not (AUTHOR_PAGE.search(link.get("href") or "") or "author" in (link.get("rel") or "").split()):
            continue
        text = _squashed(link)
        if SHOWN_NAME.fullmatch(text) and not in_menu(link):
            return [text]
    return []


# --- the date shown under the headline -----------------------------------------------------------

_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
SHOWN_DATES = (
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)"),
    re.compile(_MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{2})\b", re.IGNORECASE),
    re.compile(
        r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+(?P<y>(?:19|20)\d{2})\b",
        re.IGNORECASE,
    ),
)
UPDATED = re.compile(r"(updat|modif|revis|更新|修改)\w*\W{0,3}(on|at)?\W{0,3}$", re.IGNORECASE)
SHOWN_DATE_CHARS = 400  # of text after the headline: where a page shows its date
DATELINE_CHARS = 80  # a longer piece of text is a sentence (a photo caption), not a dateline


def shown_date(tree: HtmlElement) -> str | None:
    """The first date the page shows in the short lines after its headline (the first
    <h1>), as an ISO date; not one labelled as an update (`Last updated: Dec 4, 2025`), nor
    one inside a sentence (`In this Dec. 12, 2006, file photo`)."""
    before = ""  # the text up to the piece looked at, for its label
    for piece in pieces_after_headline(tree):
        if len(piece) <= DATELINE_CHARS and (found := _date_in(piece, before)):
            return found
        before = f"{before} {piece}"[-DATELINE_CHARS:]
    return None


def _date_in(piece: str, before: str) -> str | None:
    found: list[tuple[int, str]] = []
    for form in SHOWN_DATES:
        for match in form.finditer(piece):
            parts = match.groupdict()
            month = MONTHS[parts["month"].lower()] if parts.get("month") else int(parts["m"])
            try:
                day = date(int(parts["y"]), month, int(parts["d"]))
            except ValueError:
                continue
            if not UPDATED.search(f"{before} {piece[: match.start()]}"[-25:]):
                found.append((match.start(), day.isoformat()))
            break
    return min(found)[1] if found else None


def pieces_after_headline(tree: HtmlElement) -> list[str]:
    """The pieces of text (squashed element texts and tails) that follow the page's first
    non-empty <h1>, up to SHOWN_DATE_CHARS of them."""
    headline = next((h for h in tree.iter("h1") if h.text_content().strip()), None)
    if headline is None:
        return []
    pieces: list[str] = []
    size = 0
    after = False
    for element in tree.iter():
        texts: list[str | None] = []
        if element is headline:
            after = True
            texts = [element.tail]
        elif after and headline not in element.iterancestors():
            keep = isinstance(element.tag, str) and element.tag not in ("script", "style", "noscript")
            texts = [element.text if keep else None, element.tail]
        for text in texts:
            if text and (squashed := " ".join(text.split())):
                pieces.append(squashed)
                size += len(squashed)
        if size > SHOWN_DATE_CHARS:
            break
    return pieces


# A name beside the date of a dateline, after or before a separator: `Dec. 19, 2025 · Niko
# Matsakis on behalf of …`, `Dec 26, 2025 • Mahua Das in Project Management`.
# The line's pieces are joined by a line break: a name ends where its piece does.
_NAME = r"(?P<name>[A-Z][\w'’.-]+(?:[ \t]+[A-Z][\w'’.-]+){1,3})"
NAME_AFTER_DATE = re.compile(r"^\s*[·•|]\s*" + _NAME + r"(?=[ \t]*(?:$|\n|[·•|,])|[ \t]+(?:on|in|for|and)\b)")
NAME_BEFORE_DATE = re.compile(r"(?:^|[·•|\n]\s*)" + _NAME + r"\s*[·•|]\s*$")


def dateline_authors(tree: HtmlElement) -> list[str]:
    """The name written beside the date in the first dateline after the headline, parted from
    it by a dot or a bar: a byline without a label. The line's parts are often elements of
    their own (`<time>`, `<span>•</span>`, `<a>`): a few pieces either side are read with it."""
    pieces = pieces_after_headline(tree)
    for i, piece in enumerate(pieces):
        if len(piece) > DATELINE_CHARS:
            continue
        for form in SHOWN_DATES:
            if match := form.search(piece):
                after = "\n".join([piece[match.end() :], *pieces[i + 1 : i + 4]])
                before = "\n".join([*pieces[max(i - 3, 0) : i], piece[: match.start()]])
                named = NAME_AFTER_DATE.match(after) or NAME_BEFORE_DATE.search(before)
                return [named["name"]] if named else []
    return []
