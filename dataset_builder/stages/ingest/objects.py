"""From a parsed object (a JSON value, a CSV row, a Parquet row) to a record: keys renamed
by `ingest.fields`, an id derived where the source gives none.

JSON may escape a lone UTF-16 surrogate (`"\\ud800"`): valid JSON, but no UTF-8 text, so
nothing downstream could write it. A record holding one is rejected (reason `decode`,
naming the field), or has it replaced by U+FFFD with `on_decode_error = "replace"`.
A value nested more than `MAX_DEPTH` deep is rejected too (reason `json`): the stages
after this one (and pickling to a worker) recurse into values, and would fail on it with
a RecursionError."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from dataset_builder.records import Record, Rejection
from dataset_builder.stages.columns import INPUT
from dataset_builder.stages.ingest.files import sha256

SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 64  # lists and objects inside a record's field


def map_object(
    value: Any, prov: dict[str, Any], fields: dict[str, str], replace: bool = False
) -> Record | Rejection:
    """Rename source keys to record fields (config `ingest.fields`). The object itself stays
    on the record under `columns.INPUT`, for pass 1 to take declared columns from and to
    count the keys it had; `source_id` is left out when it is the record's id too. Lone
    surrogates anywhere in the object are replaced if `replace`, else the record is
    rejected: any key may be a declared column, and the whole object travels to a worker."""
    if not isinstance(value, dict):
        return Rejection(
            **prov, reason="json", detail=f"expected a JSON object, found {type(value).__name__}"
        )
    whole = checked(value, "$", replace)
    if isinstance(whole, Unfit):
        return Rejection(**prov, reason=whole.reason, detail=whole.detail)
    value = whole
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


@dataclass(frozen=True)
class Unfit:
    """Why a value cannot be kept (a lone surrogate, too deep a nesting), and where."""

    reason: str
    detail: str


def checked(value: Any, path: str, replace: bool, depth: int = 0) -> Any:
    """`value` with lone surrogates replaced by U+FFFD (`replace`), or `Unfit` saying where
    the first one is, or where it is nested more than `MAX_DEPTH` deep."""
    if depth > MAX_DEPTH:
        return Unfit("json", f"{path}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        found = SURROGATE.search(value)
        if found is None:
            return value
        if replace:
            return SURROGATE.sub("\ufffd", value)
        return Unfit(
            "decode",
            f"{path}: a lone surrogate U+{ord(found.group()):04X} at character {found.start() + 1} "
            "(escaped in the JSON) is not text and cannot be written as UTF-8",
        )
    if isinstance(value, list):
        items = [checked(v, f"{path}[{i}]", replace, depth + 1) for i, v in enumerate(value)]
        return next((v for v in items if isinstance(v, Unfit)), items)
    if isinstance(value, dict):
        pairs = [
            (
                checked(k, f"{path} (a key)", replace, depth),
                checked(v, f"{path}.{SURROGATE.sub('?', str(k))}", replace, depth + 1),
            )
            for k, v in value.items()
        ]
        return next((x for pair in pairs for x in pair if isinstance(x, Unfit)), dict(pairs))
    return value


def parse_object(
    text: str, prov: dict[str, Any], fields: dict[str, str], replace: bool = False
) -> Record | Rejection:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejection(**prov, reason="json", detail=f"invalid JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return Rejection(**prov, reason="json", detail="JSON nested too deeply")
    return map_object(value, prov, fields, replace)


def derived_id(rel: str, line: int) -> str:
    """A record's id when the source gives none: stable while the file keeps its name."""
    return sha256(f"{rel}:{line}".encode())[:16]
