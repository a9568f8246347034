"""Stage 3: check each cleaned record against `schema/article.schema.json`.

`jsonschema` is the reference: it decides every rejection and writes its messages.
Formats are enforced: without a format checker jsonschema treats `date-time` and `uri`
as annotations and lets anything through, and even with one it silently accepts a
malformed `date-time` unless `rfc3339-validator` is installed (and `uri` needs
`rfc3986-validator`). `require_format_support` turns a missing one into an error.

Speed: the Python validator costs ~140 us per article, as much as the rest of cleaning.
jsonschema-rs checks the same schema in ~2 us, but implementations differ on formats
(measured: jsonschema-rs accepts every leap second, rfc3339-validator none). So a record
is accepted on the fast path only when jsonschema-rs finds it valid *and* the reference
accepts each property whose schema has a `format`; anything else goes to the reference.
tests/test_validate.py checks that the verdict always equals the reference's.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from dataset_builder.config import Column, load_schema
from dataset_builder.errors import BuildError
from dataset_builder.records import Record, Rejection
from dataset_builder.stages.columns import json_schema

ENFORCED_FORMATS = ("date-time", "date", "uri")
MAX_VALUE_CHARS = 80


class ArticleValidator:
    def __init__(self, schema: dict[str, Any]) -> None:
        require_format_support()
        self.reference = Draft202012Validator(schema, format_checker=FormatChecker())
        self.fast = jsonschema_rs.validator_for(schema, validate_formats=True)
        self.formatted = {
            name: self.reference.evolve(schema=sub)
            for name, sub in schema["properties"].items()
            if has_format(sub)
        }

    def errors(self, record: Record) -> list[ValidationError]:
        """The reference's errors (none for a valid record)."""
        if self.fast.is_valid(record) and all(
            validator.is_valid(record[name]) for name, validator in self.formatted.items() if name in record
        ):
            return []
        return sorted(self.reference.iter_errors(record), key=lambda e: (e.json_path, e.message))


def has_format(schema: Any) -> bool:
    if isinstance(schema, dict):
        return "format" in schema or any(has_format(v) for v in schema.values())
    if isinstance(schema, list):
        return any(has_format(v) for v in schema)
    return False


def article_validator(columns: tuple[Column, ...] = ()) -> ArticleValidator:
    """The article schema, with the declared columns as required properties (null allowed)."""
    schema = load_schema("article.schema.json")
    extra = json_schema(columns)
    if extra:
        schema = {
            **schema,
            "required": [*schema["required"], *extra],
            "properties": {**schema["properties"], **extra},
        }
    return ArticleValidator(schema)


def require_format_support() -> None:
    missing = [f for f in ENFORCED_FORMATS if f not in FormatChecker().checkers]
    if missing:
        raise BuildError(
            f"jsonschema cannot check the formats {', '.join(missing)}: "
            "install rfc3339-validator and rfc3986-validator (pip install -e . does)"
        )


def validate_record(record: Record, validator: ArticleValidator) -> Record | Rejection:
    """The record itself if valid, else a rejection listing every error (path: message)."""
    errors = validator.errors(record)
    if not errors:
        return record
    return Rejection.of(record, "schema", "; ".join(describe(e) for e in errors))


def describe(error: ValidationError) -> str:
    """`$.published: '2024-13-01' is not a date`, with long values shortened."""
    value = repr(error.instance)
    if len(value) > MAX_VALUE_CHARS:
        value = value[: MAX_VALUE_CHARS - 3] + "..."
    if error.validator == "required":
        return f"{error.json_path}: {error.message}"
    if error.validator == "anyOf":
        return f"{error.json_path}: {value} is not any of: " + ", ".join(
            describe_subschema(s) for s in error.validator_value
        )
    if error.validator == "format":
        return f"{error.json_path}: {value} is not a valid {error.validator_value}"
    return f"{error.json_path}: {error.message.replace(repr(error.instance), value)}"


def describe_subschema(schema: dict[str, object]) -> str:
    return str(schema.get("format") or schema.get("type"))
