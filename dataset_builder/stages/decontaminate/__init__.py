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
from dataset_builder.stages.decontaminate.tokens import tokenise_batch

__all__ = ["EvalIndex", "EvalSet", "Match", "build_indexes", "matches", "matches_batch", "read_evalset"]


def build_indexes(entries: tuple[EvalSetSettings, ...]) -> tuple[list[EvalSet], list[EvalIndex]]:
    """Read every evaluation set and index it: once per build, in the building process."""
    evalsets = [read_evalset(entry) for entry in entries]
    return evalsets, [EvalIndex.build(evalset) for evalset in evalsets]


def matches(text: str, indexes: list[EvalIndex]) -> list[Match]:
    """The record's match with each evaluation set it overlaps, in config order."""
    return matches_batch([text], indexes)[0]


def matches_batch(texts: list[str], indexes: list[EvalIndex]) -> list[list[Match]]:
    """`matches` for each text, tokenised and looked up as one batch."""
    found: list[list[Match]] = [[] for _ in texts]
    if not indexes or not texts:
        return found
    tokens = tokenise_batch(texts)
    for index in indexes:
        for record, match in index.matches(tokens).items():
            found[record].append(match)
    return found
