"""The Ray engine: the per-record passes on Ray Data give the local engine's release, byte for byte."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest
import ray
import ray.data

from dataset_builder.decide.graph import connected_components
from dataset_builder.engines.base import open_engine
from dataset_builder.engines.ray_engine import ray_session
from dataset_builder.engines.ray_steps import components
from dataset_builder.errors import ConfigError
from dataset_builder.pipeline import build
from tests.conftest import article_text, jsonl, make_config, read_jsonl, release_bytes, set_aside, write_files
from tests.test_boilerplate import outlets_corpus
from tests.test_html import declared_pages
from tests.test_near_dup import near_copy, updated_version
from tests.test_publisher import outlets
from tests.test_scripts import ARTICLES, copies, full_width


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance with two CPUs, as on the CI machine; the builds join it."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Stories in several files and formats, with exact copies, near copies, updated
    versions (grouped, not dropped), a Spanish article, Chinese, Japanese, Korean and Thai
    articles with their near and full-width copies, and records that are rejected."""
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
    cjk = [
        {"id": f"{script}-{name}", "title": name, "text": text}
        for script in ("Han", "Japanese", "Hangul", "Thai")
        for name, text in (
            ("a", ARTICLES[script][0]),
            ("b", ARTICLES[script][1]),
            ("fix", copies(script)["fix"]),
            ("footer", copies(script)["footer"]),
            ("wide", full_width(ARTICLES[script][0])),
        )
    ]
    files["cjk.jsonl"] = jsonl(*cjk)
    return write_files(tmp / "raw", files), tmp


def test_ray_engine_builds_the_local_engines_bytes(local_ray, corpus):
    raw, tmp = corpus
    local = build(make_config(tmp / "local", raw), workers=1)
    kinds = local.manifest["duplicates_by_kind"]
    assert kinds["exact"] == 2 + 4 and kinds["near"] == 3 + 8  # the corpus exercises both global steps
    assert {s: c["near_duplicates"] for s, c in local.manifest["near_duplicates"]["scripts"].items()} == {
        "Han": 2,
        "Hangul": 2,
        "Japanese": 2,
        "Latin": 3,
        "Thai": 2,
    }
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


def test_declared_columns_and_dates_give_the_local_bytes_on_ray(local_ray, tmp_path):
    """Declared columns (a label among them) and published timestamps travel through Ray's
    pickled batches and its spool as through the local engine's."""
    records = [
        {
            "id": i,
            "text": article_text(700 + i),
            "label": ["neg", "pos", "1"][i % 3],
            "views": str(i),
            "published": f"2024-02-{1 + i % 28:02d}T08:00:00+05:00",
            "dropped": i,
        }
        for i in range(30)
    ]
    raw = write_files(tmp_path / "raw", {"a.jsonl": jsonl(*records)})
    columns = {
        "label": {"type": "label", "values": ["neg", "pos"], "aliases": {"1": "pos"}},
        "views": "integer",
    }
    local = build(make_config(tmp_path / "local", raw, ingest={"columns": columns}), workers=1)
    assert local.manifest["counts"]["kept"] == 30 and local.manifest["input_keys"]["dropped"] == {
        "dropped": 30
    }
    remote = build(make_config(tmp_path / "ray", raw, ingest={"columns": columns}), workers=2, engine="ray")
    assert remote.manifest["fingerprint"] == local.manifest["fingerprint"]


def test_ray_groups_and_base_splits_match_the_local_engine(local_ray, corpus, tmp_path):
    """split.group_by values and split.base, decided by Ray's groupings: a grown corpus
    whose new group values tie together records the base release had put in different
    splits, so records move."""
    raw, _ = corpus
    grown = tmp_path / "grown"
    shutil.copytree(raw, grown)
    (grown / "more.jsonl").write_text(
        jsonl(
            *(
                {"id": f"j{i}", "title": f"J {i}", "text": article_text(500 + i), "group": f"g{i % 2}"}
                for i in range(40)
            )
        ),
        encoding="utf-8",
    )
    releases = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        build(make_config(out, raw), workers=2)  # the base release: an input, built locally both times
        grown_config = make_config(
            out,
            grown,
            version="1.1.0",
            ingest={"fields": {"title": "title", "text": "text", "group": "group"}},
            split={"group_by": ["group"], "base": "1.0.0"},
        )
        releases[engine] = build(grown_config, workers=2, engine=engine)
    local, remote = releases["local"], releases["ray"]
    assert local.manifest["moved"] and local.manifest["groups"]["largest"] >= 20
    assert remote.manifest["fingerprint"] == local.manifest["fingerprint"]
    for entry in local.manifest["files"]:
        assert (remote.path / entry["path"]).read_bytes() == (local.path / entry["path"]).read_bytes()


def graphs() -> dict[str, tuple[int, np.ndarray]]:
    rng = np.random.default_rng(7)
    chain = np.stack([np.arange(59, 0, -1), np.arange(58, -1, -1)], axis=1)  # largest node first
    sparse = rng.integers(0, 150, size=(110, 2))
    stars = np.array([[10, i] for i in range(11, 20)] + [[30, i] for i in range(20, 30)] + [[19, 20]])
    cycle = np.array([[i, (i + 1) % 25] for i in range(25)])
    return {"chain": (60, chain), "sparse": (150, sparse), "stars": (40, stars), "cycle": (25, cycle)}


def test_distributed_components_are_the_local_ones(local_ray):
    """Large-star/small-star on Ray labels every node with its component's smallest node,
    as graph.connected_components does: a long chain, a random sparse graph (self-loops
    and repeated edges included), stars joined leaf to leaf, a cycle."""
    with ray_session(2, None):
        for name, (n, pairs) in graphs().items():
            edges = ray.data.from_items([{"u": int(min(a, b)), "v": int(max(a, b))} for a, b in pairs])
            labels = np.arange(n)
            for row in components(edges, parts=3).take_all():
                labels[row["node"]] = row["label"]
            assert np.array_equal(labels, connected_components(n, pairs)), name


def test_without_ray_the_ray_engine_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(ConfigError, match=r"pip install '\.\[ray\]'"), open_engine("ray", 2):
        pass


def test_ray_decontaminates_as_the_local_engine(local_ray, corpus, tmp_path):
    """The evaluation set's index reaches Ray's actors: the same records match, reject
    (one story) or go to test with their group (another), byte for byte."""
    raw, _ = corpus
    stories = [(raw / f"txt/story{i:03d}.txt").read_text(encoding="utf-8") for i in (3, 8)]
    items = [{"qid": f"q{n}", "passage": text.split("\n\n", 1)[1][:400]} for n, text in enumerate(stories)]
    (tmp_path / "eval-reject.jsonl").write_text(jsonl(items[0]), encoding="utf-8")
    (tmp_path / "eval-split.jsonl").write_text(jsonl(items[1]), encoding="utf-8")
    entries = [
        {"name": action, "path": str(tmp_path / f"eval-{action}.jsonl"), "text_fields": ["passage"]}
        | {"id_field": "qid", "action": action}
        for action in ("reject", "split")
    ]
    releases = {
        engine: build(make_config(tmp_path / engine, raw, decontaminate=entries), workers=2, engine=engine)
        for engine in ("local", "ray")
    }
    local, remote = releases["local"], releases["ray"]
    sets = local.manifest["decontamination"]["evaluation_sets"]
    assert sets["reject"]["records_matched"] == 1 and sets["split"]["records_matched"] == 2  # story8, near8
    assert local.manifest["rejected_by_reason"]["contaminated"] == 1
    assert remote.manifest["fingerprint"] == local.manifest["fingerprint"]
    for entry in local.manifest["files"]:
        assert (remote.path / entry["path"]).read_bytes() == (local.path / entry["path"]).read_bytes()


def test_ray_fills_and_reuses_the_build_cache_that_local_builds_share(local_ray, corpus, tmp_path):
    """The cache is the same on both engines: what a Ray build stored, a Ray build and a
    local build reuse, and every build gives the cold local build's bytes."""
    raw, _ = corpus
    cold = build(make_config(tmp_path / "cold", raw, cache={"enabled": False}), report=False)
    shared = {"cache": {"folder": str(tmp_path / "cache")}}
    expected = release_bytes(cold)
    # Each release is set aside once checked, so the next build runs from the cache, not a copy.
    filled = build(make_config(tmp_path / "r1", raw, **shared), workers=2, engine="ray", report=False)
    assert set_aside(filled) == expected
    again = build(make_config(tmp_path / "r2", raw, **shared), workers=2, engine="ray", report=False)
    assert set_aside(again) == expected
    local = build(make_config(tmp_path / "l", raw, **shared), workers=2, report=False)
    assert release_bytes(local) == expected
    files = len(cold.manifest["inputs"])
    assert filled.cache and (filled.cache.files_reused, filled.cache.files_read) == (0, files)
    for reused in (again, local):
        assert reused.cache and (reused.cache.files_reused, reused.cache.files_read) == (files, 0)
        assert reused.cache.records_recalled > 0 and not reused.cache.not_built


def test_learned_boilerplate_on_ray_gives_the_local_bytes(local_ray, tmp_path):
    """Each outlet's promo line is learned and stripped in Ray's actors, and the stripped
    batches' dedup keys replace pass 1's (a reprint without the promo is then an exact
    duplicate), over several files and spool batches: the release is the local one, byte
    for byte, the same lines reported, with the same first-written example."""
    raw = write_files(tmp_path / "raw", outlets_corpus())
    learn = {"boilerplate": {"learn": True}}
    local = build(make_config(tmp_path / "local", raw, **learn), workers=2)
    assert local.manifest["boilerplate_learned"]["removed"] == 180
    assert local.manifest["duplicates_by_kind"] == {"exact": 12}
    remote = build(make_config(tmp_path / "ray", raw, **learn), workers=2, engine="ray")
    assert remote.manifest["boilerplate_learned"] == local.manifest["boilerplate_learned"]
    assert remote.manifest["fingerprint"] == local.manifest["fingerprint"]
    assert remote.manifest["files"] == local.manifest["files"]
    for entry in local.manifest["files"]:
        assert (remote.path / entry["path"]).read_bytes() == (local.path / entry["path"]).read_bytes()


def test_ray_names_publishers_and_counts_declared_languages_as_the_local_engine(local_ray, tmp_path):
    """The publisher names are a global step: Ray's grouping by site and folded name
    chooses the local engine's spellings; the declared languages travel through its spool."""
    raw = write_files(tmp_path / "raw", outlets() | declared_pages())
    releases = {
        engine: build(
            make_config(tmp_path / engine, raw, ingest={"fields": {"id": "id"}}), workers=2, engine=engine
        )
        for engine in ("local", "ray")
    }
    local, remote = releases["local"], releases["ray"]
    profile = local.manifest["profile"]
    assert len(profile["publishers"]["variants"]) == 2 and profile["declared_languages"]["disagree"]
    assert remote.manifest["fingerprint"] == local.manifest["fingerprint"]
