"""The user's own fields: input keys declared in `[ingest.columns]` become typed columns of
the release, and the record's dates become Arrow dates and timestamps.

A record meets this module three times in pass 1: `pick` takes the declared keys from the
input object (before cleaning), `coerce` turns spellings a table cannot avoid into their
type (CSV cells are strings: "12" for an integer, "true" for a boolean; a label's aliases),
leaving anything else as it is for the validator to report with the field's name, and
after validation `to_arrow` gives each value the Python type its Arrow column takes.

Dates: `published` is a timestamp in UTC (microseconds). An input with a zone is converted
to UTC; an input with only a date, or a time without a zone and no `clean.assume_timezone`
(which `clean` records as its date), is that date at 00:00 UTC. `retrieved` and declared
`date` columns are Arrow dates (no time of day).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from dataset_builder.config import Column
from dataset_builder.records import Record

INPUT = "_input"
"""The key under which a reader leaves the input object on its record, for `pick`."""

JSON_SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": ["string", "null"]},
    "integer": {"type": ["integer", "null"]},
    "float": {"type": ["number", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    "date": {"anyOf": [{"type": "null"}, {"type": "string", "format": "date"}]},
    "list[string]": {"type": ["array", "null"], "items": {"type": "string"}},
}

INTEGER = re.compile(r"[+-]?[0-9]+")
BOOLEANS = {"true": True, "false": False}


def json_schema(columns: tuple[Column, ...]) -> dict[str, dict[str, Any]]:
    """Each column's JSON Schema, for the validator: a label admits its values only."""
    return {
        c.name: {"enum": [*c.values, None]} if c.type == "label" else JSON_SCHEMAS[c.type] for c in columns
    }


def pick(source: Mapping[str, Any], columns: tuple[Column, ...]) -> dict[str, Any]:
    """The declared columns' values in the input object (None where its key is absent)."""
    return {c.name: source.get(c.key) for c in columns}


def coerce(record: Record, columns: tuple[Column, ...]) -> Record:
    """Values spelled as text turned into their column's type where that is unambiguous;
    an empty string is no value. Anything else is left for the validator to name."""
    for column in columns:
        value = record.get(column.name)
        if isinstance(value, str):
            value = value.strip() or None
        if column.type == "label" and value is not None:
            text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else value
            value = dict(column.aliases).get(text, text) if isinstance(text, str) else value
        elif isinstance(value, str):
            if column.type == "integer" and INTEGER.fullmatch(value):
                value = int(value)
            elif column.type == "float":
                value = to_float(value)
            elif column.type == "boolean":
                value = BOOLEANS.get(value.lower(), value)
            elif column.type == "list[string]":
                value = [value]
        elif column.type == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif column.type == "string" and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # an id or code that JSON wrote as a number
        record[column.name] = value
    return record


def to_float(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value


def to_arrow(record: Record, columns: tuple[Column, ...]) -> Record:
    """A validated record with the Python values its Arrow columns take: dates, timestamps,
    label indices."""
    record["published"] = timestamp(record["published"])
    record["retrieved"] = date(record["retrieved"])
    for column in columns:
        value = record[column.name]
        if value is not None and column.type == "label":
            record[column.name] = column.values.index(value)
        elif column.type == "date":
            record[column.name] = date(value)
    return record


def timestamp(value: str | None) -> dt.datetime | None:
    """An RFC 3339 date-time in UTC; a date alone is its midnight, UTC."""
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def iso(value: Any) -> Any:
    """A value read back from Arrow as JSON would write it (dates as ISO 8601 text)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
