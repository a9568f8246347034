"""The card's `dataset_info`, written without importing `datasets`, is what `datasets` writes."""

from __future__ import annotations

import datasets
import pyarrow as pa
import pytest

from dataset_builder.records import record_schema
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
    pa.date32(),
    pa.binary(),
    pa.struct([("a", pa.int64())]),
    pa.large_list(pa.string()),
]


def with_datasets(schema: pa.Schema, rows: dict[str, int]) -> dict:
    info = datasets.DatasetInfo(
        features=datasets.Features.from_arrow_schema(schema),
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
