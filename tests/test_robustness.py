"""Robustness, second round (issue 17): inputs an attacker or a careless user writes, and
what the build says about each, with nothing lost."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from tests.conftest import article_text, jsonl, read_jsonl, run_build
from tests.test_hostile import assert_accounted, rejects_by_place

LONE = "\ud800"


def test_lone_surrogates_in_any_field_are_rejected_naming_the_field(tmp_path):
    fields = ("text", "title", "url", "source", "authors")
    records = [{"text": article_text(i)} for i in range(len(fields))]
    for record, field in zip(records, fields, strict=True):
        record[field] = [f"A {LONE} B"] if field == "authors" else f"{record.get(field, '')} {LONE} end"
    lines = "".join(json.dumps(r) + "\n" for r in records)  # ensure_ascii: "\ud800" escaped, valid JSON
    release = run_build(
        tmp_path,
        {
            "feed.jsonl": lines + jsonl({"text": article_text(90)}),
            "array.json": json.dumps(
                [{"text": article_text(91), "title": f"x{LONE}"}, {"text": article_text(92)}]
            ),
        },
    )
    assert_accounted(release)
    rejects = rejects_by_place(release)
    for line, field in enumerate(fields, start=1):
        reject = rejects[("feed.jsonl", line)]
        assert reject["reason"] == "decode"
        where = "$.authors[0]" if field == "authors" else f"$.{field}"
        assert reject["detail"].startswith(f"{where}: a lone surrogate U+D800 at character"), reject
    assert rejects[("array.json", 1)]["detail"].startswith("$.title: a lone surrogate U+D800 at character 2")
    assert release.manifest["counts"]["kept"] == 2


def test_lone_surrogates_are_replaced_when_asked(tmp_path):
    release = run_build(
        tmp_path,
        {"feed.jsonl": json.dumps({"text": f"{article_text(1)} {LONE}", "title": f"T{LONE}"}) + "\n"},
        ingest={"on_decode_error": "replace"},
    )
    assert_accounted(release)
    assert release.manifest["counts"]["kept"] == 1
    assert read_jsonl(release.path / "audit/rejects.jsonl") == []
    (row,) = [r for p in (release.path / "data").glob("*.parquet") for r in pq.read_table(p).to_pylist()]
    assert row["title"] == "T\ufffd" and row["text"].endswith("\ufffd")
