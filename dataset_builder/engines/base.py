"""Engines: what runs the per-record passes of a build.

`LocalEngine` (`local`) reads the inputs in this process and runs the passes here or in
forked workers; `RayEngine` (`ray_engine`) reads and runs them in Ray Data (`pip install
'.[ray]'`). Both call the functions of `passes` and hand the results back in input order,
and the global steps between the passes — in memory (`decide.steps`) or as Ray Data
groupings (`ray_steps`) — decide the same, so the release is the same, byte for byte,
whichever engine built it and with how many workers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from dataset_builder.config import IngestSettings, Settings
from dataset_builder.decide.steps import Corpus, Decisions
from dataset_builder.engines.cached import BuildCache
from dataset_builder.engines.local import LocalEngine
from dataset_builder.engines.passes import Annotated, AnnotateTask, Prepared, WorkerSetup
from dataset_builder.errors import ConfigError
from dataset_builder.spool import SplitBuckets, Spool
from dataset_builder.stages.ingest import InputFile

ENGINES = ("local", "ray")


class Engine(Protocol):
    def prepared(
        self, files: list[InputFile], read: IngestSettings, setup: WorkerSetup, advance: Callable[[int], None]
    ) -> Iterator[Prepared]:
        """Pass 1 over every record of `files`, in file order; `advance` gets bytes read."""
        ...

    def stripped(
        self, spool: Spool, lines: list[tuple[str, tuple[int, ...]]], settings: Settings
    ) -> dict[str, list[dict[str, Any]]]:
        """`boilerplate.learn`: each publisher's lines learned from `lines` (per spool row, its
        publisher and line hashes) and removed from the spool, the dedup keys pass 1 left
        with the engine replaced; per publisher, the lines removed (`engines.boilerplate`)."""
        ...

    def decided(self, corpus: Corpus) -> Decisions:
        """The global steps, from the dedup keys pass 1 left with the engine."""
        ...

    def annotated(
        self, tasks: Iterable[AnnotateTask], setup: WorkerSetup, buckets: SplitBuckets
    ) -> Iterator[Annotated]:
        """Pass 2 over `tasks`, results in task order, their kept rows in `buckets` once the
        results are all given (the caller counts them there, and closes it)."""
        ...


@contextlib.contextmanager
def open_engine(
    name: str, workers: int, ray_address: str | None = None, cache: BuildCache | None = None
) -> Iterator[Engine]:
    """The engine `name`; `cache` answers pass 1 for the files it holds (on Ray, it must be
    on storage every node sees, as the spool is)."""
    if name == "local":
        yield LocalEngine(workers, cache)
    elif name == "ray":
        from dataset_builder.engines.ray_engine import RayEngine, ray_session

        with ray_session(workers, ray_address):
            yield RayEngine(workers, cache)
    else:
        raise ConfigError(f"unknown engine {name!r}; use one of {', '.join(ENGINES)}")
