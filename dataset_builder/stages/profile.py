"""What the kept records look like: lengths, publishers, dates, declared languages.

Computed per batch in the workers, from the records as published, and merged in the
parent; the manifest keeps the result, and the report and datasheet only show it. Lengths
are histograms over fixed 1-2-5 bins rather than lists of values, so their size does not
grow with the corpus and two builds give the same numbers whatever the batching.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dataset_builder.stages.columns import iso
from dataset_builder.stages.publisher import publisher_origin

# Lower bounds of the length bins; the last bin is open-ended.
LENGTH_EDGES = (0, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)
TOP_PUBLISHERS = 20
ORIGINS = ("name", "domain", "none")


def length_bin(length: int) -> int:
    return bisect.bisect_right(LENGTH_EDGES, length) - 1


@dataclass
class Profile:
    """Length histograms (characters, words), publishers and publication years of records."""

    chars: list[int] = field(default_factory=lambda: [0] * len(LENGTH_EDGES))
    words: list[int] = field(default_factory=lambda: [0] * len(LENGTH_EDGES))
    total_chars: int = 0
    total_words: int = 0
    publishers: Counter[str] = field(default_factory=Counter)
    origins: Counter[str] = field(default_factory=Counter)  # publisher.publisher_origin
    variants: Counter[tuple[str, str]] = field(default_factory=Counter)  # (publisher, spelling merged)
    declared: Counter[tuple[str, str]] = field(default_factory=Counter)  # (declared, detected language)
    years: Counter[str] = field(default_factory=Counter)
    earliest: str | None = None
    latest: str | None = None

    def add(self, records: Iterable[dict[str, Any]]) -> Profile:
        for record in records:
            chars, words = len(record["text"]), len(record["text"].split())
            self.chars[length_bin(chars)] += 1
            self.words[length_bin(words)] += 1
            self.total_chars += chars
            self.total_words += words
            self.publishers[record.get("source") or "(none)"] += 1
            self.origins[publisher_origin(record.get("source"), record.get("url"))] += 1
            if spelling := record.get("spelling"):
                self.variants[(record["source"], spelling)] += 1
            if declared := record.get("declared_language"):
                self.declared[(declared, record["language"])] += 1
            if published := record.get("published"):
                day = iso(published)[:10]  # a UTC timestamp from the spool, or ISO 8601 text
                self.years[day[:4]] += 1
                self.earliest = min(self.earliest or day, day)
                self.latest = max(self.latest or day, day)
        return self

    def merge(self, other: Profile) -> None:
        self.chars = [a + b for a, b in zip(self.chars, other.chars, strict=True)]
        self.words = [a + b for a, b in zip(self.words, other.words, strict=True)]
        self.total_chars += other.total_chars
        self.total_words += other.total_words
        self.publishers.update(other.publishers)
        self.origins.update(other.origins)
        self.variants.update(other.variants)
        self.declared.update(other.declared)
        self.years.update(other.years)
        for day in filter(None, (other.earliest, other.latest)):
            self.earliest = min(self.earliest or day, day)
            self.latest = max(self.latest or day, day)


def profile_summary(profiles: dict[str, Profile]) -> dict[str, Any]:
    """The manifest's `profile`: per split lengths, and publishers and dates over all splits."""
    whole = Profile()
    for profile in profiles.values():
        whole.merge(profile)
    top = sorted(whole.publishers.items(), key=lambda item: (-item[1], item[0]))
    return {
        "length_edges": list(LENGTH_EDGES),
        "lengths": {
            split: {
                "chars": p.chars,
                "words": p.words,
                "total_chars": p.total_chars,
                "total_words": p.total_words,
            }
            for split, p in profiles.items()
        },
        "publishers": {
            "top": dict(top[:TOP_PUBLISHERS]),
            "others": sum(count for _, count in top[TOP_PUBLISHERS:]),
            "distinct": len(top),
            "origin": {origin: whole.origins[origin] for origin in ORIGINS},
            "variants": variants(whole.variants),
        },
        "declared_languages": declared_languages(whole.declared),
        "published": {
            "earliest": whole.earliest,
            "latest": whole.latest,
            "by_year": dict(sorted(whole.years.items())),
        },
    }


def variants(found: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Per publisher whose name was written several ways, each spelling's kept records."""
    merged: dict[str, dict[str, int]] = {}
    for (publisher, spelling), count in sorted(found.items()):
        merged.setdefault(publisher, {})[spelling] = count
    return merged


# Languages langdetect has one profile for under a code of its own: Norwegian Bokmål and
# Nynorsk are its `no`, Filipino its Tagalog (`tl`).
DETECTED_AS = {"nb": "no", "nn": "no", "fil": "tl"}


def agrees(declared: str, detected: str) -> bool:
    """A page's declared primary subtag against langdetect's label, by primary subtag:
    zh-cn and zh-tw are both zh, whatever script or region the page declared."""
    return DETECTED_AS.get(declared, declared) == detected.split("-")[0]


def declared_languages(found: Counter[tuple[str, str]]) -> dict[str, Any]:
    """How many kept records declare a language, how many of those langdetect agrees with
    (`agrees`), how many are too short for it to judge (`und`), and the other pairs: a
    disagreement is counted here, never resolved (`language` stays the detected one)."""
    judged = {pair: n for pair, n in found.items() if pair[1] != "und"}
    agreeing = {pair: n for pair, n in judged.items() if agrees(*pair)}
    disagree = sorted(
        ((*pair, n) for pair, n in judged.items() if pair not in agreeing),
        key=lambda item: (-item[2], item[0], item[1]),
    )
    return {
        "records": sum(found.values()),
        "agree": sum(agreeing.values()),
        "undetermined": sum(found.values()) - sum(judged.values()),
        "disagree": [{"declared": d, "detected": t, "records": n} for d, t, n in disagree],
    }
