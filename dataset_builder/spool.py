"""Records on disk between passes, so a build holds only indexes in memory, never texts.

In the first pass each worker writes the valid records of its batch to a file of their
own, named by the batch (a unique name; the engine picks it); the global steps decide from
in-memory arrays (ids, hashes, band keys); the second pass gives each worker a batch name
to read back. Texts
never travel through the parent process, which would otherwise spend as much time
serialising them as the workers spend cleaning them. A record's spool row is its place
in the order batches were read.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from dataset_builder.arrays import distinct
from dataset_builder.errors import BuildError


def batch_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.arrow"


def write_batch(folder: Path, name: str, batch: pa.RecordBatch) -> None:
    path = str(batch_path(folder, name))
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
        writer.write_batch(batch)


def read_batch(folder: Path, name: str, columns: list[str] | None = None) -> pa.RecordBatch:
    """One batch file, read with plain file reads (a memory map's pages would count towards
    resident memory as the spool is scanned)."""
    with pa.OSFile(str(batch_path(folder, name)), "rb") as source:
        batch = pa.ipc.open_file(source).get_batch(0)
    return batch.select(columns) if columns else batch


def read_batch_hashed(folder: Path, name: str) -> tuple[pa.RecordBatch, bytes]:
    """One batch file, and the xxh3-128 of its bytes: pass 2's batch cache is keyed by what
    was spooled."""
    data = batch_path(folder, name).read_bytes()
    return pa.ipc.open_file(pa.py_buffer(data)).get_batch(0), xxhash.xxh3_128_digest(data)


class Spool:
    """The spool folder, and the name and first row of each batch, in row order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names: list[str] = []
        self.starts: list[int] = []  # spool row of each batch's first record
        self.rows = 0

    def add_batch(self, name: str, rows: int) -> None:
        """Note the next batch: `rows` records in the file `name`."""
        self.names.append(name)
        self.starts.append(self.rows)
        self.rows += rows

    def batches(self, columns: list[str] | None = None) -> Iterator[tuple[int, pa.RecordBatch]]:
        """(first spool row, batch) in row order."""
        for number, first in enumerate(self.starts):
            if self.size(number):  # a batch without valid records has no file
                yield first, read_batch(self.folder, self.names[number], columns)

    def size(self, number: int) -> int:
        end = self.starts[number + 1] if number + 1 < len(self.starts) else self.rows
        return end - self.starts[number]

    def take(self, rows: np.ndarray, column: str) -> Iterator[tuple[int, Any]]:
        """(row, value) of one column for the given spool rows, one batch file at a time, so
        that only one batch's values are in memory."""
        return take_located(self.folder, self.locate(rows), column)

    def locate(self, rows: np.ndarray) -> list[Located]:
        """The given rows, each once, by batch file: (batch name, [(row, offset in it)])."""
        by_batch: dict[int, list[tuple[int, int]]] = {}
        for row in distinct(rows.ravel()).tolist():
            number = bisect.bisect_right(self.starts, row) - 1
            by_batch.setdefault(number, []).append((row, row - self.starts[number]))
        return [(self.names[number], located) for number, located in by_batch.items()]


Located = tuple[str, list[tuple[int, int]]]  # batch name, [(spool row, offset in the batch)]


def take_located(folder: Path, located: list[Located], column: str) -> Iterator[tuple[int, Any]]:
    """(row, value) of one column for rows located by `Spool.locate`."""
    for name, rows in located:
        offsets = pa.array([offset for _, offset in rows], pa.int64())
        picked = read_batch(folder, name, [column]).column(0).take(offsets)
        yield from zip((row for row, _ in rows), picked.to_pylist(), strict=True)


class SplitBuckets:
    """Kept records routed by split and by id range, so that each split can be written
    sorted by id while holding one bucket in memory: bucket b of a split holds ids that
    sort before every id of bucket b + 1.

    Records arrive in input order and so scatter over every bucket: a batch of 64 records
    in a corpus of 1M has ~40 routes. Writing each route's few rows as an IPC batch of its
    own cost more than tagging their languages, so each batch's runs of rows with one route
    (pass 2 sends its rows sorted by route) wait in memory as slices, up to `buffer_bytes`,
    and each route's are written as one IPC batch: one copy of each row, none of it a take.

    Several processes can fill one set of buckets: each writes its own files (`part`). The
    process that reads them back is told how many rows were sent to each bucket (`expect`,
    whoever wrote them); a bucket is read as all its parts, and one holding fewer rows than
    were sent to it (a writer that could not finish) is an error, not a smaller release."""

    def __init__(
        self, folder: Path, schema: pa.Schema, buckets: int, buffer_bytes: int = 64 << 20, part: str = ""
    ) -> None:
        self.folder = folder
        self.schema = schema
        self.buckets = buckets
        self.buffer_bytes = buffer_bytes
        self.part = part
        self.writers: dict[tuple[str, int], Any] = {}
        self.waiting: dict[tuple[str, int], list[pa.RecordBatch]] = {}
        self.waiting_bytes = 0
        self.expected: Counter[tuple[str, int]] = Counter()

    def for_writers(self, writers: int) -> SplitBuckets:
        """An empty copy to hand to `writers` processes, each to write its `own` part; they
        share this one's memory budget."""
        return SplitBuckets(self.folder, self.schema, self.buckets, self.buffer_bytes // writers)

    def own(self, writer: str) -> SplitBuckets:
        """Writer `writer`'s part of the buckets: files of its own beside the other writers'."""
        return SplitBuckets(self.folder, self.schema, self.buckets, self.buffer_bytes, f".{writer}")

    def add(self, batch: pa.RecordBatch, routes: list[tuple[str, int]]) -> None:
        """Route row i of `batch` to bucket `routes[i]` = (split, bucket)."""
        start = 0
        for end in range(1, len(routes) + 1):
            if end == len(routes) or routes[end] != routes[start]:
                self.waiting.setdefault(routes[start], []).append(batch.slice(start, end - start))
                start = end
        self.waiting_bytes += batch.nbytes
        if self.waiting_bytes >= self.buffer_bytes:
            self.flush()

    def expect(self, routes: list[tuple[str, int]]) -> None:
        """Count rows sent to these buckets (by `add` here, or to a part in another process)."""
        self.expected.update(routes)

    def flush(self) -> None:
        for route, slices in self.waiting.items():
            self.writer(route).write_batch(pa.concat_batches(slices))
        self.waiting, self.waiting_bytes = {}, 0

    def writer(self, route: tuple[str, int]) -> Any:
        if route not in self.writers:
            split, bucket = route
            sink = pa.OSFile(str(self.folder / f"{split}-{bucket:05d}{self.part}.arrow"), "wb")
            self.writers[route] = (sink, pa.ipc.new_stream(sink, self.schema))
        return self.writers[route][1]

    def close(self) -> None:
        self.flush()
        for sink, writer in self.writers.values():
            writer.close()
            sink.close()
        self.writers = {}

    def sorted_tables(self, split: str) -> Iterator[pa.Table]:
        """The split's buckets in order, each sorted by id (ids are unique, so the order
        the parts are read in does not matter)."""
        for bucket in range(self.buckets):
            tables = []
            for path in sorted(self.folder.glob(f"{split}-{bucket:05d}.*arrow")):
                with pa.OSFile(str(path), "rb") as source:
                    tables.append(pa.ipc.open_stream(source).read_all())
            rows = sum(table.num_rows for table in tables)
            if rows != self.expected[split, bucket]:
                raise BuildError(
                    f"the {split} split's bucket {bucket} holds {rows:,} rows of the "
                    f"{self.expected[split, bucket]:,} written to it (a full disk?); nothing was published"
                )
            if rows:
                table = pa.concat_tables(tables)
                yield table.take(pc.sort_indices(table, [("id", "ascending")]))
