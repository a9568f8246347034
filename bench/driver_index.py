"""What the building process keeps per record: the index of ids, provenance and fates.

Fills `dataset_builder.index.Index` the way a build does — batches of 1,000 records, each
batch pickled and unpickled as a worker's answer is, 10 batches per input file — then
gives every record a fate (95 % a split, 2.5 % rejected, 2.5 % duplicates) and turns the
fates into lineage's column. Memory is the growth of resident memory (what the allocators
keep, too), beside the bytes the index's columns hold. In the same run, the layout the
index replaced (a str per id, a tuple per provenance, a str per fate), for the ratio.

    python bench/driver_index.py --records 1000000
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import pickle
import time
from collections.abc import Callable, Iterator
from typing import Any

from dataset_builder.index import Index

BATCH = 1000
BATCHES_PER_FILE = 10


def resident() -> int:
    """This process's resident memory, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def batches(records: int) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
    """Ids and provenance as a worker sends them (pickled: equal strings of a batch shared)."""
    for number in range(records // BATCH):
        path = f"news/part-{number // BATCHES_PER_FILE:05d}.jsonl"
        sha = hashlib.sha256(path.encode()).hexdigest()
        first = (number % BATCHES_PER_FILE) * BATCH
        ids = [f"news-{number * BATCH + i:08d}" for i in range(BATCH)]
        provenance = [(path, first + i + 1, sha, "jsonl", "utf-8") for i in range(BATCH)]
        yield pickle.loads(pickle.dumps((ids, provenance)))


def fate(row: int) -> str:
    return "rejected" if row % 40 == 1 else "duplicate" if row % 40 == 2 else "split"


def columns(records: int) -> Index:
    index = Index()
    for ids, provenance in batches(records):
        index.add(ids, provenance)
    for row in range(records):
        kind = fate(row)
        if kind == "split":
            index.place(row, "train")
        elif kind == "rejected":
            index.rejection(row, "language", "")
        else:
            index.duplicate(row, row - 1, "near", 0.9)
    return index


def objects(records: int) -> tuple[list[str], list[tuple[Any, ...]], list[str]]:
    ids: list[str] = []
    provenance: list[tuple[Any, ...]] = []
    for batch_ids, batch_provenance in batches(records):
        ids += batch_ids
        provenance += batch_provenance
    fates = [""] * records
    for row in range(records):
        kind = fate(row)
        fates[row] = (
            "split:train"
            if kind == "split"
            else "rejected:language"
            if kind == "rejected"
            else f"duplicate:{ids[row - 1]}"
        )
    return ids, provenance, fates


def measure(build: Callable[[int], Any], records: int) -> tuple[Any, float, float]:
    """What `build` keeps, its bytes per record and the seconds it took."""
    gc.collect()
    before, start = resident(), time.perf_counter()
    kept = build(records)
    seconds = time.perf_counter() - start
    gc.collect()
    return kept, (resident() - before) / records, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    records = parser.parse_args().records
    objects(10 * BATCH), columns(10 * BATCH).fates()  # imports and first allocations, unmeasured
    old, old_bytes, old_seconds = measure(objects, records)
    del old
    index, new_bytes, new_seconds = measure(columns, records)
    start = time.perf_counter()
    fates = index.fates()
    lineage_seconds = time.perf_counter() - start
    assert fates[2].as_py() == f"duplicate:{index.id(1)}"
    print(f"records                              {records:>12,}")
    print(f"Python objects (before)              {old_bytes:>10.0f} B/record   {old_seconds:6.2f} s")
    print(f"columns (dataset_builder.index)      {new_bytes:>10.0f} B/record   {new_seconds:6.2f} s")
    print(f"columns / objects                    {new_bytes / old_bytes:>12.2f}")
    print(f"columns' own bytes (Index.nbytes)    {index.nbytes / records:>10.0f} B/record")
    print(f"fates as lineage's column            {lineage_seconds:>12.2f} s")


if __name__ == "__main__":
    main()
