"""Reading the evaluation sets that `[[decontaminate]]` names, and their SHA-256.

An evaluation set is a JSON Lines, CSV/TSV or Parquet file, or a Hugging Face dataset
folder: either what `Dataset.save_to_disk` writes (Arrow stream files beside
`dataset_info.json`) or a hub repository's files (`data/test-00000-of-00001.parquet`,
`test.jsonl`...), all read in sorted order. A folder's hash is the SHA-256 of its listing
(`relative path  sha256` per file read, sorted), so it changes when any file read does.
Every problem is a ConfigError naming the entry, the file and, where there is one, the line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dataset_builder.config import EvalSetSettings
from dataset_builder.errors import ConfigError
from dataset_builder.hashing import sha256_file

FILE_KINDS = {".jsonl": "jsonl", ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".arrow": "arrow"}


@dataclass(frozen=True)
class EvalSet:
    """An evaluation set as read: its items (id, text) in file order, and what the manifest
    says of it."""

    settings: EvalSetSettings
    sha256: str
    kind: str  # jsonl, csv, tsv, parquet or "dataset folder"
    items: list[tuple[str, str]]


def read_evalset(entry: EvalSetSettings) -> EvalSet:
    """The items of `entry`'s file or folder; a missing, changed or unreadable one is an error."""
    where = f"decontaminate ({entry.name}): {entry.path}"
    if entry.path.is_dir():
        files = folder_files(entry.path, entry.split)
        if not files:
            split = f" of split {entry.split!r}" if entry.split else ""
            raise ConfigError(f"{where}: no .arrow, .parquet, .jsonl or .csv file{split} in this folder")
        listing = "".join(f"{f.relative_to(entry.path).as_posix()}  {sha256_file(f)}\n" for f in files)
        digest, kind = hashlib.sha256(listing.encode("utf-8")).hexdigest(), "dataset folder"
    elif entry.path.is_file():
        files = [entry.path]
        kind = FILE_KINDS.get(entry.path.suffix.lower(), "")
        if not kind or kind == "arrow":
            raise ConfigError(f"{where}: not a .jsonl, .csv, .tsv or .parquet file, nor a dataset folder")
        digest = sha256_file(entry.path)
    else:
        raise ConfigError(f"{where}: evaluation set not found")
    if entry.sha256 and entry.sha256 != digest:
        raise ConfigError(
            f"{where}: the evaluation set changed: its SHA-256 is {digest}, the config expects {entry.sha256}"
        )
    items: list[tuple[str, str]] = []
    for path in files:
        try:
            items.extend(read_items(path, entry))
        except (UnicodeDecodeError, csv.Error, pa.ArrowException, OSError) as exc:
            raise ConfigError(f"decontaminate ({entry.name}): {path}: cannot be read: {exc}") from None
    return EvalSet(entry, digest, kind, items)


def folder_files(folder: Path, split: str | None) -> list[Path]:
    """The data files of a dataset folder, sorted; with `split`, only those whose name or
    folder says that split (`test-00000-of-00001.parquet`, `test.jsonl`, `test/data-….arrow`)."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in FILE_KINDS):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or path.name.startswith("cache-"):
            continue
        if split and not (split in rel.parts[:-1] or path.name.split("-")[0].split(".")[0] == split):
            continue
        found.append(path)
    return found


def read_items(path: Path, entry: EvalSetSettings) -> Iterator[tuple[str, str]]:
    """(id, text) of each row of one file; text is the text fields joined by a line break."""
    for line, row in rows(path):
        where = f"decontaminate ({entry.name}): {path}:{line}"
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: not an object")
        missing = [f for f in (entry.id_field, *entry.text_fields) if f not in row]
        if missing:
            raise ConfigError(f"{where}: no field {', '.join(map(repr, missing))} (has: {', '.join(row)})")
        item_id = row[entry.id_field]
        if item_id is None or item_id == "":
            raise ConfigError(f"{where}: {entry.id_field!r} is empty")
        texts = [text_of(row[f], f, where) for f in entry.text_fields]
        yield str(item_id), "\n".join(t for t in texts if t)


def text_of(value: Any, field: str, where: str) -> str:
    """A text field's value: a string, a list of strings (answers, paragraphs), or nothing."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    raise ConfigError(f"{where}: {field!r} is a {type(value).__name__}, not text")


def rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line or row number from 1, row) of a JSONL, CSV/TSV, Parquet or Arrow stream file."""
    kind = FILE_KINDS[path.suffix.lower()]
    if kind == "jsonl":
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield number, json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ConfigError(f"{path}:{number}: not valid JSON: {exc}") from None
    elif kind in ("csv", "tsv"):
        text = path.read_text(encoding="utf-8-sig")
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if kind == "tsv" else ",")
        for number, row in enumerate(reader, 2):
            yield number, row
    else:
        table = pq.read_table(path) if kind == "parquet" else pa.ipc.open_stream(path.read_bytes()).read_all()
        yield from enumerate(table.to_pylist(), 1)
