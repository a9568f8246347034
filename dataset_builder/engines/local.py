"""The local engine: pass 1 and 2 in this process or in forked workers, the global steps in
memory (`decide.steps.decide`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dataset_builder.config import IngestSettings, Settings
from dataset_builder.decide.dedup import ShingleSets
from dataset_builder.decide.minhash import Shingling
from dataset_builder.decide.steps import Corpus, Decisions, DedupKeys, decide
from dataset_builder.engines import boilerplate
from dataset_builder.engines.cached import BuildCache, plain_parts
from dataset_builder.engines.parallel import batched, map_ordered
from dataset_builder.engines.passes import (
    BATCH_SIZE,
    Annotated,
    AnnotateTask,
    Part,
    Prepared,
    WorkerSetup,
    annotate,
    init_annotate,
    init_prepare,
    prepare,
)
from dataset_builder.spool import Located, Spool, take_located
from dataset_builder.stages.ingest import InputFile


@dataclass
class KeyBlocks:
    """Pass 1's dedup keys, batch after batch, kept in memory for the global steps."""

    blocks: list[DedupKeys] = field(default_factory=list)

    def add(self, keys: DedupKeys) -> None:
        self.blocks.append(keys)

    def replace(self, number: int, keys: DedupKeys) -> None:
        """Batch `number`'s keys, computed again (its texts lost learned boilerplate)."""
        self.blocks[number] = keys

    def concatenated(self) -> DedupKeys:
        """The keys of all rows, in order; the blocks go."""
        blocks, self.blocks = self.blocks, []
        return DedupKeys.concatenated(blocks)


@dataclass(frozen=True)
class LocalEngine:
    """Pass 1 and 2 in forked workers; the dedup keys in memory, for `decisions.decide`.
    JSON Lines files go to the workers as line ranges, which they read and parse themselves;
    with a cache, the parts of files it holds go as keys, which they load."""

    workers: int
    cache: BuildCache | None = None  # the build cache, for pass 1
    keys: KeyBlocks = field(default_factory=KeyBlocks)

    def prepared(
        self, files: list[InputFile], read: IngestSettings, setup: WorkerSetup, advance: Callable[[int], None]
    ) -> Iterator[Prepared]:
        def parts() -> Iterator[Part]:
            for file in files:
                yield from self.cache.parts(file, read) if self.cache else plain_parts(file, read)
                advance(file.size)

        batches = batched(parts(), BATCH_SIZE, lambda part: part.weight)
        tasks = ((f"{n:07d}", batch) for n, batch in enumerate(batches))
        results = map_ordered(
            prepare, tasks, workers=self.workers, initializer=init_prepare, initargs=(setup,)
        )
        for prepared, keys in results:
            self.keys.add(keys)
            yield prepared

    def stripped(
        self, spool: Spool, lines: list[tuple[str, tuple[int, ...]]], settings: Settings
    ) -> dict[str, list[dict[str, Any]]]:
        """Learned boilerplate: the batches that hold some stripped in forked workers (the
        plan sent once to each), their keys replaced in memory."""
        plan = boilerplate.learned(spool, lines, settings)
        if plan is None:
            return {}
        numbers = boilerplate.to_strip(spool, lines, plan)
        answers = map_ordered(
            strip_named,
            [spool.names[number] for number in numbers],
            workers=self.workers,
            initializer=init_strip,
            initargs=(plan,),
        )
        found = []
        for number, answer in zip(numbers, answers, strict=True):
            self.keys.replace(number, answer.keys)
            found.append(answer.removed)
        return boilerplate.summary(found)

    def decided(self, corpus: Corpus) -> Decisions:
        return decide(
            corpus,
            self.keys.concatenated(),
            lambda rows, shingling: shingle_sets(corpus.spool, rows, shingling, self.workers),
        )

    def annotated(self, tasks: Iterable[AnnotateTask], setup: WorkerSetup) -> Iterator[Annotated]:
        return map_ordered(
            annotate, tasks, workers=self.workers, initializer=init_annotate, initargs=(setup,)
        )


_plan: list[boilerplate.Learned] = []  # the learned boilerplate, in each worker that strips


def init_strip(plan: boilerplate.Learned) -> None:
    _plan[:] = [plan]


def strip_named(name: str) -> boilerplate.Stripped:
    return boilerplate.strip_batch(name, _plan[0])


SHINGLE_TASK_BATCHES = 16  # spool batch files per shingling task


def shingle_sets(spool: Spool, rows: np.ndarray, shingling: Shingling, workers: int) -> ShingleSets:
    """The shingle sets of `rows`' texts, by `workers` processes: at ~0.6 ms a text, the
    part of the in-memory global steps that would otherwise keep a second core idle."""
    tasks = [(spool.folder, chunk, shingling) for chunk in batched(spool.locate(rows), SHINGLE_TASK_BATCHES)]
    sets: dict[int, np.ndarray] = {}
    for found in map_ordered(shingle_task, tasks, workers=workers):
        sets.update(found)
    return ShingleSets(sets)


def shingle_task(task: tuple[Path, list[Located], Shingling]) -> dict[int, np.ndarray]:
    folder, located, shingling = task
    return ShingleSets.of_texts(take_located(folder, located, "text"), shingling).sets
