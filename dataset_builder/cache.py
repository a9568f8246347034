"""The build cache's store: entries by content key, for `engines.cached` — pass 1's results
for each part of an input file, pass 2's results by text (`Memo`), each release's key (with
the folders it was published in: `release.reuse`).

A pass-1 entry's key is a SHA-256 over everything that can change what pass 1 makes of
the part: the file's bytes (their SHA-256) and path, the part's number in the file, the
settings pass 1 reads, this package's source and the versions of its dependencies
(`engines.cached.pass1_context`). So an entry is never stale: a changed file, rule or library is a new
key, and the entry it replaces is only unused, until least-recently-used eviction
(`Store.evict`) removes it.

Each entry is one file, `entries/ab/abcdef….entry`: the SHA-256 of its payload, then the
payload (a pickle). It is written under a temporary name and renamed into place, so a
reader sees a whole entry or none, and builds sharing a cache never see each other's half
entries; an entry whose bytes do not match its hash (a flipped bit, a truncated file) is
reported, deleted and recomputed, never used. Pickles run code when loaded: the cache is
for one user's (or one team's) builds, like a virtualenv, not for files from strangers.

The cache never holds a release's bytes and is never part of one: a build with and
without it publishes the same files (tests/test_cache.py), and a release it is told of is
copied only after every file is checked against its manifest.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

DIGEST = 32  # bytes of SHA-256 before each entry's payload
SUFFIX = ".entry"


class Corrupt(Exception):
    """An entry whose bytes are not what was written."""


@dataclass(frozen=True)
class CacheInfo:
    folder: Path
    entries: int
    bytes: int


@dataclass(frozen=True)
class Store:
    """The entries under `folder`, read and written by any number of processes at once."""

    folder: Path

    def path(self, key: str) -> Path:
        return self.folder / "entries" / key[:2] / f"{key}{SUFFIX}"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def get(self, key: str) -> Any | None:
        """The entry's value, or None when there is none; raises `Corrupt` (after deleting
        it) when its bytes do not match the hash written with them. A read marks the entry
        used, for eviction."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:  # none, or a cache that cannot be read: the work is done again
            return None
        if len(data) < DIGEST or hashlib.sha256(data[DIGEST:]).digest() != data[:DIGEST]:
            path.unlink(missing_ok=True)
            raise Corrupt(f"cache entry {path} is corrupt (its hash does not match); recomputed")
        with contextlib.suppress(OSError):
            os.utime(path)
        return pickle.loads(data[DIGEST:])

    def recall(self, key: str, warnings: list[str]) -> Any | None:
        """`get`, with a corrupt entry's message added to `warnings` and None returned: what
        every reader of the cache does with one (reported, deleted, recomputed)."""
        try:
            return self.get(key)
        except Corrupt as exc:
            warnings.append(str(exc))
            return None

    def put(self, key: str, value: Any) -> None:
        """Write the entry atomically; a cache that cannot be written (a full disk, a
        read-only folder) only costs the next build the work, so errors are swallowed."""
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        path = self.path(key)
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(hashlib.sha256(payload).digest())
                    fh.write(payload)
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise

    def entries(self) -> list[os.DirEntry[str]]:
        found: list[os.DirEntry[str]] = []
        top = self.folder / "entries"
        if not top.is_dir():
            return found
        for shard in os.scandir(top):
            if shard.is_dir():
                found += [e for e in os.scandir(shard.path) if e.name.endswith(SUFFIX)]
        return found

    def info(self) -> CacheInfo:
        entries = self.entries()
        return CacheInfo(self.folder, len(entries), sum(_size(e) for e in entries))

    def evict(self, max_bytes: int) -> int:
        """Delete the least recently used entries until the rest fit in `max_bytes`, and
        the temporaries of writers killed an hour ago or more; returns how many entries
        were deleted."""
        self.remove_stale_temporaries()
        entries = [(e.stat().st_mtime_ns, e.name, e.path, _size(e)) for e in self.entries()]
        total = sum(size for *_, size in entries)
        deleted = 0
        for _, _, path, size in sorted(entries):
            if total <= max_bytes:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
                total -= size
                deleted += 1
        return deleted

    def remove_stale_temporaries(self, age: float = 3600.0) -> None:
        top = self.folder / "entries"
        for temporary in top.glob("*/.*.tmp") if top.is_dir() else ():
            with contextlib.suppress(OSError):
                if time.time() - temporary.stat().st_mtime > age:
                    temporary.unlink()

    def clear(self) -> CacheInfo:
        """Delete every entry; returns what there was."""
        info = self.info()
        shutil.rmtree(self.folder / "entries", ignore_errors=True)
        return info


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat().st_size
    except OSError:
        return 0


def key(*parts: object) -> str:
    """A SHA-256 over the `repr` of each part (strings, numbers, tuples, frozen dataclasses:
    reprs that do not depend on the process or the machine's hash seed)."""
    digest = hashlib.sha256()
    for part in parts:
        text = repr(part).encode("utf-8", "surrogatepass")
        digest.update(len(text).to_bytes(8, "little"))
        digest.update(text)
    return digest.hexdigest()


@functools.cache
def code_version() -> str:
    """A hash of this package's source and data files and of every installed distribution's
    version: a new release of the project or of a dependency is a new key. Computed once
    per process (~0.07 s: every distribution's metadata is read)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if (
            path.is_file()
            and path.suffix in (".py", ".toml", ".json", ".txt")
            and "__pycache__" not in path.parts
        ):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    versions = sorted((d.metadata["Name"] or "", d.version) for d in metadata.distributions())
    digest.update(repr((sys.version, versions)).encode())
    return digest.hexdigest()


def text_key(text: str) -> bytes:
    """The 16-byte hash a `Memo` holds a text's values under (a lone surrogate hashed as it
    is: the texts a memo is asked about may hold one)."""
    return xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class Memo:
    """Values by a 16-byte hash, compactly: the hashes sorted in one array, the values (bytes)
    in one blob. For pass 2's per-record results, which a build looks up by the hash of each
    text: ~40 bytes of overhead per record where a dict would spend several hundred, and one
    entry to load (it is shared with forked workers, not copied)."""

    hashes: np.ndarray  # (n,) "S16", sorted
    offsets: np.ndarray  # (n + 1,) int64: value i is blob[offsets[i]:offsets[i + 1]]
    blob: bytes

    @classmethod
    def of(cls, pairs: Iterable[tuple[bytes, bytes | memoryview]]) -> Memo:
        """From (hash, value) pairs; of two pairs with one hash, either is kept (their values
        are the same: the hash is of what determines them)."""
        chosen = dict(pairs)
        order = sorted(chosen)
        values = [chosen[h] for h in order]
        offsets = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum([len(v) for v in values], out=offsets[1:])
        return cls(np.array(order, dtype="S16"), offsets, b"".join(values))

    def get(self, hashed: bytes) -> bytes | None:
        i = int(np.searchsorted(self.hashes, hashed))
        if i < len(self.hashes) and self.hashes[i : i + 1].tobytes() == hashed:  # (items strip trailing NULs)
            return self.blob[self.offsets[i] : self.offsets[i + 1]]
        return None

    def __len__(self) -> int:
        return len(self.hashes)
