"""The card's `dataset_info`, written without importing `datasets`, is what `datasets` writes."""

from __future__ import annotations

import datasets
import pyarrow as pa
import pytest

from dataset_builder.config import parse_columns
from dataset_builder.records import record_schema
from dataset_builder.release import card
from dataset_builder.release.card import dataset_info

FLAT = [
    pa.string(),
    pa.large_string(),
    pa.bool_(),
    *(pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()),
    *(pa.float16(), pa.float32(), pa.float64()),
]
OTHER = [
    pa.timestamp("s"),
    pa.timestamp("us", tz="UTC"),
    pa.date32(),
    pa.date64(),
    pa.time64("us"),
    pa.duration("s"),
    pa.binary(),
    pa.struct([("a", pa.int64())]),
    pa.large_list(pa.string()),
]


def with_datasets(schema: pa.Schema, rows: dict[str, int], labels: dict | None = None) -> dict:
    features = datasets.Features.from_arrow_schema(schema)
    for name, values in (labels or {}).items():
        features[name] = datasets.ClassLabel(names=list(values))
    info = datasets.DatasetInfo(
        features=features,
        splits=datasets.SplitDict(
            {name: datasets.SplitInfo(name, num_examples=n) for name, n in rows.items()}
        ),
    )
    return info._to_yaml_dict()


@pytest.mark.parametrize("rows", [{"train": 3, "validation": 1}, {"train": 1, "validation": 2, "test": 5}])
def test_the_record_schema_as_datasets_writes_it(rows: dict[str, int]) -> None:
    assert dataset_info(record_schema(), rows) == with_datasets(record_schema(), rows)


@pytest.mark.parametrize(
    "kind", FLAT + [pa.list_(kind) for kind in FLAT] + OTHER + [pa.list_(k) for k in OTHER]
)
def test_every_type_as_datasets_writes_it(kind: pa.DataType) -> None:
    schema = pa.schema([("id", pa.string()), ("field", kind)])
    assert dataset_info(schema, {"train": 2}) == with_datasets(schema, {"train": 2})


def test_declared_columns_and_labels_as_datasets_writes_them() -> None:
    """A release with declared columns (a label among them) has the card `datasets` would
    write, the label a ClassLabel, and writing it needs no `datasets` (a build imports none)."""
    columns = parse_columns(
        {
            "category": {"type": "label", "values": ["Fake", "True"]},
            "topic": "string",
            "checked": "date",
            "tags": "list[string]",
        }
    )
    schema, labels = record_schema(columns), card.labels(columns)
    assert labels == {"category": ("Fake", "True")}
    rows = {"train": 4, "test": 1}
    assert dataset_info(schema, rows, labels) == with_datasets(schema, rows, labels)
    assert all(card._feature(field) for field in schema if field.name not in labels)
