"""The n-gram index of an evaluation set, and the per-record match against it.

The index is built once per build, in the building process, and handed to the workers
with their setup (pickled to Ray actors; inherited by forked local workers). It holds, for
every n-gram of every item, its hash, item and place, sorted by hash, so a record's n-grams
are looked up with one `searchsorted`. A hash hit is only a candidate: the n-gram's
characters are compared with the item's before it counts, so a hash collision can cost
time but never a record. Of an item's n-grams that recur (a stock phrase in many items),
the first item in file order is the one named.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from dataset_builder.stages.decontaminate.evalsets import EvalSet
from dataset_builder.stages.decontaminate.tokens import Tokens, ngram_hashes, original_spans, tokenise

EXCERPT_CHARS = 240  # a longer matched span is quoted by its two ends


@dataclass(frozen=True)
class Match:
    """A record's overlap with one evaluation set: the item sharing most n-grams with it,
    how many of the record's n-grams that item has, and the longest run of them as the
    record writes it (`span`, shortened beyond EXCERPT_CHARS)."""

    evalset: str
    action: str
    item: str
    ngrams: int
    tokens: int  # tokens in the longest matching run
    span: str


@dataclass(frozen=True)
class EvalIndex:
    name: str
    action: str
    n: int
    item_ids: list[str]
    item_texts: list[str]  # each item's normalised tokens, NUL-joined (`Tokens.joined`)
    hashes: np.ndarray  # uint64, sorted
    items: np.ndarray  # int32: the item of each hash
    starts: np.ndarray  # int64: where that n-gram starts in the item's text
    ends: np.ndarray  # int64: and ends
    too_short: int  # items with fewer than n tokens: no n-gram to look for

    @classmethod
    def build(cls, evalset: EvalSet) -> EvalIndex:
        n = evalset.settings.ngram
        hashes, items, starts, ends, texts = [], [], [], [], []
        too_short = 0
        for number, (_, text) in enumerate(evalset.items):
            tokens = tokenise(text)
            texts.append(tokens.joined)
            found = ngram_hashes(tokens, n)
            if not len(found):
                too_short += 1
                continue
            hashes.append(found)
            items.append(np.full(len(found), number, np.int32))
            starts.append(tokens.starts[: len(found)])
            ends.append(tokens.ends[n - 1 :])
        joined = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
        order = np.argsort(joined, kind="stable")  # equal hashes stay in item order

        def pick(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts)[order] if parts else np.zeros(0, dtype)

        return cls(
            evalset.settings.name,
            evalset.settings.action,
            n,
            [item_id for item_id, _ in evalset.items],
            texts,
            joined[order],
            pick(items, np.int32),
            pick(starts, np.int64),
            pick(ends, np.int64),
            too_short,
        )

    def match(self, text: str, tokens: Tokens) -> Match | None:
        """The record's overlap with this set, or None; `tokens` is `tokenise(text)`."""
        found = ngram_hashes(tokens, self.n)
        if not len(found) or not len(self.hashes):
            return None
        places = np.searchsorted(self.hashes, found)
        places[places == len(self.hashes)] = 0
        candidates = np.flatnonzero(self.hashes[places] == found)
        confirmed: dict[int, list[int]] = {}  # item -> the record's n-grams it has
        for position in candidates.tolist():
            item = self.confirm(tokens, position, int(places[position]))
            if item is not None:
                confirmed.setdefault(item, []).append(position)
        if not confirmed:
            return None
        item = min(confirmed, key=lambda i: (-len(confirmed[i]), i))
        first, last = longest_run(confirmed[item])
        spans = original_spans(text)
        span = text[spans[first][0] : spans[last + self.n - 1][1]]
        return Match(
            self.name,
            self.action,
            self.item_ids[item],
            len(confirmed[item]),
            last - first + self.n,
            excerpt(span),
        )

    def confirm(self, tokens: Tokens, position: int, place: int) -> int | None:
        """The first item whose n-gram at an index entry with this hash (from `place` on) has
        the same characters as the record's n-gram at `position`."""
        start, end = tokens.span(position, self.n)
        gram = tokens.joined[start:end]
        value = self.hashes[place]
        while place < len(self.hashes) and self.hashes[place] == value:
            item = int(self.items[place])
            if self.item_texts[item][self.starts[place] : self.ends[place]] == gram:
                return item
            place += 1
        return None


def longest_run(positions: list[int]) -> tuple[int, int]:
    """The first and last of the longest run of consecutive positions (the first such run)."""
    best = (positions[0], positions[0])
    first = positions[0]
    for previous, current in itertools.pairwise(positions):
        if current != previous + 1:
            first = current
        if current - first > best[1] - best[0]:
            best = (first, current)
    return best


def excerpt(span: str) -> str:
    span = " ".join(span.split())
    if len(span) <= EXCERPT_CHARS:
        return span
    half = EXCERPT_CHARS // 2
    return f"{span[:half]} … {span[-half:]}"
