"""Records on disk between passes, so a build holds only indexes in memory, never texts.

The first pass appends each valid record to an Arrow IPC file; the global steps decide
from in-memory arrays (ids, hashes, band keys); later passes stream the file back batch
by batch, or fetch the few rows a step needs. Row numbers are the order of arrival.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BATCH_ROWS = 1024


class SpoolWriter:
    """Append-only: rows are buffered and written as record batches of BATCH_ROWS."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self.sink = pa.OSFile(str(path), "wb")
        self.writer = pa.ipc.new_file(self.sink, schema)
        self.pending: list[dict[str, Any]] = []
        self.rows = 0

    def append(self, row: dict[str, Any]) -> int:
        """Write a row; returns its row number."""
        self.pending.append(row)
        self.rows += 1
        if len(self.pending) == BATCH_ROWS:
            self.flush()
        return self.rows - 1

    def flush(self) -> None:
        if self.pending:
            self.writer.write_batch(pa.RecordBatch.from_pylist(self.pending, schema=self.schema))
            self.pending = []

    def close(self) -> SpoolReader:
        self.flush()
        self.writer.close()
        self.sink.close()
        return SpoolReader(self.path)


class SpoolReader:
    """Reads with plain file reads, not a memory map: mapped pages would count towards
    the process's resident memory as the whole spool is scanned."""

    def __init__(self, path: Path) -> None:
        self.source = pa.OSFile(str(path), "rb")
        self.reader = pa.ipc.open_file(self.source)

    def batches(self, columns: list[str] | None = None) -> Iterator[tuple[int, pa.RecordBatch]]:
        """(first row number, batch) in row order."""
        first = 0
        for i in range(self.reader.num_record_batches):
            batch = self.reader.get_batch(i)
            yield first, batch.select(columns) if columns else batch
            first += batch.num_rows

    def take(self, rows: np.ndarray, column: str) -> dict[int, Any]:
        """Values of one column for the given row numbers (BATCH_ROWS per batch but the last)."""
        wanted = np.unique(rows)
        values: dict[int, Any] = {}
        for index in np.unique(wanted // BATCH_ROWS):
            in_batch = wanted[wanted // BATCH_ROWS == index]
            picked = (
                self.reader.get_batch(int(index)).column(column).take(pa.array(in_batch - index * BATCH_ROWS))
            )
            values.update(zip(in_batch.tolist(), picked.to_pylist(), strict=True))
        return values

    def close(self) -> None:
        self.source.close()


class SplitBuckets:
    """Kept records routed by split and by id range, so that each split can be written
    sorted by id while holding one bucket in memory: bucket b of a split holds ids that
    sort before every id of bucket b + 1."""

    def __init__(self, folder: Path, schema: pa.Schema, buckets: int) -> None:
        self.folder = folder
        self.schema = schema
        self.buckets = buckets
        self.pending: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.writers: dict[tuple[str, int], Any] = {}

    def add(self, split: str, bucket: int, record: dict[str, Any]) -> None:
        rows = self.pending.setdefault((split, bucket), [])
        rows.append(record)
        if len(rows) == 256:
            self.flush((split, bucket))

    def flush(self, key: tuple[str, int]) -> None:
        rows = self.pending.pop(key, [])
        if not rows:
            return
        if key not in self.writers:
            sink = pa.OSFile(str(self.folder / f"{key[0]}-{key[1]:05d}.arrow"), "wb")
            self.writers[key] = (sink, pa.ipc.new_stream(sink, self.schema))
        self.writers[key][1].write_batch(pa.RecordBatch.from_pylist(rows, schema=self.schema))

    def close(self) -> None:
        for key in list(self.pending):
            self.flush(key)
        for sink, writer in self.writers.values():
            writer.close()
            sink.close()

    def sorted_tables(self, split: str) -> Iterator[pa.Table]:
        """The split's buckets in order, each sorted by id."""
        for bucket in range(self.buckets):
            path = self.folder / f"{split}-{bucket:05d}.arrow"
            if path.exists():
                with pa.OSFile(str(path), "rb") as source:
                    table = pa.ipc.open_stream(source).read_all()
                yield table.take(pc.sort_indices(table, [("id", "ascending")]))
