"""Finding the input files: one sorted order (POSIX path relative to raw/), so a build reads
the same records in the same order on every machine; whatever is not read is listed as
skipped with a reason.

`ingest.include` and `ingest.exclude` are globs (fnmatch: `*` also crosses `/`); a
pattern without `/` matches a file's name at any depth, like a .gitignore line, so the
default excludes (LICENSE*, README*, ...) keep a corpus's licence and readme out of its
articles wherever they sit."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.stages import sources
from dataset_builder.stages.ingest.files import InputFile, input_format
from dataset_builder.stages.ingest.readers import READERS


@dataclass(frozen=True)
class Skipped:
    rel: str
    reason: str


@dataclass(frozen=True)
class Inventory:
    files: tuple[InputFile, ...]
    skipped: tuple[Skipped, ...]


def discover(raw_dir: Path, include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> Inventory:
    """List the files to read, sorted; hidden entries and symlinks are skipped, not followed,
    as are files that `include` (when given) does not match and files `exclude` matches."""
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
            reason = pattern_reason(rel, include, exclude) or skip_reason(path, name, is_dir=False)
            if reason:
                skipped.append(Skipped(printable(rel), reason))
                continue
            try:
                listed = path.stat()
                files.append(InputFile(path, rel, listed.st_size, listed.st_mtime_ns))
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


def pattern_reason(rel: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> str | None:
    """Why `ingest.include`/`ingest.exclude` leave the file at `rel` out, if they do."""
    if include and not any(matches(rel, p) for p in include):
        return f"not in ingest.include {list(include)}"
    excluded = next((p for p in exclude if matches(rel, p)), None)
    return f"excluded by ingest.exclude {excluded!r}" if excluded else None


def matches(rel: str, pattern: str) -> bool:
    """fnmatch on the path under raw/, or on the file's name for a pattern without `/`."""
    target = rel if "/" in pattern else rel.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(target, pattern)


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
