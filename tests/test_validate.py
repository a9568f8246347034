from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from dataset_builder.config import load_schema
from dataset_builder.records import Rejection
from dataset_builder.stages.validate import article_validator, validate_record

VALID = {
    "id": "a1",
    "source_id": "a-1",
    "title": "T",
    "text": "Body.",
    "url": "https://example.org/a",
    "source": "P",
    "published": "2024-10-29T08:23:00+08:00",
    "group": None,
    "authors": ["A"],
    "keywords": [],
    "license": "CC-BY-4.0",
    "retrieved": "2024-11-02",
    "declared_language": "pt",
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
        ("retrieved", "2024-02-30"),
        ("license", ""),
        ("declared_language", "pt-BR"),  # the primary subtag only
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


EDGE_VALUES = [
    "2024-10-29T23:59:60Z",
    "1990-12-31T15:59:60-08:00",  # RFC 3339's own leap-second example
    "2024-02-29",
    "2023-02-29",
    "2024-10-29t08:23:00z",
    "2024-10-29T08:23:00.5+08:00",
    "2024-10-29 08:23:00Z",
    "ftp:",
    "http://[::1]:80/",
    "http://exa mple.org",
    "//relative",
    "mailto:x@y.z",
    "zh-cn",
    "und",
    "EN",
    "",
    "a" * 65,
    "0" * 64,
    "txt",
    "jsonl",
    "xml",
]
TRICKY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(EDGE_VALUES),
    st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@pytest.mark.parametrize("field", [*VALID, "language", "language_score"])
def test_fast_path_agrees_on_every_edge_value_in_every_field(validator, field):
    for value in [*EDGE_VALUES, None, 1, 1.5, True, [], ["x"], {}]:
        record = {**VALID, field: value}
        assert (validator.errors(record) == []) == validator.reference.is_valid(record), (field, value)


@settings(max_examples=400)
@given(
    st.dictionaries(st.sampled_from([*VALID, "language", "language_score", "extra"]), TRICKY, max_size=4),
    st.sets(st.sampled_from(list(VALID)), max_size=2),
)
def test_fast_path_verdict_equals_the_reference(changes, removed):
    """jsonschema-rs plus per-format checks accept exactly what jsonschema accepts."""
    validator = article_validator()
    record = {k: v for k, v in {**VALID, **changes}.items() if k not in removed}
    assert (validator.errors(record) == []) == validator.reference.is_valid(record)
