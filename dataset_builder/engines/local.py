"""The local engine: pass 1 and 2 in this process or in forked workers, the global steps in
memory (`decide.steps.decide`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from dataset_builder.cache import Memo, text_key
from dataset_builder.config import IngestSettings, Settings
from dataset_builder.decide.dedup import BandKeys, BandMatrix, ShingleSets
from dataset_builder.decide.minhash import Shingling, shingle_set
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
    close_annotate,
    init_annotate,
    init_prepare,
    prepare,
)
from dataset_builder.spool import Located, SplitBuckets, Spool, take_located
from dataset_builder.stages.ingest import InputFile


class BandFiles:
    """Every record's band keys on disk, one file of uint64 per band, read back a band at a
    time. At 8 bytes a band they are most of pass 1's answer (336 B a record with 42 bands,
    held in memory up to three times over: the batches, their concatenation, the rows
    compared); finding collisions needs only one band at a time."""

    def __init__(self, folder: Path, bands: int) -> None:
        folder.mkdir(exist_ok=True)
        self.paths = [folder / f"band-{band:03d}.u64" for band in range(bands)]
        self.files: list[BinaryIO] = [path.open("w+b") for path in self.paths]
        self.rows = 0

    def append(self, keys: np.ndarray) -> None:
        for band, file in enumerate(self.files):
            file.write(np.ascontiguousarray(keys[:, band]).tobytes())
        self.rows += len(keys)

    def overwrite(self, start: int, keys: np.ndarray) -> None:
        """Rows `start` on get `keys` (a batch's keys computed again)."""
        for band, file in enumerate(self.files):
            file.seek(start * 8)
            file.write(np.ascontiguousarray(keys[:, band]).tobytes())
            file.seek(0, os.SEEK_END)

    def close(self) -> None:
        for file in self.files:
            file.close()

    def columns(self, rows: np.ndarray) -> Iterator[np.ndarray]:
        for path in self.paths:
            yield np.fromfile(path, dtype=np.uint64)[rows]


@dataclass
class KeyBlocks:
    """Pass 1's dedup keys, batch after batch, for the global steps: the band keys in
    `BandFiles` beside the spool, the rest in memory."""

    blocks: list[DedupKeys] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # each block's first row
    bands: BandFiles | None = None

    def add(self, keys: DedupKeys, work: Path) -> None:
        if self.bands is None:
            self.bands = BandFiles(work / "bands", keys.bands.shape[1])
        self.starts.append(self.bands.rows)
        self.bands.append(keys.bands)
        self.blocks.append(without_bands(keys))

    def replace(self, number: int, keys: DedupKeys) -> None:
        """Batch `number`'s keys, computed again (its texts lost learned boilerplate)."""
        assert self.bands is not None  # a batch was added
        self.bands.overwrite(self.starts[number], keys.bands)
        self.blocks[number] = without_bands(keys)

    def concatenated(self) -> tuple[DedupKeys, BandKeys]:
        """The keys of all rows, in order, and their band keys; the blocks go."""
        blocks, self.blocks = self.blocks, []
        if self.bands is None:
            return DedupKeys.concatenated(blocks), BandMatrix(np.zeros((0, 0), np.uint64))
        self.bands.close()
        return DedupKeys.concatenated(blocks), self.bands


def without_bands(keys: DedupKeys) -> DedupKeys:
    return replace(keys, bands=np.zeros((len(keys.bands), 0), np.uint64))


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
            self.keys.add(keys, setup.spool.parent)
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
        dedup, bands = self.keys.concatenated()
        return decide(
            corpus,
            dedup,
            bands,
            lambda rows, shingling: shingle_sets(corpus.spool, rows, shingling, self.workers, self.cache),
        )

    def annotated(
        self, tasks: Iterable[AnnotateTask], setup: WorkerSetup, buckets: SplitBuckets
    ) -> Iterator[Annotated]:
        """Each worker writes its kept rows to its own part of `buckets`: texts do not travel
        back to this process (which would spend as long receiving and routing them as the
        workers spend on a batch the cache knows)."""
        shared = replace(setup, buckets=buckets.for_writers(self.workers))
        return map_ordered(
            annotate,
            tasks,
            workers=self.workers,
            initializer=init_annotate,
            initargs=(shared,),
            finalizer=close_annotate,
        )


_plan: list[boilerplate.Learned] = []  # the learned boilerplate, in each worker that strips


def init_strip(plan: boilerplate.Learned) -> None:
    _plan[:] = [plan]


def strip_named(name: str) -> boilerplate.Stripped:
    return boilerplate.strip_batch(name, _plan[0])


SHINGLE_TASK_BATCHES = 16  # spool batch files per shingling task
# The memo of shingle sets kept for the next build: its bytes are copied about four times
# over while it is written and read back (the sets, the blob, the pickle, the file read),
# so it is bounded: ~24,000 texts of ~2.7 KB (a 100k-document news corpus has ~15,000
# candidate texts); past it, the texts first in hash order are kept. Unbounded, at 1M
# documents it raised the build's peak by ~1 GB.
SHINGLE_MEMO_BYTES = 64 << 20
_shingle_memo: list[Memo | None] = [None]  # the cache's shingle sets, in each worker that shingles


def shingle_sets(
    spool: Spool, rows: np.ndarray, shingling: Shingling, workers: int, cache: BuildCache | None
) -> ShingleSets:
    """The shingle sets of `rows`' texts, by `workers` processes: at ~0.6 ms a text, the
    part of the in-memory global steps that would otherwise keep a second core idle. With
    the build cache, a text the last build also compared is looked up by its hash instead,
    and this build's sets are kept for the next one."""
    memo = cache.shingle_memo(shingling) if cache else None
    tasks = [(spool.folder, chunk, shingling) for chunk in batched(spool.locate(rows), SHINGLE_TASK_BATCHES)]
    sets: dict[int, np.ndarray] = {}
    hashes: dict[int, bytes] = {}
    found = map_ordered(shingle_task, tasks, workers=workers, initializer=init_shingles, initargs=(memo,))
    for task_sets, task_hashes in found:
        sets.update(task_sets)
        hashes.update(task_hashes)
    del memo, found  # the last build's sets go before this build's are written
    _shingle_memo[0] = None
    if cache:
        cache.keep_shingles(shingling, memo_pairs(sets, hashes, SHINGLE_MEMO_BYTES))
    return ShingleSets(sets)


def memo_pairs(
    sets: dict[int, np.ndarray], hashes: dict[int, bytes], budget: int
) -> list[tuple[bytes, memoryview]]:
    """(text hash, the shingle set's bytes) of the texts first in hash order, up to `budget`
    bytes; views of the sets, not copies (the memo joins them into one blob)."""
    pairs, used = [], 0
    for hashed, row in sorted((hashed, row) for row, hashed in hashes.items()):
        used += sets[row].nbytes
        if used > budget:
            break
        pairs.append((hashed, memoryview(sets[row]).cast("B")))
    return pairs


def init_shingles(memo: Memo | None) -> None:
    _shingle_memo[0] = memo


def shingle_task(
    task: tuple[Path, list[Located], Shingling],
) -> tuple[dict[int, np.ndarray], dict[int, bytes]]:
    """The shingle sets of the located texts, and each text's hash (the memo's key)."""
    folder, located, shingling = task
    memo = _shingle_memo[0]
    sets, hashes = {}, {}
    for index, text in take_located(folder, located, "text"):
        hashes[index] = text_key(text)
        known = memo.get(hashes[index]) if memo is not None else None
        if known is None:
            sets[index] = shingle_set(text, shingling)
        else:  # a copy: the kernels that merge sets take writable arrays
            sets[index] = np.frombuffer(known, np.uint64).copy()
    return sets, hashes
