"""The building process's index as columns says what Python objects would have said."""

from __future__ import annotations

import string

import hypothesis.strategies as st
from hypothesis import given, settings

from dataset_builder.config import SPLITS
from dataset_builder.decide.dedup import id_ranks
from dataset_builder.index import Index
from dataset_builder.ledger import Ledger, reject_duplicate_ids

# Any text a JSON record can hold as an id: every plane, no lone surrogates (rejected on read).
IDS = st.text(st.characters(exclude_categories=("Cs",)), max_size=6)
PATHS = st.sampled_from(["a.jsonl", "b/c.csv", "d.json", "页.html"])
ENCODINGS = st.sampled_from(["utf-8", "gb18030", None])
FATES = st.one_of(
    st.tuples(st.just("split"), st.sampled_from(SPLITS)),
    st.tuples(st.just("rejected"), st.sampled_from(["language", "quality", "schema"])),
    st.tuples(st.just("duplicate"), st.integers(min_value=0)),
)
RECORD = st.tuples(IDS, PATHS, st.integers(1, 2**40), ENCODINGS, FATES)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(RECORD, max_size=8), max_size=5))
def test_columns_match_the_records_they_index(batches: list[list[tuple]]) -> None:
    index = Index()
    records = [record for batch in batches for record in batch]
    for batch in batches:
        ids = [record_id for record_id, *_ in batch]
        provenance = [(path, line, f"sha-{path}", path.rsplit(".", 1)[1], e) for _, path, line, e, _ in batch]
        index.add(ids, provenance)
    expected_fates = []
    for row, (record_id, path, line, encoding, (kind, value)) in enumerate(records):
        assert index.id(row) == record_id
        assert index.provenance(row) == (path, line, f"sha-{path}", path.rsplit(".", 1)[1], encoding)
        if kind == "split":
            index.place(row, value)
            expected_fates.append(f"split:{value}")
        elif kind == "rejected":
            assert index.rejection(row, value, "why").id == record_id
            expected_fates.append(f"rejected:{value}")
        else:
            of = value % len(records)
            assert index.duplicate(row, of, "near", 0.9).duplicate_of == records[of][0]
            expected_fates.append(f"duplicate:{records[of][0]}")
        assert index.in_split(row) == (kind == "split")
    columns = {name: column.to_pylist() for name, column in index.columns().items()}
    assert columns["id"] == [r[0] for r in records]
    assert columns["raw_path"] == [r[1] for r in records]
    assert columns["raw_line"] == [r[2] for r in records]
    assert columns["raw_sha256"] == [f"sha-{r[1]}" for r in records]
    assert columns["raw_encoding"] == [r[3] for r in records]
    assert columns["fate"] == expected_fates
    assert len(index) == len(records)


@settings(max_examples=300, deadline=None)
@given(st.lists(IDS, max_size=40))
def test_id_ranks_follow_python_string_order(ids: list[str]) -> None:
    """Arrow sorts UTF-8 bytes; Python code points. They agree, equal ids in row order."""
    ranks = id_ranks(index_of(ids).ids)
    expected = sorted(range(len(ids)), key=lambda row: (ids[row], row))
    assert [row for _, row in sorted(zip(ranks.tolist(), range(len(ids)), strict=True))] == expected


def index_of(ids: list[str]) -> Index:
    index = Index()
    index.add(ids, [("a.jsonl", row + 1, "sha", "jsonl", "utf-8") for row in range(len(ids))])
    return index


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(string.ascii_lowercase[:3], min_size=1, max_size=2), max_size=30))
def test_a_repeated_id_is_rejected_naming_its_first_reading(ids: list[str]) -> None:
    index, ledger = index_of(ids), Ledger()
    alive = reject_duplicate_ids(index, ledger)
    first = {}
    for row, record_id in enumerate(ids):
        first.setdefault(record_id, row)
    assert alive.tolist() == [first[record_id] == row for row, record_id in enumerate(ids)]
    rejected = sorted((ids[row], row) for row in range(len(ids)) if first[ids[row]] != row)
    assert [(r.id, r.raw_line - 1) for r in ledger.rejects] == rejected
    for reject in ledger.rejects:
        assert reject.reason == "duplicate-id"
        assert reject.detail.endswith(f"a.jsonl:{first[reject.id] + 1}")
