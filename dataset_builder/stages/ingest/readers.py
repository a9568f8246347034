"""One reader per input format, and `read_file`, which every engine calls to read a file."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from dataset_builder.config import IngestSettings
from dataset_builder.records import Record, Rejection
from dataset_builder.stages import sources
from dataset_builder.stages.ingest.files import (
    READ_ERRORS,
    InputFile,
    TooLarge,
    input_format,
    provenance,
    unreadable,
)
from dataset_builder.stages.ingest.jsonlines import read_json, read_jsonl
from dataset_builder.stages.ingest.tables import read_parquet, read_table
from dataset_builder.stages.ingest.text import read_html, read_txt

Reader = Callable[[InputFile, IngestSettings], Iterator[Record | Rejection]]


READERS: dict[str, Reader] = {
    ".txt": read_txt,
    ".jsonl": read_jsonl,
    ".json": read_json,
    ".html": read_html,
    ".csv": read_table,
    ".tsv": read_table,
    ".parquet": read_parquet,
    ".htm": read_html,
}


def read_file(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """Yield every record of one file, or a rejection where a record cannot be read; records
    get the values raw/sources.toml gives their file, where they have none of their own."""
    reader = READERS[input_format(file.rel)]
    yield from with_sources(file, settings, reader(file, settings), reader.__name__.removeprefix("read_"))


def with_sources(
    file: InputFile, settings: IngestSettings, items: Iterator[Record | Rejection], fmt: str, line: int = 1
) -> Iterator[Record | Rejection]:
    """`items` filled from raw/sources.toml; a read error (a truncated compressed file, a
    disk error) ends them with a rejection at the line after the last item (`line` if none),
    so the records the file no longer gives are seen to be missing. So does a compressed
    file decompressing past `ingest.max_decompressed_bytes` (reason `too-large`), at the
    line the limit cut where the reader knows it."""
    known = sources.for_file(file.rel, list(settings.sources))
    try:
        for item in items:
            if known and isinstance(item, dict):
                sources.fill(item, known)
            line = (item.raw_line if isinstance(item, Rejection) else item["raw_line"]) + 1
            yield item
    except READ_ERRORS as exc:  # after any records read before it
        yield unreadable(file, fmt, line, exc)
    except TooLarge as exc:
        at = exc.line or line
        yield Rejection(
            **provenance(file, at, "", fmt, None),
            reason="too-large",
            detail=f"{exc}: from line {at:,} on, the file is not read",
        )
