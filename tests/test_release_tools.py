"""verify, diff, publish and the card: a release checks itself and says how it changed."""

from __future__ import annotations

import hashlib
import json
import shutil
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard

from dataset_builder.config import load_config
from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.pipeline import build, rebuild_release
from dataset_builder.release import diff, hub, verify
from dataset_builder.release.publish import fingerprint
from tests.conftest import REPO, article_text, jsonl, make_config, run_cli, write_files


@pytest.fixture
def project(tmp_path):
    """A copy of the shipped project, built once."""
    shutil.copytree(REPO / "raw", tmp_path / "raw")
    for name in ("dataset.toml", "DATASHEET.md"):
        shutil.copy(REPO / name, tmp_path / name)
    release = build(load_config(tmp_path / "dataset.toml"))
    return tmp_path, release


def test_a_fresh_release_verifies(project):
    _, release = project
    report = verify.check_files(release.path)
    assert report.ok and report.warnings == []


def test_one_changed_byte_is_found(project):
    root, release = project
    data = next((release.path / "data").iterdir())
    blob = bytearray(data.read_bytes())
    blob[len(blob) // 2] ^= 1
    data.write_bytes(bytes(blob))
    (release.path / "notes.txt").write_text("added later")
    (release.path / "README.md").unlink()
    problems = verify.check_files(release.path).problems
    assert any(p.startswith(f"data/{data.name}: content differs from the manifest") for p in problems)
    assert "README.md: missing" in problems
    assert "notes.txt: not in the manifest" in problems
    result = run_cli("verify", str(release.path), cwd=root)
    assert result.returncode == 1 and "differs:" in result.stderr


def test_a_tampered_manifest_breaks_the_fingerprint(project):
    _, release = project
    manifest = release.path / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"read": 4', '"read": 5'))
    assert (
        "manifest.json: its fingerprint does not match its content"
        in verify.check_files(release.path).problems
    )


def test_rebuild_reproduces_the_release_and_notices_changed_inputs(project):
    root, release = project
    ok = run_cli("verify", str(release.path), "--rebuild", cwd=root)
    assert ok.returncode == 0, ok.stderr
    assert "verified and rebuilt byte for byte" in ok.stdout
    (root / "raw" / "000_6578043c9c2b1da8.txt").write_text("An edited article.\n\n" + article_text(1))
    report = rebuild_release(release.path, root / "raw", root / "DATASHEET.md")
    assert "input 000_6578043c9c2b1da8.txt: changed" in report.warnings
    assert any(p.startswith("fingerprint:") for p in report.problems)
    assert any(p.startswith("lineage.parquet: the rebuild differs") for p in report.problems)


def test_diff_reports_exactly_what_was_added_removed_and_edited(tmp_path):
    raw = write_files(tmp_path / "raw", {f"s{i:02d}.txt": article_text(i, words=150) for i in range(30)})
    first = build(make_config(tmp_path, raw))
    (raw / "s00.txt").unlink()
    (raw / "s01.txt").unlink()
    write_files(raw, {"s02.txt": article_text(2, words=150) + " A correction was added."})
    write_files(raw, {f"new{i}.txt": article_text(100 + i, words=150) for i in range(3)})
    second = build(make_config(tmp_path, raw, version="1.1.0", split={"base": "1.0.0"}))
    changes = diff.compare(first.path, second.path, ("1.0.0", "1.1.0"))
    assert sum(changes.added.values()) == 3
    assert sum(changes.removed.values()) == 2
    assert sum(changes.changed.values()) == 1
    assert changes.moved == []
    sheet = (second.path / "DATASHEET.md").read_text()
    assert "## Changelog" in sheet and "Changes from 1.0.0 to 1.1.0:" in sheet
    assert "Records that moved to another split: 0." in sheet
    assert second.manifest["previous"] == {"version": "1.0.0", "fingerprint": first.manifest["fingerprint"]}
    result = run_cli("diff", str(first.path), str(second.path), cwd=tmp_path)
    assert result.returncode == 0 and "Changes from 1.0.0 to 1.1.0:" in result.stdout


def test_card_metadata_loads_with_huggingface_hub(project):
    _, release = project
    card = DatasetCard.load(release.path / "README.md")
    assert card.data.pretty_name == "AI policy articles (seed corpus)"
    assert card.data.license == "unknown" and card.data.language == ["en"]
    assert {c["split"] for c in card.data.configs[0]["data_files"]} == {
        s for s, n in release.manifest["splits"].items() if n
    }


class RecordingHub:
    """Stands in for huggingface_hub.HfApi: records the calls, sends nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", kwargs))
        return SimpleNamespace(
            oid="abc123", commit_url="https://huggingface.co/datasets/org/name/commit/abc123"
        )

    def create_tag(self, repo_id, **kwargs):
        self.calls.append(("create_tag", {"repo_id": repo_id, **kwargs}))


def test_publish_uploads_the_whole_release_as_one_tagged_commit(project, monkeypatch):
    _, release = project
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    upload = hub.plan(release.path, "org/name")
    listed = {f["path"] for f in release.manifest["files"]}
    assert set(upload.files) == listed | {"manifest.json", "report.html"}
    assert upload.tag == "v1.0.0"
    recorder = RecordingHub()
    url = hub.send(upload, token="hf_test", api=recorder)
    assert [name for name, _ in recorder.calls] == ["create_repo", "upload_folder", "create_tag"]
    assert recorder.calls[1][1]["allow_patterns"] == list(upload.files)
    assert recorder.calls[2][1] == {
        "repo_id": "org/name",
        "repo_type": "dataset",
        "tag": "v1.0.0",
        "revision": "abc123",
    }
    assert url.endswith("abc123")


def test_publish_fails_clearly_without_token_offline_or_on_a_broken_release(project, monkeypatch):
    root, release = project
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hub, "get_token", lambda: None)
    with pytest.raises(ConfigError, match="no Hugging Face token"):
        hub.send(hub.plan(release.path, "org/name"))
    offline = run_cli(
        "publish",
        str(release.path),
        "--repo",
        "org/name",
        "--token",
        "hf_x",
        cwd=root,
        env={"HF_HUB_OFFLINE": "1"},
    )
    assert offline.returncode == 1 and "HF_HUB_OFFLINE is set" in offline.stderr
    bad_repo = run_cli("publish", str(release.path), "--repo", "just-a-name", cwd=root)
    assert bad_repo.returncode == 2 and "expected ORG/NAME" in bad_repo.stderr
    (release.path / "README.md").write_text("changed")
    with pytest.raises(BuildError, match="does not verify"):
        hub.plan(release.path, "org/name")


def test_jsonl_records_can_be_edited_and_diffed(tmp_path):
    raw = write_files(
        tmp_path / "raw", {"a.jsonl": jsonl(*({"id": f"r{i}", "text": article_text(i)} for i in range(10)))}
    )
    fields = {"ingest": {"fields": {"id": "id"}}}
    first = build(make_config(tmp_path, raw, **fields))
    edited = [{"id": f"r{i}", "text": article_text(i) + (" Edited." if i == 3 else "")} for i in range(10)]
    write_files(raw, {"a.jsonl": jsonl(*edited)})
    second = build(make_config(tmp_path, raw, version="1.0.1", split={"base": "1.0.0"}, **fields))
    changes = diff.compare(first.path, second.path, ("1.0.0", "1.0.1"))
    assert (sum(changes.added.values()), sum(changes.removed.values()), sum(changes.changed.values())) == (
        0,
        0,
        1,
    )


def test_a_forgery_passes_plain_verify_but_not_a_pinned_fingerprint(project):
    """Edit a data file, recompute its hash and the fingerprint: the release agrees with its
    own manifest again, so plain verify passes; only the fingerprint pinned before the
    forgery tells it from the release that was published."""
    root, release = project
    original = release.manifest["fingerprint"]
    assert run_cli("verify", str(release.path), "--fingerprint", original, cwd=root).returncode == 0
    data = sorted((release.path / "data").glob("*.parquet"))[0]
    table = pq.read_table(data)
    texts = table.column("text").to_pylist()
    texts[0] = "A forged article."
    pq.write_table(table.set_column(table.schema.get_field_index("text"), "text", pa.array(texts)), data)
    manifest_path = release.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    (entry,) = [f for f in manifest["files"] if f["path"] == f"data/{data.name}"]
    entry["sha256"], entry["bytes"] = hashlib.sha256(data.read_bytes()).hexdigest(), data.stat().st_size
    manifest["fingerprint"] = fingerprint(manifest)
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    plain = run_cli("verify", str(release.path), cwd=root)
    assert plain.returncode == 0, plain.stderr
    assert f"fingerprint {manifest['fingerprint'][:16]} (not pinned)" in plain.stdout
    for pin in (original[:16], original, original.upper()):
        pinned = run_cli("verify", str(release.path), "--fingerprint", pin, cwd=root)
        assert pinned.returncode == 1, pinned.stdout
        assert f"not the pinned {pin.lower()}: it is not the release you pinned" in pinned.stderr
    forged = run_cli("verify", str(release.path), "--fingerprint", manifest["fingerprint"][:20], cwd=root)
    assert forged.returncode == 0 and "as pinned" in forged.stdout, forged.stderr
    for bad in (original[:15], original + "0", "g" * 16):
        refused = run_cli("verify", str(release.path), "--fingerprint", bad, cwd=root)
        assert refused.returncode == 2 and "first 16 hex digits or more" in refused.stderr
