"""How per-record stages run: in this process, or in worker processes.

Stages never know which. Results always come back in input order, so the output is the
same for any number of workers. At most `2 * workers` batches are in flight, so memory
stays bounded however long the input is.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing.util
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice
from typing import Any, TypeVar

from dataset_builder.processes import die_with_parent

T = TypeVar("T")
R = TypeVar("R")


def map_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    finalizer: Callable[[], None] | None = None,
) -> Iterator[R]:
    """`map(fn, items)` over `workers` processes, each set up once by `initializer` and, after
    its last item, closed by `finalizer` (to write out what it still holds: a worker runs it
    as it exits, and the iterator ends once every worker has). A single item is mapped in
    this process: forking a pool and setting up a worker for it would cost more than the
    item (a small build's only batch)."""
    items = iter(items)
    head = list(islice(items, 2))
    if workers <= 1 or len(head) < 2:
        if initializer:
            initializer(*initargs)
        try:
            yield from map(fn, chain(head, items))
        finally:
            if finalizer:
                finalizer()
        return
    items = chain(head, items)
    # Workers are forked: freezing the collector first keeps their garbage collections from
    # writing to (and so copying) every object of the parent's heap they share.
    gc.freeze()
    try:
        yield from pool_map(fn, items, workers, initializer, initargs, finalizer)
    finally:
        gc.unfreeze()


def pool_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
    finalizer: Callable[[], None] | None = None,
) -> Iterator[R]:
    """The pool's workers die with this process (`processes.die_with_parent`); when the
    build stops early (an error, Ctrl-C, a consumer that stops reading) the batches not yet
    started are cancelled rather than run to the end. The iterator ends once every worker
    has exited (and run `finalizer`)."""
    pool = ProcessPoolExecutor(
        workers, initializer=start_worker, initargs=(os.getpid(), initializer, initargs, finalizer)
    )
    try:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()  # waits for every worker to exit (and run `finalizer`)


def start_worker(
    parent: int,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
    finalizer: Callable[[], None] | None,
) -> None:
    die_with_parent(parent)
    if initializer:
        initializer(*initargs)
    if finalizer:
        # Run as the worker process exits (multiprocessing's exit hook), after its last item.
        multiprocessing.util.Finalize(None, functools.partial(quietly, finalizer), exitpriority=0)


def quietly(finalizer: Callable[[], None]) -> None:
    """A worker's `finalizer`, whose OSError (a full disk) has no result to travel back in:
    what it could not write is missing, which its reader must check (`SplitBuckets` counts
    rows), rather than a traceback on the build's output."""
    with contextlib.suppress(OSError):
        finalizer()


def batched(items: Iterable[T], size: int, weight: Callable[[T], int] | None = None) -> Iterator[list[T]]:
    """Lists of consecutive items, each closed once its items weigh `size` (each weighs 1
    unless `weight` says otherwise)."""
    batch: list[T] = []
    filled = 0
    for item in items:
        batch.append(item)
        filled += weight(item) if weight else 1
        if filled >= size:
            yield batch
            batch, filled = [], 0
    if batch:
        yield batch
