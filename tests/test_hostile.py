"""Whatever users scrape: each hostile input gets a clear outcome and nothing is lost."""

from __future__ import annotations

import json
import os
import re
import resource
from dataclasses import replace

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataset_builder.config import load_config
from dataset_builder.pipeline import Release, build
from dataset_builder.records import Rejection
from dataset_builder.stages.decode import bom_encoding
from dataset_builder.stages.ingest import InputFile, discover, read_file
from tests.conftest import article_text, jsonl, make_config, read_jsonl, run_build, write_files

READ = load_config(None).settings.ingest


def assert_accounted(release: Release) -> dict[tuple[str, int], dict]:
    """The identity, from the manifest and row by row from the lineage; returns lineage rows."""
    counts = release.manifest["counts"]
    assert counts["read"] == counts["kept"] + counts["rejected"] + counts["duplicates"]
    lineage = pq.read_table(release.path / "lineage.parquet").to_pylist()
    assert len(lineage) == counts["read"]
    fates = [row["fate"].split(":")[0] for row in lineage]
    assert fates.count("split") == counts["kept"]
    assert fates.count("rejected") == counts["rejected"]
    assert fates.count("duplicate") == counts["duplicates"]
    return {(row["raw_path"], row["raw_line"]): row for row in lineage}


def rejects_by_place(release: Release) -> dict[tuple[str, int], dict]:
    return {(r["raw_path"], r["raw_line"]): r for r in read_jsonl(release.path / "audit/rejects.jsonl")}


def test_empty_binary_and_broken_files(tmp_path):
    release = run_build(
        tmp_path,
        {
            "good.txt": article_text(1),
            "empty.txt": "",
            "blank.txt": "\n \t\n",
            "empty.jsonl": "",
            "empty.json": "",
            "image.txt": bytes.fromhex("89504e470d0a1a0a") + bytes(range(256)) * 8,
            "null.json": "null",
        },
    )
    lineage = assert_accounted(release)
    rejects = rejects_by_place(release)
    assert rejects[("empty.txt", 1)]["detail"] == "$.text: '' should be non-empty"
    assert rejects[("blank.txt", 1)]["detail"] == "$.text: '' should be non-empty"
    assert rejects[("empty.json", 1)]["detail"].startswith("line 1: invalid JSON: Expecting value")
    assert rejects[("image.txt", 1)]["reason"] == "decode"
    assert rejects[("null.json", 1)]["detail"] == "expected a JSON object, found NoneType"
    assert ("empty.jsonl", 1) not in lineage  # an empty JSON Lines file holds no record
    assert {i["path"]: i["records"] for i in release.manifest["inputs"]}["empty.jsonl"] == 0


def test_a_200_mb_line_is_rejected_without_being_loaded(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    with (raw / "huge.jsonl").open("wb") as fh:
        fh.write(jsonl({"text": article_text(1)}).encode())
        fh.write(b'{"text": "' + b"a" * (200 << 20) + b'"}\n')
        fh.write(jsonl({"text": article_text(2)}).encode())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    release = build(make_config(tmp_path, raw))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert_accounted(release)
    reject = rejects_by_place(release)[("huge.jsonl", 2)]
    assert reject["reason"] == "too-large" and "max_record_bytes (16,777,216 bytes)" in reject["detail"]
    assert release.manifest["counts"]["kept"] == 2  # the lines after it are read
    assert grown_mb < 100, f"the build's peak memory grew by {grown_mb:.0f} MB"


def test_file_size_limit_for_files_read_whole(tmp_path):
    release = run_build(
        tmp_path,
        {"big.txt": article_text(1, words=400), "small.txt": "Short note.\n\n" + article_text(2, words=30)},
        ingest={"max_file_bytes": 1000},
    )
    assert_accounted(release)
    assert rejects_by_place(release)[("big.txt", 1)]["reason"] == "too-large"


def test_json_of_the_wrong_shape_and_types(tmp_path):
    records = [
        {"text": 42},
        {"text": ["a", "list"]},
        {"title": {"nested": True}, "text": article_text(1)},
        {"text": article_text(2), "authors": [1, 2]},
        {"text": article_text(3), "published": "2024-02-30"},
        {"body": "the text is under another key"},
        {"text": "x" * 100, "url": "ftp:"},
    ]
    huge = '{"text": "' + "y" * (17 << 20) + '"}\n'
    release = run_build(tmp_path, {"a.jsonl": jsonl(*records) + huge + '{"text": ' + "[" * 50_000 + "\n"})
    assert_accounted(release)
    details = {line: r["detail"] for (_, line), r in rejects_by_place(release).items()}
    assert details[1] == "$.text: 42 is not of type 'string'"
    assert details[2] == "$.text: ['a', 'list'] is not of type 'string'"
    assert details[3] == "$.title: {'nested': True} is not of type 'string', 'null'"
    assert "$.authors[0]: 1 is not of type 'string'" in details[4]
    assert details[5].startswith("$.published: '2024-02-30' is not any of")
    assert details[6] == "$: 'text' is a required property"
    assert 7 not in details  # "ftp:" is a valid URI
    assert "max_record_bytes" in details[8]
    assert details[9].startswith("invalid JSON") or details[9] == "JSON nested too deeply"


def test_nul_and_control_characters_are_cleaned_not_fatal(tmp_path):
    text = "Headline\x00\n\nBody\x07 with\x1b[31m escapes\x00 and \ufeffmarks. " + article_text(1)
    release = run_build(
        tmp_path, {"a.txt": text, "b.jsonl": jsonl({"text": "\x00" + article_text(2) + "\x08"})}
    )
    assert_accounted(release)
    assert release.manifest["counts"]["kept"] == 2
    rows = [row for f in (release.path / "data").iterdir() for row in pq.read_table(f).to_pylist()]
    for row in rows:
        assert not any(ord(c) < 32 and c != "\n" for c in row["text"] + (row["title"] or ""))
    assert any(row["title"] == "Headline" for row in rows)


def test_strange_file_names_and_duplicate_ids(tmp_path):
    raw = write_files(
        tmp_path / "raw",
        {
            "with space.txt": article_text(1),
            "new\nline.txt": article_text(2),
            "ünïcödé/日本.txt": article_text(3),
            "a.jsonl": jsonl({"id": "same", "text": article_text(4)}),
            "b.jsonl": jsonl({"id": "same", "text": article_text(5)}),
        },
    )
    (raw / os.fsdecode(b"bad\xff name.txt")).write_text(article_text(6))
    release = build(make_config(tmp_path, raw, ingest={"fields": {"id": "id"}}))
    lineage = assert_accounted(release)
    assert {path for path, _ in lineage} >= {"with space.txt", "new\nline.txt", "ünïcödé/日本.txt"}
    assert release.manifest["skipped"] == [
        {"path": "bad\\udcff name.txt", "reason": "file name is not valid UTF-8"}
    ]
    assert rejects_by_place(release)[("b.jsonl", 1)]["detail"] == "id 'same' is already used by a.jsonl:1"


def test_symlinks_are_reported_not_followed(tmp_path):
    raw = write_files(tmp_path / "raw", {"a.txt": article_text(1), "sub/b.txt": article_text(2)})
    outside = write_files(tmp_path / "outside", {"secret.txt": "not part of the corpus"})
    os.symlink(raw, raw / "sub" / "loop")
    os.symlink(outside / "secret.txt", raw / "escape.txt")
    os.symlink(tmp_path / "missing", raw / "dangling.txt")
    release = build(make_config(tmp_path, raw))
    assert_accounted(release)
    assert release.manifest["counts"]["read"] == 2
    assert {(s["path"], s["reason"]) for s in release.manifest["skipped"]} == {
        ("sub/loop/", "symlink, not followed"),
        ("escape.txt", "symlink, not followed"),
        ("dangling.txt", "symlink, not followed"),
    }


def test_unreadable_file_is_a_reject(tmp_path, monkeypatch):
    # Tests run as root in CI, where chmod cannot make a file unreadable: fail the read instead.
    raw = write_files(tmp_path / "raw", {"a.txt": article_text(1), "locked.txt": article_text(2)})
    real_open = os.open

    def open_file(path, flags, mode=0o777, *, dir_fd=None):
        if os.fspath(path).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", open_file)
    release = build(make_config(tmp_path, raw))
    assert_accounted(release)
    reject = rejects_by_place(release)[("locked.txt", 1)]
    assert (reject["reason"], reject["detail"]) == ("unreadable", "cannot read the file: Permission denied")


def test_legacy_encodings_are_decoded_and_recorded(tmp_path):
    release = run_build(
        tmp_path,
        {
            "gbk.txt": ("人工智能的发展不仅仅是创造最复杂的模型。" * 3).encode("gbk"),
            "latin1.jsonl": (
                json.dumps({"text": "Niño " + article_text(1)}, ensure_ascii=False) + "\n"
            ).encode("latin-1"),
            "utf16.jsonl": jsonl({"text": article_text(2)}).encode("utf-16"),
            "binary.txt": bytes.fromhex("89504e470d0a1a0a") + bytes(range(256)) * 8,
        },
    )
    lineage = assert_accounted(release)
    assert lineage[("gbk.txt", 1)]["raw_encoding"] == "gb18030"
    assert lineage[("latin1.jsonl", 1)]["raw_encoding"] == "cp1252"
    assert lineage[("utf16.jsonl", 1)]["raw_encoding"] == "utf-16"
    assert lineage[("binary.txt", 1)]["raw_encoding"] is None
    assert release.manifest["encodings"] == {"": 1, "cp1252": 1, "gb18030": 1, "utf-16": 1}
    binary_tail = article_text(3).encode() + b" \xff\xfe" + bytes(range(32)) * 20
    replaced = run_build(
        tmp_path / "replace", {"binary.txt": binary_tail}, ingest={"on_decode_error": "replace"}
    )
    assert replaced.manifest["encodings"] == {"utf-8 (undecodable bytes replaced)": 1}
    assert replaced.manifest["counts"]["kept"] == 1


def test_a_hundred_thousand_tiny_files(tmp_path):
    raw = tmp_path / "raw"
    for folder in range(100):
        (raw / f"{folder:02d}").mkdir(parents=True)
        for i in range(1000):
            (raw / f"{folder:02d}" / f"{i:03d}.txt").write_text(f"note {folder} {i}")
    release = build(make_config(tmp_path, raw), workers=2)
    assert_accounted(release)
    counts = release.manifest["counts"]
    assert counts["read"] == 100_000 and counts["rejected"] == 0
    assert release.manifest["languages"]["train"] == {"und": release.manifest["splits"]["train"]}


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".txt", ".jsonl", ".json"]))
def test_readers_never_crash_on_arbitrary_bytes(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    items = list(read_file(InputFile(path, path.name, len(data)), replace(READ, max_record_bytes=64)))
    assert all(isinstance(i, (dict, Rejection)) for i in items)
    if suffix == ".jsonl":
        assert len(items) == expected_jsonl_records(data)


def expected_jsonl_records(data: bytes) -> int:
    """One item per non-blank line: UTF-16/32 files are split after decoding (or are one
    reject), others on line-break bytes (`\n`, `\r\n` or a lone `\r`); a byte-order mark is
    not content."""
    wide = bom_encoding(data)
    if wide in ("utf-16", "utf-32"):
        try:
            return sum(1 for line in re.split("\r\n|\r|\n", data.decode(wide)) if line.strip())
        except UnicodeDecodeError:
            return 1
    lines = re.split(b"\r\n|\r|\n", data.removeprefix(b"\xef\xbb\xbf"))
    return sum(1 for line in lines if line.strip(b" \t\x0b\x0c"))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(lines=st.lists(st.text(max_size=40), max_size=6))
def test_jsonl_reader_accounts_for_every_line(tmp_path, lines):
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    (input_file,) = discover(tmp_path).files
    items = list(read_file(input_file, READ))
    breaks = re.split(b"\r\n|\r|\n", path.read_bytes())
    expected = [i for i, line in enumerate(breaks, start=1) if line.strip()]
    assert [i["raw_line"] if isinstance(i, dict) else i.raw_line for i in items] == expected
