"""Quality signals on text written here (English, Chinese, Thai), the opt-in `[quality]`
filter in a build, and the signals of the real corpora."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset_builder import scripts
from dataset_builder.config import load_config
from dataset_builder.errors import ConfigError
from dataset_builder.pipeline import build
from dataset_builder.records import DUP_NGRAMS, SIGNALS, TOP_NGRAMS
from dataset_builder.stages import quality
from dataset_builder.stages.quality import (
    BULLETS,
    END_PUNCT,
    STOP_WORDS,
    SUBSTRING_STOP_WORDS,
    signals_batch,
)
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


# --- Both implementations against a reference written from the definitions -------------------
#
# quality.py scores a process's first texts by regular expressions and numpy, the rest by the
# numba kernel (qualitykernel.py). Every signal goes into the release and its fingerprint, so
# both must give the very values of this plain, slow reference, on every script.


def code_point_ranges(spec: str) -> list[tuple[int, int]]:
    """ "a-cx" -> [(a, c), (x, x)]: the ranges a scripts.py constant spells."""
    found, i = [], 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            found.append((ord(spec[i]), ord(spec[i + 2])))
            i += 3
        else:
            found.append((ord(spec[i]), ord(spec[i])))
            i += 1
    return found


def in_ranges(ranges: list[tuple[int, int]]) -> Callable[[str], bool]:
    return lambda char: any(low <= ord(char) <= high for low, high in ranges)


IS_CHARACTER_WORD = in_ranges(
    [
        r
        for spec in (scripts.HAN, scripts.KANA, scripts.THAI, scripts.LAO, scripts.KHMER, scripts.MYANMAR)
        for r in code_point_ranges(spec)
    ]
)
IS_THAI = in_ranges(code_point_ranges(scripts.THAI))


def is_word_char(char: str) -> bool:
    """Python's `\\w`: a letter or digit of any script, or the underscore."""
    return char.isalnum() or char == "_"


def reference_words(text: str) -> list[str]:
    """A character of a script written without spaces is a word; else a run of word characters."""
    words: list[str] = []
    run = ""
    for char in text:
        if IS_CHARACTER_WORD(char):
            words += [run, char] if run else [char]
            run = ""
        elif is_word_char(char):
            run += char
        else:
            words += [run] if run else []
            run = ""
    return words + ([run] if run else [])


def reference_sentences(text: str) -> int:
    """Parts holding a word character between sentence ends: a run of . ! ? … followed by
    whitespace or the end, each of 。！？, a line break, and (in a text with Thai) spaces
    between two Thai characters."""
    thai = any(map(IS_THAI, text))
    count, word, i = 0, False, 0
    while i < len(text):
        char, end = text[i], False
        j = i + 1
        if char in ".!?…":
            while j < len(text) and text[j] in ".!?…":
                j += 1
            end = j == len(text) or text[j].isspace()
        elif char in "。！？\n":
            end = True
        elif thai and char == " ":
            while j < len(text) and text[j] == " ":
                j += 1
            end = i > 0 and IS_THAI(text[i - 1]) and j < len(text) and IS_THAI(text[j])
        elif is_word_char(char):
            word = True
        if end:
            count, word = count + word, False
        i = j
    return count + word


def reference_paragraphs(text: str) -> list[str]:
    """Parts split where the whitespace between two other characters holds two line breaks."""
    paragraphs, current = [], ""
    for space, chars in itertools.groupby(text, str.isspace):
        run = "".join(chars)
        if space and run.count("\n") >= 2:
            paragraphs.append(current)
            current = ""
        else:
            current += run
    return [p.strip() for p in [*paragraphs, current] if p.strip()]


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def reference_signals(text: str, language: str) -> dict[str, Any]:
    words = reference_words(text)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    paragraphs = reference_paragraphs(text)
    chars = sum(map(len, words))
    base = language.split("-")[0]
    listed = STOP_WORDS.get(base)
    if listed is None:
        stops = None
    elif base in SUBSTRING_STOP_WORDS:
        stops = sum(word in text for word in listed)
    else:
        stops = sum(bool({w, w.capitalize(), w.upper()} & set(words)) for w in listed)
    found: dict[str, Any] = {
        "words": len(words),
        "sentences": reference_sentences(text),
        "mean_word_length": ratio(chars, len(words)),
        "symbol_word_ratio": ratio(text.count("#") + text.count("...") + text.count("…"), len(words)),
        "lines_end_punct": ratio(sum(line[-1] in END_PUNCT for line in lines), len(lines)),
        "lines_start_bullet": ratio(sum(line[0] in BULLETS for line in lines), len(lines)),
        "lines_end_ellipsis": ratio(sum(line.endswith(("...", "…")) for line in lines), len(lines)),
        "dup_line_frac": ratio(len(lines) - len(set(lines)), len(lines)),
        "dup_para_frac": ratio(len(paragraphs) - len(set(paragraphs)), len(paragraphs)),
        "stop_words": stops,
    }
    for n in (*TOP_NGRAMS, *DUP_NGRAMS):
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        counts = Counter(grams)
        if n in TOP_NGRAMS:  # the most frequent repeated n-gram (the longer of equally frequent)
            count, length = max(((c, sum(map(len, g))) for g, c in counts.items() if c > 1), default=(0, 0))
            found[f"top_{n}gram_frac"] = ratio(count * length, chars)
        else:  # the words inside any occurrence of a repeated n-gram
            inside = set()
            for i, gram in enumerate(grams):
                if counts[gram] > 1:
                    inside.update(range(i, i + n))
            found[f"dup_{n}gram_frac"] = ratio(sum(len(words[i]) for i in inside), chars)
    return found


# Pieces that meet at every rule's edge: each script's words (Thai with its marks, which are
# not letters), sentence ends, ellipses, bullets, whitespace that is not a space, a lone
# surrogate; few enough that words, lines and paragraphs repeat.
PIECES = [
    "the",
    "The",
    "THE",
    "of",
    "cat",
    "sat",
    "mat",
    "und",
    "это",
    "Это",
    "x_1",
    "42",
    "٣",
    "Ⅻ",
    "人工",
    "智能",
    "的",
    "是",
    "です",
    "ーカ",
    "ภาษา",
    "ไทย",
    "ที่",
    "ั",
    "่",
    "ລາວ",
    "ខ្មែរ",
    "မြန်",
    "한국어",
    "뉴스",
    "é",
    "e\u0301",
    "ß",
    " ",
    " ",
    "  ",
    "\t",
    "\u3000",
    "\xa0",
    "\r",
    "\x0b",
    "\u2028",
    "\x85",
    "\n",
    "\n",
    "\n\n",
    "\n \n",
    " \n\t\n ",
    "\n\n\n",
    ".",
    ".",
    "...",
    "....",
    "......",
    "…",
    "!",
    "?",
    "!?",
    '."',
    "”",
    "’",
    "»",
    "」",
    "』",
    "。",
    "！",
    "？",
    "。。",
    "#",
    "##",
    ",",
    ";",
    "-",
    "- ",
    "* ",
    "• ",
    "– ",
    "·",
    "(",
    "😀",
    "\ud800",
]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=80).map("".join) | st.text(
    st.sampled_from([piece for piece in PIECES if len(piece) == 1]) | st.characters(), max_size=120
)
LANGUAGES = st.sampled_from(["en", "zh-cn", "ja", "th", "ru", "de", "ko", "und"])


def assert_like_reference(texts: list[str], languages: list[str]) -> None:
    expected = [reference_signals(text, language) for text, language in zip(texts, languages, strict=True)]
    for found in (quality.signals_interpreted(texts, languages), quality.signals_compiled(texts, languages)):
        for text, got, want in zip(texts, found, expected, strict=True):
            assert got == want, (text, {k: (got[k], want[k]) for k in want if got[k] != want[k]})
            assert [type(got[k]) for k in want] == [type(want[k]) for k in want]


@given(st.lists(st.tuples(TEXTS, LANGUAGES), min_size=1, max_size=6))
@settings(max_examples=300, deadline=None)
def test_both_implementations_give_the_reference_signals(batch: list[tuple[str, str]]) -> None:
    assert_like_reference([text for text, _ in batch], [language for _, language in batch])


def test_both_implementations_on_the_edges() -> None:
    texts = [
        "",
        " ",
        "\n",
        "\n\n",
        "...",
        "a...",
        "a.b. c",
        "a.\nb",
        "a.。b",
        "a。。b",
        "\n。a",
        "#...#",
        "ก ข",
        "ก  ข",
        "ก. ข",
        "a ข",
        " ก",
        "ก ",
        "ั ั",
        "中 文",
        "中the中",
        "a\n\n\nb\n \nb",
        "- a\n- a\n• b…",
        "the the the the",
        "a b a b a b",
        "x " * 30,
        "人" * 25,
        "😀😀",
        "\ud800a\ud800",
    ]
    for language in ("en", "th", "zh", "ru", "und"):
        assert_like_reference(texts, [language] * len(texts))


@pytest.mark.skipif(not SHARED_CORPORA.is_dir(), reason="needs ../shared/corpora (real news)")
def test_both_implementations_on_real_news() -> None:
    for name, language in (
        ("xwlb_zh/xwlb_zh.jsonl", "zh"),
        ("livedoor_ja/livedoor_ja.jsonl", "ja"),
        ("wikinews_ko/wikinews_ko.jsonl", "ko"),
        ("fakenews_es/fakenews_es.jsonl", "es"),
    ):
        with (SHARED_CORPORA / name).open(encoding="utf-8") as lines:
            texts = [json.loads(line)["text"] for line in itertools.islice(lines, 100)]
        assert_like_reference(texts, [language] * len(texts))
    gold = sorted((SHARED_CORPORA / "wcxb_articles" / "ground-truth").glob("*.json"))[:100]
    texts = [json.loads(path.read_text("utf-8"))["ground_truth"]["main_content"] for path in gold]
    assert_like_reference(texts, ["en"] * len(texts))


def test_a_process_switches_to_the_kernel_after_its_first_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(quality, "_interpreted_left", 3)
    monkeypatch.setattr(quality, "signals_interpreted", lambda texts, _: calls.append("i") or [])
    monkeypatch.setattr(quality, "signals_compiled", lambda texts, _: calls.append("c") or [])
    for _ in range(3):
        quality.signals_batch(["a", "b"], ["en", "en"])
    assert calls == ["i", "i", "c"]
