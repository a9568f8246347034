"""Nothing the user brings is lost: declared columns, typed; undeclared keys listed as
dropped; the input's own id kept; dates as dates; licence and readme files not read as
articles; mapping mistakes named."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import stat
from collections import Counter

import datasets
import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.pipeline import build
from tests.conftest import SHARED_CORPORA, article_text, jsonl, make_config, read_jsonl, run_build, run_cli

FAKENEWS = SHARED_CORPORA / "fakenews_es"
FAKENEWS_COLUMNS = {
    # The test split writes category as 1/0 where the others write True/Fake (1 = True assumed).
    "category": {"type": "label", "values": ["Fake", "True"], "aliases": {"0": "Fake", "1": "True"}},
    "topic": "string",
    "original_split": {"type": "string", "key": "split"},
}


def train_rows(release) -> list[dict]:
    return pq.read_table(release.path / "data" / "train-00000-of-00001.parquet").to_pylist()


@pytest.mark.skipif(not FAKENEWS.is_dir(), reason="../shared/corpora/fakenews_es not present")
def test_spanish_corpus_keeps_its_label_topic_split_and_id(tmp_path):
    """The corpus folder copied as the README says (LICENSE.txt included), with the README's
    declarations: every kept row has the category, topic, split and id of its input line."""
    raw = tmp_path / "raw"
    shutil.copytree(FAKENEWS, raw)
    fields = {"title": "headline", "url": "link"}
    release = build(make_config(tmp_path, raw, ingest={"fields": fields, "columns": FAKENEWS_COLUMNS}))
    m = release.manifest
    assert {"path": "LICENSE.txt", "reason": "excluded by ingest.exclude 'LICENSE*'"} in m["skipped"]
    assert m["counts"] == {"read": 1543, "rejected": 42, "duplicates": 9, "kept": 1492}  # as the README says
    assert m["input_keys"]["dropped"] == {}
    sheet = (release.path / "DATASHEET.md").read_text(encoding="utf-8")
    assert "`category` (label 0 = Fake, 1 = True); `original_split` (string, from the key `split`)" in sheet
    assert "Every key of the 1543 input objects is kept." in sheet

    ds = datasets.load_dataset(str(release.path))
    features = ds["train"].features
    assert features["category"] == datasets.ClassLabel(names=["Fake", "True"])
    assert features["topic"] == datasets.Value("string")
    assert features["source_id"] == datasets.Value("string")
    # the corpus numbers each of its splits from 1: an input line is known by its raw_line
    lines = (raw / "fakenews_es.jsonl").read_text(encoding="utf-8").splitlines()
    labels = features["category"]
    seen = Counter()
    for split in ds:
        for row in ds[split]:
            item = json.loads(lines[row["raw_line"] - 1])
            assert row["source_id"] == item["id"]
            expected = {"1": "True", "0": "Fake"}.get(item["category"], item["category"])
            assert labels.int2str(row["category"]) == expected
            assert (row["topic"], row["original_split"]) == (item["topic"], item["split"])
            seen[item["split"]] += 1
    assert sum(seen.values()) == 1492 and set(seen) == {"train", "development", "test"}

    undeclared = build(make_config(tmp_path / "plain", raw, ingest={"fields": fields}))
    assert undeclared.manifest["input_keys"]["dropped"] == {"category": 1543, "split": 1543, "topic": 1543}
    sheet = (undeclared.path / "DATASHEET.md").read_text(encoding="utf-8")
    assert "`category` (1543 objects), `split` (1543 objects), `topic` (1543 objects)" in sheet
    assert "category" not in pq.read_schema(undeclared.path / "data" / "train-00000-of-00001.parquet").names


def test_declared_columns_are_typed_in_every_reader(tmp_path):
    """CSV cells are text: declared types turn them into integers, floats, booleans, dates,
    labels; the card, Croissant, Parquet, datasets, pandas, polars and duckdb agree."""
    rows = ["id,text,views,score,paywall,day,tags,label,published"]
    for i in range(3):
        rows.append(
            f'{i},"{article_text(i)}",{10 + i},{i}.5,{"true" if i else "false"},2024-05-0{i + 1},x,'
            f"{'pos' if i else 'neg'},2024-05-0{i + 1}T12:30:00+02:00"
        )
    columns = {
        "views": "integer",
        "score": "float",
        "paywall": "boolean",
        "day": "date",
        "tags": "list[string]",
        "label": {"type": "label", "values": ["neg", "pos"]},
    }
    release = run_build(tmp_path, {"a.csv": "\n".join(rows) + "\n"}, ingest={"columns": columns})
    data = sorted((release.path / "data").glob("*.parquet"))
    schema = pq.read_schema(data[0])
    assert schema.field("views").type == pa.int64()
    assert schema.field("score").type == pa.float64()
    assert schema.field("paywall").type == pa.bool_()
    assert schema.field("day").type == pa.date32()
    assert schema.field("tags").type == pa.list_(pa.string())
    assert schema.field("label").type == pa.int64()
    assert schema.field("published").type == pa.timestamp("us", tz="UTC")
    assert schema.field("retrieved").type == pa.date32()

    table = pa.concat_tables(pq.read_table(p) for p in data)
    by_source = {r["source_id"]: r for r in table.to_pylist()}
    assert (
        by_source["1"]["views"] == 11 and by_source["1"]["score"] == 1.5 and by_source["1"]["paywall"] is True
    )
    assert by_source["2"]["day"] == dt.date(2024, 5, 3) and by_source["2"]["tags"] == ["x"]
    assert by_source["0"]["label"] == 0 and by_source["2"]["label"] == 1
    # 12:30 at +02:00 is 10:30 UTC
    assert by_source["2"]["published"] == dt.datetime(2024, 5, 3, 10, 30, tzinfo=dt.UTC)

    ds = datasets.load_dataset(str(release.path))
    split = next(iter(ds))
    assert ds[split].features["label"] == datasets.ClassLabel(names=["neg", "pos"])
    assert ds[split].features["day"] == datasets.Value("date32")
    assert ds[split].features["published"] == datasets.Value("timestamp[us, tz=UTC]")
    frame = pq.read_table(data[0]).to_pandas()
    assert str(frame["published"].dtype).startswith("datetime64") and str(frame["published"].dt.tz) == "UTC"
    polars = pl.read_parquet(data[0])
    assert polars.schema["published"] == pl.Datetime("us", "UTC") and polars.schema["day"] == pl.Date
    kinds = {row[0]: row[1] for row in duckdb.sql(f"DESCRIBE SELECT * FROM '{data[0]}'").fetchall()}
    assert kinds["published"] == "TIMESTAMP WITH TIME ZONE" and kinds["day"] == "DATE"

    sheet = (release.path / "DATASHEET.md").read_text(encoding="utf-8")
    assert "Publication dates (UTC) from 2024-05-01 to 2024-05-03; 0 kept record(s) have none." in sheet
    card = (release.path / "README.md").read_text(encoding="utf-8")
    assert "class_label:" in card and "'0': neg" in card
    croissant = json.loads((release.path / "croissant.json").read_text(encoding="utf-8"))
    fields = {f["name"]: f for f in croissant["recordSet"][1]["field"]}
    assert fields["day"]["dataType"] == "sc:Date" and fields["published"]["dataType"] == "sc:DateTime"
    assert fields["label"]["description"] == "A label: 0 = neg, 1 = pos."

    again = build(make_config(tmp_path / "again", tmp_path / "raw", ingest={"columns": columns}), workers=2)
    assert again.manifest["fingerprint"] == release.manifest["fingerprint"]


def test_a_value_outside_a_label_or_of_the_wrong_type_is_a_reject_naming_the_field(tmp_path):
    files = {
        "a.jsonl": jsonl(
            {"text": article_text(1), "label": "pos", "views": 3},
            {"text": article_text(2), "label": "maybe", "views": 4},
            {"text": article_text(3), "label": "neg", "views": "many"},
            {"text": article_text(4), "label": True, "views": 5},
        )
    }
    columns = {"label": {"type": "label", "values": ["neg", "pos"]}, "views": "integer"}
    release = run_build(tmp_path, files, ingest={"columns": columns})
    rejects = {r["raw_line"]: r["detail"] for r in read_jsonl(release.path / "audit/rejects.jsonl")}
    assert set(rejects) == {2, 3, 4}
    assert rejects[2].startswith("$.label: 'maybe' is not one of")
    assert rejects[3].startswith("$.views: 'many' is not of type")
    assert rejects[4].startswith("$.label: True is not one of")


def test_declaration_mistakes_are_config_errors():
    with pytest.raises(ConfigError, match=re.escape("ingest.columns.topic: 'text' is not one of ['string'")):
        make_config_dir({"columns": {"topic": "text"}})
    with pytest.raises(ConfigError, match=re.escape("unknown key 'ingest.columns.topic.value'")):
        make_config_dir({"columns": {"topic": {"type": "label", "value": ["a"]}}})
    with pytest.raises(ConfigError, match=re.escape("ingest.columns.title: 'title' is a record field")):
        make_config_dir({"columns": {"title": "string"}})
    with pytest.raises(ConfigError, match=re.escape("ingest.columns.label: a label needs its values")):
        make_config_dir({"columns": {"label": {"type": "label"}}})
    with pytest.raises(ConfigError, match="alias '1' names 'yes', not one of"):
        make_config_dir({"columns": {"label": {"type": "label", "values": ["no"], "aliases": {"1": "yes"}}}})
    with pytest.raises(ConfigError, match="the key 'headline' is already mapped"):
        make_config_dir(
            {"fields": {"title": "headline"}, "columns": {"head": {"type": "string", "key": "headline"}}}
        )


def make_config_dir(ingest: dict):
    from pathlib import Path

    return make_config(Path("/nonexistent"), Path("/nonexistent/raw"), ingest=ingest)


def test_the_input_id_is_kept_as_source_id_unless_it_is_the_record_id(tmp_path):
    files = {"a.jsonl": jsonl({"id": 7, "text": article_text(1)}, {"id": "x-2", "text": article_text(2)})}
    derived = run_build(tmp_path / "derived", files)
    rows = [r for p in (derived.path / "data").glob("*.parquet") for r in pq.read_table(p).to_pylist()]
    assert sorted(r["source_id"] for r in rows) == ["7", "x-2"]
    assert all(r["id"] not in ("7", "x-2") for r in rows)
    mapped = run_build(tmp_path / "mapped", files, ingest={"fields": {"id": "id"}})
    rows = [r for p in (mapped.path / "data").glob("*.parquet") for r in pq.read_table(p).to_pylist()]
    assert sorted((r["id"], r["source_id"]) for r in rows) == [("7", None), ("x-2", None)]


def test_licence_and_readme_files_are_skipped_with_a_reason(tmp_path):
    files = {
        "LICENSE.txt": "Attribution 4.0 International\n\n" + article_text(9),
        "README.md": "# About this corpus\n",
        "sub/COPYING": "GPL\n",
        "news/a.txt": article_text(1),
        "news/b.txt": article_text(2),
        "drafts/c.txt": article_text(3),
    }
    release = run_build(tmp_path / "default", files)
    skipped = {s["path"]: s["reason"] for s in release.manifest["skipped"]}
    assert skipped["LICENSE.txt"] == "excluded by ingest.exclude 'LICENSE*'"
    assert skipped["README.md"] == "excluded by ingest.exclude 'README*'"
    assert "sub/COPYING" in skipped
    assert [i["path"] for i in release.manifest["inputs"]] == ["drafts/c.txt", "news/a.txt", "news/b.txt"]

    chosen = run_build(tmp_path / "chosen", files, ingest={"include": ["news/*"], "exclude": ["b.txt"]})
    skipped = {s["path"]: s["reason"] for s in chosen.manifest["skipped"]}
    assert [i["path"] for i in chosen.manifest["inputs"]] == ["news/a.txt"]
    assert skipped["drafts/c.txt"] == "not in ingest.include ['news/*']"
    assert skipped["news/b.txt"] == "excluded by ingest.exclude 'b.txt'"
    assert skipped["LICENSE.txt"] == "not in ingest.include ['news/*']"  # exclude replaced: include decides


def test_a_mapped_key_no_record_has_is_a_warning_and_an_error_with_strict(tmp_path):
    files = {"a.jsonl": jsonl({"headline": "A title", "text": article_text(1), "extra": 1})}
    release = run_build(tmp_path / "warn", files, ingest={"fields": {"title": "headlin"}})
    assert release.warnings[0] == (
        "ingest.fields.title = 'headlin': no input object has the key 'headlin' "
        "(keys seen: extra, headline, text)"
    )
    assert release.manifest["input_keys"]["dropped"] == {"extra": 1, "headline": 1}
    raw = tmp_path / "warn" / "raw"
    with pytest.raises(BuildError, match=re.escape("--strict: ingest.fields.title = 'headlin'")):
        build(make_config(tmp_path / "strict", raw, ingest={"fields": {"title": "headlin"}}), strict=True)

    project = tmp_path / "cli"
    shutil.copytree(tmp_path / "warn" / "raw", project / "raw")
    (project / "dataset.toml").write_text('[ingest.fields]\ntitle = "headlin"\n', encoding="utf-8")
    shown = run_cli("build", "--no-report", "--workers", "1", cwd=project)
    assert shown.returncode == 0, shown.stderr
    assert "warning: ingest.fields.title = 'headlin': no input object has the key" in " ".join(
        shown.stderr.split()
    )
    assert any("dropped keys" in line and "extra 1, headline 1" in line for line in shown.stdout.splitlines())
    strict = run_cli("build", "--no-report", "--workers", "1", "--strict", "--version", "2.0.0", cwd=project)
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    assert "error: --strict: ingest.fields.title = 'headlin'" in " ".join(strict.stderr.split())


def test_when_nothing_survives_the_reasons_and_the_rejects_are_shown(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "feed.jsonl").write_text(
        jsonl(*({"headline": f"T{i}", "body": article_text(i)} for i in range(20))), encoding="utf-8"
    )
    (tmp_path / "dataset.toml").write_text(
        'name = "feed"\nversion = "1.0.0"\n[ingest.fields]\ntext = "bdy"\n'
    )
    result = run_cli("build", "--no-report", "--workers", "1", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    failed = tmp_path / "dist" / "feed" / "1.0.0.failed"
    assert "no record survived the build (read 20: rejected 20, duplicates 0); nothing published" in message
    assert "20 rejected (schema), e.g.: feed.jsonl:1: $: 'text' is a required property" in message
    assert (
        "ingest.fields.text = 'bdy': no input object has the key 'bdy' (keys seen: body, headline)" in message
    )
    assert f"every reject is in {failed / 'audit' / 'rejects.jsonl'}" in message
    assert len(read_jsonl(failed / "audit" / "rejects.jsonl")) == 20
    assert pq.read_table(failed / "lineage.parquet").num_rows == 20

    (tmp_path / "dataset.toml").write_text(
        'name = "feed"\nversion = "1.0.0"\n[ingest.fields]\ntext = "body"\n'
    )
    fixed = run_cli("build", "--no-report", "--workers", "1", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert not failed.exists() and "the audit of an earlier failed build" in fixed.stderr


@pytest.mark.parametrize(("umask", "folders", "files"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_release_folders_and_files_honour_the_umask(tmp_path, umask, folders, files):
    previous = os.umask(umask)
    try:
        release = run_build(tmp_path, {"a.txt": article_text(1)})
    finally:
        os.umask(previous)
    for path in [release.path, *release.path.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (folders if path.is_dir() else files), path


def test_diff_lists_records_with_titles_bounded_and_as_json(tmp_path):
    def feed(*numbers: int, edited: int = -1) -> str:
        return jsonl(
            *(
                {
                    "id": f"n{i}",
                    "title": f"Story {i}",
                    "text": article_text(i) + (" Fixed." if i == edited else ""),
                }
                for i in numbers
            )
        )

    fields = {"fields": {"id": "id"}}
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "old.jsonl").write_text(feed(1), encoding="utf-8")
    (raw / "feed.jsonl").write_text(feed(2, 3, 4), encoding="utf-8")
    first = build(make_config(tmp_path, raw, ingest=fields))
    (raw / "old.jsonl").unlink()
    (raw / "feed.jsonl").write_text(feed(2, 3, 4, 5, 6, 7, edited=3), encoding="utf-8")
    second = build(make_config(tmp_path, raw, ingest=fields, version="1.1.0", split={"base": "1.0.0"}))

    result = run_cli("diff", str(first.path), str(second.path), "--json", "--limit", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout)
    assert changes["totals"] == {"added": 3, "removed": 1, "changed": 1, "moved": 0}
    assert [(r["id"], r["title"]) for r in changes["records"]["added"]] == [
        ("n5", "Story 5"),
        ("n6", "Story 6"),
    ]
    assert [(r["id"], r["title"]) for r in changes["records"]["removed"]] == [("n1", "Story 1")]
    assert [r["id"] for r in changes["records"]["changed"]] == ["n3"]
    assert sum(changes["counts"]["added"].values()) == 3

    text = run_cli("diff", str(first.path), str(second.path), "--limit", "1", cwd=tmp_path).stdout
    assert "Added (3):" in text and "Story 5" in text and "Story 6" not in text
    assert "- ... and 2 more (--limit)" in text and "Removed (1):" in text and "Story 1" in text


def test_help_lists_every_input_format_and_the_report_footer_runs_as_printed(tmp_path):
    help_text = " ".join(run_cli("build", "--help", cwd=tmp_path).stdout.split())
    for suffix in (".txt", ".jsonl", ".json", ".csv", ".tsv", ".parquet", ".html", ".htm", ".zst"):
        assert re.search(re.escape(suffix) + r"\b(?!\.)", help_text), suffix
    release = run_build(tmp_path, {"a.txt": article_text(1)})
    page = (release.path / "report.html").read_text(encoding="utf-8")
    assert "<code>python -m dataset_builder report .</code> in this release's folder" in page
    again = run_cli("report", ".", "--output", str(tmp_path / "again.html"), cwd=release.path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.html").read_bytes() == (release.path / "report.html").read_bytes()
