"""Near-duplicates and group-aware splits: each piece against a naive reference."""

from __future__ import annotations

import itertools
import json
import re
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset_builder.decide.dedup import (
    BandMatrix,
    NearDupSettings,
    ShingleSets,
    id_ranks,
    lsh_candidates,
    near_duplicates,
    similar_pairs,
)
from dataset_builder.decide.graph import connected_components
from dataset_builder.decide.minhash import (
    MinHashSettings,
    Shingling,
    band_keys,
    candidate_pairs,
    detection_probability,
    lsh_shape,
    shingle_hashes,
    signatures,
)
from dataset_builder.decide.split import assign_splits, split_of
from dataset_builder.decide.steps import DedupKeys
from dataset_builder.engines.local import KeyBlocks
from dataset_builder.pipeline import build
from tests.conftest import article_text, make_config, read_jsonl, write_files

RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}
MINHASH = MinHashSettings(num_perm=128, shingling=Shingling(words=5, chars=5), seed=1)
SETTINGS = NearDupSettings(MINHASH, threshold=0.8, group_threshold=0.5, report_threshold=0.3, recall=0.99)


def naive_token_hash(word: bytes) -> int:
    """minhash.token_hashes for one token, in Python integers."""
    if len(word) > 32:
        return xxhash.xxh3_64_intdigest(word)
    value = 0x2545F4914F6CDD1D
    padded = word.ljust(32, b"\0")
    for lane in range(4):
        x = value ^ int.from_bytes(padded[lane * 8 : lane * 8 + 8], "little")
        x ^= x >> 33
        x = (x * 0xFF51AFD7ED558CCD) % 2**64
        x ^= x >> 33
        x = (x * 0xC4CEB9FE1A85EC53) % 2**64
        value = x ^ (x >> 33)
    return value


def naive_shingles(text: str, k: int) -> set[int]:
    """The same shingle hash as minhash.py, one Python int at a time."""
    words = re.findall(rb"[0-9a-z\x80-\xff]+", text.lower().encode())
    hashes = [naive_token_hash(w) for w in words]
    if not hashes:
        return set()
    width = min(k, len(hashes))
    out = set()
    for start in range(len(hashes) - width + 1):
        value = hashes[start]
        for h in hashes[start + 1 : start + width]:
            value = (value * 0x9E3779B97F4A7C15 + h) % 2**64
        out.add(value)
    return out


def jaccard_words(a: str, b: str, k: int = 5) -> float:
    """Independent reference: plain word k-grams as strings."""

    def grams(text: str) -> set[str]:
        words = re.findall(r"\w+", text.lower())
        return {" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))}

    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y)


LONG_WORD = "x" * 40  # longer than the 32 bytes hashed in numpy
texts_strategy = st.lists(
    st.text(alphabet="ab cd éf\n.,", max_size=60) | st.just(f"ab {LONG_WORD} cd ef ab {LONG_WORD}"),
    min_size=1,
    max_size=8,
)


@given(texts_strategy, st.integers(1, 6))
def test_batch_shingles_equal_the_naive_ones(texts, k):
    flat, counts = shingle_hashes(texts, Shingling(words=k, chars=9))  # no unspaced script here
    offsets = np.concatenate([[0], np.cumsum(counts)])
    for i, text in enumerate(texts):
        assert set(flat[offsets[i] : offsets[i + 1]].tolist()) == naive_shingles(text, k)


@given(texts_strategy, st.integers(0, 8))
def test_signatures_do_not_depend_on_the_batch(texts, cut):
    together, counts = signatures(texts, MINHASH)
    first, first_counts = signatures(texts[:cut], MINHASH)
    rest, rest_counts = signatures(texts[cut:], MINHASH)
    assert np.array_equal(together, np.concatenate([first, rest]))
    assert np.array_equal(counts, np.concatenate([first_counts, rest_counts]))
    for text, count in zip(texts, counts, strict=True):
        distinct = len(naive_shingles(text, 5))  # counts are of positions, repeats included
        assert (count > 0) == (distinct > 0) and count >= distinct


def test_lsh_shape_is_the_most_selective_that_meets_the_recall():
    bands, rows = lsh_shape(0.5, 128, 0.99)
    assert (bands, rows) == (42, 3)
    assert detection_probability(0.5, bands, rows) >= 0.99
    assert detection_probability(0.5, 128 // (rows + 1), rows + 1) < 0.99
    assert lsh_shape(0.8, 128, 0.99) == (21, 6)


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_candidate_pairs_equal_brute_force_banding(seed):
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 4, size=(12, 6), dtype=np.uint32)  # small values: many band collisions
    expected = {
        (i, j)
        for i, j in itertools.combinations(range(12), 2)
        if any(np.array_equal(matrix[i, b * 2 : b * 2 + 2], matrix[j, b * 2 : b * 2 + 2]) for b in range(3))
    }
    keys = band_keys(matrix, bands=3, rows=2)
    assert {tuple(p) for p in candidate_pairs(keys.T, 12).tolist()} == expected


@given(
    st.lists(st.integers(1, 9), min_size=1, max_size=6),
    st.integers(0, 5),
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=30)
def test_band_files_hold_what_the_matrix_holds(batch_sizes, redone, seed):
    """Band keys written batch by batch to one file per band, one batch written again (as
    learned boilerplate does), read back for any rows: the keys a matrix in memory holds."""
    rng = np.random.default_rng(seed)
    batches = [rng.integers(0, 2**64, size=(size, 4), dtype=np.uint64) for size in batch_sizes]
    with tempfile.TemporaryDirectory() as folder:
        blocks = KeyBlocks()
        for batch in batches:
            blocks.add(dedup_keys_with(batch), Path(folder))
        redone %= len(batches)
        batches[redone] = rng.integers(0, 2**64, size=batches[redone].shape, dtype=np.uint64)
        blocks.replace(redone, dedup_keys_with(batches[redone]))
        dedup, bands = blocks.concatenated()
        matrix = np.concatenate(batches)
        rows = np.flatnonzero(rng.random(len(matrix)) < 0.6)
        expected = [c.tolist() for c in BandMatrix(matrix).columns(rows)]
        assert [c.tolist() for c in bands.columns(rows)] == expected
        assert dedup.bands.shape == (len(matrix), 0)  # not also kept in memory


def dedup_keys_with(bands: np.ndarray) -> DedupKeys:
    n = len(bands)
    return DedupKeys(
        [b"k"] * n, bands, np.ones(n, bool), {}, [""] * n, np.zeros(n, bool), [], np.full(n, -1, np.int32)
    )


@given(st.integers(1, 30), st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=40))
def test_components_are_labelled_by_their_smallest_node(n, edges):
    edges = [(a % n, b % n) for a, b in edges]
    labels = connected_components(n, np.array(edges, dtype=np.int64).reshape(-1, 2))
    neighbours = defaultdict(set)
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    for node in range(n):
        seen, frontier = {node}, [node]
        while frontier:
            for nxt in neighbours[frontier.pop()] - seen:
                seen.add(nxt)
                frontier.append(nxt)
        assert labels[node] == min(seen)


def near_copy(text: str, seed: int) -> str:
    """What the web does to a story: new headline, one sentence rewritten, a footer."""
    sentences = text.split(". ")
    sentences[seed % len(sentences)] = "The editors corrected this sentence after publication"
    return f"Breaking: {seed}\n\n" + ". ".join(sentences) + "\n\nShare this article with friends"


def updated_version(text: str, seed: int) -> str:
    """The same story, substantially extended: similar enough to group, not a duplicate."""
    return text + " " + article_text(10_000 + seed, words=len(text.split()) // 2)


@given(st.permutations(range(6)))
@settings(max_examples=20, deadline=None)
def test_near_duplicate_representative_is_the_smallest_id_in_any_order(order):
    base = [article_text(1, words=200), article_text(2, words=200)]
    texts = [
        base[0],
        near_copy(base[0], 1),
        near_copy(base[0], 2),
        base[1],
        near_copy(base[1], 3),
        article_text(3),
    ]
    ids = ["f", "b", "d", "c", "a", "e"]
    texts, ids = [texts[i] for i in order], [ids[i] for i in order]
    shingles = ShingleSets.of_texts(enumerate(texts), MINHASH.shingling)
    matrix, _ = signatures(texts, MINHASH)
    candidates = lsh_candidates(BandMatrix(band_keys(matrix, *SETTINGS.lsh_shape)), np.arange(len(texts)))
    pairs = similar_pairs(candidates, shingles, len(texts), SETTINGS.report_threshold)
    found = near_duplicates(id_ranks(ids), pairs, shingles, 0.8)
    dropped = {ids[d.index]: ids[d.representative] for d in found}
    assert dropped == {"d": "b", "f": "b", "c": "a"}


split_names = st.sampled_from(["train", "validation", "test"])


@given(
    st.lists(st.integers(0, 9), min_size=1, max_size=25),
    st.lists(st.integers(0, 14), min_size=0, max_size=15),
)
def test_groups_share_a_split_and_grow_stably_from_a_base(old_groups, new_groups):
    """Old records keep their base split unless their group now holds old records of
    several splits; every record that moves is reported."""
    old_ids = [f"old{i:02d}" for i in range(len(old_groups))]
    first, moves = assign_splits(old_ids, old_groups, RATIOS, "s")
    assert not moves
    for group in set(old_groups):
        assert len({first[i] for i, g in enumerate(old_groups) if g == group}) == 1
    base = dict(zip(old_ids, first, strict=True))

    # Growth: new records join old groups (0-9) or make new ones (10-14); a new record can
    # also bridge two old groups, modelled by relabelling group 1 as group 0.
    grown_ids = old_ids + [f"new{i:02d}" for i in range(len(new_groups))]
    merged = [0 if g == 1 else g for g in old_groups + new_groups]
    second, moves = assign_splits(grown_ids, merged, RATIOS, "s", base)
    for group in set(merged):
        assert len({second[i] for i, g in enumerate(merged) if g == group}) == 1
    moved = {m.id for m in moves}
    for i, record_id in enumerate(old_ids):
        old_splits_in_group = {
            base[old_ids[j]] for j, g in enumerate(merged[: len(old_ids)]) if g == merged[i]
        }
        if len(old_splits_in_group) == 1:
            assert second[i] == base[record_id]
        assert (second[i] != base[record_id]) == (record_id in moved)


def test_without_a_base_a_group_goes_where_its_smallest_id_hashes():
    low = "r000"
    high = next(
        f"r{i:03d}"
        for i in range(1, 500)
        if split_of(f"r{i:03d}", RATIOS, "salt") != split_of(low, RATIOS, "salt")
    )
    alone = next(
        f"z{i:03d}"
        for i in range(500)
        if split_of(f"z{i:03d}", RATIOS, "salt") != split_of(low, RATIOS, "salt")
    )
    splits, _ = assign_splits([high, low, alone], [7, 7, 9], RATIOS, "salt")
    assert splits == [split_of(low, RATIOS, "salt")] * 2 + [split_of(alone, RATIOS, "salt")]


@pytest.fixture(scope="module")
def near_dup_corpus(tmp_path_factory):
    """Ten stories; two have near-copies, three have updated versions."""
    tmp = tmp_path_factory.mktemp("near")
    files = {}
    for i in range(10):
        files[f"story{i}.txt"] = article_text(i, words=300)
    for i in (0, 1):
        files[f"copy{i}.txt"] = near_copy(files[f"story{i}.txt"], i)
    for i in (2, 3, 4):
        files[f"update{i}.txt"] = updated_version(files[f"story{i}.txt"], i)
    raw = write_files(tmp / "raw", files)
    return files, raw, tmp


def test_the_test_corpus_has_the_intended_similarities(near_dup_corpus):
    files, _, _ = near_dup_corpus
    for i in (0, 1):
        assert jaccard_words(files[f"story{i}.txt"], files[f"copy{i}.txt"]) >= 0.8
    for i in (2, 3, 4):
        assert 0.5 <= jaccard_words(files[f"story{i}.txt"], files[f"update{i}.txt"]) < 0.8
    for a, b in itertools.combinations([f"story{i}.txt" for i in range(10)], 2):
        assert jaccard_words(files[a], files[b]) < 0.05


def test_build_removes_near_copies_and_keeps_updates_beside_their_story(near_dup_corpus):
    files, raw, tmp = near_dup_corpus
    release = build(
        make_config(tmp / "one", raw, split={"ratios": {"train": 0.4, "validation": 0.3, "test": 0.3}})
    )
    counts = release.manifest["counts"]
    assert counts == {"read": 15, "rejected": 0, "duplicates": 2, "kept": 13}
    lineage = {r["raw_path"]: r for r in pq.read_table(release.path / "lineage.parquet").to_pylist()}
    for i in (0, 1):
        pair = [lineage[f"story{i}.txt"], lineage[f"copy{i}.txt"]]
        keeper, dropped = sorted(pair, key=lambda r: r["id"])
        assert dropped["fate"] == f"duplicate:{keeper['id']}"
        assert keeper["fate"].startswith("split:")
    duplicates = read_jsonl(release.path / "audit/duplicates.jsonl")
    assert {d["kind"] for d in duplicates} == {"near"}
    assert all(0.8 <= d["similarity"] < 1 for d in duplicates)

    kept = {path: row["fate"] for path, row in lineage.items() if row["fate"].startswith("split:")}
    assert len(set(kept.values())) >= 2  # the ratios make one split for all unlikely; check it
    for i in (2, 3, 4):
        assert kept[f"story{i}.txt"] == kept[f"update{i}.txt"]
    # Brute force over every kept pair, independent of LSH: none above 0.5 crosses splits.
    for a, b in itertools.combinations(sorted(kept), 2):
        if kept[a] != kept[b]:
            assert jaccard_words(files[a], files[b]) < 0.5, (a, b)
    manifest = release.manifest
    assert manifest["groups"] == {"groups_of_several": 3, "records_in_them": 6, "largest": 2}
    assert manifest["near_duplicates"]["removed"] == 2
    assert manifest["near_duplicates"]["detection_probability"]["0.5"] >= 0.99


def test_near_dup_results_are_the_same_for_one_and_two_workers(near_dup_corpus):
    _, raw, tmp = near_dup_corpus
    one = build(make_config(tmp / "w1", raw), workers=1)
    two = build(make_config(tmp / "w2", raw), workers=2)
    assert one.manifest["fingerprint"] == two.manifest["fingerprint"]


def test_group_by_url_keeps_records_together(tmp_path):
    records = [{"text": article_text(i), "url": f"https://example.org/story/{i % 3}"} for i in range(30)]
    raw = write_files(tmp_path / "raw", {"a.jsonl": "".join(json.dumps(r) + "\n" for r in records)})
    release = build(make_config(tmp_path, raw, split={"group_by": ["url"]}))
    rows = pq.read_table(release.path / "lineage.parquet").to_pylist()
    by_line = {r["raw_line"]: r["fate"] for r in rows}
    for story in range(3):
        assert len({by_line[i + 1] for i in range(30) if i % 3 == story}) == 1
    assert release.manifest["groups"] == {"groups_of_several": 3, "records_in_them": 30, "largest": 10}


def test_base_release_keeps_splits_as_the_corpus_grows(tmp_path):
    first_files = {f"s{i:02d}.txt": article_text(i, words=200) for i in range(30)}
    raw = write_files(tmp_path / "raw", first_files)
    first = build(make_config(tmp_path, raw))
    before = {r["id"]: r["fate"] for r in pq.read_table(first.path / "lineage.parquet").to_pylist()}

    # New records, among them an updated version of each of five old stories.
    write_files(raw, {f"n{i:02d}.txt": article_text(100 + i, words=200) for i in range(20)})
    write_files(raw, {f"u{i:02d}.txt": updated_version(first_files[f"s{i:02d}.txt"], i) for i in range(5)})
    second = build(make_config(tmp_path, raw, version="1.1.0", split={"base": "1.0.0"}))
    after = {r["id"]: r["fate"] for r in pq.read_table(second.path / "lineage.parquet").to_pylist()}
    assert {rid: after[rid] for rid in before} == before
    assert second.manifest["moved"] == []
    assert second.manifest["split_base"] == {"version": "1.0.0", "fingerprint": first.manifest["fingerprint"]}
    lineage = {r["raw_path"]: r["fate"] for r in pq.read_table(second.path / "lineage.parquet").to_pylist()}
    for i in range(5):
        assert lineage[f"u{i:02d}.txt"] == lineage[f"s{i:02d}.txt"]


def test_building_over_an_older_version_without_base_warns(tmp_path):
    raw = write_files(tmp_path / "raw", {"a.txt": article_text(1)})
    build(make_config(tmp_path, raw))
    write_files(raw, {"b.txt": article_text(2)})
    later = build(make_config(tmp_path, raw, version="1.2.0"))
    assert any('set split.base = "1.0.0"' in w for w in later.warnings)
