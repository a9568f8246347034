"""Decontamination: no item of a named evaluation set hides in the release.

    build once   `[[decontaminate]]` files -> items -> n-gram index (`index.EvalIndex`)
    per record   cleaned text -> normalised tokens -> n-gram hashes -> confirmed matches

A record matches an evaluation set when it has one of an item's n-grams of normalised
tokens (`tokens`), confirmed character by character. What follows is the entry's
`action`: `reject` (reason `contaminated`), `split` (the record and its split group go to
test) or `report` (kept, listed); every match is listed in `audit/contamination.jsonl`
whatever the action, so nothing is decided silently.
"""

from __future__ import annotations

from dataset_builder.config import EvalSetSettings
from dataset_builder.stages.decontaminate.evalsets import EvalSet, read_evalset
from dataset_builder.stages.decontaminate.index import EvalIndex, Match
from dataset_builder.stages.decontaminate.tokens import tokenise_batch, tokenise_batch_compiled

__all__ = [
    "INTERPRETED_TEXTS",
    "EvalIndex",
    "EvalSet",
    "Match",
    "build_indexes",
    "matches",
    "matches_batch",
    "read_evalset",
]


def build_indexes(entries: tuple[EvalSetSettings, ...]) -> tuple[list[EvalSet], list[EvalIndex]]:
    """Read every evaluation set and index it: once per build, in the building process."""
    evalsets = [read_evalset(entry) for entry in entries]
    return evalsets, [EvalIndex.build(evalset) for evalset in evalsets]


def matches(text: str, indexes: list[EvalIndex]) -> list[Match]:
    """The record's match with each evaluation set it overlaps, in config order."""
    return matches_batch([text], indexes)[0]


# numba's start costs ~0.6 s of CPU in a process (its import ~0.3 s, the first call of a
# kernel loaded from numba's cache ~0.3 s; the first compile on a machine ~3 s, once), the
# kernel's tables ~0.015 s; numpy matches a ~3 KB text in ~0.15 ms, the kernel in ~0.055 ms.
# So a process's first texts, all of a small build's and of most tests, are matched by numpy.
INTERPRETED_TEXTS = 2000
_interpreted_left = INTERPRETED_TEXTS  # this process's texts still to match by numpy


def matches_batch(
    texts: list[str], indexes: list[EvalIndex], compiled: bool | None = None
) -> list[list[Match]]:
    """`matches` for each text, tokenised and looked up as one batch: by numpy
    (`compiled=False`), by decontaminate/kernel.py (True), or by numpy for this process's
    first INTERPRETED_TEXTS texts and by the kernel after them (None). Both give the same
    matches."""
    global _interpreted_left
    found: list[list[Match]] = [[] for _ in texts]
    if not indexes or not texts:
        return found
    if compiled is None:
        compiled = _interpreted_left <= 0
        _interpreted_left -= len(texts)
    tokens = tokenise_batch_compiled(texts) if compiled else tokenise_batch(texts)
    for index in indexes:
        for record, match in index.matches(tokens, compiled).items():
            found[record].append(match)
    return found
