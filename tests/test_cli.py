"""`python -m dataset_builder` as a user runs it, in fresh processes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dataset_builder import build, load_config
from tests.conftest import REPO, article_text, jsonl, run_cli, write_files


def assert_clean_failure(result, code: int, *fragments: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def release_bytes(release: Path) -> dict[str, bytes]:
    return {p.relative_to(release).as_posix(): p.read_bytes() for p in release.rglob("*") if p.is_file()}


def test_help_explains_every_command():
    top = run_cli("--help", cwd=REPO)
    assert top.returncode == 0 and "build" in top.stdout and "load_dataset" in top.stdout
    build = run_cli("build", "--help", cwd=REPO)
    flags = (
        "--config",
        "--raw",
        "--out",
        "--name",
        "--version",
        "--workers",
        "--strict",
        "--no-report",
        "--no-cache",
    )
    for flag in (*flags, "--engine", "--ray-address"):
        assert flag in build.stdout


def test_seed_build_is_byte_identical_across_cwd_timezone_hash_seed_and_engine(tmp_path):
    """Three users: one in the project folder, one elsewhere pointing at it, one on Ray."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "raw", project / "raw")
    for name in ("dataset.toml", "DATASHEET.md"):
        shutil.copy(REPO / name, project / name)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    first = run_cli(
        "build", "--workers", "1", cwd=project, env={"TZ": "UTC", "PYTHONHASHSEED": "1", "LC_ALL": "C.UTF-8"}
    )
    second = run_cli(
        "build",
        "--config",
        str(project / "dataset.toml"),
        "--out",
        str(elsewhere / "out"),
        "--workers",
        "2",
        cwd=elsewhere,
        env={"TZ": "Asia/Shanghai", "PYTHONHASHSEED": "4242", "LC_ALL": "C"},
    )
    third = run_cli(
        "build",
        "--config",
        str(project / "dataset.toml"),
        "--out",
        str(elsewhere / "ray"),
        "--engine",
        "ray",
        cwd=elsewhere,
    )
    for result in (first, second, third):
        assert result.returncode == 0, result.stderr
    assert "read 4 = kept 4 + rejected 0 + duplicates 0" in first.stdout

    a = project / "dist" / "ai-policy-articles" / "1.0.0"
    b = elsewhere / "out" / "ai-policy-articles" / "1.0.0"
    assert (
        release_bytes(a)
        == release_bytes(b)
        == release_bytes(elsewhere / "ray" / "ai-policy-articles" / "1.0.0")
    )
    fingerprint = json.loads((a / "manifest.json").read_text())["fingerprint"]
    assert fingerprint[:16] in first.stdout and fingerprint[:16] in second.stdout
    for text in release_bytes(a).values():
        assert str(tmp_path).encode() not in text  # no machine path in any file


def test_rebuild_is_a_no_op_and_changed_content_is_refused(tmp_path):
    write_files(tmp_path / "raw", {"a.txt": article_text(1)})
    args = ("build", "--name", "demo", "--version", "0.1.0")
    assert run_cli(*args, cwd=tmp_path).returncode == 0
    again = run_cli(*args, cwd=tmp_path)
    assert again.returncode == 0 and "unchanged, already published" in again.stdout
    write_files(tmp_path / "raw", {"b.txt": article_text(2)})
    refused = run_cli(*args, cwd=tmp_path)
    assert_clean_failure(refused, 1, "already published with different content")
    assert [p.name for p in (tmp_path / "dist" / "demo").iterdir() if not p.name.startswith(".")] == ["0.1.0"]


def test_missing_raw_folder_is_a_usage_error(tmp_path):
    assert_clean_failure(run_cli("build", cwd=tmp_path), 2, "input folder not found")


def test_empty_raw_folder_fails_the_build(tmp_path):
    (tmp_path / "raw").mkdir()
    assert_clean_failure(run_cli("build", cwd=tmp_path), 1, "no input files to read")


def test_unknown_config_key_is_named(tmp_path):
    (tmp_path / "dataset.toml").write_text("[split]\nratio = 0.5\n")
    assert_clean_failure(run_cli("build", cwd=tmp_path), 2, "dataset.toml: unknown key 'split.ratio'")


def test_bad_flag_value_is_a_usage_error(tmp_path):
    assert_clean_failure(run_cli("build", "--workers", "0", cwd=tmp_path), 2, "--workers")
    assert_clean_failure(run_cli("build", "--engine", "spark", cwd=tmp_path), 2, "--engine")


def test_bad_records_are_reported_with_file_line_and_field(tmp_path):
    write_files(
        tmp_path / "raw",
        {
            "good.txt": article_text(1),
            "latin1.txt": f"{article_text(3)}\nNiño".encode("latin-1"),
            "binary.txt": bytes.fromhex("89504e470d0a1a0a") + bytes(range(256)) * 4,
            "feed.jsonl": jsonl({"text": article_text(2)})
            + '{"text": "unterminated\n'
            + jsonl({"title": "no body"}),
            "scan.pdf": b"%PDF-1.4",
        },
    )
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "rejected binary.txt:1 (decode): line 1, byte 0: not valid UTF-8 (0x89)" in result.stderr
    assert "latin1.txt" not in result.stderr  # decoded as cp1252
    assert "rejected feed.jsonl:2 (json): invalid JSON" in result.stderr
    assert "rejected feed.jsonl:3 (schema): $: 'text' is a required property" in result.stderr
    assert "skipped scan.pdf (unsupported file type '.pdf')" in result.stderr
    assert "read 6 = kept 3 + rejected 3 + duplicates 0" in result.stdout
    assert "4 read, 1 skipped" in result.stdout


def test_strict_turns_rejects_into_a_failure(tmp_path):
    write_files(tmp_path / "raw", {"good.txt": article_text(1), "bad.jsonl": "nope\n"})
    assert_clean_failure(run_cli("build", "--strict", cwd=tmp_path), 1, "--strict: 1 record(s) rejected")


@pytest.mark.parametrize("args", [("--version", "1"), ("--name", "Bad Name")])
def test_bad_name_or_version_flags_are_config_errors(tmp_path, args):
    write_files(tmp_path / "raw", {"a.txt": article_text(1)})
    assert_clean_failure(run_cli("build", *args, cwd=tmp_path), 2, "does not match")


def test_a_local_build_imports_neither_pandas_nor_scipy_and_loads_the_same(tmp_path, monkeypatch):
    """pyarrow and numba import them only to look (~0.4 s of a small build): the program
    refuses them, and the release is the one a build that imported them publishes."""
    write_files(tmp_path / "raw", {f"a{i}.jsonl": jsonl({"text": article_text(i)}) for i in range(70)})
    program = (
        "import runpy, sys\n"
        "try:\n"
        "    runpy.run_module('dataset_builder', run_name='__main__')\n"
        "finally:\n"
        "    print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'scipy'}), file=sys.stderr)\n"
    )
    args = ["build", "--out", "dist", "--name", "t", "--version", "1.0.0", "--workers", "1", "--no-report"]
    done = subprocess.run(
        [sys.executable, "-c", program, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.rstrip().endswith("[]"), done.stderr
    monkeypatch.chdir(tmp_path)  # the same DATASHEET.md (none) for both
    in_process = build(
        load_config(
            None,
            overrides={
                "raw": str(tmp_path / "raw"),
                "out": str(tmp_path / "api"),
                "name": "t",
                "version": "1.0.0",
            },
        ),
        workers=1,
        report=False,
    )
    published = json.loads((tmp_path / "dist/t/1.0.0/manifest.json").read_text(encoding="utf-8"))
    assert published["fingerprint"] == in_process.manifest["fingerprint"]
