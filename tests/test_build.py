"""Whole builds through the API: the invariants of a release."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import datasets
import pyarrow.parquet as pq
import pytest

from dataset_builder.config import load_config
from dataset_builder.errors import BuildError
from dataset_builder.pipeline import build
from tests.conftest import (
    REPO,
    SHARED_CORPORA,
    article_text,
    jsonl,
    make_config,
    read_jsonl,
    run_build,
    write_files,
)


def article(i: int, language: str = "en") -> str:
    return f"Headline {i}\n\n{article_text(i, language)}"


@pytest.fixture(scope="module")
def seed_release(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seed")
    config = load_config(REPO / "dataset.toml", overrides={"out": str(tmp / "dist")})
    return build(config), tmp


def test_seed_release_layout_and_counts(seed_release):
    release, _ = seed_release
    files = {f["path"] for f in release.manifest["files"]}
    assert {
        "README.md",
        "DATASHEET.md",
        "lineage.parquet",
        "audit/rejects.jsonl",
        "audit/duplicates.jsonl",
    } <= files
    assert release.manifest["counts"] == {"read": 4, "rejected": 0, "duplicates": 0, "kept": 4}
    assert sum(release.manifest["splits"].values()) == 4
    articles = sorted(p.name for p in (REPO / "raw").glob("*.txt"))
    assert [i["path"] for i in release.manifest["inputs"]] == articles  # sources.toml is not an input
    assert release.manifest["sources"]["path"] == "sources.toml"
    on_disk = json.loads((release.path / "manifest.json").read_text())
    assert on_disk == release.manifest


def test_seed_release_loads_with_datasets(seed_release):
    release, tmp = seed_release
    loaded = datasets.load_dataset(str(release.path), cache_dir=str(tmp / "hf-cache"))
    expected = {s: n for s, n in release.manifest["splits"].items() if n}
    assert {s: len(loaded[s]) for s in loaded} == expected  # audit files are not splits
    features = next(iter(loaded.values())).features
    assert features["authors"] == datasets.List(datasets.Value("string"))
    assert features["raw_line"] == datasets.Value("int64")
    assert features["language_score"] == datasets.Value("float64")
    rows = {row["raw_path"][:3]: row for split in loaded.values() for row in split}
    assert rows["001"]["authors"] == ["SUN CHENGHAO", "SUN YUHAN"]
    assert rows["001"]["language"] == "en"


def test_parquet_rows_are_sorted_by_id_without_pandas_metadata(seed_release):
    release, _ = seed_release
    for entry in release.manifest["files"]:
        if entry["path"].startswith("data/"):
            table = pq.read_table(release.path / entry["path"])
            assert table.column("id").to_pylist() == sorted(table.column("id").to_pylist())
            assert b"pandas" not in (table.schema.metadata or {})
            assert table.num_rows == entry["rows"]


def test_every_record_ends_in_exactly_one_place(tmp_path):
    files = {
        "a.txt": article(1),
        "b.txt": article(1).upper().replace(" ", "  "),  # same text, other case and spacing
        "c.txt": article(3),
        "bad.txt": bytes.fromhex("89504e470d0a1a0a") + bytes(range(256)) * 4,  # a PNG-like binary
        "es.txt": article(4, "es"),
        "items.jsonl": jsonl({"id": "j1", "text": article(5)}, {"id": "j2", "title": "no text"})
        + '{"id": "j3", "text": \n'
        + jsonl({"id": "j4", "text": article(6), "published": "yesterday"}, {"id": "j1", "text": article(7)}),
    }
    release = run_build(tmp_path, files, langid={"allow": ["en"]}, ingest={"fields": {"id": "id"}})
    counts = release.manifest["counts"]
    assert counts == {"read": 10, "rejected": 6, "duplicates": 1, "kept": 3}
    assert counts["read"] == counts["kept"] + counts["rejected"] + counts["duplicates"]
    assert release.manifest["rejected_by_reason"] == {
        "decode": 1,
        "duplicate-id": 1,
        "json": 1,
        "language": 1,
        "schema": 2,
    }

    rejects = {(r["raw_path"], r["raw_line"]): r for r in read_jsonl(release.path / "audit/rejects.jsonl")}
    assert rejects[("items.jsonl", 2)]["detail"] == "$: 'text' is a required property"
    assert "$.published: 'yesterday' is not any of" in rejects[("items.jsonl", 4)]["detail"]
    assert "already used by items.jsonl:1" in rejects[("items.jsonl", 5)]["detail"]
    assert rejects[("es.txt", 1)]["reason"] == "language"

    (duplicate,) = read_jsonl(release.path / "audit/duplicates.jsonl")
    ids = {row["raw_path"]: row["id"] for row in pq.read_table(release.path / "lineage.parquet").to_pylist()}
    assert duplicate["duplicate_of"] == min(ids["a.txt"], ids["b.txt"])
    assert duplicate["id"] == max(ids["a.txt"], ids["b.txt"])

    lineage = pq.read_table(release.path / "lineage.parquet").to_pylist()
    assert len(lineage) == counts["read"]
    assert len({(r["raw_path"], r["raw_line"]) for r in lineage}) == counts["read"]
    fates = Counter(r["fate"].split(":")[0] for r in lineage)
    assert fates == {"split": 3, "rejected": 6, "duplicate": 1}


def test_nothing_survives_is_an_error(tmp_path):
    with pytest.raises(BuildError, match="no record survived"):
        run_build(tmp_path, {"a.txt": "\n\n"})


def test_strict_mode_publishes_nothing_when_a_record_is_rejected(tmp_path):
    with pytest.raises(BuildError, match="--strict: 1 record"):
        raw = write_files(
            tmp_path / "raw",
            {"a.txt": article(1), "b.txt": bytes.fromhex("89504e470d0a1a0a") + bytes(range(256)) * 4},
        )
        build(make_config(tmp_path, raw), strict=True)
    assert not (tmp_path / "dist" / "test" / "1.0.0").exists()


def corpus(n: int, offset: int = 0) -> dict[str, str]:
    return {f"doc{i:03d}.txt": article(i) for i in range(offset, offset + n)}


def test_existing_records_keep_their_split_when_the_corpus_grows(tmp_path):
    small = run_build(tmp_path / "small", corpus(40))
    grown = run_build(tmp_path / "grown", {**corpus(40), **corpus(40, offset=500)})

    def fates(release):
        table = pq.read_table(release.path / "lineage.parquet")
        return {row["raw_path"]: row["fate"] for row in table.to_pylist()}

    before, after = fates(small), fates(grown)
    assert len(after) == 80
    assert {path: after[path] for path in before} == before
    assert len({fate for fate in after.values()}) >= 2  # the test would notice a constant split


def test_worker_count_does_not_change_a_byte(tmp_path):
    files = {**corpus(150), "dup.txt": article(3), "bad.jsonl": "{\n"}
    raw = write_files(tmp_path / "raw", files)
    one = build(make_config(tmp_path / "w1", raw), workers=1)
    two = build(make_config(tmp_path / "w2", raw), workers=2)
    assert one.manifest["fingerprint"] == two.manifest["fingerprint"]
    assert one.manifest["files"] == two.manifest["files"]
    for entry in one.manifest["files"]:
        assert (one.path / entry["path"]).read_bytes() == (two.path / entry["path"]).read_bytes()
    assert (one.path / "report.html").read_bytes() == (two.path / "report.html").read_bytes()


def test_published_versions_are_immutable(tmp_path):
    raw = write_files(tmp_path / "raw", corpus(5))
    first = build(make_config(tmp_path, raw))
    again = build(make_config(tmp_path, raw))
    assert again.unchanged and again.manifest["fingerprint"] == first.manifest["fingerprint"]

    write_files(raw, {"doc000.txt": article(999)})
    with pytest.raises(BuildError, match=r"already published with different content.*set a new version"):
        build(make_config(tmp_path, raw))
    assert json.loads((first.path / "manifest.json").read_text()) == first.manifest
    entries = [p.name for p in first.path.parent.iterdir()]
    assert [name for name in entries if not name.startswith(".")] == ["1.0.0"]
    assert not [name for name in entries if ".partial-" in name or ".work-" in name]  # nothing half-written

    bumped = build(make_config(tmp_path, raw, version="1.0.1"))
    assert not bumped.unchanged and bumped.manifest["fingerprint"] != first.manifest["fingerprint"]


def test_datasheet_merges_human_and_measured_answers(seed_release):
    release, _ = seed_release
    sheet = (release.path / "DATASHEET.md").read_text()
    for section in (
        "Motivation",
        "Composition",
        "Collection process",
        "Preprocessing/cleaning/labeling",
        "Uses",
        "Distribution",
        "Maintenance",
    ):
        assert f"\n## {section}\n" in sheet
    assert "As the embedded default corpus of dataset_builder" in sheet  # human answer
    assert "4 records: " in sheet and "(read = kept + rejected + duplicates)" in sheet  # measured
    for entry in release.manifest["inputs"]:
        assert entry["sha256"] in sheet
    assert "| comment-form | 2 |" in sheet
    assert release.manifest["versions"]["pyarrow"] in sheet


def test_missing_human_datasheet_is_a_warning_listing_questions(tmp_path):
    release = run_build(tmp_path, corpus(3))
    assert release.warnings and "datasheet question(s) unanswered" in release.warnings[0]
    sheet = (release.path / "DATASHEET.md").read_text()
    assert "- Motivation: For what purpose was the dataset created?" in sheet


def test_source_ids_are_only_used_when_mapped(tmp_path):
    files = {
        "a.jsonl": jsonl({"id": 1, "text": article_text(1)}),
        "b.jsonl": jsonl({"id": 1, "text": article_text(2)}),
    }
    release = run_build(tmp_path / "derived", files)
    assert release.manifest["counts"]["kept"] == 2
    mapped = run_build(tmp_path / "mapped", files, ingest={"fields": {"id": "id"}})
    assert mapped.manifest["rejected_by_reason"] == {"duplicate-id": 1}


def shingles(text: str, k: int = 5) -> set[str]:
    """Independent of dataset_builder.decide.minhash: plain word 5-grams."""
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))}


@pytest.mark.skipif(
    not (SHARED_CORPORA / "fakenews_es").is_dir(), reason="../shared/corpora/fakenews_es not present"
)
def test_real_spanish_corpus_duplicates(tmp_path):
    """fakenews_es documents 5 exact-duplicate texts across its splits. It also holds 4 pairs
    of near-copies (checked by reading them: the same story, same or near-same headline),
    each pair split between the corpus's own train and test/development sets."""
    raw = tmp_path / "raw"
    raw.mkdir()
    source = SHARED_CORPORA / "fakenews_es" / "fakenews_es.jsonl"
    shutil.copy(source, raw)
    release = build(
        make_config(tmp_path, raw, ingest={"fields": {"title": "headline", "url": "link"}}), workers=2
    )
    counts = release.manifest["counts"]
    assert counts["read"] == 1543
    assert counts["read"] == counts["kept"] + counts["rejected"] + counts["duplicates"]
    assert release.manifest["duplicates_by_kind"] == {"exact": 5, "near": 4}
    assert set(release.manifest["rejected_by_reason"]) == {"schema"}  # links that are not URLs

    texts = {i: json.loads(line)["text"] for i, line in enumerate(source.open(encoding="utf-8"), start=1)}
    line_of = {
        row["id"]: row["raw_line"] for row in pq.read_table(release.path / "lineage.parquet").to_pylist()
    }
    near = [d for d in read_jsonl(release.path / "audit/duplicates.jsonl") if d["kind"] == "near"]
    pairs = {frozenset((d["raw_line"], line_of[d["duplicate_of"]])) for d in near}
    assert pairs == {frozenset(p) for p in [(12, 1404), (462, 943), (1080, 1324), (1158, 101)]}
    for d in near:
        a, b = shingles(texts[d["raw_line"]]), shingles(texts[line_of[d["duplicate_of"]]])
        assert len(a & b) / len(a | b) >= 0.8
    assert release.manifest["leakage"]["pairs"] == 0
    languages = Counter()
    for per_split in release.manifest["languages"].values():
        languages.update(per_split)
    assert languages["es"] / counts["kept"] > 0.99
