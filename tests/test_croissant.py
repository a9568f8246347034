"""croissant.json: loadable by mlcroissant, and saying what the release holds."""

from __future__ import annotations

import json

import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest

from dataset_builder.config import load_config
from dataset_builder.pipeline import build
from tests.conftest import REPO


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build(load_config(REPO / "dataset.toml", overrides={"out": str(tmp_path_factory.mktemp("cr"))}))


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def test_mlcroissant_reads_every_article_with_its_split(release):
    dataset = mlc.Dataset(jsonld=str(release.path / "croissant.json"))
    records = list(dataset.records(record_set="articles"))
    parquet = {
        row["id"]: (path.name.split("-")[0], row)
        for path in (release.path / "data").iterdir()
        for row in pq.read_table(path).to_pylist()
    }
    assert len(records) == release.manifest["counts"]["kept"] == len(parquet)
    for record in records:
        split, row = parquet[text(record["articles/id"])]
        assert text(record["articles/split"]) == split
        assert text(record["articles/text"]) == row["text"]
        assert [text(a) for a in record["articles/authors"]] == row["authors"]
        assert record["articles/raw_line"] == row["raw_line"]


def test_distribution_lists_each_parquet_file_with_the_manifest_hash(release):
    document = json.loads((release.path / "croissant.json").read_text())
    listed = {f["contentUrl"]: f["sha256"] for f in document["distribution"] if f["@type"] == "cr:FileObject"}
    in_manifest = {f["path"]: f["sha256"] for f in release.manifest["files"] if f["path"].startswith("data/")}
    assert listed == in_manifest
    assert any(f["path"] == "croissant.json" for f in release.manifest["files"])  # covered by the fingerprint


def test_responsible_ai_fields_come_from_the_datasheet(release):
    document = json.loads((release.path / "croissant.json").read_text())
    assert "e-mail addresses: 1 in 1 record(s)" in document["rai:personalSensitiveInformation"]
    assert "| rule | lines |" not in document["rai:dataPreprocessingProtocol"]  # the steps, not the counts
    assert "Unicode NFC" in document["rai:dataPreprocessingProtocol"]
    assert "retrieval dates were not kept" in document["rai:dataCollection"]  # the maintainers' answer
    assert "Training or evaluating models" in document["rai:dataLimitations"]
    assert document["license"] == "unknown" and document["inLanguage"] == ["en"]
