"""The Ray engine: the per-record passes on Ray Data give the local engine's release, byte for byte."""

from __future__ import annotations

import sys

import pytest
import ray

from dataset_builder.engines import open_engine
from dataset_builder.errors import ConfigError
from dataset_builder.pipeline import build
from tests.conftest import article_text, jsonl, make_config, read_jsonl, write_files
from tests.test_near_dup import near_copy, updated_version


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance with two CPUs, as on the CI machine; the builds join it."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Stories in several files and formats, with exact copies, near copies, updated
    versions (grouped, not dropped), a Spanish article and records that are rejected."""
    tmp = tmp_path_factory.mktemp("ray")
    stories = {i: f"Story {i}\n\n{article_text(i, words=200)}" for i in range(90)}
    files = {f"txt/story{i:03d}.txt": text for i, text in stories.items()}
    files |= {f"txt/copy{i}.txt": stories[i] for i in (5, 17)}  # exact
    files |= {f"txt/near{i}.txt": near_copy(stories[i], i) for i in (8, 40, 41)}
    files |= {f"txt/update{i}.txt": updated_version(stories[i], i) for i in (60, 61)}
    files["es.txt"] = f"Noticia\n\n{article_text(1, 'es', words=200)}"
    files["more.jsonl"] = (
        jsonl(
            *({"id": f"j{i}", "title": f"J {i}", "text": article_text(500 + i)} for i in range(40)),
            {"id": "j-empty", "title": "No text", "text": ""},
        )
        + "{broken\n"
    )
    return write_files(tmp / "raw", files), tmp


def test_ray_engine_builds_the_local_engines_bytes(local_ray, corpus):
    raw, tmp = corpus
    local = build(make_config(tmp / "local", raw), workers=1)
    kinds = local.manifest["duplicates_by_kind"]
    assert kinds["exact"] == 2 and kinds["near"] == 3  # the corpus exercises both global steps
    assert local.manifest["rejected_by_reason"] and local.manifest["groups"]["groups_of_several"] >= 2
    for workers in (1, 2):
        remote = build(make_config(tmp / f"ray{workers}", raw), workers=workers, engine="ray")
        assert remote.manifest["fingerprint"] == local.manifest["fingerprint"]
        assert remote.manifest["files"] == local.manifest["files"]
        for entry in local.manifest["files"]:
            assert (remote.path / entry["path"]).read_bytes() == (local.path / entry["path"]).read_bytes()
        assert (remote.path / "report.html").read_bytes() == (local.path / "report.html").read_bytes()
    rejects = read_jsonl(local.path / "audit/rejects.jsonl")
    assert {(r["raw_path"], r["raw_line"]) for r in rejects} == {("more.jsonl", 41), ("more.jsonl", 42)}


def test_without_ray_the_ray_engine_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(ConfigError, match=r"pip install '\.\[ray\]'"), open_engine("ray", 2):
        pass
