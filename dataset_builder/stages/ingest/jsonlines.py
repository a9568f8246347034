"""JSON arrays and JSON Lines. A JSON Lines record may not exceed `max_record_bytes` and is
never loaded past it: a longer line is hashed as it streams past and rejected. A JSON
array is parsed one element at a time (`arrays`), so that its cost does not grow with its
length, and an element of more than `max_record_bytes` characters is not parsed: from it
on, the file is one `too-large` reject. A file gives at most `max_records_per_file`
records (JSON Lines lines, array elements): the rest of a longer file is one `too-large`
reject where it is cut."""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

from dataset_builder.config import IngestSettings
from dataset_builder.records import Record, Rejection
from dataset_builder.stages.decode import REPLACED, Decoded, bom_encoding, decode, describe
from dataset_builder.stages.ingest.arrays import (
    ArrayError,
    NestedTooDeeply,
    Text,
    TooLong,
    TooMany,
    elements,
    starts_array,
)
from dataset_builder.stages.ingest.files import (
    CHUNK,
    Bounded,
    InputFile,
    TooLarge,
    compression,
    input_sha256,
    open_input,
    oversized,
    provenance,
    read_whole,
    sha256,
    whole_limit,
)
from dataset_builder.stages.ingest.objects import map_object, parse_object

DETECTION_SAMPLE = 1 << 20  # bytes of a JSON Lines file used to guess its legacy encoding


WIDE = ("utf-16", "utf-32")  # encodings whose newlines are several bytes wide


def read_json(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """A JSON array of objects (or a single object); records are numbered from 1.

    An array in UTF-8 (or with a byte-order mark) is streamed, twice: once to check that
    it is JSON throughout, then to give its elements, so that a file that is not JSON is
    still one reject and gives no records, as when it was parsed whole; memory is one
    element and about a megabyte of text. Anything else (a single object, a file in a
    legacy encoding) is read whole, within `max_file_bytes`; an array there is still
    parsed one element at a time. Past `max_records_per_file` elements the rest of the
    array is one `too-large` reject, at the first element not read."""
    checked = check_streamed(file, settings)
    if isinstance(checked, Rejection):
        yield checked
    elif checked is not None:
        with streamed_text(file, settings) as stream:
            yield from array_records(file, settings, stream.text, checked)
    else:
        yield from read_json_whole(file, settings)


def read_json_whole(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """A JSON file read whole and decoded as `decode` decides: one object (or any value,
    rejected unless an object) parsed whole, or an array element by element."""
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
    if starts_array(whole_text(decoded.text)):
        try:
            checked_elements(whole_text(decoded.text), settings)
        except (ArrayError, NestedTooDeeply) as exc:
            yield json_rejection(prov, exc)
            return
        yield from array_records(file, settings, whole_text(decoded.text), decoded.encoding)
        return
    try:
        value = json.loads(decoded.text)
    except json.JSONDecodeError as exc:
        yield Rejection(**prov, reason="json", detail=f"line {exc.lineno}: invalid JSON: {exc.msg}")
        return
    except RecursionError:
        yield Rejection(**prov, reason="json", detail="JSON nested too deeply")
        return
    yield map_object(value, prov, settings.fields, settings.replace_undecodable)


def whole_text(text: str) -> Text:
    """`Text` that is `text`, given at once."""
    return Text(iter((text, "")).__next__)


def json_rejection(prov: dict[str, Any], exc: ArrayError | NestedTooDeeply) -> Rejection:
    """A JSON file's one reject for text that is not JSON, in `json.loads`' words."""
    detail = str(exc) if isinstance(exc, ArrayError) else "JSON nested too deeply"
    return Rejection(**prov, reason="json", detail=detail)


def checked_elements(text: Text, settings: IngestSettings) -> None:
    """Parse the array `text` holds to its end (or to `max_records_per_file` elements),
    keeping nothing: `ArrayError` or `NestedTooDeeply` if it is not JSON."""
    if not starts_array(text):
        raise ArrayError(text.line(text.pos), "Expecting value")
    try:
        for _ in elements(text, settings.max_records_per_file, settings.max_record_bytes):
            pass
    except (TooMany, TooLong):  # what follows is not read: whether it is JSON does not matter
        pass


class OverLimit(Exception):
    """A streamed JSON file has more (decompressed) bytes than it may."""


@dataclass
class Streamed:
    """A JSON file's text as it is decoded, piece by piece, and the encoding its first bytes
    say (a byte-order mark, else UTF-8)."""

    text: Text
    encoding: str


@contextmanager
def streamed_text(file: InputFile, settings: IngestSettings) -> Iterator[Streamed]:
    """The file's text, decoded strictly as it is read (`UnicodeDecodeError` where it is not
    in its encoding), `OverLimit` past the limit a file read whole is held to."""
    limit, _ = whole_limit(file, settings, "max_file_bytes")
    with open_input(file) as stream:
        first = stream.read(CHUNK)
        encoding = bom_encoding(first) or "utf-8"
        decoder = codecs.getincrementaldecoder(encoding)()
        pending, size = [first], 0

        def read() -> str:
            nonlocal size
            while True:
                data = pending.pop() if pending else stream.read(CHUNK)
                size += len(data)
                if size > limit:
                    raise OverLimit
                text = decoder.decode(data, final=not data)
                if text or not data:
                    return text

        yield Streamed(Text(read), encoding)


def check_streamed(file: InputFile, settings: IngestSettings) -> str | Rejection | None:
    """Whether the file is an array that can be streamed: its encoding if so, its one
    reject if it is not JSON or too large, None if it is to be read whole (not an array,
    or not in its encoding)."""
    limit, setting = whole_limit(file, settings, "max_file_bytes")
    if not compression(file.rel) and file.size > limit:
        return oversized(file, "json", setting, limit)
    try:
        with streamed_text(file, settings) as stream:
            if not starts_array(stream.text):
                return None
            try:
                checked_elements(stream.text, settings)
            except (ArrayError, NestedTooDeeply) as exc:
                error = exc
            else:
                return stream.encoding
    except UnicodeDecodeError:
        return None
    except OverLimit:
        return oversized(file, "json", setting, limit)
    sha = input_sha256(file, limit)  # of the whole file, as when it was read whole
    if sha is None:  # past the error, the file is too large anyway
        return oversized(file, "json", setting, limit)
    return json_rejection(provenance(file, 1, sha, "json", stream.encoding), error)


def array_records(
    file: InputFile, settings: IngestSettings, text: Text, encoding: str
) -> Iterator[Record | Rejection]:
    """The records of the array `text` holds, checked to be JSON (`checked_elements`),
    numbered from 1; past `max_records_per_file`, one reject for the rest. A file that
    changed since it was checked ends in a reject at the element where it stopped."""
    prov = provenance(file, 1, "", "json", encoding)
    limit = settings.max_records_per_file
    number = 0
    try:
        if not starts_array(text):
            raise ArrayError(text.line(text.pos), "no longer an array")
        for number, item in enumerate(elements(text, limit, settings.max_record_bytes), start=1):
            # surrogatepass: a lone surrogate is hashed as it is, then rejected by map_object
            item_bytes = json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass")
            yield map_object(
                item,
                {**prov, "raw_line": number, "raw_sha256": sha256(item_bytes)},
                settings.fields,
                settings.replace_undecodable,
            )
    except TooMany:
        yield Rejection(
            **{**prov, "raw_line": number + 1},
            reason="too-large",
            detail=(
                f"the array has more than ingest.max_records_per_file ({limit:,}) elements: "
                f"from element {number + 1:,} on, it is not read"
            ),
        )
    except TooLong:
        yield Rejection(
            **{**prov, "raw_line": number + 1},
            reason="too-large",
            detail=(
                f"element {number + 1:,} is longer than ingest.max_record_bytes "
                f"({settings.max_record_bytes:,}) characters: from it on, the file is not read"
            ),
        )
    except (ArrayError, NestedTooDeeply, UnicodeDecodeError, OverLimit) as exc:
        why = {NestedTooDeeply: "JSON nested too deeply", OverLimit: "it grew past the size limit"}
        detail = why.get(type(exc), str(exc))
        yield Rejection(
            **{**prov, "raw_line": number + 1},
            reason="json",
            detail=(
                f"the file changed while it was read ({detail}): "
                f"from element {number + 1:,} on, it is not read"
            ),
        )


def read_jsonl(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """JSON Lines: one object per line (ended by `\\n`, `\\r\\n` or a lone `\\r`); blank lines are
    not records.

    Lines are read up to `max_record_bytes`: a longer one is hashed as it streams past and
    rejected, never held in memory. A line that is not UTF-8 is decoded with the encoding
    detected for the file (once, from its first megabyte). A compressed file is read to
    `max_decompressed_bytes` at most, and any file to line `max_records_per_file`: the rest
    is one `too-large` reject, at the line the limit cut."""
    with open_input(file, settings.max_decompressed_bytes) as fh:
        declared = bom_encoding(peek(fh, 4))
        if declared in WIDE:
            yield from read_wide_jsonl(file, fh, declared, settings)
            return
        yield from jsonl_items(file, lines(fh, settings.max_record_bytes), settings)


def jsonl_items(
    file: InputFile, numbered: Iterable[tuple[int, bytes, str | None]], settings: IngestSettings
) -> Iterator[Record | Rejection]:
    """The items of a JSON Lines file's `numbered` lines (as `lines` gives them), to line
    `max_records_per_file`; the first line past it that is not blank is the one reject
    for the rest of the file, which is not read."""
    legacy: list[str | None] = []  # the file's detected encoding, found when first needed
    for number, line, too_long in numbered:
        if number > settings.max_records_per_file and (too_long is not None or line.strip()):
            yield too_many_lines(file, number, settings)
            return
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
            yield parse_object(decoded.text, prov, settings.fields, settings.replace_undecodable)


def too_many_lines(file: InputFile, number: int, settings: IngestSettings) -> Rejection:
    """The one reject of a JSON Lines file's lines from `number`, past `max_records_per_file`."""
    limit = settings.max_records_per_file
    return Rejection(
        **provenance(file, number, "", "jsonl", None),
        reason="too-large",
        detail=(
            f"the file has more than ingest.max_records_per_file ({limit:,}) lines: "
            f"from line {number:,} on, it is not read"
        ),
    )


def peek(fh: BinaryIO, size: int) -> bytes:
    """The first bytes of a stream, without consuming them."""
    if isinstance(fh, io.BufferedReader | Bounded):
        return fh.peek(size)[:size]
    start = fh.read(size)
    fh.seek(0)
    return start


LINE_BREAK = re.compile(rb"\r\n|\r|\n")
"""What ends a JSON Lines line: `\\n`, `\\r\\n`, or a lone `\\r` (old Mac files). JSON never needs
a raw `\\r` inside a record (in a string it must be escaped), so splitting there merges
nothing and loses no valid record but one whose tokens are separated by a lone `\\r`,
which is then rejected (`json`) like one spread over several `\\n` lines."""

LINE_CHUNK = 1 << 16  # bytes read at a time by `lines`


def lines(fh: BinaryIO, limit: int, first: int = 1) -> Iterator[tuple[int, bytes, str | None]]:
    """(line number, line without its terminator, SHA-256 if it was longer than `limit`),
    numbering from `first`; lines end as `LINE_BREAK` says. A line longer than `limit` is
    hashed as it streams past, never held."""
    number = first - 1
    head = bytearray()  # the current line so far, while within `limit`
    digest: Any = None  # the current line's SHA-256 so far, once it is longer than `limit`
    carry = b""  # a `\r` that ended the last read: the next byte may be its `\n`
    while True:
        try:
            data = fh.read(LINE_CHUNK)
        except TooLarge as exc:  # every line before it was given: the limit cut the next one
            exc.line = number + 1
            raise
        chunk, carry = carry + data, b""
        if not chunk:
            break
        if data and chunk.endswith(b"\r"):
            chunk, carry = chunk[:-1], b"\r"
        *ended, rest = split_lines(chunk)
        for piece in ended:
            number += 1
            if digest is None and len(head) + len(piece) <= limit:
                yield number, bytes(head + piece) if head else piece, None
            else:
                if digest is None:
                    digest = hashlib.sha256(head)
                digest.update(piece)
                yield number, b"", digest.hexdigest()
            head.clear()
            digest = None
        if digest is None and len(head) + len(rest) > limit:
            digest = hashlib.sha256(head)
            head.clear()
        if digest is None:
            head += rest
        else:
            digest.update(rest)
    if digest is not None:  # the last line, without a terminator, too long
        yield number + 1, b"", digest.hexdigest()
    elif head:  # the last line, without a terminator
        yield number + 1, bytes(head), None


def split_lines(chunk: bytes) -> list[bytes]:
    """`LINE_BREAK.split(chunk)` for a chunk that does not end in `\\r`, at the speed of
    `bytes.split` when the chunk's breaks are all of one kind (nearly always)."""
    returns = chunk.count(b"\r")
    if not returns:
        return chunk.split(b"\n")
    if returns == chunk.count(b"\r\n"):
        pieces = chunk.split(b"\n")
        return [piece.removesuffix(b"\r") for piece in pieces[:-1]] + pieces[-1:]
    if b"\n" not in chunk:
        return chunk.split(b"\r")
    return LINE_BREAK.split(chunk)


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
    for number, line in enumerate(re.split("\r\n|\r|\n", text), start=1):  # as LINE_BREAK
        if number > settings.max_records_per_file and line.strip():
            yield too_many_lines(file, number, settings)
            return
        if line.strip():
            prov = provenance(file, number, sha256(line.encode(unit)), "jsonl", encoding)
            yield parse_object(line, prov, settings.fields, settings.replace_undecodable)
