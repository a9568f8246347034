"""Stage 3: check each cleaned record against `schema/article.schema.json`.

Formats are enforced: without a format checker jsonschema treats `date-time` and `uri`
as annotations and lets anything through, and even with one it silently accepts a
malformed `date-time` unless `rfc3339-validator` is installed (and `uri` needs
`rfc3986-validator`). `require_format_support`
turns that missing dependency into an error instead of a silent pass.
"""

from __future__ import annotations

from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from dataset_builder.config import load_schema
from dataset_builder.errors import BuildError
from dataset_builder.records import Record, Rejection

ENFORCED_FORMATS = ("date-time", "date", "uri")
MAX_VALUE_CHARS = 80


def article_validator() -> Draft202012Validator:
    require_format_support()
    return Draft202012Validator(load_schema("article.schema.json"), format_checker=FormatChecker())


def require_format_support() -> None:
    missing = [f for f in ENFORCED_FORMATS if f not in FormatChecker().checkers]
    if missing:
        raise BuildError(
            f"jsonschema cannot check the formats {', '.join(missing)}: "
            "install rfc3339-validator and rfc3986-validator (pip install -e . does)"
        )


def validate_record(record: Record, validator: Draft202012Validator) -> Record | Rejection:
    """The record itself if valid, else a rejection listing every error (path: message)."""
    errors = sorted(validator.iter_errors(record), key=lambda e: (e.json_path, e.message))
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
