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
    InputFile,
    file_sha256,
    input_format,
    open_input,
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
    its header or the configured columns, then mapped like JSON."""
    table = table_format(file.rel, settings.tables)
    with open_input(file) as stream:
        sample = stream.read(DETECTION_SAMPLE)
    guess = decode(sample, settings.fallback_encoding, settings.replace_undecodable)
    if isinstance(guess, UnicodeDecodeError):
        prov = provenance(file, 1, file_sha256(file.path) or "", "csv", None)
        yield Rejection(**prov, reason="decode", detail=describe(sample, guess))
        return
    errors = "replace" if guess.encoding == REPLACED else "strict"
    encoding = "utf-8" if guess.encoding == REPLACED else guess.encoding
    with (
        open_input(file) as stream,
        io.TextIOWrapper(stream, encoding=encoding, errors=errors, newline="") as text,
    ):
        reader = csv.reader(text, delimiter=table.delimiter, quotechar=table.quote, strict=True)
        names = list(table.columns)
        start = 1
        try:
            for row in reader:
                line, start = start, reader.line_num + 1
                if table.header and not names:
                    names = row
                    continue
                if not any(cell.strip() for cell in row):
                    continue
                prov = provenance(
                    file, line, sha256(json.dumps(row, ensure_ascii=False).encode()), "csv", guess.encoding
                )
                if len(row) != len(names):
                    detail = f"the row has {len(row)} fields, the header {len(names)}"
                    yield Rejection(**prov, reason="csv", detail=detail)
                else:
                    yield map_object(dict(zip(names, row, strict=True)), prov, settings.fields)
        except csv.Error as exc:
            yield Rejection(
                **provenance(file, start, "", "csv", guess.encoding), reason="csv", detail=str(exc)
            )


def read_parquet(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """Parquet from another pipeline, in batches: one record per row, mapped like JSON."""
    try:
        parquet = pq.ParquetFile(file.path)
    except (pa.ArrowInvalid, OSError) as exc:
        yield Rejection(
            **provenance(file, 1, file_sha256(file.path) or "", "parquet", None),
            reason="parquet",
            detail=f"not a readable Parquet file: {exc}",
        )
        return
    number = 0
    for batch in parquet.iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            number += 1
            digest = sha256(json.dumps(row, ensure_ascii=False, sort_keys=True, default=str).encode())
            yield map_object(row, provenance(file, number, digest, "parquet", "utf-8"), settings.fields)
