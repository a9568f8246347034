"""Publisher-learned boilerplate: the lines one publisher repeats across its own articles.

The cleaning rules know generic page furniture; each outlet adds its own (a newsletter
promo, "Contact the editor at …", a disclaimer, a bureau sign-off) to hundreds of its
articles. A line is that publisher's boilerplate when, normalised (`normalise`), it occurs
in at least `min_articles` of the publisher's articles *and* in at least `min_share` of
them, and in the articles of fewer than `max_publishers` publishers: a quotation that many
outlets rightly share is not furniture, which is where corpus-wide span removal (datatrove's
`sentence_dedup`, dolma's paragraph Bloom filter) cuts too much.

Pure functions over texts and publisher names, deterministic (counts and sorted hashes, no
order of arrival): `learn` is a whole-corpus step over each article's line hashes (which
pass 1 returns), `strip` applies it to one text where it stands as furniture does
(engines/boilerplate.py, before dedup).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import xxhash

DIGITS = re.compile(r"\d+")
SPACES = re.compile(r"\s+")
BLANK_LINES = re.compile(r"\n{3,}")


def normalise(line: str) -> str:
    """NFKC, case folded, runs of spaces as one, digits as 0: "Updated: 2024-10-29" and
    "Updated: 2025-01-02" are the same furniture."""
    folded = unicodedata.normalize("NFKC", line).casefold()
    return DIGITS.sub("0", SPACES.sub(" ", folded)).strip()


def line_hash(line: str) -> int:
    return xxhash.xxh3_64_intdigest(normalise(line).encode("utf-8"))


def text_lines(text: str) -> dict[int, str]:
    """Each distinct normalised line of a text (that has a letter or digit), by hash, with
    its first occurrence as written."""
    found: dict[int, str] = {}
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and any(ch.isalnum() for ch in stripped):
            found.setdefault(line_hash(stripped), stripped)
    return found


def publisher_of(source: str | None, url: str | None, raw_path: str) -> str:
    """The record's publisher: its `source`, else its URL's host, else its raw folder."""
    if source:
        return source
    host = urlsplit(url).hostname if url else None
    if host:
        return host.removeprefix("www.")
    return raw_path.rsplit("/", 1)[0] if "/" in raw_path else "."


def learn(
    publishers: Sequence[str],
    lines: Iterable[Iterable[int]],
    min_articles: int,
    min_share: float,
    max_publishers: int,
) -> dict[str, dict[int, int]]:
    """Per publisher, its boilerplate lines' hashes and in how many of its articles each
    occurs; `lines` holds each article's distinct line hashes (`text_lines`)."""
    articles: Counter[str] = Counter(publishers)
    per_publisher: defaultdict[str, Counter[int]] = defaultdict(Counter)
    outlets: defaultdict[int, set[str]] = defaultdict(set)
    for publisher, hashes in zip(publishers, lines, strict=True):
        for hashed in hashes:
            per_publisher[publisher][hashed] += 1
            outlets[hashed].add(publisher)
    learned: dict[str, dict[int, int]] = {}
    for publisher in sorted(per_publisher):
        total = articles[publisher]
        found = {
            hashed: n
            for hashed, n in sorted(per_publisher[publisher].items())
            if n >= min_articles and n >= min_share * total and len(outlets[hashed]) < max_publishers
        }
        if found:
            learned[publisher] = found
    return learned


def strip(text: str, boilerplate: set[int] | frozenset[int]) -> tuple[str, list[str]]:
    """The text without its furniture (at most one blank line left between paragraphs, as
    cleaning leaves them), and the lines removed.

    Furniture is set off from the article's own text: a line whose hash is in `boilerplate`
    goes where it has a blank line, the text's start or end, or another such line beside
    it. With the article's own lines directly above and below it, it is part of their run
    and stays: a row of a spec table ("OS Android 4.0" in a phone's specifications, the
    same in many of one outlet's reviews), a dateline run into its lead ("CIUDAD DE
    MÉXICO"), an item of a list. README, "Publisher-learned boilerplate", has the counts."""
    lines = text.split("\n")
    learned = [bool(line.strip()) and line_hash(line.strip()) in boilerplate for line in lines]

    def own(number: int) -> bool:
        return 0 <= number < len(lines) and bool(lines[number].strip()) and not learned[number]

    kept, removed = [], []
    for number, line in enumerate(lines):
        if learned[number] and not (own(number - 1) and own(number + 1)):
            removed.append(line.strip())
        else:
            kept.append(line)
    if not removed:
        return text, removed
    return BLANK_LINES.sub("\n\n", "\n".join(kept)).strip("\n"), removed
