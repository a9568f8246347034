"""Stage 1: find the input files and read them into records with provenance.

Files are listed in one sorted order (POSIX path relative to raw/), so a build reads the
same records in the same order on every machine. Anything that is not read is listed in
`Inventory.skipped` with a reason; anything read but unusable becomes a `Rejection` naming
its file and line. Limits keep one giant file or line from exhausting memory: a file
read whole (.txt, .json, .html) may not exceed `max_file_bytes`, a JSON Lines record may
not exceed `max_record_bytes`, and neither is ever loaded past its limit. Compressed files
(.gz, .bz2, .xz, .zst) are read through their decompressor, limits counting decompressed
bytes (a compression bomb is one more too-large record); `dump.jsonl.gz` is JSON Lines.
An uncompressed JSON Lines file can also be handed out as `LineRange`s, for worker
processes to read and parse the lines themselves (`read_units`).
"""

from __future__ import annotations

import bz2
import csv
import fnmatch
import gzip
import hashlib
import io
import itertools
import json
import lzma
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from dataset_builder.config import IngestSettings, TableFormat
from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.records import Record, Rejection
from dataset_builder.stages import sources
from dataset_builder.stages.decode import REPLACED, Decoded, bom_encoding, decode, describe

CHUNK = 1 << 20
DETECTION_SAMPLE = 1 << 20  # bytes of a JSON Lines file used to guess its legacy encoding
WIDE = ("utf-16", "utf-32")  # encodings whose newlines are several bytes wide


@dataclass(frozen=True)
class InputFile:
    path: Path
    rel: str  # POSIX path relative to raw/
    size: int


@dataclass(frozen=True)
class Skipped:
    rel: str
    reason: str


@dataclass(frozen=True)
class Inventory:
    files: tuple[InputFile, ...]
    skipped: tuple[Skipped, ...]


def table_format(rel: str, tables: tuple[TableFormat, ...]) -> TableFormat:
    """The last `[[ingest.tables]]` entry whose pattern matches, else the extension's default."""
    matching = [t for t in tables if fnmatch.fnmatch(rel, t.pattern)]
    if matching:
        return matching[-1]
    return TableFormat("*", "\t" if input_format(rel) == ".tsv" else ",")


def discover(raw_dir: Path) -> Inventory:
    """List the files to read, sorted; hidden entries and symlinks are skipped, not followed."""
    if not raw_dir.is_dir():
        raise ConfigError(f"{raw_dir}: input folder not found (set `raw` in the config or --raw)")
    files: list[InputFile] = []
    skipped: list[Skipped] = []

    def unreadable_folder(error: OSError) -> None:
        skipped.append(
            Skipped(printable(relative(Path(error.filename), raw_dir)) + "/", f"unreadable: {error.strerror}")
        )

    for top, dirnames, filenames in os.walk(raw_dir, onerror=unreadable_folder):
        here = Path(top)
        for name in list(dirnames):
            reason = skip_reason(here / name, name, is_dir=True)
            if reason:
                dirnames.remove(name)
                skipped.append(Skipped(printable(relative(here / name, raw_dir)) + "/", reason))
        for name in filenames:
            path = here / name
            rel = relative(path, raw_dir)
            if rel == sources.NAME:
                continue  # read by sources.load_sources, recorded in the manifest
            reason = skip_reason(path, name, is_dir=False)
            if reason:
                skipped.append(Skipped(printable(rel), reason))
                continue
            try:
                files.append(InputFile(path, rel, path.stat().st_size))
            except OSError as exc:
                skipped.append(Skipped(rel, f"unreadable: {exc.strerror}"))
    files.sort(key=lambda f: f.rel)
    skipped.sort(key=lambda s: s.rel)
    if not files:
        listed = "; ".join(f"{s.rel} ({s.reason})" for s in skipped[:5])
        raise BuildError(
            f"{raw_dir}: no input files to read"
            + (f" — skipped: {listed}" if listed else " — the folder is empty")
            + f". Supported: {', '.join(sorted(READERS))}."
        )
    return Inventory(tuple(files), tuple(skipped))


def skip_reason(path: Path, name: str, *, is_dir: bool) -> str | None:
    if path.is_symlink():
        return "symlink, not followed"
    if name.startswith("."):
        return "hidden"
    if not valid_utf8(name):
        return "file name is not valid UTF-8"
    if not is_dir and input_format(name) not in READERS:
        suffixes = "".join(PurePosixPath(name.lower()).suffixes[-2:])
        return f"unsupported file type {suffixes!r}" if suffixes else "no file extension"
    return None


def input_format(name: str) -> str:
    """The format a file name says, under any compression: `dump.jsonl.gz` -> `.jsonl`."""
    suffixes = PurePosixPath(name.lower()).suffixes
    if suffixes and suffixes[-1] in DECOMPRESSORS:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def compression(rel: str) -> str:
    """The compression suffix a file name ends in (`.gz`, `.bz2`, `.xz`, `.zst`), or "" if none."""
    suffix = PurePosixPath(rel.lower()).suffix
    return suffix if suffix in DECOMPRESSORS else ""


def open_input(file: InputFile) -> BinaryIO:
    """The file's bytes, decompressed when its name says so."""
    decompressor = DECOMPRESSORS.get(compression(file.rel))
    raw = file.path.open("rb")
    if decompressor is None:
        return raw
    return io.BufferedReader(decompressor(raw))


# What reading a file can raise: the file system's errors, and each decompressor's on corrupt data.
READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zstandard.ZstdError)
DECOMPRESSORS: dict[str, Callable[[BinaryIO], Any]] = {
    ".gz": lambda raw: gzip.GzipFile(fileobj=raw),
    ".bz2": bz2.BZ2File,
    ".xz": lzma.LZMAFile,
    ".zst": lambda raw: zstandard.ZstdDecompressor().stream_reader(raw),
}


def valid_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the name, kept by Python as surrogates
        return False
    return True


def printable(rel: str) -> str:
    return rel.encode("utf-8", "backslashreplace").decode("utf-8")


def relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file's bytes as stored; None if it cannot be read (its records are rejects)."""
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def read_file(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """Yield every record of one file, or a rejection where a record cannot be read; records
    get the values raw/sources.toml gives their file, where they have none of their own."""
    reader = READERS[input_format(file.rel)]
    yield from with_sources(file, settings, reader(file, settings), reader.__name__.removeprefix("read_"))


def with_sources(
    file: InputFile, settings: IngestSettings, items: Iterator[Record | Rejection], fmt: str, line: int = 1
) -> Iterator[Record | Rejection]:
    """`items` filled from raw/sources.toml; a read error ends them with a rejection at `line`."""
    known = sources.for_file(file.rel, list(settings.sources))
    try:
        for item in items:
            if known and isinstance(item, dict):
                sources.fill(item, known)
            yield item
    except READ_ERRORS as exc:  # after any records read before it
        yield unreadable(file, fmt, line, exc)


def unreadable(file: InputFile, fmt: str, line: int, exc: Exception) -> Rejection:
    detail = f"cannot read the file: {getattr(exc, 'strerror', None) or exc}"
    return Rejection(file.rel, line, "", fmt, None, "unreadable", detail)


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

    def read(self) -> Iterator[Record | Rejection]:
        """The range's items, the same as `read_file` gives for these lines."""
        yield from with_sources(self.file, self.settings, self.parsed(), "jsonl", self.first)

    def parsed(self) -> Iterator[Record | Rejection]:
        with self.file.path.open("rb") as fh:
            fh.seek(self.start)
            numbered = itertools.islice(lines(fh, self.settings.max_record_bytes, self.first), self.count)
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
        with file.path.open("rb") as fh:
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
    """Cut the file into ranges of whole lines, reading it `chunk_size` bytes at a time."""
    start, first, count, offset, terminated = 0, 1, 0, 0, True
    while chunk := fh.read(chunk_size):
        at = 0
        while (newline := chunk.find(b"\n", at)) != -1:
            at, count = newline + 1, count + 1
            if count == lines_per_range:
                yield LineRange(file, settings, start, first, count)
                start, first, count = offset + at, first + count, 0
        offset += len(chunk)
        terminated = chunk.endswith(b"\n")
    if offset > start:  # the lines after the last full range; the file's last may lack its newline
        yield LineRange(file, settings, start, first, count + (not terminated))


def provenance(file: InputFile, line: int, sha: str, fmt: str, encoding: str | None) -> dict[str, Any]:
    return {
        "raw_path": file.rel,
        "raw_line": line,
        "raw_sha256": sha,
        "raw_format": fmt,
        "raw_encoding": encoding,
    }


def read_whole(file: InputFile, settings: IngestSettings, fmt: str) -> bytes | Rejection:
    """A file read whole, within the size limit (counted after decompression)."""
    limit = settings.max_file_bytes
    compressed = bool(compression(file.rel))
    data = b""
    if compressed or file.size <= limit:
        with open_input(file) as stream:
            data = stream.read(limit + 1)
    if len(data) <= limit and (compressed or file.size <= limit):
        return data
    size = "decompresses to more than" if compressed else f"has {file.size:,} bytes,"
    return Rejection(
        **provenance(file, 1, file_sha256(file.path), fmt, None),
        reason="too-large",
        detail=f"the file {size} more than ingest.max_file_bytes ({limit:,})",
    )


def read_txt(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """A plain-text article: the whole file is one record; `clean` reads its header."""
    data = read_whole(file, settings, "txt")
    if isinstance(data, Rejection):
        yield data
        return
    decoded = decode(data, settings.fallback_encoding, settings.replace_undecodable)
    if isinstance(decoded, UnicodeDecodeError):
        yield Rejection(
            **provenance(file, 1, sha256(data), "txt", None), reason="decode", detail=describe(data, decoded)
        )
        return
    yield {
        "id": derived_id(file.rel, 1),
        "text": decoded.text,
        **provenance(file, 1, sha256(data), "txt", decoded.encoding),
    }


def read_json(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """A JSON array of objects (or a single object); records are numbered from 1."""
    data = read_whole(file, settings, "json")
    if isinstance(data, Rejection):
        yield data
        return
    prov = provenance(file, 1, sha256(data), "json", None)
    decoded = decode(data, settings.fallback_encoding, settings.replace_undecodable)
    if isinstance(decoded, UnicodeDecodeError):
        yield Rejection(**prov, reason="decode", detail=describe(data, decoded))
        return
    prov["raw_encoding"] = decoded.encoding
    try:
        value = json.loads(decoded.text)
    except json.JSONDecodeError as exc:
        yield Rejection(**prov, reason="json", detail=f"line {exc.lineno}: invalid JSON: {exc.msg}")
        return
    except RecursionError:
        yield Rejection(**prov, reason="json", detail="JSON nested too deeply")
        return
    items = value if isinstance(value, list) else [value]
    for number, item in enumerate(items, start=1):
        item_bytes = json.dumps(item, ensure_ascii=False, sort_keys=True).encode()
        yield map_object(
            item, {**prov, "raw_line": number, "raw_sha256": sha256(item_bytes)}, settings.fields
        )


def read_jsonl(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """JSON Lines: one object per line; blank lines are not records.

    Lines are read up to `max_record_bytes`: a longer one is hashed as it streams past and
    rejected, never held in memory. A line that is not UTF-8 is decoded with the encoding
    detected for the file (once, from its first megabyte)."""
    with open_input(file) as fh:
        declared = bom_encoding(peek(fh, 4))
        if declared in WIDE:
            yield from read_wide_jsonl(file, fh, declared, settings)
            return
        yield from jsonl_items(file, lines(fh, settings.max_record_bytes), settings)


def jsonl_items(
    file: InputFile, numbered: Iterable[tuple[int, bytes, str | None]], settings: IngestSettings
) -> Iterator[Record | Rejection]:
    """The items of a JSON Lines file's `numbered` lines (as `lines` gives them)."""
    legacy: list[str | None] = []  # the file's detected encoding, found when first needed
    for number, line, too_long in numbered:
        if too_long is not None:
            prov = provenance(file, number, too_long, "jsonl", None)
            yield Rejection(
                **prov,
                reason="too-large",
                detail=(
                    f"the line is longer than ingest.max_record_bytes ({settings.max_record_bytes:,} bytes)"
                ),
            )
            continue
        data = line.removeprefix(b"\xef\xbb\xbf") if number == 1 else line
        if not data.strip():
            continue
        decoded = decode_line(data, file, legacy, settings)
        if isinstance(decoded, str):
            yield Rejection(
                **provenance(file, number, sha256(line), "jsonl", None), reason="decode", detail=decoded
            )
        else:
            prov = provenance(file, number, sha256(line), "jsonl", decoded.encoding)
            yield parse_object(decoded.text, prov, settings.fields)


def peek(fh: BinaryIO, size: int) -> bytes:
    """The first bytes of a stream, without consuming them."""
    if isinstance(fh, io.BufferedReader):
        return fh.peek(size)[:size]
    start = fh.read(size)
    fh.seek(0)
    return start


def lines(fh: BinaryIO, limit: int, first: int = 1) -> Iterator[tuple[int, bytes, str | None]]:
    """(line number, line without its terminator, SHA-256 if it was longer than `limit`),
    numbering from `first`."""
    number = first - 1
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            digest = hashlib.sha256(line)
            while not line.endswith(b"\n"):
                line = fh.readline(CHUNK)
                if not line:
                    break
                digest.update(line.rstrip(b"\r\n") if line.endswith(b"\n") else line)
            yield number, b"", digest.hexdigest()
        else:
            yield number, line.rstrip(b"\r\n"), None


def decode_line(
    data: bytes, file: InputFile, legacy: list[str | None], settings: IngestSettings
) -> Decoded | str:
    """The line's text and encoding, or why it cannot be decoded."""
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        failure = f"byte {exc.start}: not valid UTF-8 (0x{data[exc.start]:02x})"
    if not legacy:
        with open_input(file) as sample:
            guess = decode(sample.read(DETECTION_SAMPLE), settings.fallback_encoding, replace=False)
        legacy.append(
            None if isinstance(guess, UnicodeDecodeError) or guess.encoding == "utf-8" else guess.encoding
        )
    if legacy[0]:
        try:
            return Decoded(data.decode(legacy[0]), legacy[0])
        except UnicodeDecodeError:
            failure += f" nor {legacy[0]}, the file's other lines' encoding"
    if settings.replace_undecodable:
        return Decoded(data.decode("utf-8", errors="replace"), REPLACED)
    return failure + "; convert the file to UTF-8"


def read_wide_jsonl(
    file: InputFile, fh: BinaryIO, encoding: str, settings: IngestSettings
) -> Iterator[Record | Rejection]:
    """UTF-16/32 JSON Lines (with a BOM): newlines are several bytes wide, so the file is
    decoded whole, within the file size limit."""
    data = read_whole(file, settings, "jsonl")
    if isinstance(data, Rejection):
        yield data
        return
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        prov = provenance(file, 1, sha256(data), "jsonl", None)
        yield Rejection(**prov, reason="decode", detail=describe(data, exc, line=False))
        return
    unit = encoding.replace("-", "_") + ("_le" if data[:2] == b"\xff\xfe" else "_be")
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if line.strip():
            prov = provenance(file, number, sha256(line.encode(unit)), "jsonl", encoding)
            yield parse_object(line, prov, settings.fields)


def parse_object(text: str, prov: dict[str, Any], fields: dict[str, str]) -> Record | Rejection:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejection(**prov, reason="json", detail=f"invalid JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return Rejection(**prov, reason="json", detail="JSON nested too deeply")
    return map_object(value, prov, fields)


def map_object(value: Any, prov: dict[str, Any], fields: dict[str, str]) -> Record | Rejection:
    """Rename source keys to record fields (config `ingest.fields`); other keys are not kept."""
    if not isinstance(value, dict):
        return Rejection(
            **prov, reason="json", detail=f"expected a JSON object, found {type(value).__name__}"
        )
    record: Record = {field: value[key] for field, key in fields.items() if key in value}
    source_id = record.get("id")
    if source_id is None or source_id == "":
        record["id"] = derived_id(prov["raw_path"], prov["raw_line"])
    elif isinstance(source_id, int) and not isinstance(source_id, bool):
        record["id"] = str(source_id)
    record.update(prov)
    return record


def derived_id(rel: str, line: int) -> str:
    """A record's id when the source gives none: stable while the file keeps its name."""
    return sha256(f"{rel}:{line}".encode())[:16]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_html(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """A saved web page: its bytes go on to the per-record stage, where html.html_record
    extracts the article (in the workers: extraction is the costly part)."""
    data = read_whole(file, settings, "html")
    if isinstance(data, Rejection):
        yield data
        return
    yield {"id": derived_id(file.rel, 1), "html": data, **provenance(file, 1, sha256(data), "html", None)}


def read_table(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """CSV or TSV, streamed (a quoted field may span lines): one record per row, named by
    its header or the configured columns, then mapped like JSON."""
    table = table_format(file.rel, settings.tables)
    with open_input(file) as sample:
        guess = decode(
            sample.read(DETECTION_SAMPLE), settings.fallback_encoding, settings.replace_undecodable
        )
    if isinstance(guess, UnicodeDecodeError):
        prov = provenance(file, 1, file_sha256(file.path) or "", "csv", None)
        yield Rejection(**prov, reason="decode", detail=describe(b"", guess, line=False))
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
