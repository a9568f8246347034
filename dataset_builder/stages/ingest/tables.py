"""Tables from other tools: CSV/TSV (dialect per `[[ingest.tables]]` pattern) and Parquet,
one record per row, mapped like JSON objects."""

from __future__ import annotations

import csv
import fnmatch
import io
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from dataset_builder.config import IngestSettings, TableFormat
from dataset_builder.records import Record, Rejection
from dataset_builder.stages.decode import REPLACED, decode, describe
from dataset_builder.stages.ingest.files import (
    CHUNK,
    InputFile,
    TooLarge,
    file_sha256,
    input_format,
    open_input,
    open_raw,
    provenance,
    sha256,
)
from dataset_builder.stages.ingest.jsonlines import DETECTION_SAMPLE
from dataset_builder.stages.ingest.objects import map_object


def table_format(rel: str, tables: tuple[TableFormat, ...]) -> TableFormat:
    """The last `[[ingest.tables]]` entry whose pattern matches, else the extension's default."""
    matching = [t for t in tables if fnmatch.fnmatch(rel, t.pattern)]
    if matching:
        return matching[-1]
    return TableFormat("*", "\t" if input_format(rel) == ".tsv" else ",")


def read_table(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """CSV or TSV, streamed (a quoted field may span lines): one record per row, named by
    its header or the configured columns, then mapped like JSON. A compressed file is read
    to `max_decompressed_bytes`, any file to `max_records_per_file` rows (records and
    broken rows, past the header): the rest is one `too-large` reject at the row it cut."""
    table = table_format(file.rel, settings.tables)
    with open_input(file) as stream:
        sample = stream.read(DETECTION_SAMPLE)
    guess = decode(sample, settings.fallback_encoding, settings.replace_undecodable)
    if isinstance(guess, UnicodeDecodeError):
        prov = provenance(file, 1, file_sha256(file) or "", "csv", None)
        yield Rejection(**prov, reason="decode", detail=describe(sample, guess))
        return
    errors = "replace" if guess.encoding == REPLACED else "strict"
    encoding = "utf-8" if guess.encoding == REPLACED else guess.encoding
    limit = settings.max_record_bytes
    csv.field_size_limit(max(csv.field_size_limit(), limit))  # `RowLines` bounds rows instead
    with (
        open_input(file, settings.max_decompressed_bytes) as stream,
        io.TextIOWrapper(stream, encoding=encoding, errors=errors, newline="") as text,
    ):
        lines = RowLines(text, limit)
        reader = csv.reader(lines, delimiter=table.delimiter, quotechar=table.quote, strict=True)
        names = list(table.columns)
        rows = 0  # rows given (records or rejects), past the header
        while True:
            start = lines.number + 1
            lines.row = 0
            try:
                row: list[str] | None = next(reader)
            except StopIteration:
                return
            except TooLarge as exc:  # max_decompressed_bytes: the rows before it were all given
                exc.line = start
                raise
            except (csv.Error, RowTooLarge) as exc:  # read on at the next line
                too_large = isinstance(exc, RowTooLarge)
                detail = (
                    f"the row is longer than ingest.max_record_bytes ({limit:,} bytes)"
                    if too_large
                    else str(exc)
                )
                prov = provenance(file, start, "", "csv", guess.encoding)
                broken = Rejection(**prov, reason="too-large" if too_large else "csv", detail=detail)
                row = None
            except UnicodeDecodeError as exc:  # past the sample the encoding was guessed from
                detail = (
                    f"from line {start} on, the bytes are not valid {encoding.upper()} ({exc.reason}); "
                    "the rest of the file is not read: convert it to UTF-8"
                )
                yield Rejection(**provenance(file, start, "", "csv", None), reason="decode", detail=detail)
                return
            if row is not None and table.header and not names:
                names = row
                continue
            if row is not None and not any(cell.strip() for cell in row):
                continue
            if rows == settings.max_records_per_file:
                yield too_many_rows(file, start, "csv", guess.encoding, settings)
                return
            rows += 1
            if row is None:
                yield broken
                continue
            digest = sha256(json.dumps(row, ensure_ascii=False).encode())
            prov = provenance(file, start, digest, "csv", guess.encoding)
            if len(row) != len(names):
                detail = f"the row has {len(row)} fields, the header {len(names)}"
                yield Rejection(**prov, reason="csv", detail=detail)
            else:
                yield map_object(dict(zip(names, row, strict=True)), prov, settings.fields)


def too_many_rows(
    file: InputFile, line: int, fmt: str, encoding: str | None, settings: IngestSettings
) -> Rejection:
    """The one reject of a table's rows from the one at `line`, past `max_records_per_file`."""
    limit = settings.max_records_per_file
    return Rejection(
        **provenance(file, line, "", fmt, encoding),
        reason="too-large",
        detail=(
            f"the file has more than ingest.max_records_per_file ({limit:,}) rows: "
            f"from line {line:,} on, it is not read"
        ),
    )


class RowTooLarge(Exception):
    """A CSV row's lines add up to more than `ingest.max_record_bytes` characters."""


class RowLines:
    """A text stream's lines for `csv.reader`, numbered, never more than `limit` characters
    for one row (the reader sets `row` to 0 before each): a quote left open, or a line
    without end, cannot pull the rest of the file into memory. Past the limit, the rest of
    the physical line is skipped and `RowTooLarge` raised; the reader reads on after it."""

    def __init__(self, text: io.TextIOBase, limit: int) -> None:
        self.text, self.limit = text, limit
        self.number = 0  # lines read
        self.row = 0  # characters of the current row so far

    def __iter__(self) -> RowLines:
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.limit + 1 - self.row)
        if not line:
            raise StopIteration
        self.number += 1
        self.row += len(line)
        if self.row > self.limit:
            while not line.endswith(("\n", "\r")) and (line := self.text.readline(CHUNK)):
                pass
            raise RowTooLarge
        return line


def read_parquet(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """Parquet from another pipeline, in batches: one record per row, mapped like JSON."""
    try:
        parquet = pq.ParquetFile(open_raw(file))
    except (pa.ArrowInvalid, OSError) as exc:
        yield Rejection(
            **provenance(file, 1, file_sha256(file) or "", "parquet", None),
            reason="parquet",
            detail=f"not a readable Parquet file: {exc}",
        )
        return
    number = 0
    for batch in parquet.iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            number += 1
            if number > settings.max_records_per_file:
                yield too_many_rows(file, number, "parquet", "utf-8", settings)
                return
            digest = sha256(json.dumps(row, ensure_ascii=False, sort_keys=True, default=str).encode())
            yield map_object(row, provenance(file, number, digest, "parquet", "utf-8"), settings.fields)
