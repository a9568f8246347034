"""Every reader, fed arbitrary bytes or arbitrary JSON values (lone surrogates included):
no traceback, one item per record it holds, and only text that UTF-8 can write."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataset_builder.config import load_config
from dataset_builder.records import Rejection
from dataset_builder.stages.clean import Cleaner, clean_record
from dataset_builder.stages.ingest import READERS, InputFile, arrays, read_file
from dataset_builder.stages.validate import article_validator, validate_record

SETTINGS = load_config(None).settings
READ = SETTINGS.ingest
CLEANER = Cleaner.from_settings(SETTINGS.clean)
VALIDATOR = article_validator()
FIELDS = ("id", "title", "text", "url", "source", "published", "authors", "keywords")

# Text with lone surrogates more often than st.text() alone would give (it gives none).
TEXT = st.text() | st.text(st.sampled_from(["\ud800", "\udfff", "\udc80", "a", "é", " ", "\n", '"', ","]))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
OBJECTS = (
    st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=6)
    | st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=6)
    | JSON_VALUES
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_all(path: Path) -> list[Any]:
    """What the first pass makes of a file: its items, each record cleaned and validated."""
    items = list(read_file(InputFile(path, path.name, path.stat().st_size), READ))
    outcomes = []
    for item in items:
        assert isinstance(item, dict | Rejection), item
        if isinstance(item, dict) and item["raw_format"] != "html":
            item = validate_record(clean_record(item, CLEANER)[0], VALIDATOR)
        outcomes.append(item)
        writable = item.__dict__ if isinstance(item, Rejection) else item
        json.dumps(writable, ensure_ascii=False, default=repr).encode("utf-8")  # raises on a surrogate
    return outcomes


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@FUZZ
@given(data=st.binary(max_size=2000), ext=st.sampled_from(sorted(READERS)))
def test_arbitrary_bytes_in_any_format(tmp_path, data, ext):
    items = read_all(write(tmp_path, f"fuzz{ext}", data))
    lines = [n for n in (getattr(i, "raw_line", None) or i["raw_line"] for i in items)]
    assert lines == sorted(lines), "items come in file order"
    if ext in (".txt", ".html"):
        assert len(items) == 1


@FUZZ
@given(values=st.lists(OBJECTS, max_size=6), blank=st.booleans())
def test_arbitrary_json_lines(tmp_path, values, blank):
    """One item per non-blank line, numbered by its line, whatever the line holds."""
    lines = [json.dumps(v) for v in values]
    if blank:
        lines.insert(len(lines) // 2, "   ")
    items = read_all(write(tmp_path, "fuzz.jsonl", "\n".join(lines).encode()))
    expected = [n for n, line in enumerate(lines, start=1) if line.strip()]
    assert [raw_line(i) for i in items] == expected


@FUZZ
@given(values=st.lists(OBJECTS, max_size=6))
def test_arbitrary_json_arrays(tmp_path, values):
    items = read_all(write(tmp_path, "fuzz.json", json.dumps(values).encode()))
    assert [raw_line(i) for i in items] == list(range(1, len(values) + 1))


@FUZZ
@given(
    rows=st.lists(st.lists(TEXT.map(lambda t: t.replace("\ud800", "x")), min_size=2, max_size=2), max_size=6)
)
def test_arbitrary_csv_rows(tmp_path, rows):
    """Rows as a CSV writer quotes them: each comes back as one item, at its first line."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)  # "\r\n": it then quotes cells holding "\r" or "\n"
    writer.writerow(["title", "text"])
    starts = []
    for row in rows:
        row = [cell.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for cell in row]
        starts.append(len(re.findall("\r\n|\r|\n", buffer.getvalue())) + 1)
        writer.writerow(row)
    kept = [s for s, row in zip(starts, rows, strict=True) if any(c.strip() for c in row)]
    items = read_all(write(tmp_path, "fuzz.csv", buffer.getvalue().encode("utf-8")))
    assert [raw_line(i) for i in items] == kept


def raw_line(item: Any) -> int:
    return item.raw_line if isinstance(item, Rejection) else item["raw_line"]


def stream_of(text: str, sizes: list[int]) -> arrays.Text:
    """`text` given in pieces of the `sizes` (cycled), as a decoder gives a file's text."""
    pieces, at, turn = [], 0, 0
    while at < len(text):
        size = sizes[turn % len(sizes)] if sizes else len(text)
        pieces.append(text[at : at + size])
        at, turn = at + size, turn + 1
    return arrays.Text(iter([*pieces, ""]).__next__)


def streamed(text: str, sizes: list[int]) -> list[Any] | tuple[int, str]:
    """The array's elements as `arrays.elements` gives them, or (line, message) of its error."""
    stream = stream_of(text, sizes)
    assert arrays.starts_array(stream)
    try:
        return list(arrays.elements(stream))
    except arrays.ArrayError as exc:
        return (exc.line, exc.message)


def loaded(text: str) -> list[Any] | tuple[int, str]:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return (exc.lineno, exc.msg)


@FUZZ
@given(
    values=st.lists(JSON_VALUES, max_size=6),
    indent=st.sampled_from([None, 0, 2]),
    cut=st.integers(min_value=0),
    insert=st.sampled_from(["", ",", "]", "x", '"', "\n", "1.", "e", "\\", "\\u12", "[", "}"]),
    sizes=st.lists(st.integers(min_value=1, max_value=7), max_size=4),
)
def test_a_streamed_array_is_what_json_loads_reads(monkeypatch, values, indent, cut, insert, sizes):
    """Element by element, in pieces of a few characters (so that every element, number and
    escape is cut somewhere), the values are json.loads' and so is any error, with its line:
    whole arrays, arrays cut short, arrays with a stray character inserted."""
    monkeypatch.setattr(arrays, "PIECE_CHARS", 1)
    text = json.dumps(values, indent=indent)
    where = cut % (len(text) + 1)
    for variant in (text, text[:where], text[:where] + insert + text[where:]):
        if variant.lstrip().startswith("["):
            assert streamed(variant, sizes) == loaded(variant), variant


def test_numbers_and_escapes_cut_at_every_character_read_whole():
    text = '[1.5e3, -0.25, 12345678901234567890, "\\ud83d\\ude00 \\u00e9", true, null, [1e-2], {"a": 2E+2}]'
    for size in range(1, 14):
        assert streamed(text, [size]) == json.loads(text), size
