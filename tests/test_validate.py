from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from dataset_builder.config import load_schema
from dataset_builder.records import Rejection
from dataset_builder.validate import article_validator, validate_record

VALID = {
    "id": "a1",
    "title": "T",
    "text": "Body.",
    "url": "https://example.org/a",
    "source": "P",
    "published": "2024-10-29T08:23:00+08:00",
    "group": None,
    "authors": ["A"],
    "keywords": [],
    "raw_path": "a.jsonl",
    "raw_line": 3,
    "raw_sha256": "0" * 64,
    "raw_format": "jsonl",
    "raw_encoding": "utf-8",
}


@pytest.fixture(scope="module")
def validator():
    return article_validator()


def test_valid_record_passes(validator):
    assert validate_record(VALID, validator) == VALID
    assert (
        validate_record({**VALID, "published": "2024-10-29", "url": None, "title": None}, validator)["id"]
        == "a1"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("published", "2024-13-45T99:00:00Z"),  # a date-time that is not one
        ("published", "2024-02-30T10:00:00Z"),
        ("published", "2024-10-29T08:23:00"),  # no offset: not RFC 3339
        ("published", "2024-13-01"),
        ("url", "not a url"),
    ],
)
def test_malformed_formats_are_rejected_with_the_field(validator, field, value):
    result = validate_record({**VALID, field: value}, validator)
    assert isinstance(result, Rejection)
    assert result.reason == "schema"
    assert f"$.{field}" in result.detail and repr(value) in result.detail


def test_date_time_is_checked_only_with_the_format_dependency():
    """Why rfc3339-validator is a dependency: the same schema accepts a malformed
    date-time when the checker for it is missing, as it is without that package."""
    assert "date-time" in FormatChecker().checkers  # rfc3339-validator is installed
    schema = load_schema("article.schema.json")
    bad = {**VALID, "published": "2024-13-45T99:00:00Z"}
    assert not Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(bad)
    without = FormatChecker()
    del without.checkers["date-time"]
    assert Draft202012Validator(schema, format_checker=without).is_valid(bad)
    assert Draft202012Validator(schema).is_valid(bad)  # no checker: formats are annotations


def test_every_error_is_listed(validator):
    record = {k: v for k, v in VALID.items() if k != "text"} | {"authors": "A", "raw_line": 0}
    result = validate_record(record, validator)
    assert isinstance(result, Rejection)
    assert "'text' is a required property" in result.detail
    assert "$.authors" in result.detail and "$.raw_line" in result.detail
    assert result.id == "a1" and result.raw_line == 0


def test_long_values_are_shortened_in_messages(validator):
    result = validate_record({**VALID, "title": 12345, "text": ""}, validator)
    assert "$.text: '' should be non-empty" in result.detail
    assert "$.title: 12345 is not of type 'string', 'null'" in result.detail
    huge = validate_record({**VALID, "url": "x" * 10_000}, validator)
    assert len(huge.detail) < 200
