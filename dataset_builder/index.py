"""The building process's index of spooled records, held as columns.

Row i is spool row i. The global steps and the books need, for every record, its id, its
provenance and its fate; kept as Python objects (a str per id, a tuple per provenance, a
str per fate) that is ~200-500 B a record, 50 GB at 100M. Here an id costs its UTF-8 bytes
plus an offset (Arrow), a provenance field that repeats from record to record (path,
SHA-256, format, encoding) a 4-byte code, a line 8 bytes, and a fate 9 bytes: what it is
and one number (the split, the reason or the row it duplicates). `bench/driver_index.py`
measures it.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dataset_builder.config import SPLITS
from dataset_builder.records import Duplicate, Rejection, locator

UNDECIDED, SPLIT, REJECTED, DUPLICATE = 0, 1, 2, 3


@dataclass
class Codes:
    """A column whose values repeat (a file's path, a format): a code per row, each value once."""

    values: list[Any] = field(default_factory=list)
    codes: array = field(default_factory=lambda: array("i"))
    _code: dict[Hashable, int] = field(default_factory=dict)

    def code(self, value: Hashable) -> int:
        code = self._code.get(value)
        if code is None:
            code = self._code[value] = len(self.values)
            self.values.append(value)
        return code

    def extend(self, values: Sequence[Hashable]) -> None:
        for value in dict.fromkeys(values):  # each distinct value once, in order of appearance
            self.code(value)
        self.codes.extend(map(self._code.__getitem__, values))

    def __getitem__(self, row: int) -> Any:
        return self.values[self.codes[row]]

    def arrow(self, kind: pa.DataType) -> pa.Array:
        """The whole column, decoded."""
        return pa.array(self.values, kind).take(pa.array(np.array(self.codes, np.int32)))


@dataclass
class Index:
    """What the global steps know of each spooled record: its id, provenance and fate."""

    _chunks: list[pa.Array] = field(default_factory=list)  # the ids, a batch a chunk
    _ids: pa.Array | None = None  # the chunks, joined when first read whole
    paths: Codes = field(default_factory=Codes)
    lines: array = field(default_factory=lambda: array("q"))
    hashes: Codes = field(default_factory=Codes)  # the input files' SHA-256
    formats: Codes = field(default_factory=Codes)
    encodings: Codes = field(default_factory=Codes)
    kinds: array = field(default_factory=lambda: array("b"))  # UNDECIDED, SPLIT, ...
    values: array = field(default_factory=lambda: array("q"))  # split, reason or row duplicated
    reasons: Codes = field(default_factory=Codes)
    pii: dict[int, str] = field(default_factory=dict)  # row -> what personal information it holds

    def add(self, ids: list[str], provenance: list[tuple[Any, ...]]) -> None:
        """Enter one batch of pass 1: its records' ids and provenance, in spool order."""
        self._chunks.append(pa.array(ids, pa.string()))
        self._ids = None
        if not ids:
            return
        paths, lines, hashes, formats, encodings = zip(*provenance, strict=True)
        self.paths.extend(paths)
        self.lines.extend(lines)
        self.hashes.extend(hashes)
        self.formats.extend(formats)
        self.encodings.extend(encodings)
        self.kinds.frombytes(bytes(len(ids)))
        self.values.frombytes(bytes(8 * len(ids)))

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def nbytes(self) -> int:
        """The bytes its columns hold (what `bench/driver_index.py` reports per record)."""
        arrays = (self.paths.codes, self.lines, self.hashes.codes, self.formats.codes, self.encodings.codes)
        held = sum(a.itemsize * len(a) for a in (*arrays, self.kinds, self.values))
        return held + sum(chunk.nbytes for chunk in self._chunks)

    @property
    def ids(self) -> pa.Array:
        """Every record's id, as one Arrow string array."""
        if self._ids is None:
            joined = pa.chunked_array(self._chunks, pa.string()).combine_chunks()
            self._chunks = [joined]
            self._ids = joined
        return self._ids

    def id(self, row: int) -> str:
        return self.ids[row].as_py()

    def provenance(self, row: int) -> tuple[Any, ...]:
        """The row's `Provenance` values, in order."""
        return (self.paths[row], self.lines[row], self.hashes[row], self.formats[row], self.encodings[row])

    def locator(self, row: int) -> str:
        return locator(self.paths[row], self.lines[row], self.formats[row])

    def rejection(self, row: int, reason: str, detail: str) -> Rejection:
        self.kinds[row], self.values[row] = REJECTED, self.reasons.code(reason)
        return Rejection(*self.provenance(row), reason=reason, detail=detail, id=self.id(row))

    def duplicate(self, row: int, of: int, kind: str, similarity: float) -> Duplicate:
        self.kinds[row], self.values[row] = DUPLICATE, of
        return Duplicate(
            *self.provenance(row), id=self.id(row), duplicate_of=self.id(of), kind=kind, similarity=similarity
        )

    def place(self, row: int, split: str) -> None:
        self.kinds[row], self.values[row] = SPLIT, SPLITS.index(split)

    def in_split(self, row: int) -> bool:
        return self.kinds[row] == SPLIT

    def fates(self) -> pa.Array:
        """Every row's fate as lineage writes it: `split:NAME`, `rejected:REASON` or
        `duplicate:ID` ("" while undecided)."""
        kinds = np.array(self.kinds, np.int8)  # copies: a view would pin the arrays' size
        values = np.array(self.values, np.int64)
        labels = [""] + [f"split:{s}" for s in SPLITS] + [f"rejected:{r}" for r in self.reasons.values]
        code = np.where(kinds == SPLIT, 1 + values, 0)
        code = np.where(kinds == REJECTED, 1 + len(SPLITS) + values, code)
        named = pa.array(labels, pa.string()).take(pa.array(code))
        duplicated = kinds == DUPLICATE
        if not duplicated.any():
            return named
        of = self.ids.take(pa.array(np.where(duplicated, values, 0)))
        return pc.if_else(pa.array(duplicated), pc.binary_join_element_wise("duplicate:", of, ""), named)

    def columns(self) -> dict[str, pa.Array]:
        """Provenance, id and fate of every row, as lineage's columns."""
        return {
            "raw_path": self.paths.arrow(pa.string()),
            "raw_line": pa.array(np.array(self.lines, np.int64)),
            "raw_sha256": self.hashes.arrow(pa.string()),
            "raw_format": self.formats.arrow(pa.string()),
            "raw_encoding": self.encodings.arrow(pa.string()),
            "id": self.ids,
            "fate": self.fates(),
        }
