"""Opening an input file: its name's format and compression, its bytes within the size
limit, its hash, and the provenance fields every record and rejection of it carries.

Compressed files (.gz, .bz2, .xz, .zst) are read through their decompressor, limits
counting decompressed bytes, so a compression bomb is one more too-large record. A file
streamed through its decompressor (JSON Lines, CSV/TSV) stops at
`ingest.max_decompressed_bytes`: a few megabytes that expand to terabytes of small lines
would otherwise fill the spool and the building process's memory, record by record."""

from __future__ import annotations

import bz2
import errno
import gzip
import hashlib
import io
import lzma
import os
import stat
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import zstandard

from dataset_builder.config import IngestSettings
from dataset_builder.records import Rejection

CHUNK = 1 << 20


@dataclass(frozen=True)
class InputFile:
    path: Path
    rel: str  # POSIX path relative to raw/
    size: int
    mtime_ns: int = 0  # when listed: a rewrite that keeps the size still moves it


def modified(file: InputFile) -> tuple[int, int] | None:
    """The file's size and modification time now (None if it is gone), to compare with
    those discovery listed."""
    try:
        now = file.path.stat(follow_symlinks=False)
    except OSError:
        return None
    return now.st_size, now.st_mtime_ns


def compression(rel: str) -> str:
    """The compression suffix a file name ends in (`.gz`, `.bz2`, `.xz`, `.zst`), or "" if none."""
    suffix = PurePosixPath(rel.lower()).suffix
    return suffix if suffix in DECOMPRESSORS else ""


def input_format(name: str) -> str:
    """The format a file name says, under any compression: `dump.jsonl.gz` -> `.jsonl`."""
    suffixes = PurePosixPath(name.lower()).suffixes
    if suffixes and suffixes[-1] in DECOMPRESSORS:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def open_raw(file: InputFile) -> BinaryIO:
    """The file's bytes as stored, opened without following a symbolic link anywhere below
    raw/: discovery skips symlinks, but a file (or folder) swapped for one after that would
    otherwise be read, `/etc/passwd` into a split. Each folder is opened relative to the one
    above it (`O_NOFOLLOW`), and the opened file itself must be a regular file (`fstat`),
    so what is checked is what is read."""
    parts = PurePosixPath(file.rel).parts
    root = Path(*file.path.parts[: len(file.path.parts) - len(parts)])
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for name in parts[:-1]:
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | NO_FOLLOW, dir_fd=folder)
            os.close(folder)
            folder = inner
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NONBLOCK | NO_FOLLOW, dir_fd=folder)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise OSError(
                exc.errno, "it was replaced by a symbolic link after it was listed (not followed)"
            ) from None
        raise
    finally:
        os.close(folder)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(
            errno.EINVAL, "it was replaced by something other than a regular file after it was listed"
        )
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


NO_FOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


def open_input(file: InputFile, limit: int | None = None) -> BinaryIO:
    """The file's bytes, decompressed when its name says so; with a `limit`
    (`ingest.max_decompressed_bytes`), a compressed file's decompressed bytes end in
    `TooLarge` past it."""
    decompressor = DECOMPRESSORS.get(compression(file.rel))
    raw = open_raw(file)
    if decompressor is None:
        return raw
    stream = io.BufferedReader(decompressor(raw))
    return stream if limit is None else Bounded(stream, limit)


class TooLarge(Exception):
    """A compressed file decompressed to more than `ingest.max_decompressed_bytes`. `line`
    is where the reader stopped, if it knows better than the line after its last item."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the file decompresses to more than ingest.max_decompressed_bytes ({limit:,} bytes)"
        )
        self.limit = limit
        self.line: int | None = None


class Bounded(io.BufferedIOBase):
    """A decompressed stream that gives at most `limit` bytes, then raises `TooLarge` if the
    file has more. A read that reaches the limit returns what it read, and the next read
    raises: every byte within the limit reaches the reader, so the records before the
    limit are kept and the reject names the line the limit cut."""

    def __init__(self, inner: io.BufferedReader, limit: int) -> None:
        super().__init__()
        self.inner, self.limit, self.left = inner, limit, limit
        self.over = False  # the limit was reached and the file has more

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self.take(self.inner.read, size)

    def read1(self, size: int = -1) -> bytes:
        return self.take(self.inner.read1, size)

    def peek(self, size: int = 0) -> bytes:
        return self.inner.peek(size)[: self.left]

    def take(self, read: Callable[[int], bytes], size: int | None) -> bytes:
        if self.over:
            raise TooLarge(self.limit)
        want = self.left if size is None or size < 0 else min(size, self.left)
        data = read(want) if want else b""
        self.left -= len(data)
        if not self.left and self.inner.read(1):  # at the limit, and the file goes on
            self.over = True
            if not data:
                raise TooLarge(self.limit)
        return data

    def close(self) -> None:
        self.inner.close()
        super().close()


# What reading a file can raise: the file system's errors, and each decompressor's on corrupt
# data. (`TooLarge`, a limit reached, is a reject of its own.)
READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zstandard.ZstdError)


DECOMPRESSORS: dict[str, Callable[[BinaryIO], Any]] = {
    ".gz": lambda raw: gzip.GzipFile(fileobj=raw),
    ".bz2": bz2.BZ2File,
    ".xz": lzma.LZMAFile,
    ".zst": lambda raw: ZstdReader(raw),
}


class ZstdReader(io.RawIOBase):
    """A .zst file's bytes, across all its frames, ending in `EOFError` when the file ends
    inside a frame. zstandard's `stream_reader` ends a truncated file silently, as if the
    records before the cut were all (and it stops after the first frame).

    Compressed bytes are fed `ZSTD_FEED` at a time, so that one call cannot expand to more
    than ~16 MB (a zstd block of 128 KiB can be 4 bytes long)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.frame = zstandard.ZstdDecompressor().decompressobj()
        self.started = False  # bytes of the current frame have been fed
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            data = self.raw.read(ZSTD_FEED)
            if not data:
                if self.started:
                    raise EOFError("Compressed file ended before the end of its zstd frame (truncated)")
                return 0
            self.started = True
            output = self.frame.decompress(data)
            while self.frame.eof:  # a frame ended: the next one, if any, needs a new decompressor
                rest, self.frame = self.frame.unused_data, zstandard.ZstdDecompressor().decompressobj()
                self.started = bool(rest)
                output += self.frame.decompress(rest) if rest else b""
                if not rest:
                    break
            self.pending = memoryview(output)
        size = min(len(buffer), len(self.pending))
        buffer[:size], self.pending = self.pending[:size], self.pending[size:]
        return size

    def close(self) -> None:
        self.raw.close()
        super().close()


ZSTD_FEED = 512


def file_sha256(file: InputFile) -> str | None:
    """SHA-256 of a file's bytes as stored; None if it cannot be read (its records are rejects)."""
    found = file_digest(file)
    return found[0] if found else None


def file_digest(file: InputFile) -> tuple[str, int] | None:
    """SHA-256 and length of a file's bytes as stored, both from one read, so that they
    describe one state of a file that changes meanwhile; None if it cannot be read."""
    digest, size = hashlib.sha256(), 0
    try:
        with open_raw(file) as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        return None
    return digest.hexdigest(), size


def read_whole(
    file: InputFile, settings: IngestSettings, fmt: str, setting: str = "max_file_bytes"
) -> bytes | Rejection:
    """A file read whole, within the size limit `ingest.<setting>` (counted after decompression,
    and then within `ingest.max_decompressed_bytes` too, if that is smaller)."""
    limit, setting = whole_limit(file, settings, setting)
    compressed = bool(compression(file.rel))
    data = b""
    if compressed or file.size <= limit:
        with open_input(file) as stream:
            data = stream.read(limit + 1)
    if len(data) <= limit and (compressed or file.size <= limit):
        return data
    return oversized(file, fmt, setting, limit)


def oversized(file: InputFile, fmt: str, setting: str, limit: int) -> Rejection:
    """The one reject of a file over the size limit `ingest.<setting>` (`limit` bytes)."""
    size = "decompresses to" if compression(file.rel) else f"has {file.size:,} bytes,"
    return Rejection(
        **provenance(file, 1, file_sha256(file), fmt, None),
        reason="too-large",
        detail=f"the file {size} more than ingest.{setting} ({limit:,})",
    )


def whole_limit(file: InputFile, settings: IngestSettings, setting: str) -> tuple[int, str]:
    """The size limit a file read whole is held to, and the setting it comes from:
    `ingest.<setting>`, or `max_decompressed_bytes` for a compressed file if smaller."""
    if compression(file.rel) and settings.max_decompressed_bytes < getattr(settings, setting):
        return settings.max_decompressed_bytes, "max_decompressed_bytes"
    return getattr(settings, setting), setting


def input_sha256(file: InputFile, limit: int) -> str | None:
    """SHA-256 of a file's bytes as read (decompressed), None if more than `limit`: the hash
    a file read whole is rejected under."""
    digest, size = hashlib.sha256(), 0
    with open_input(file) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if size > limit:
                return None
    return digest.hexdigest()


def unreadable(file: InputFile, fmt: str, line: int, exc: Exception) -> Rejection:
    detail = f"cannot read the file: {getattr(exc, 'strerror', None) or exc}"
    return Rejection(file.rel, line, "", fmt, None, "unreadable", detail)


def provenance(file: InputFile, line: int, sha: str, fmt: str, encoding: str | None) -> dict[str, Any]:
    return {
        "raw_path": file.rel,
        "raw_line": line,
        "raw_sha256": sha,
        "raw_format": fmt,
        "raw_encoding": encoding,
    }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
