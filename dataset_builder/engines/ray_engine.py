"""The Ray engine (`pip install '.[ray]'`): the passes in Ray Data actors, the global steps
as Ray Data groupings (`ray_steps`), calling the same stage functions as the local engine."""

from __future__ import annotations

import contextlib
import functools
import logging
import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from dataset_builder.cache import Store
from dataset_builder.config import IngestSettings, Settings
from dataset_builder.decide.steps import Corpus, Decisions
from dataset_builder.engines import boilerplate, passes
from dataset_builder.engines.cached import BuildCache, read_parts
from dataset_builder.engines.passes import Annotated, AnnotateTask, Prepared, WorkerSetup
from dataset_builder.errors import ConfigError
from dataset_builder.spool import SplitBuckets, Spool
from dataset_builder.stages.ingest import InputFile


@contextlib.contextmanager
def ray_session(workers: int, address: str | None) -> Iterator[None]:
    """Join the Ray cluster at `address`, or the one already started in this process, or
    start a local one with `workers` CPUs; Ray Data keeps the order of rows."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise ConfigError("--engine ray needs Ray: pip install '.[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(
            address=address,
            num_cpus=None if address else workers,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # it says each run that it drew no bars
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    # The global steps run many small groupings: the pull-based sort shuffle starts each in
    # ~0.3 s here, the hash shuffle's aggregator actors in 2-5 s.
    context.shuffle_strategy = ray.data.context.ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    context.enable_progress_bars = False
    try:
        yield
    finally:
        if started:
            ray.shutdown()


@dataclass(frozen=True)
class RayEngine:
    """Pass 1 as Ray Data: one row per input file, `flat_map` reads each into rows of
    (key, part) — or, for a file the build cache holds, gives its parts as keys — and
    `map_batches` runs `prepare` in an actor pool of `workers`. Pass 2 is one
    `map_batches(annotate)` row per spool batch. Records before validation have no fixed
    types (a title may be a number until the schema rejects it), so they travel pickled in
    a binary column; spooled records are typed Arrow files that the actors read and write
    themselves, so the spool folder must be on storage every node sees.

    Pass 1's results stay in Ray's object store: the building process reads the Prepared
    half (ids, provenance, rejects), and the global steps (`distributed.decide`) run in
    Ray on the DedupKeys half."""

    workers: int
    cache: BuildCache | None = None  # the build cache, on storage every node sees
    results: list[Any] = field(default_factory=list)  # pass 1's materialized dataset, until decided

    def prepared(
        self, files: list[InputFile], read: IngestSettings, setup: WorkerSetup, advance: Callable[[int], None]
    ) -> Iterator[Prepared]:
        import ray.data

        listing = ray.data.from_items(
            [self.file_row(number, file) for number, file in enumerate(files)],
            override_num_blocks=max(1, min(len(files), 64 * self.workers)),  # a task per block
        )
        # Reading asks for no CPU of Ray's: the actors hold one each, and on a machine with as
        # many CPUs as actors, readers that waited for a free CPU would wait forever.
        store = self.cache.store if self.cache else None
        rows = listing.flat_map(
            functools.partial(part_rows, files=files, settings=read, store=store),
            num_cpus=0,
            concurrency=self.workers,
        )
        results = rows.map_batches(
            PrepareBatch,
            fn_constructor_args=(setup,),
            batch_size=PARTS_PER_BATCH,
            batch_format="pyarrow",
            compute=actor_pool(self.workers),
        )
        self.results.append(results.materialize())
        yield from unpickled(self.results[0].select_columns(["prepared"]), "prepared")
        advance(sum(file.size for file in files))

    def file_row(self, number: int, file: InputFile) -> dict[str, Any]:
        """One input file for the readers: its number, its cache listing, and the parts
        the cache already holds (pickled; empty when the file must be read)."""
        if self.cache is None:
            return {"file": number, "listing": "", "cached": b""}
        listing, cached = self.cache.lookup(file)
        return {"file": number, "listing": listing or "", "cached": pickle.dumps(cached) if cached else b""}

    def stripped(
        self, spool: Spool, lines: list[tuple[str, tuple[int, ...]]], settings: Settings
    ) -> dict[str, list[dict[str, Any]]]:
        """Learned boilerplate: pass 1's dataset mapped by a pool of actors that strip the
        batches holding some (`boilerplate.strip_batch`, the local engine's) and replace
        their keys; the global steps then read the new dataset."""
        plan = boilerplate.learned(spool, lines, settings)
        if plan is None:
            return {}
        names = frozenset(spool.names[number] for number in boilerplate.to_strip(spool, lines, plan))
        stripped = (
            self.results.pop()
            .map_batches(
                StripBatch,
                fn_constructor_args=(plan, names),
                batch_size=1,
                batch_format="pyarrow",
                compute=actor_pool(self.workers),
            )
            .materialize()
        )
        self.results.append(stripped)
        return boilerplate.summary(unpickled(stripped.select_columns(["removed"]), "removed"))

    def decided(self, corpus: Corpus) -> Decisions:
        from dataset_builder.engines import ray_steps as distributed

        return distributed.decide(self.results.pop(), corpus, self.workers)

    def annotated(
        self, tasks: Iterable[AnnotateTask], setup: WorkerSetup, buckets: SplitBuckets
    ) -> Iterator[Annotated]:
        """The actors send their kept rows back, and they go to `buckets` here."""
        import ray.data

        rows = [
            {
                "batch": batch,
                "offsets": offsets,
                "splits": [s for s, _ in routes],
                "buckets": [b for _, b in routes],
            }
            for batch, offsets, routes in tasks
        ]
        if not rows:
            return
        results = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            AnnotateBatch,
            fn_constructor_args=(setup,),
            batch_size=1,
            batch_format="pyarrow",
            compute=actor_pool(self.workers),
        )
        for result in unpickled(results, "annotated"):
            buckets.add(result.kept, result.routes)
            yield result


def actor_pool(workers: int) -> Any:
    """Up to `workers` actors, each set up once; fewer when there is less work than that."""
    import ray.data

    return ray.data.ActorPoolStrategy(min_size=1, max_size=workers)


PARTS_PER_BATCH = 16  # parts of input files (up to 64 records each) per `prepare` call


def part_rows(
    row: dict[str, Any], files: list[InputFile], settings: IngestSettings, store: Store | None
) -> list[dict[str, Any]]:
    """The parts of one input file (`engines.cached`): those the cache holds as keys, else
    read (and their listing stored); keyed `file-part` so that each batch of them can name
    its spool file after its first key."""
    number = row["file"]
    if row["cached"]:
        parts = pickle.loads(row["cached"])
    else:
        parts = list(read_parts(files[number], settings, store, row["listing"] or None))
    return [{"key": f"{number:07d}-{part.number:09d}", "part": pickle.dumps(part)} for part in parts]


class PrepareBatch:
    def __init__(self, setup: WorkerSetup) -> None:
        passes.init_prepare(setup)

    def __call__(self, batch: pa.Table) -> dict[str, list[bytes]]:
        parts = [pickle.loads(part) for part in batch.column("part").to_pylist()]
        prepared, keys = passes.prepare((batch.column("key")[0].as_py(), parts))
        return {"batch": [prepared.batch], "prepared": [pickle.dumps(prepared)], "keys": [pickle.dumps(keys)]}


class StripBatch:
    """Learned boilerplate for one row of pass 1's dataset: its spool batch stripped and its
    keys replaced when `names` holds it, else the row as it was; `removed` says what went."""

    def __init__(self, plan: boilerplate.Learned, names: frozenset[str]) -> None:
        self.plan = plan
        self.names = names

    def __call__(self, batch: pa.Table) -> pa.Table:
        name = batch.column("batch")[0].as_py()
        removed: boilerplate.Removed = []
        if name in self.names:
            stripped = boilerplate.strip_batch(name, self.plan)
            batch = batch.set_column(
                batch.schema.get_field_index("keys"), "keys", pa.array([pickle.dumps(stripped.keys)])
            )
            removed = stripped.removed
        return batch.append_column("removed", pa.array([pickle.dumps(removed)]))


class AnnotateBatch:
    def __init__(self, setup: WorkerSetup) -> None:
        passes.init_annotate(setup)

    def __call__(self, batch: pa.Table) -> dict[str, list[bytes]]:
        task = batch.to_pylist()[0]
        routes = list(zip(task["splits"], task["buckets"], strict=True))
        return {"annotated": [pickle.dumps(passes.annotate((task["batch"], task["offsets"], routes)))]}


def unpickled(results: Any, column: str) -> Iterator[Any]:
    """The rows of a Ray dataset's one binary column, in order."""
    for row in results.iter_rows():
        yield pickle.loads(row[column])
