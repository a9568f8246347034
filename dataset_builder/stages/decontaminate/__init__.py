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
from dataset_builder.stages.decontaminate.tokens import tokenise

__all__ = ["EvalIndex", "EvalSet", "Match", "build_indexes", "matches", "read_evalset"]


def build_indexes(entries: tuple[EvalSetSettings, ...]) -> tuple[list[EvalSet], list[EvalIndex]]:
    """Read every evaluation set and index it: once per build, in the building process."""
    evalsets = [read_evalset(entry) for entry in entries]
    return evalsets, [EvalIndex.build(evalset) for evalset in evalsets]


def matches(text: str, indexes: list[EvalIndex]) -> list[Match]:
    """The record's match with each evaluation set it overlaps, in config order."""
    if not indexes:
        return []
    tokens = tokenise(text)
    return [found for index in indexes if (found := index.match(tokens)) is not None]
