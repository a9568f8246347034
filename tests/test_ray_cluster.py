"""The Ray engine on a cluster of two nodes (`ray.cluster_utils.Cluster`, both on this
machine): the per-record passes run on either node, read and write the spool and the build
cache in the folders the config names, and the release is the local engine's."""

from __future__ import annotations

import pytest
import ray
from ray.cluster_utils import Cluster

from dataset_builder.pipeline import build
from tests.conftest import article_text, jsonl, make_config, release_bytes, set_aside, write_files


@pytest.fixture(scope="module")
def two_nodes():
    if ray.is_initialized():  # another module's local instance
        ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)  # the builds join it
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def test_a_two_node_cluster_builds_the_local_bytes_and_reuses_the_cache(two_nodes, tmp_path):
    files = {f"doc{i:02d}.txt": f"Story {i}\n\n{article_text(i)}" for i in range(24)}
    files["copy.txt"] = files["doc03.txt"]
    files["feed.jsonl"] = jsonl(*({"text": article_text(200 + i)} for i in range(140))) + "{broken\n"
    raw = write_files(tmp_path / "raw", files)
    local = build(make_config(tmp_path / "local", raw, cache={"enabled": False}), report=False)
    shared = {"cache": {"folder": str(tmp_path / "cache")}}
    releases = []
    for n in range(2):
        release = build(
            make_config(tmp_path / f"ray{n}", raw, **shared),
            workers=2,
            engine="ray",
            ray_address=two_nodes.address,
            report=False,
        )
        assert set_aside(release) == release_bytes(local)  # so the second runs from the cache, not a copy
        releases.append(release)
    assert len({node["NodeID"] for node in ray.nodes() if node["Alive"]}) == 2
    assert releases[0].cache and releases[0].cache.files_read == len(files)
    second = releases[1].cache
    assert second and second.files_reused == len(files) and not second.not_built
