"""Exact dedup, language tags and split assignment, each on its own."""

from __future__ import annotations

from collections import Counter

import langdetect
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataset_builder.decide.dedup import content_key, exact_duplicates, id_ranks
from dataset_builder.decide.split import split_of
from dataset_builder.errors import BuildError
from dataset_builder.spool import SplitBuckets
from dataset_builder.stages.fastlangid import seeded_factory
from dataset_builder.stages.langid import LanguageTagger, letters
from dataset_builder.stages.langprofiles import load_profiles
from tests.conftest import REPO, article_text

RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}


def test_content_key_ignores_case_width_and_spacing_only():
    assert content_key("Hello  World\n\nagain") == content_key("hello world again")
    assert content_key("ＡＢＣ") == content_key("abc")  # full-width letters (NFKC)
    assert content_key("Hello world.") != content_key("Hello world!")


@given(st.permutations([("b", b"k1"), ("a", b"k1"), ("c", b"k1"), ("d", b"k2"), ("f", b"k3"), ("e", b"k3")]))
def test_representative_is_the_smallest_id_whatever_the_order(pairs):
    ids = [record_id for record_id, _ in pairs]
    keys = np.array([key for _, key in pairs], dtype="S16")
    representative = exact_duplicates(keys, id_ranks(ids))
    found = {ids[i]: ids[r] for i, r in enumerate(representative) if i != r}
    assert found == {"b": "a", "c": "a", "f": "e"}


def test_seeded_tagger_is_stable_and_leaves_langdetect_global_alone():
    texts = ["Hola, ¿cómo estás?", "ciao bella", "Das ist gut so.", "on est là", "Olá meu amigo querido"]
    first = [LanguageTagger(0, 5).tag(t) for t in texts]
    seeded_factory.cache_clear()  # a fresh factory, as in a new process
    again = [LanguageTagger(0, 5).tag(t) for t in texts * 3]
    assert again == first * 3
    assert langdetect.DetectorFactory.seed is None


def test_tagger_gives_langdetects_labels_and_scores_on_real_articles():
    """The tagger detects with fastlangid; langdetect itself is the reference."""
    texts = [article_text(i, language) for i in range(40) for language in ("en", "es")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "raw").glob("*.txt"))]
    reference = seeded_factory(0)
    for text, tag in zip(texts, LanguageTagger(0, 0).tag_batch(texts), strict=True):
        detector = reference.create()
        detector.append(text)
        top = detector.get_probabilities()[0]
        assert (tag.language, tag.score) == (top.lang, top.prob)


@given(st.text(st.characters(codec=None, categories=None), max_size=200))
def test_letters_are_counted_as_str_isalpha_counts_them(text):
    assert letters(text, load_profiles().alpha) == sum(ch.isalpha() for ch in text)


def test_letters_in_every_script_and_surrogates():
    text = "Ab1 é\u0301 中文 한국어 ١٢٣ ² ½ \ud800 \U0001d400\U0001f600 ǅ ⅷ"
    assert letters(text, load_profiles().alpha) == sum(ch.isalpha() for ch in text)


def test_short_or_letterless_text_is_undetermined():
    tagger = LanguageTagger(0, 20)
    assert tagger.tag("Hi there").language == "und"
    assert tagger.tag("12345 67890 !!! 2024-10-29 08:23 ...").language == "und"
    tag = tagger.tag("The committee published its annual report on artificial intelligence policy today.")
    assert tag.language == "en" and 0.5 < tag.score <= 1.0


@given(st.text(min_size=1, max_size=40), st.sampled_from(["s1", "s2"]))
def test_split_depends_only_on_id_and_salt(record_id, salt):
    assert split_of(record_id, RATIOS, salt) == split_of(record_id, dict(RATIOS), salt)
    assert split_of(record_id, RATIOS, salt) in RATIOS


def test_split_shares_follow_the_ratios():
    counts = Counter(split_of(f"record-{i}", RATIOS, "salt") for i in range(20_000))
    assert abs(counts["train"] / 20_000 - 0.8) < 0.01
    assert abs(counts["validation"] / 20_000 - 0.1) < 0.01
    assert split_of("x", {"train": 1.0, "validation": 0.0, "test": 0.0}, "s") == "train"
    assert split_of("x", {"train": 0.0, "validation": 0.0, "test": 1.0}, "s") == "test"


@given(
    st.lists(st.tuples(st.sampled_from(["train", "test"]), st.integers(0, 3)), min_size=1, max_size=60),
    st.integers(1, 7),
    st.sampled_from([1, 10**9]),
    st.integers(0, 3),
)
def test_split_buckets_hold_each_routed_row_once_whatever_the_buffer(
    tmp_path_factory, routes, size, buffer, writers
):
    """Rows routed (split, bucket) come back from their bucket sorted by id, whether
    written piece by piece (a 1-byte buffer) or once at close, by the reading process
    itself (`writers` = 0) or by several writers each with its part of the buckets, the
    reader told only how many rows each route was sent (as pass 2's workers write them)."""
    schema = pa.schema([("id", pa.string())])
    buckets = SplitBuckets(tmp_path_factory.mktemp("buckets"), schema, 4, buffer_bytes=buffer)
    parts = [buckets.for_writers(writers).own(f"w{n}") for n in range(writers)]
    ids = [f"r{n:03d}" for n in range(len(routes))][::-1]  # arrive in reverse id order
    for number, start in enumerate(range(0, len(routes), size)):
        batch = pa.RecordBatch.from_pylist([{"id": i} for i in ids[start : start + size]], schema=schema)
        (parts[number % writers] if parts else buckets).add(batch, routes[start : start + size])
        buckets.expect(routes[start : start + size])
    for part in [buckets, *parts]:
        part.close()
    for split in ("train", "test"):
        expected = [sorted(i for i, r in zip(ids, routes, strict=True) if r == (split, b)) for b in range(4)]
        got = [t.column("id").to_pylist() for t in buckets.sorted_tables(split)]
        assert got == [bucket_ids for bucket_ids in expected if bucket_ids]


def test_a_bucket_missing_rows_a_writer_was_sent_is_an_error(tmp_path):
    """A writer that could not write out its part (a full disk as its process exited,
    where no result carries the error back) leaves a bucket short: reading it fails,
    rather than publishing a release without those rows."""
    schema = pa.schema([("id", pa.string())])
    buckets = SplitBuckets(tmp_path, schema, 2)
    part = buckets.for_writers(2).own("w0")
    batch = pa.RecordBatch.from_pylist([{"id": "a"}, {"id": "b"}, {"id": "c"}], schema=schema)
    routes = [("train", 0), ("train", 0), ("train", 1)]
    part.add(batch, routes)
    buckets.expect(routes)
    part.waiting.clear()  # its rows never written
    part.close()
    with pytest.raises(BuildError, match=r"the train split's bucket 0 holds 0 rows of the 2 written to it"):
        list(buckets.sorted_tables("train"))
