from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset_builder.config import load_config
from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.records import Rejection
from dataset_builder.stages.ingest import (
    InputFile,
    LineRange,
    discover,
    line_ranges,
    read_file,
    read_units,
)
from tests.conftest import jsonl, write_files

SETTINGS = load_config(None).settings.ingest
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000010000000100806000000") + bytes(range(256)) * 4


def read_all(raw, settings=SETTINGS):
    return [item for f in discover(raw).files for item in read_file(f, settings)]


def test_files_are_read_in_sorted_order_and_others_listed_as_skipped(tmp_path):
    raw = write_files(
        tmp_path / "raw",
        {
            "b.txt": "B",
            "a/z.txt": "Z",
            "a-b.jsonl": jsonl({"text": "x"}),
            "notes.pdf": b"%PDF",
            "README": "r",
            ".DS_Store": b"\0",
            ".git/config": "x",
        },
    )
    os.symlink(tmp_path, raw / "loop")
    inventory = discover(raw)
    assert [f.rel for f in inventory.files] == ["a-b.jsonl", "a/z.txt", "b.txt"]
    assert {(s.rel, s.reason) for s in inventory.skipped} == {
        (".DS_Store", "hidden"),
        (".git/", "hidden"),
        ("README", "no file extension"),
        ("notes.pdf", "unsupported file type '.pdf'"),
        ("loop/", "symlink, not followed"),
    }


def test_missing_and_empty_raw_folders(tmp_path):
    with pytest.raises(ConfigError, match="input folder not found"):
        discover(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BuildError, match="the folder is empty"):
        discover(tmp_path / "empty")
    write_files(tmp_path / "only-pdf", {"a.pdf": b"x"})
    with pytest.raises(BuildError, match=r"skipped: a\.pdf \(unsupported file type"):
        discover(tmp_path / "only-pdf")


def test_text_file_provenance_hashes_the_raw_bytes(tmp_path):
    data = "\ufeffTitle\n\nBody.\n".encode()
    (record,) = read_all(write_files(tmp_path / "raw", {"sub/a.txt": data}))
    assert record["raw_path"] == "sub/a.txt" and record["raw_line"] == 1 and record["raw_format"] == "txt"
    assert record["raw_sha256"] == hashlib.sha256(data).hexdigest()
    assert record["text"] == "Title\n\nBody.\n"  # BOM removed
    assert len(record["id"]) == 16


def test_undecodable_bytes_are_rejected_with_their_line(tmp_path):
    (rejection,) = read_all(write_files(tmp_path / "raw", {"bad.txt": b"ok line\n" + PNG}))
    assert isinstance(rejection, Rejection) and rejection.reason == "decode"
    assert rejection.detail.startswith("line 2, byte 8: not valid UTF-8 (0x89)")
    assert rejection.raw_encoding is None


def test_jsonl_maps_fields_and_rejects_bad_lines_by_number(tmp_path):
    lines = (
        jsonl({"headline": "H", "body": "Text one", "id": 7})
        + "\n"  # a blank line is not a record
        + '{"headline": "broken", \n'
        + "[1, 2]\n"
    ).encode() + b'{"body": "caf\xe9"}\n'
    raw = write_files(tmp_path / "raw", {"a.jsonl": lines})
    fields = {**SETTINGS.fields, "id": "id", "title": "headline", "text": "body"}
    items = read_all(raw, replace(SETTINGS, fields=fields))
    first, broken, array, latin1 = items
    assert first["title"] == "H" and first["text"] == "Text one" and first["id"] == "7"
    assert first["raw_line"] == 1
    assert first["raw_sha256"] == hashlib.sha256(lines.split(b"\n")[0]).hexdigest()
    assert (broken.raw_line, broken.reason) == (3, "json")
    assert "invalid JSON" in broken.detail
    assert (array.raw_line, array.reason, array.detail) == (4, "json", "expected a JSON object, found list")
    assert (latin1["raw_line"], latin1["text"], latin1["raw_encoding"]) == (5, "café", "cp1252")
    assert first["raw_encoding"] == "utf-8"


JSONL_LINES = st.sampled_from(
    [
        b'{"text": "one", "title": "T"}',
        b'{"text": "caf\xc3\xa9 \xe2\x80\x94 two"}',
        b'{"text": "caf\xe9"}',  # Latin-1: decoded with the file's detected encoding
        b'{"text": "\xff\xfe\xfd"}',
        b"",
        b"   ",
        b'{"text": "broken", ',
        b"[1, 2]",
        b'{"text": "' + b"long " * 20 + b'"}',  # over the 64-byte record limit
    ]
)


LINE_ENDS = st.sampled_from([b"\n", b"\r\n", b"\r", b"\r\r\n", b"\n\r"])


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.tuples(JSONL_LINES, LINE_ENDS), max_size=30),
    bom=st.booleans(),
    terminated=st.booleans(),
    per_range=st.integers(1, 7),
    chunk_size=st.integers(1, 200),
)
def test_line_ranges_read_as_the_whole_file(lines, bom, terminated, per_range, chunk_size):
    """Workers read JSON Lines files as line ranges: whatever the cut and the line endings
    (`\\n`, `\\r\\n`, a lone `\\r`, mixed), the ranges give the same items, numbered and hashed
    the same, as reading the file in one go."""
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(line + end for line, end in lines)
    if lines and not terminated:
        data = data.removesuffix(lines[-1][1])
    read = replace(SETTINGS, max_record_bytes=64)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.jsonl"
        path.write_bytes(data)
        file = InputFile(path, "a.jsonl", len(data))
        with path.open("rb") as fh:
            ranges = list(line_ranges(file, fh, read, per_range, chunk_size))
        assert all(0 < r.count <= per_range for r in ranges)
        assert [r.first for r in ranges] == [1 + sum(r.count for r in ranges[:n]) for n in range(len(ranges))]
        assert [item for r in ranges for item in r.read()] == list(read_file(file, read))


def test_files_that_cannot_be_cut_into_line_ranges_are_read_whole(tmp_path):
    text = jsonl({"text": "one"}, {"text": "two"})
    raw = write_files(
        tmp_path / "raw",
        {
            "a.jsonl": text,
            "b.jsonl.gz": gzip.compress(text.encode()),
            "c.jsonl": "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"),
            "d.txt": "one",
        },
    )
    units = {f.rel: list(read_units(f, SETTINGS, 64)) for f in discover(raw).files}
    assert [type(u) for u in units["a.jsonl"]] == [LineRange]
    for rel in ("b.jsonl.gz", "c.jsonl", "d.txt"):
        (file,) = [f for f in discover(raw).files if f.rel == rel]
        assert units[rel] == list(read_file(file, SETTINGS)) and units[rel]


def test_json_array_records_are_numbered(tmp_path):
    raw = write_files(tmp_path / "raw", {"a.json": json.dumps([{"text": "one"}, {"text": "two"}])})
    first, second = read_all(raw)
    assert (first["raw_line"], second["raw_line"]) == (1, 2)
    assert first["raw_format"] == "json" and first["id"] != second["id"]


def test_broken_json_file_is_one_rejection(tmp_path):
    (rejection,) = read_all(write_files(tmp_path / "raw", {"a.json": '[{"text": "one"},\n{"text": }]'}))
    assert rejection.reason == "json" and rejection.detail.startswith("line 2: invalid JSON")


def test_deeply_nested_json_is_rejected_not_a_crash(tmp_path):
    raw = write_files(tmp_path / "raw", {"a.jsonl": '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n"})
    (rejection,) = read_all(raw)
    assert rejection.reason == "json" and "nested too deeply" in rejection.detail


def test_a_streamed_json_array_broken_past_its_first_megabytes_is_one_rejection_as_json_loads_says(tmp_path):
    """Streamed element by element, a broken array still gives no records: one reject with
    json.loads' message and line, and the hash of the whole file, as when it was read whole."""
    text = json.dumps([{"text": f"record {i}"} for i in range(60_000)], indent=1)  # ~2.3 MB
    broken = text[: len(text) - 500] + "}" + text[len(text) - 500 :]
    with pytest.raises(json.JSONDecodeError) as loads:
        json.loads(broken)
    (rejection,) = read_all(write_files(tmp_path / "raw", {"a.json": broken}))
    assert (rejection.raw_line, rejection.reason) == (1, "json")
    assert rejection.detail == f"line {loads.value.lineno}: invalid JSON: {loads.value.msg}"
    assert rejection.raw_sha256 == hashlib.sha256(broken.encode()).hexdigest()


def test_a_json_array_in_a_legacy_encoding_is_read_whole_element_by_element(tmp_path):
    records = [{"text": f"Niño número {i}"} for i in range(3)]
    raw = write_files(tmp_path / "raw", {"a.json": json.dumps(records, ensure_ascii=False).encode("cp1252")})
    items = read_all(raw)
    assert [(r["raw_line"], r["text"], r["raw_encoding"]) for r in items] == [
        (i + 1, r["text"], "cp1252") for i, r in enumerate(records)
    ]


def test_a_json_file_that_changes_between_its_two_readings_ends_in_a_reject(tmp_path):
    from dataset_builder.stages.ingest.jsonlines import array_records, whole_text

    path = write_files(tmp_path / "raw", {"a.json": "[]"}) / "a.json"
    file = InputFile(path, "a.json", path.stat().st_size)
    first, second = array_records(file, SETTINGS, whole_text('[{"text": "one"}, x]'), "utf-8")
    assert first["raw_line"] == 1 and (second.raw_line, second.reason) == (2, "json")
    assert second.detail.startswith(
        "the file changed while it was read (line 1: invalid JSON: Expecting value)"
    )
