"""Input formats beyond text and JSON: saved web pages, compressed files."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import lzma
import shutil

import pyarrow.parquet as pq
import pytest
import zstandard

from dataset_builder.config import load_config
from dataset_builder.pipeline import build
from tests.conftest import (
    REPO,
    SHARED_CORPORA,
    article_text,
    jsonl,
    make_config,
    read_jsonl,
    run_build,
    run_cli,
    write_files,
)

PAGE = """<!doctype html><html lang="en"><head><title>Council backs new rules | The Ledger</title>
<meta property="og:site_name" content="The Ledger">
<meta name="author" content="Ana Lima">
<meta property="article:published_time" content="2024-03-05T09:30:00+00:00">
<link rel="canonical" href="https://ledger.example/2024/council-rules">
</head><body><nav><a href="/">Home</a> <a href="/politics">Politics</a></nav>
<article><h1>Council backs new rules</h1>
{paragraphs}
</article><footer>Share this article. © 2024 The Ledger. All rights reserved.</footer></body></html>"""


def page(seed: int) -> str:
    body = article_text(seed, words=300)
    sentences = body.split(". ")
    paragraphs = "\n".join(f"<p>{'. '.join(sentences[i : i + 4])}.</p>" for i in range(0, len(sentences), 4))
    return PAGE.format(paragraphs=paragraphs)


def rows_of(release) -> list[dict]:
    return [row for f in sorted((release.path / "data").iterdir()) for row in pq.read_table(f).to_pylist()]


def test_a_saved_page_becomes_an_article_with_its_metadata(tmp_path):
    release = run_build(
        tmp_path, {"site/page.html": page(1), "empty.htm": "<html><body><nav>Home</nav></body></html>"}
    )
    (row,) = rows_of(release)
    assert row["title"] == "Council backs new rules"
    assert row["authors"] == ["Ana Lima"]
    assert row["published"] == dt.datetime(2024, 3, 5, tzinfo=dt.UTC)  # a date alone: 00:00 UTC
    assert row["source"] == "The Ledger"
    assert row["url"] == "https://ledger.example/2024/council-rules"
    assert row["raw_format"] == "html" and row["raw_encoding"] == "utf-8"
    assert row["text"].startswith(article_text(1, words=300).split(". ")[0])
    assert "Share this article" not in row["text"] and "Politics" not in row["text"]
    (reject,) = read_jsonl(release.path / "audit/rejects.jsonl")
    assert (reject["raw_path"], reject["reason"]) == ("empty.htm", "no-article")


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [
        (".gz", gzip.compress),
        (".bz2", bz2.compress),
        (".xz", lzma.compress),
        (".zst", lambda data: zstandard.ZstdCompressor().compress(data)),
    ],
)
def test_compressed_inputs_read_like_the_plain_ones(tmp_path, suffix, compress):
    feed = jsonl({"text": article_text(1)}, {"text": article_text(2)}).encode()
    plain = run_build(tmp_path / "plain", {"feed.jsonl": feed, "note.txt": article_text(3)})
    packed = run_build(
        tmp_path / "packed",
        {f"feed.jsonl{suffix}": compress(feed), f"note.txt{suffix}": compress(article_text(3).encode())},
    )
    assert (
        packed.manifest["counts"]
        == plain.manifest["counts"]
        == {"read": 3, "rejected": 0, "duplicates": 0, "kept": 3}
    )
    assert sorted(r["text"] for r in rows_of(packed)) == sorted(r["text"] for r in rows_of(plain))
    assert {r["raw_path"] for r in rows_of(packed)} == {f"feed.jsonl{suffix}", f"note.txt{suffix}"}
    # the hash of each record's raw bytes is of the decompressed record
    assert sorted(r["raw_sha256"] for r in rows_of(packed)) == sorted(r["raw_sha256"] for r in rows_of(plain))


def test_corrupt_archives_bombs_and_tarballs(tmp_path):
    bomb = gzip.compress(b"a" * 5_000_000)  # 5 MB of text in a few KB
    release = run_build(
        tmp_path,
        {
            "good.txt": article_text(1),
            "broken.jsonl.gz": b"\x1f\x8b\x08\x00" + b"not really gzip",
            "bomb.txt.gz": bomb,
            "archive.tar.gz": gzip.compress(b"tar bytes"),
        },
        ingest={"max_file_bytes": 1_000_000},
    )
    rejects = {r["raw_path"]: r for r in read_jsonl(release.path / "audit/rejects.jsonl")}
    assert rejects["broken.jsonl.gz"]["reason"] == "unreadable"
    assert rejects["bomb.txt.gz"]["reason"] == "too-large"
    assert "decompresses to more than" in rejects["bomb.txt.gz"]["detail"]
    assert release.manifest["skipped"] == [
        {"path": "archive.tar.gz", "reason": "unsupported file type '.tar.gz'"}
    ]
    counts = release.manifest["counts"]
    assert counts == {"read": 3, "rejected": 2, "duplicates": 0, "kept": 1}


@pytest.mark.skipif(
    not (SHARED_CORPORA / "article_extraction_benchmark").is_dir(),
    reason="../shared/corpora/article_extraction_benchmark not present",
)
def test_real_saved_pages_gzipped_as_they_come(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SHARED_CORPORA / "article_extraction_benchmark" / "html", raw)
    release = build(make_config(tmp_path, raw), workers=2)
    counts = release.manifest["counts"]
    assert counts["read"] == 181
    assert counts["read"] == counts["kept"] + counts["rejected"] + counts["duplicates"]
    assert counts["kept"] >= 175  # every page holds an article; a few are too short or duplicates
    languages = {lang for per_split in release.manifest["languages"].values() for lang in per_split}
    assert "en" in languages and len(languages) >= 3


def test_csv_with_semicolons_single_quotes_and_a_multiline_field(tmp_path):
    rows = [
        "titular;cuerpo;enlace",
        f"'Uno';'{article_text(1, 'es')}';'https://a.example/1'",
        f"'Dos';'{article_text(2, 'es')}\nsegunda línea';'https://a.example/2'",
        "'Tres';'sin enlace'",
    ]
    release = run_build(
        tmp_path,
        {"es/noticias.csv": "\n".join(rows) + "\n"},
        ingest={
            "tables": [{"pattern": "es/*.csv", "delimiter": ";", "quote": "'"}],
            "fields": {"title": "titular", "text": "cuerpo", "url": "enlace"},
        },
    )
    kept = {row["title"]: row for row in rows_of(release)}
    assert set(kept) == {"Uno", "Dos"}
    assert kept["Dos"]["text"].endswith("segunda línea") and kept["Dos"]["raw_line"] == 3
    assert kept["Uno"]["raw_format"] == "csv" and kept["Uno"]["url"] == "https://a.example/1"
    (reject,) = read_jsonl(release.path / "audit/rejects.jsonl")
    assert (reject["raw_line"], reject["reason"]) == (5, "csv")
    assert reject["detail"] == "the row has 2 fields, the header 3"


def test_tsv_without_a_header_takes_the_configured_columns(tmp_path):
    lines = [f"{i}\t{article_text(i)}\thttps://b.example/{i}" for i in range(3)]
    release = run_build(
        tmp_path,
        {"feed.tsv": "\n".join(lines)},
        ingest={
            "tables": [
                {"pattern": "*.tsv", "delimiter": "\t", "header": False, "columns": ["id", "text", "url"]}
            ],
            "fields": {"id": "id"},
        },
    )
    assert sorted(row["id"] for row in rows_of(release)) == ["0", "1", "2"]


def test_parquet_from_another_pipeline(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {"headline": ["A", "B"], "body": [article_text(1), article_text(2)], "score": [0.5, 0.7]}
    )
    (tmp_path / "raw").mkdir()
    pq.write_table(table, tmp_path / "raw" / "export.parquet")
    release = build(
        make_config(tmp_path, tmp_path / "raw", ingest={"fields": {"title": "headline", "text": "body"}})
    )
    assert sorted((r["title"], r["raw_line"]) for r in rows_of(release)) == [("A", 1), ("B", 2)]
    assert {r["raw_format"] for r in rows_of(release)} == {"parquet"}


SOURCES = """
[[source]]
files = "*"
method = "exported from the newsroom archive"
[[source]]
files = "wire/*.jsonl"
publisher = "Wire Service"
license = "CC BY 4.0"
retrieved = "2024-05-01"
url = "https://wire.example/feed"
"""


def test_sources_toml_fills_what_the_records_do_not_say(tmp_path):
    release = run_build(
        tmp_path,
        {
            "sources.toml": SOURCES,
            "wire/feed.jsonl": jsonl(
                {"text": article_text(1)}, {"text": article_text(2), "url": "https://own.example/2"}
            ),
            "local.txt": article_text(3),
        },
    )
    rows = {r["raw_path"] + str(r["raw_line"]): r for r in rows_of(release)}
    first, second, local = rows["wire/feed.jsonl1"], rows["wire/feed.jsonl2"], rows["local.txt1"]
    assert (first["source"], first["license"], first["retrieved"]) == (
        "Wire Service",
        "CC BY 4.0",
        dt.date(2024, 5, 1),
    )
    assert first["url"] == "https://wire.example/feed"
    assert second["url"] == "https://own.example/2"  # the record's own value wins
    assert local["license"] is None
    assert release.manifest["sources"]["entries"][1]["license"] == "CC BY 4.0"
    assert all(i["path"] != "sources.toml" for i in release.manifest["inputs"])
    sheet = (release.path / "DATASHEET.md").read_text()
    assert "exported from the newsroom archive" in sheet
    assert "Licences in raw/sources.toml: `wire/*.jsonl`: CC BY 4.0." in sheet
    assert "Retrieval dates in raw/sources.toml: 2024-05-01" in sheet


def test_a_bad_sources_toml_is_a_configuration_error(tmp_path):
    write_files(
        tmp_path / "raw",
        {"a.txt": article_text(1), "sources.toml": '[[source]]\nfiles = "*"\nretrieved = "May 2024"\n'},
    )
    result = run_cli("build", cwd=tmp_path)
    assert (
        result.returncode == 2
        and "sources.toml: source.0.retrieved: 'May 2024' is not a 'date'" in result.stderr
    )


def test_the_seed_corpus_records_what_is_known_of_its_sources(tmp_path):
    release = build(load_config(REPO / "dataset.toml", overrides={"out": str(tmp_path)}))
    rows = {r["raw_path"][:3]: r for r in rows_of(release)}
    assert rows["001"]["license"].startswith("All rights reserved by China Daily Information Co (CDIC)")
    assert rows["000"]["license"] is None and rows["000"]["url"] is None  # unknown, not invented
