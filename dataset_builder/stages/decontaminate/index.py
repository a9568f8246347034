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
from dataset_builder.stages.decontaminate.tokens import (
    POWERS,
    Tokens,
    ngram_hashes,
    tokenise,
    within_texts,
)

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
    bitmap: np.ndarray  # uint8: bit (hash >> shift) is set for every indexed hash
    shift: int
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

        bitmap, shift = make_bitmap(joined)
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
            bitmap,
            shift,
            too_short,
        )

    def matches(self, tokens: Tokens, compiled: bool = False) -> dict[int, Match]:
        """The overlap with this set of each text of the batch `tokens` that has one, by
        the text's number in the batch; the candidates found by numpy or, `compiled`, by
        kernel.lookup (the same ones)."""
        positions, places = self.candidates_compiled(tokens) if compiled else self.candidates(tokens)
        if not len(positions):
            return {}
        records = tokens.record[positions]
        answers = {}
        for record in np.unique(records).tolist():
            mine = records == record
            confirmed = self.confirmed(tokens, positions[mine].tolist(), places[mine].tolist())
            if confirmed:
                answers[record] = self.best(tokens, confirmed)
        return answers

    def candidates(self, tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
        """The position of each run of n tokens of one text whose hash is indexed, and the
        first index entry with that hash: the bitmap rules most runs out, a binary search
        of the sorted hashes the rest."""
        found = ngram_hashes(tokens, self.n)
        none = np.zeros(0, np.int64)
        if not len(found) or not len(self.hashes):
            return none, none
        top = found >> np.uint64(self.shift)
        bits = self.bitmap[top >> np.uint64(3)] >> (top & np.uint64(7)).astype(np.uint8)
        maybe = np.flatnonzero(bits & 1)
        maybe = maybe[within_texts(tokens, self.n)[maybe]]
        if not len(maybe):
            return none, none
        places = np.searchsorted(self.hashes, found[maybe])
        places[places == len(self.hashes)] = 0
        hit = self.hashes[places] == found[maybe]
        return maybe[hit], places[hit]

    def candidates_compiled(self, tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
        """`candidates` by kernel.lookup: hashing, the bitmap and the binary search in one
        pass, without the arrays numpy makes for each step."""
        from dataset_builder.stages.decontaminate import kernel  # imports numba: only when it pays

        if len(tokens) < self.n or not len(self.hashes):
            none = np.zeros(0, np.int64)
            return none, none
        up, down = POWERS.upto(len(tokens.codes) + 1)
        return kernel.lookup(
            tokens.codes,
            tokens.starts,
            tokens.ends,
            tokens.record,
            self.n,
            up,
            down,
            self.bitmap,
            self.shift,
            self.hashes,
        )

    def best(self, tokens: Tokens, confirmed: dict[int, list[int]]) -> Match:
        """The item with most n-grams in common (the first in file order on a tie), and the
        longest run of them."""
        item = min(confirmed, key=lambda i: (-len(confirmed[i]), i))
        first, last = longest_run(sorted(confirmed[item]))
        return Match(
            self.name,
            self.action,
            self.item_ids[item],
            len(confirmed[item]),
            last - first + self.n,
            excerpt(tokens.quote(first, last - first + self.n)),
        )

    def confirmed(self, tokens: Tokens, positions: list[int], places: list[int]) -> dict[int, list[int]]:
        """item -> the record's n-grams (by position) that it has, character for character.

        A verbatim copy gives a run of consecutive positions whose first index entries sit
        in one item, one token apart: the whole run is confirmed by comparing its span once.
        A run that differs, and every other candidate, is confirmed n-gram by n-gram."""
        confirmed: dict[int, list[int]] = {}
        k = 0
        while k < len(positions):
            end = k + 1
            item = int(self.items[places[k]])
            while (
                end < len(positions)
                and positions[end] == positions[end - 1] + 1
                and int(self.items[places[end]]) == item
                and self.starts[places[end]] > self.starts[places[end - 1]]
            ):
                end += 1
            start, stop = tokens.span(positions[k], self.n)[0], tokens.span(positions[end - 1], self.n)[1]
            mine = self.item_texts[item][self.starts[places[k]] : self.ends[places[end - 1]]]
            if end - k > 1 and tokens.joined[start:stop] == mine:
                confirmed.setdefault(item, []).extend(positions[k:end])
            else:
                for position, place in zip(positions[k:end], places[k:end], strict=True):
                    if (found := self.confirm(tokens, position, place)) is not None:
                        confirmed.setdefault(found, []).append(position)
            k = end
        return confirmed

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


def make_bitmap(hashes: np.ndarray) -> tuple[np.ndarray, int]:
    """A bit per value of the hashes' top bits, at least 64 bits per hash (up to 256 MiB),
    so that ~1.5 % of absent n-grams pass it: one memory access rules out the others before
    the binary search of the sorted hashes, which costs ~20."""
    bits = min(31, max(10, int(np.ceil(np.log2(max(len(hashes), 1) * 64)))))
    bitmap = np.zeros(2 ** (bits - 3), dtype=np.uint8)
    top = hashes >> np.uint64(64 - bits)
    np.bitwise_or.at(bitmap, top >> np.uint64(3), (1 << (top & np.uint64(7))).astype(np.uint8))
    return bitmap, 64 - bits


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
