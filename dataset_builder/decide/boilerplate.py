"""Publisher-learned boilerplate: the lines one publisher repeats across its own articles.

The cleaning rules know generic page furniture; each outlet adds its own (a newsletter
promo, "Contact the editor at …", a disclaimer, a bureau sign-off) to hundreds of its
articles. A line is that publisher's boilerplate when, normalised (`normalise`), it occurs
in at least `min_articles` of the publisher's articles *and* in at least `min_share` of
them, and in the articles of fewer than `max_publishers` publishers: a quotation that many
outlets rightly share is not furniture, which is where corpus-wide span removal (datatrove's
`sentence_dedup`, dolma's paragraph Bloom filter) cuts too much.

Pure functions over texts and publisher names, deterministic (counts and sorted hashes, no
order of arrival): `learn` is a whole-corpus step, `strip` applies it to one text. Not yet
wired into the build (README, "Quality signals": what is left).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import xxhash

DIGITS = re.compile(r"\d+")
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class LearnedLine:
    """One publisher's boilerplate line: its hash, an example as written, and in how many
    of the publisher's articles it occurs."""

    publisher: str
    line_hash: int
    example: str
    articles: int


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
    texts: Iterable[str],
    min_articles: int,
    min_share: float,
    max_publishers: int,
) -> dict[str, list[LearnedLine]]:
    """Per publisher, its boilerplate lines (most articles first, then by hash)."""
    articles: Counter[str] = Counter(publishers)
    per_publisher: defaultdict[str, Counter[int]] = defaultdict(Counter)
    examples: dict[tuple[str, int], str] = {}
    outlets: defaultdict[int, set[str]] = defaultdict(set)
    for publisher, text in zip(publishers, texts, strict=True):
        for hashed, line in text_lines(text).items():
            per_publisher[publisher][hashed] += 1
            examples.setdefault((publisher, hashed), line)
            outlets[hashed].add(publisher)
    learned: dict[str, list[LearnedLine]] = {}
    for publisher in sorted(per_publisher):
        total = articles[publisher]
        found = [
            LearnedLine(publisher, hashed, examples[(publisher, hashed)], n)
            for hashed, n in per_publisher[publisher].items()
            if n >= min_articles and n >= min_share * total and len(outlets[hashed]) < max_publishers
        ]
        if found:
            learned[publisher] = sorted(found, key=lambda line: (-line.articles, line.line_hash))
    return learned


def strip(text: str, boilerplate: set[int]) -> tuple[str, list[str]]:
    """The text without its lines whose hash is in `boilerplate`, and the lines removed."""
    kept, removed = [], []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and line_hash(stripped) in boilerplate:
            removed.append(stripped)
        else:
            kept.append(line)
    return "\n".join(kept), removed
