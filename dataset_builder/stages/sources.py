"""raw/sources.toml: where input files came from, when their text does not say.

Per glob, what a saved page rarely records about itself: its URL, publisher, licence,
retrieval date and how it was collected. The values fill the record fields a record has
no value of its own for (`url`, `source`, `license`, `retrieved`), and the datasheet's
collection and licence answers. The file is checked against schema/sources.schema.json.
"""

from __future__ import annotations

import fnmatch
import hashlib
import tomllib
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from dataset_builder.config import load_schema
from dataset_builder.errors import ConfigError
from dataset_builder.records import Record

NAME = "sources.toml"
RECORD_FIELDS = {"url": "url", "publisher": "source", "license": "license", "retrieved": "retrieved"}


def load_sources(raw_dir: Path) -> tuple[list[dict[str, Any]], str | None]:
    """The entries of raw/sources.toml and its SHA-256; none when there is no such file."""
    path = raw_dir / NAME
    if not path.is_file():
        return [], None
    data = path.read_bytes()
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    validator = Draft202012Validator(load_schema("sources.schema.json"), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError(
            "\n".join(f"{path}: {'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
        )
    return document.get("source", []), hashlib.sha256(data).hexdigest()


def for_file(rel: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The record fields the entries matching `rel` give (later entries win)."""
    values: dict[str, Any] = {}
    for entry in entries:
        if fnmatch.fnmatch(rel, entry["files"]):
            values.update((RECORD_FIELDS[k], v) for k, v in entry.items() if k in RECORD_FIELDS)
    return values


def fill(record: Record, values: dict[str, Any]) -> None:
    """Give `record` the values it has none of its own for."""
    for field, value in values.items():
        if record.get(field) in (None, "", []):
            record[field] = value
