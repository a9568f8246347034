"""Crash safety: a killed build never leaves a visible partial release."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dataset_builder.config import load_config
from dataset_builder.errors import BuildError
from dataset_builder.pipeline import build
from dataset_builder.release.publish import release_lock
from tests.conftest import article_text, run_cli, write_files

STAGES = ("read, clean, validate", "dedup, split groups", "detect languages", "publish")
DELAYS = (0.0, 0.03, 0.1, 0.25, 0.5)
PUBLISH_DELAYS = (0.005, 0.015, 0.04)  # publishing is short; where a crash would hurt most


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crash")
    files = {f"doc{i:03d}.txt": f"Story {i}\n\n{article_text(i, words=250)}" for i in range(120)}
    files["copy.txt"] = files["doc001.txt"] + "\n\nShare this article"
    files["feed.jsonl"] = (
        "".join(json.dumps({"text": article_text(500 + i)}) + "\n" for i in range(40)) + "{oops\n"
    )
    write_files(root / "raw", files)
    (root / "dataset.toml").write_text('name = "crash"\nversion = "1.0.0"\n')
    return root


def config(project: Path, out: Path):
    return load_config(project / "dataset.toml", overrides={"out": str(out)})


def start_build(project: Path, out: Path, workers: int) -> subprocess.Popen[str]:
    """A CLI build of `project` into `out`, its progress lines readable on stderr."""
    return subprocess.Popen(
        [sys.executable, "-m", "dataset_builder", "build", "--out", str(out), "--workers", str(workers)],
        cwd=project,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"},
    )


def kill_during(project: Path, out: Path, stage: str, delay: float) -> str:
    """Start a CLI build, SIGKILL it `delay` seconds into `stage`; returns the last stage seen."""
    process = start_build(project, out, workers=1)
    seen = "start"
    for line in process.stderr:
        if line.startswith("▸ "):
            seen = line[2:].strip()
            if seen == stage:
                break
    time.sleep(delay)
    process.kill()
    process.wait()
    process.stderr.close()
    return seen


def assert_complete_or_absent(release: Path, fingerprint: str) -> None:
    """What a reader can see of a version is all of it or nothing."""
    visible = [p.name for p in release.parent.iterdir() if not p.name.startswith(".")]
    assert visible in ([], [release.name])
    if release.exists():
        manifest = json.loads((release / "manifest.json").read_text())
        assert manifest["fingerprint"] == fingerprint
        for entry in manifest["files"]:
            assert hashlib.sha256((release / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]


def test_sigkill_at_any_point_leaves_no_partial_release(project, tmp_path):
    reference = build(config(project, tmp_path / "reference")).manifest["fingerprint"]
    out = tmp_path / "out"
    release = out / "crash" / "1.0.0"
    kill_points = [(stage, delay) for stage in STAGES for delay in DELAYS]
    kill_points += [("publish", delay) for delay in PUBLISH_DELAYS] + [
        ("never", 0.0)
    ]  # "never": killed at the end
    assert len(kill_points) >= 20
    reached = set()
    for stage, delay in kill_points:
        reached.add(kill_during(project, out, stage, delay))
        assert_complete_or_absent(release, reference)
        rerun = build(config(project, out))
        assert rerun.manifest["fingerprint"] == reference
        leftovers = [p.name for p in release.parent.iterdir() if ".partial-" in p.name or ".work-" in p.name]
        assert leftovers == []
        for path in sorted(release.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        release.rmdir()
    assert reached >= set(STAGES)


def test_a_second_build_of_the_same_version_waits_for_nobody(project, tmp_path):
    out = tmp_path / "out"
    with release_lock(out / "crash", "1.0.0"):
        result = run_cli("build", "--out", str(out), cwd=project)
        assert result.returncode == 1
        assert "another build is writing crash 1.0.0 right now" in result.stderr
        with pytest.raises(BuildError, match="another build is writing"):
            build(config(project, out))
    assert build(config(project, out)).manifest["counts"]["read"] == 162  # 120 + copy + 40 + broken line


def test_leftovers_of_dead_builds_are_removed_and_reported(project, tmp_path):
    out = tmp_path / "out"
    folder = write_files(
        out / "crash",
        {".1.0.0.partial-abc/data/x.parquet": "half", ".0.9.0.work-def/records.arrow": "spool"},
    )
    release = build(config(project, out))
    assert not (folder / ".1.0.0.partial-abc").exists() and not (folder / ".0.9.0.work-def").exists()
    assert any(
        ".1.0.0.partial-abc" in w and "interrupted build of version 1.0.0" in w for w in release.warnings
    )
    assert any(".0.9.0.work-def" in w and "interrupted build of version 0.9.0" in w for w in release.warnings)


def descendants(pid: int) -> set[int]:
    """The pids of `pid`'s children and their children, from /proc."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    if int(child) not in found:
                        found.add(int(child))
                        todo.append(int(child))
    return found


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for init to reap it does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_a_killed_build_and_free_the_lock(project, tmp_path, signal_number):
    """What the OOM killer or a scheduler does: kill the build's own pid mid-pass. Its
    workers must not outlive it (holding the version lock), and the next build must start."""
    raw = write_files(
        tmp_path / "raw",
        {f"doc{i:04d}.txt": f"Story {i}\n\n{article_text(i, words=300)}" for i in range(1500)},
    )
    (tmp_path / "dataset.toml").write_text(f'name = "crash"\nversion = "1.0.0"\nraw = "{raw}"\n')
    out = tmp_path / "out"
    process = start_build(tmp_path, out, workers=2)
    workers: set[int] = set()
    for line in process.stderr:
        if line.startswith("▸ read, clean, validate"):
            break
    deadline = time.monotonic() + 30
    while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
        workers = descendants(process.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the build never started its workers"
    process.send_signal(signal_number)
    process.wait()
    process.stderr.close()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in workers if alive(pid)]
    for pid in survivors:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert survivors == [], f"workers {survivors} outlived the killed build"
    with release_lock(out / "crash", "1.0.0"):
        pass  # nobody holds the lock any more


def test_a_build_killed_after_reading_resumes_without_reading_again(project, tmp_path):
    """The cache is the resume: a build killed once pass 1 is over has stored every file's
    results, and the next one reads none of them and publishes what an unbroken one does."""
    reference = build(config(project, tmp_path / "reference"), cache=False).manifest["fingerprint"]
    out = tmp_path / "out"
    assert kill_during(project, out, "detect languages", 0.0) == "detect languages"
    rerun = run_cli("build", "--out", str(out), "--no-report", cwd=project)
    assert rerun.returncode == 0, rerun.stderr
    assert "122 file(s) reused, 0 read" in rerun.stdout
    assert json.loads((out / "crash" / "1.0.0" / "manifest.json").read_text())["fingerprint"] == reference
