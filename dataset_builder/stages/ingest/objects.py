"""From a parsed object (a JSON value, a CSV row, a Parquet row) to a record: keys renamed
by `ingest.fields`, an id derived where the source gives none."""

from __future__ import annotations

import json
from typing import Any

from dataset_builder.records import Record, Rejection
from dataset_builder.stages.ingest.files import sha256


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


def parse_object(text: str, prov: dict[str, Any], fields: dict[str, str]) -> Record | Rejection:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejection(**prov, reason="json", detail=f"invalid JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return Rejection(**prov, reason="json", detail="JSON nested too deeply")
    return map_object(value, prov, fields)


def derived_id(rel: str, line: int) -> str:
    """A record's id when the source gives none: stable while the file keeps its name."""
    return sha256(f"{rel}:{line}".encode())[:16]
