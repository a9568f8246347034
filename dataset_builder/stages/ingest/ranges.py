"""Line ranges: an uncompressed JSON Lines file handed out in pieces, so that worker
processes read and parse the lines and the building process only finds line breaks."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from dataset_builder.config import IngestSettings
from dataset_builder.records import Record, Rejection
from dataset_builder.stages.decode import bom_encoding
from dataset_builder.stages.ingest.files import (
    CHUNK,
    READ_ERRORS,
    InputFile,
    compression,
    input_format,
    open_raw,
    unreadable,
)
from dataset_builder.stages.ingest.jsonlines import LINE_BREAK, WIDE, jsonl_items, lines, peek
from dataset_builder.stages.ingest.readers import read_file, with_sources


@dataclass(frozen=True)
class LineRange:
    """`count` lines of an uncompressed JSON Lines file from byte `start`, the first being
    line `first`. Whoever processes the lines reads and parses them (`read`), so that with
    worker processes the building process only finds line breaks."""

    file: InputFile
    settings: IngestSettings
    start: int
    first: int
    count: int
    rest: bool = False  # the lines past `max_records_per_file`: at most their one reject

    def read(self) -> Iterator[Record | Rejection]:
        """The range's items, the same as `read_file` gives for these lines."""
        yield from with_sources(self.file, self.settings, self.parsed(), "jsonl", self.first)

    def parsed(self) -> Iterator[Record | Rejection]:
        with open_raw(self.file) as fh:
            fh.seek(self.start)
            numbered = lines(fh, self.settings.max_record_bytes, self.first)
            if not self.rest:  # the rest ends at its first line that is not blank (`jsonl_items`)
                numbered = itertools.islice(numbered, self.count)
            yield from jsonl_items(self.file, numbered, self.settings)


Unit = Record | Rejection | LineRange
"""What pass 1 is handed: an item read, or lines to read."""


def read_units(file: InputFile, settings: IngestSettings, lines_per_range: int) -> Iterator[Unit]:
    """A file's items as `read_file` gives them, or, for an uncompressed JSON Lines file
    (not UTF-16/32), `LineRange`s of `lines_per_range` lines that give the same items when read."""
    if input_format(file.rel) != ".jsonl" or compression(file.rel):
        yield from read_file(file, settings)
        return
    try:
        with open_raw(file) as fh:
            wide = bom_encoding(peek(fh, 4)) in WIDE
            if not wide:
                yield from line_ranges(file, fh, settings, lines_per_range)
    except READ_ERRORS as exc:
        yield unreadable(file, "jsonl", 1, exc)
        return
    if wide:  # newlines are several bytes wide: read whole
        yield from read_file(file, settings)


def line_ranges(
    file: InputFile, fh: BinaryIO, settings: IngestSettings, lines_per_range: int, chunk_size: int = CHUNK
) -> Iterator[LineRange]:
    """Cut the file into ranges of whole lines, reading it `chunk_size` bytes at a time.
    Lines end where `lines` ends them (`LINE_BREAK`: `\\n`, `\\r\\n` or a lone `\\r`), and a
    range never starts between the `\\r` and `\\n` of one line break. The last range ends
    at line `max_records_per_file`; the lines after it, if any, are one `rest` range, read
    only as far as its first line that is not blank, that line's reject standing for them all."""
    limit = settings.max_records_per_file
    start, first, count, offset, terminated = 0, 1, 0, 0, True
    carry = b""  # a `\r` that ended the last read: the next byte may be its `\n`
    while True:
        data = fh.read(chunk_size)
        chunk, at = carry + data, offset - len(carry)  # `at`: where `chunk` starts in the file
        carry = b""
        if not chunk:
            break
        if data and chunk.endswith(b"\r"):
            chunk, carry = chunk[:-1], b"\r"
        for end in line_ends(chunk):
            count += 1
            if count == lines_per_range or first + count > limit:
                yield LineRange(file, settings, start, first, count)
                start, first, count = at + end, first + count, 0
                if first > limit:
                    if start < offset + len(data) or fh.read(1):  # lines follow
                        yield LineRange(file, settings, start, first, 1, rest=True)
                    return
        offset += len(data)
        if chunk:
            terminated = chunk.endswith((b"\n", b"\r"))
    if offset > start:  # the lines after the last full range; the file's last may lack its break
        yield LineRange(file, settings, start, first, count + (not terminated))


def line_ends(chunk: bytes) -> Iterator[int]:
    """Where each line break in `chunk` (which does not end in `\\r`) ends, as `LINE_BREAK`
    finds them; by `bytes.find` when the chunk's breaks are all of one kind (nearly always),
    five to ten times faster than the pattern."""
    returns = chunk.count(b"\r")
    if not returns or returns == chunk.count(b"\r\n"):
        byte = b"\n"
    elif b"\n" not in chunk:
        byte = b"\r"
    else:
        yield from (found.end() for found in LINE_BREAK.finditer(chunk))
        return
    at = 0
    while (found := chunk.find(byte, at)) != -1:
        at = found + 1
        yield at


def file_chunks(file: InputFile, settings: IngestSettings, size: int) -> Iterator[list[Unit]]:
    """A file's units as `read_units` gives them, in chunks: each line range alone, other
    items `size` at a time. The same bytes and settings always give the same chunks, so a
    chunk's number in its file can name its result in the build cache."""
    chunk: list[Unit] = []
    for unit in read_units(file, settings, size):
        if isinstance(unit, LineRange):
            if chunk:
                yield chunk
                chunk = []
            yield [unit]
            continue
        chunk.append(unit)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def chunk_weight(chunk: list[Unit]) -> int:
    """Records (or lines) in a chunk: what a batch of pass 1 is filled by."""
    return sum(unit.count if isinstance(unit, LineRange) else 1 for unit in chunk)
