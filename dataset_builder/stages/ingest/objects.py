"""From a parsed object (a JSON value, a CSV row, a Parquet row) to a record: keys renamed
by `ingest.fields`, an id derived where the source gives none."""

from __future__ import annotations

import json
from typing import Any

from dataset_builder.records import Record, Rejection
from dataset_builder.stages.columns import INPUT
from dataset_builder.stages.ingest.files import sha256


def map_object(value: Any, prov: dict[str, Any], fields: dict[str, str]) -> Record | Rejection:
    """Rename source keys to record fields (config `ingest.fields`). The object itself stays
    on the record under `columns.INPUT`, for pass 1 to take declared columns from and to
    count the keys it had; `source_id` is left out when it is the record's id too."""
    if not isinstance(value, dict):
        return Rejection(
            **prov, reason="json", detail=f"expected a JSON object, found {type(value).__name__}"
        )
    record: Record = {field: value[key] for field, key in fields.items() if key in value}
    if fields.get("source_id") == fields.get("id"):
        record.pop("source_id", None)
    for field in ("id", "source_id"):
        if isinstance(record.get(field), int) and not isinstance(record[field], bool):
            record[field] = str(record[field])
    if record.get("id") is None or record["id"] == "":
        record["id"] = derived_id(prov["raw_path"], prov["raw_line"])
    if record.get("source_id") == "":
        record["source_id"] = None
    record.update(prov)
    record[INPUT] = value
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
