"""Quality signals on text written here (English, Chinese, Thai), the opt-in `[quality]`
filter in a build, and the signals of the real corpora."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from dataset_builder.config import load_config
from dataset_builder.errors import ConfigError
from dataset_builder.pipeline import build
from dataset_builder.records import SIGNALS
from dataset_builder.stages.quality import signals_batch
from tests.conftest import SHARED_CORPORA, jsonl, make_config, read_jsonl, run_build, write_files

ENGLISH = (
    "The cat sat on the mat. The cat sat on the mat.\n"
    "Subscribe now!\n"
    "Subscribe now!\n"
    "\n"
    "- item one\n"
    "- item two..."
)


def test_english_signals_counted_by_hand() -> None:
    (found,) = signals_batch([ENGLISH], ["en"])
    # words: 6 + 6 + 2 + 2 + 2 + 2 = 20; their characters 17 + 17 + 12 + 12 + 7 + 7 = 72
    assert found["words"] == 20
    assert found["mean_word_length"] == 72 / 20
    assert found["sentences"] == 6  # two sentences, two promo lines, two items
    assert found["symbol_word_ratio"] == 1 / 20  # one ellipsis
    assert found["lines_end_punct"] == 4 / 5  # all but "- item one"
    assert found["lines_start_bullet"] == 2 / 5
    assert found["lines_end_ellipsis"] == 1 / 5
    assert found["dup_line_frac"] == 1 / 5  # the second "Subscribe now!"
    assert found["dup_para_frac"] == 0.0  # two paragraphs, different
    # the most frequent repeated 2-gram with the most characters: "Subscribe now", twice
    assert found["top_2gram_frac"] == 2 * 12 / 72
    # 5- and 6-grams repeat over "The cat sat on the mat" (17 chars, twice) and the
    # promo with the sentence's start: "mat Subscribe now Subscribe now" has none; the
    # 6-gram "The cat sat on the mat" covers 34 characters
    assert found["dup_6gram_frac"] == 34 / 72
    assert found["dup_7gram_frac"] == 0.0
    assert found["stop_words"] == 1  # "the" (Gopher's list; "The" folded)


def test_chinese_and_thai_count_characters_not_spaces() -> None:
    chinese = "人工智能的发展是中国的重点。人工智能的发展。"
    thai = "ประเทศไทยมีการพัฒนา ปัญญาประดิษฐ์ที่สำคัญ"
    zh, th = signals_batch([chinese, thai], ["zh-cn", "th"])
    assert zh["words"] == 20  # 13 + 7 characters; no spaces to split on
    assert zh["mean_word_length"] == 1.0
    assert zh["sentences"] == 2
    assert zh["dup_7gram_frac"] == 14 / 20  # 人工智能的发展 twice
    assert zh["stop_words"] == 2  # 的, 是
    assert th["words"] == len(thai) - 1  # every code point but the space
    assert th["sentences"] == 2  # a space between Thai characters ends a sentence
    assert th["stop_words"] == 3  # มี, การ, ที่
    assert th["lines_end_punct"] == 0.0


def test_a_text_has_the_same_signals_alone_and_in_any_batch() -> None:
    texts = [ENGLISH, "人工智能的发展。", "", "Another text, another day. " * 5]
    together = signals_batch(texts, ["en", "zh", "en", "en"])
    alone = [signals_batch([t], [lang])[0] for t, lang in zip(texts, ["en", "zh", "en", "en"], strict=True)]
    assert together == alone
    assert set(together[0]) == set(SIGNALS)


def test_an_unknown_signal_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "dataset.toml").write_text("[quality.max]\nword = 10\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="word"):
        load_config(tmp_path / "dataset.toml")


ARTICLE = (
    "The committee met on Monday to discuss the new rules for the artificial intelligence "
    "sector. Members agreed that the proposals needed more work before a vote. "
    "They will meet again next month with the industry groups that asked to be heard. "
    "Officials said the draft would be published for comment."
)


def test_the_filter_rejects_with_signal_value_and_bound(tmp_path: Path) -> None:
    records = [
        {"id": "good", "text": ARTICLE},
        {"id": "short", "text": "The rules are new and that is all."},
        {"id": "list", "text": "\n".join(f"- item number {i} for sale" for i in range(20))},
    ]
    release = run_build(tmp_path, {"a.jsonl": jsonl(*records)}, quality={"filter": True})
    counts = release.manifest["counts"]
    assert counts == {"read": 3, "rejected": 2, "duplicates": 0, "kept": 1}
    by_line = {r["raw_line"]: r for r in read_jsonl(release.path / "audit" / "rejects.jsonl")}
    rejects = {"short": by_line[2], "list": by_line[3]}
    assert {r["reason"] for r in rejects.values()} == {"quality"}
    assert "words = 8 is below quality.min.words = 50 (language en)" in rejects["short"]["detail"]
    assert "lines_start_bullet = 1 is above quality.max.lines_start_bullet = 0.9" in rejects["list"]["detail"]
    lineage = pq.read_table(release.path / "lineage.parquet").to_pylist()
    assert {row["raw_line"]: row["fate"] for row in lineage if row["raw_line"] > 1} == {
        2: "rejected:quality",
        3: "rejected:quality",
    }
    assert release.manifest["rejected_by_reason"] == {"quality": 2}
    assert release.manifest["quality"]["rejected"]["words"] == 1
    assert release.manifest["quality"]["rejected"]["lines_start_bullet"] == 1
    datasheet = (release.path / "DATASHEET.md").read_text(encoding="utf-8")
    assert "| lines_start_bullet | 1 |" in datasheet  # rejects by signal
    assert "| words | 50 | 100000 |" in datasheet  # the bounds applied


def test_a_filtered_build_is_the_same_for_any_worker_count(tmp_path: Path) -> None:
    records = [{"text": f"{ARTICLE} Item {i}." if i % 3 else f"Only {i} words here."} for i in range(150)]
    raw = write_files(tmp_path / "raw", {"a.jsonl": jsonl(*records)})
    fingerprints = set()
    for workers in (1, 2):
        config = make_config(tmp_path / str(workers), raw, quality={"filter": True})
        release = build(config, workers=workers, report=False)
        assert release.manifest["rejected_by_reason"] == {"quality": 50}
        fingerprints.add(release.manifest["fingerprint"])
    assert len(fingerprints) == 1


def test_signals_are_published_and_filtering_is_off_by_default(tmp_path: Path) -> None:
    records = [{"id": "good", "text": ARTICLE}, {"id": "short", "text": "The rules are new and that is all."}]
    release = run_build(tmp_path, {"a.jsonl": jsonl(*records)})
    assert release.manifest["counts"]["kept"] == 2
    rows = [
        row
        for path in sorted((release.path / "data").glob("*.parquet"))
        for row in pq.read_table(path).to_pylist()
    ]
    short = next(row for row in rows if row["raw_line"] == 2)
    assert short["quality_words"] == 8
    assert short["quality_stop_words"] == 3  # the, and, that
    assert all(f"quality_{name}" in short for name in SIGNALS)
    words = release.manifest["quality"]["signals"]["words"]
    assert (words["fail"], words["pass"]) == (1, 1)
    assert [e["excerpt"] for e in words["failing"]] == [records[1]["text"]]
    assert [e["value"] for e in words["passing"]] == [float(len(ARTICLE.split()))]
    assert sum(words["counts"]) == 2


@pytest.mark.skipif(not SHARED_CORPORA.is_dir(), reason="needs ../shared/corpora (real news)")
def test_real_chinese_and_japanese_news_is_not_cut_by_english_bounds(tmp_path: Path) -> None:
    """On real CCTV transcripts and livedoor news the default bounds reject few records:
    with Gopher's word-length and n-gram bounds applied to characters, most would go."""
    from dataset_builder.stages.quality import failures

    settings = load_config(None).settings.quality
    for name, language in (("xwlb_zh/xwlb_zh.jsonl", "zh"), ("livedoor_ja/livedoor_ja.jsonl", "ja")):
        texts = [json.loads(line)["text"] for line in (SHARED_CORPORA / name).open(encoding="utf-8")]
        found = signals_batch(texts, [language] * len(texts))
        rejected = sum(bool(failures(v, settings.bounds_for(language), language)) for v in found)
        assert rejected / len(texts) < 0.10, (name, rejected)
        lengths = sorted(v["mean_word_length"] for v in found if v["words"])
        assert lengths[len(lengths) // 2] < 1.2  # a character is a word; Latin words and numbers too


def test_the_report_shows_each_cut_with_its_counts_and_nearest_records(tmp_path: Path) -> None:
    import lxml.html

    records = [{"text": ARTICLE}, {"text": "The rules are new and that is all."}]
    release = run_build(tmp_path, {"a.jsonl": jsonl(*records)})
    page = lxml.html.fromstring((release.path / "report.html").read_bytes())
    (row,) = page.xpath('//section[@id="quality"]//tr[td/code="words"]')
    cells = [cell.text_content().strip() for cell in row.xpath("td")]
    assert cells[1:5] == ["min 50.0", "1", "1", "0"]  # the cut; fail, pass; none rejected (filter off)
    assert "The rules are new and that is all." in cells[5]  # the failing side
    assert cells[5].startswith("8 ")  # its value
    assert ARTICLE[:40] in cells[6]


def test_the_report_of_a_release_from_before_quality_signals_still_renders(tmp_path: Path) -> None:
    from dataset_builder.report.page import render

    release = run_build(tmp_path, {"a.jsonl": jsonl({"text": ARTICLE})})
    manifest = json.loads((release.path / "manifest.json").read_text(encoding="utf-8"))
    del manifest["quality"]
    (release.path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    page = render(release.path, None)
    assert 'id="quality"' not in page and 'id="funnel"' in page


def test_a_release_without_signal_columns_differs_from_one_with_them_by_nothing(tmp_path: Path) -> None:
    """diff leaves the derived quality_* columns out: the first build after they came marks
    no record as changed."""
    import shutil

    from dataset_builder.release import diff

    release = run_build(tmp_path, {"a.jsonl": jsonl({"text": ARTICLE}, {"text": ARTICLE + " More."})})
    old = tmp_path / "old"
    shutil.copytree(release.path, old)
    for path in (old / "data").glob("*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table.select([c for c in table.column_names if not c.startswith("quality_")]), path)
    changes = diff.compare(old, release.path, ("before", "after"))
    assert not changes.changed and not changes.added and not changes.removed


def test_the_release_counts_failures_as_the_filter_judges_each_record():
    """`release.quality.failures` (whole arrays, for the manifest's counts) against the
    filter's own judgement of each value (`stages.quality.failures`), NaN included."""
    from dataset_builder.config import Bound
    from dataset_builder.release.quality import failures as counted
    from dataset_builder.stages.quality import failures as judged

    rng = np.random.default_rng(7)
    values = rng.normal(50, 30, 400)
    values[::13] = np.nan
    for bounds in (
        (Bound("words", 50.0, None),),
        (Bound("words", None, 40.0),),
        (Bound("sentences", 1.0, None), Bound("words", 20.0, 70.0)),
        (Bound("sentences", 1.0, None),),
    ):
        named = tuple(b for b in bounds if b.signal == "words")
        expected = [bool(judged({"words": None if np.isnan(v) else v}, named, "en")) for v in values.tolist()]
        assert counted(values, bounds, "words").tolist() == expected
        assert 0 < sum(expected) < len(expected) or not named
