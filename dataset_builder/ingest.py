"""Stage 1: find the input files and read them into records with provenance.

Files are listed in one sorted order (POSIX path relative to raw/), so a build reads the
same records in the same order on every machine. Anything that is not read is listed
in `Inventory.skipped` with a reason; anything read but unusable becomes a `Rejection`
naming its file and line.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.records import Record, Rejection


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


def discover(raw_dir: Path) -> Inventory:
    """List the files to read, sorted; hidden entries and symlinks are skipped, not followed."""
    if not raw_dir.is_dir():
        raise ConfigError(f"{raw_dir}: input folder not found (set `raw` in the config or --raw)")
    files: list[InputFile] = []
    skipped: list[Skipped] = []
    for top, dirnames, filenames in os.walk(raw_dir):
        here = Path(top)
        for name in list(dirnames):
            reason = skip_reason(here / name, name, is_dir=True)
            if reason:
                dirnames.remove(name)
                skipped.append(Skipped(relative(here / name, raw_dir) + "/", reason))
        for name in filenames:
            path = here / name
            reason = skip_reason(path, name, is_dir=False)
            if reason:
                skipped.append(Skipped(relative(path, raw_dir), reason))
            else:
                files.append(InputFile(path, relative(path, raw_dir), path.stat().st_size))
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
    if not is_dir and path.suffix.lower() not in READERS:
        return f"unsupported file type {path.suffix.lower()!r}" if path.suffix else "no file extension"
    return None


def relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def read_file(file: InputFile, fields: dict[str, str]) -> Iterator[Record | Rejection]:
    """Yield every record of one file, or a rejection where a record cannot be read."""
    reader = READERS[Path(file.rel).suffix.lower()]
    yield from reader(file, fields)


def read_txt(file: InputFile, fields: dict[str, str]) -> Iterator[Record | Rejection]:
    """A plain-text article: the whole file is one record; `clean` reads its header."""
    data = file.path.read_bytes()
    prov = {"raw_path": file.rel, "raw_line": 1, "raw_sha256": sha256(data), "raw_format": "txt"}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Rejection(**prov, reason="decode", detail=describe_decode_error(data, exc))
        return
    yield {"id": derived_id(file.rel, 1), "text": text, **prov}


def read_jsonl(file: InputFile, fields: dict[str, str]) -> Iterator[Record | Rejection]:
    """JSON Lines: one object per line; blank lines are not records."""
    with file.path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            data = line.rstrip(b"\r\n")
            if not data.strip():
                continue
            prov = {
                "raw_path": file.rel,
                "raw_line": number,
                "raw_sha256": sha256(data),
                "raw_format": "jsonl",
            }
            yield parse_object(data, prov, fields, strip_bom=number == 1)


def read_json(file: InputFile, fields: dict[str, str]) -> Iterator[Record | Rejection]:
    """A JSON array of objects (or a single object); records are numbered from 1."""
    data = file.path.read_bytes()
    prov = {"raw_path": file.rel, "raw_line": 1, "raw_sha256": sha256(data), "raw_format": "json"}
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        yield Rejection(**prov, reason="decode", detail=describe_decode_error(data, exc))
        return
    except json.JSONDecodeError as exc:
        yield Rejection(**prov, reason="json", detail=f"line {exc.lineno}: invalid JSON: {exc.msg}")
        return
    except RecursionError:
        yield Rejection(**prov, reason="json", detail="JSON nested too deeply")
        return
    items = value if isinstance(value, list) else [value]
    for number, item in enumerate(items, start=1):
        item_bytes = json.dumps(item, ensure_ascii=False, sort_keys=True).encode()
        item_prov = {**prov, "raw_line": number, "raw_sha256": sha256(item_bytes)}
        yield map_object(item, item_prov, fields)


def parse_object(
    data: bytes, prov: dict[str, Any], fields: dict[str, str], *, strip_bom: bool
) -> Record | Rejection:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(**prov, reason="decode", detail=describe_decode_error(data, exc, line=False))
    if strip_bom:
        text = text.removeprefix("\ufeff")
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


def describe_decode_error(data: bytes, exc: UnicodeDecodeError, *, line: bool = True) -> str:
    where = f"line {data.count(NEWLINE, 0, exc.start) + 1}, " if line else ""
    return f"{where}byte {exc.start}: not valid UTF-8 (0x{data[exc.start]:02x}); convert the file to UTF-8"


NEWLINE = b"\n"
Reader = Callable[[InputFile, dict[str, str]], Iterator[Record | Rejection]]
READERS: dict[str, Reader] = {".txt": read_txt, ".jsonl": read_jsonl, ".json": read_json}
