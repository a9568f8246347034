"""Decontamination: an evaluation set's items are found in the corpus, verbatim or lightly
edited, in any script, and only where they really are; what happens is the entry's action."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import re
import unicodedata
from pathlib import Path

import lxml.html
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset_builder.config import EvalSetSettings
from dataset_builder.errors import ConfigError
from dataset_builder.pipeline import build
from dataset_builder.stages import decontaminate as decontamination
from dataset_builder.stages.decontaminate import EvalIndex, EvalSet, matches, matches_batch, read_evalset
from dataset_builder.stages.decontaminate.tokens import tokenise, tokenise_batch, tokenise_batch_compiled
from tests.conftest import SHARED_CORPORA, article_text, jsonl, make_config, read_jsonl, run_cli, write_files

ITEM = (
    "The central bank raised its benchmark interest rate by half a percentage point on Thursday, "
    "its largest increase in two decades, saying that inflation had spread from energy and food "
    "to rents, wages and the prices of most services."
)
EDITED = (
    "THE CENTRAL BANK raised its benchmark interest-rate by half a percentage point on thursday -- "
    "its largest increase in two decades; saying that\n\ninflation had spread from energy   and food "
    "to rents, wages, and the prices of most services!"
)
PHRASE = "raised its benchmark interest rate by half a percentage point"  # 10 tokens: under 13
ZH_ITEM = "国家统计局今天发布数据显示今年前三季度全国居民人均可支配收入实际增长百分之五点二"
ZH_PHRASE = "国家统计局今天发布"  # 9 characters: under 13


def evalset_file(tmp_path: Path, items: list[dict[str, str]], name: str = "eval.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(jsonl(*items), encoding="utf-8")
    return path


def entry(path: Path, **kw) -> EvalSetSettings:
    fields = {
        "name": "newsqa",
        "path": path,
        "text_fields": ("passage",),
        "id_field": "qid",
        "action": "reject",
        "ngram": 13,
        "split": None,
        "sha256": None,
    }
    return EvalSetSettings(**{**fields, **kw})


@pytest.fixture
def index(tmp_path) -> EvalIndex:
    items = [
        {"qid": "q-rates", "passage": ITEM},
        {"qid": "q-zh", "passage": ZH_ITEM},
        {"qid": "q-short", "passage": "Too short to have thirteen tokens."},
    ]
    return EvalIndex.build(read_evalset(entry(evalset_file(tmp_path, items))))


def article(*middle: str, seed: int = 1) -> str:
    return " ".join([article_text(seed, words=80), *middle, article_text(seed + 1, words=80)])


def test_tokens_are_words_and_single_characters_of_unspaced_scripts():
    tokens = tokenise("Hello, WORLD! ＡＢＣ café_bar 東京は晴れ ภาษาไทย 한국어 2024")
    assert tokens.joined.split("\x00") == [
        *("hello", "world", "abc", "café", "bar"),
        *"東京は晴れ",
        *"ภาษาไทย",
        *"한국어",
        "2024",
    ]
    assert tokenise("by ½ point").joined == tokenise("by 1/2 point").joined  # NFKC: 1⁄2


def test_an_item_verbatim_in_an_article_is_found_and_quoted(index):
    text = article(ITEM)
    [found] = matches(text, [index])
    assert (found.evalset, found.item, found.action) == ("newsqa", "q-rates", "reject")
    assert found.tokens == len(ITEM.split()) == found.ngrams + 12
    assert found.span == ITEM[:-1]  # the matched tokens, as the article writes them (no final stop)


def test_an_item_lightly_edited_is_found(index):
    """Case, punctuation, hyphens and whitespace changed: the same normalised tokens."""
    [found] = matches(article(EDITED), [index])
    assert found.item == "q-rates" and found.tokens == len(ITEM.split())


def test_full_width_and_ligature_letters_are_their_plain_letters(index):
    """NFKC: "Ｔｈｅ" is "the", "ﬂ" is "fl"; the quote keeps the record's own characters."""
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isalpha() and c.isascii() else c for c in ITEM[:60])
    text = f"Ofﬁcials said: {wide}{ITEM[60:]}"
    [found] = matches(text, [index])
    assert found.tokens == len(ITEM.split()) and found.span.startswith("Ｔｈｅ ｃｅｎｔｒａｌ ｂａｎｋ")
    assert matches(ITEM.replace("inflation", "inﬂation"), [index])[0].tokens == len(ITEM.split())


def test_an_item_partly_quoted_is_found_with_the_quoted_run(index):
    words = ITEM.split()
    quoted = " ".join(words[5:25])  # 20 tokens of the item
    [found] = matches(article("As reported,", quoted, "and more."), [index])
    assert found.tokens == 20 and found.ngrams == 20 - 13 + 1


def test_a_common_phrase_shorter_than_n_tokens_does_not_match(index):
    assert matches(article(f"Last year the bank {PHRASE} as well."), [index]) == []
    assert matches(article(" ".join(ITEM.split()[:12])), [index]) == []  # 12 tokens: one short


def test_cjk_text_is_found_by_characters(index):
    text = f"新华社北京电 {ZH_ITEM[:20]}，其中城镇居民收入增长较快。"
    [found] = matches(text, [index])
    assert found.item == "q-zh" and found.tokens == 20 and found.span == ZH_ITEM[:20]
    assert matches(f"新华社北京电 {ZH_PHRASE}，市场反应平稳，专家认为经济继续恢复。", [index]) == []


def test_a_batch_matches_as_its_texts_one_by_one_and_never_across_two(index):
    """Pass 1 matches a batch at once: an item cut in two, its halves ending one text and
    starting the next, is in no text."""
    words = ITEM.split()
    texts = [article(ITEM), " ".join(words[:7]), " ".join(words[7:14]), "短", f"x {ZH_ITEM}", "", EDITED]
    batch = matches_batch(texts, [index])
    assert batch == [matches(text, [index]) for text in texts]
    assert [bool(found) for found in batch] == [True, False, False, False, True, False, True]


def test_items_too_short_for_an_ngram_are_counted(index):
    assert index.too_short == 1


def test_a_hash_match_is_confirmed_against_the_text(index):
    """Give every indexed n-gram a different text under the same hash (what a collision
    is): nothing matches any more, though every hash still does."""
    collided = dataclasses.replace(index, item_texts=[t.upper() + "#" for t in index.item_texts])
    assert matches(article(ITEM), [index]) and matches(article(ITEM), [collided]) == []


# Pieces of text in every script the tokeniser tells apart, and the characters that send a
# token to NFKC (ligatures, full-width letters, ½, º, Arabic presentation forms, anything
# beyond the BMP) or fold to several ("ß", "İ"); punctuation and line breaks between them.
WORDS = ["the", "Bank", "RATES", "café", "straße", "İstanbul", "ﬁnance", "Ｂａｎｋ", "½", "3º", "2024"]
WORDS += ["ﻣﺮﺣﺒﺎ", "Ωμέγα", "ΣΊΣΥΦΟΣ", "ｶﾞｲﾄﾞ", "x²", "№5", "𝐁𝐨𝐥𝐝", "𠀀𠀁", "東京は晴れ", "ภาษาไทย"]
WORDS += ["한국어", "ㄱㅏ", "新华社北京电", "ที่ประชุม", "😀", "a_b", "e\u0301", "ǅemal"]
GAPS = [" ", "  ", ", ", ". ", "\n", "\n\n", " — ", "「", "」", "。", "-", "", "\t"]
PROSE = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(GAPS)), min_size=0, max_size=40).map(
    lambda pairs: "".join(word + gap for word, gap in pairs)
)
FREE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


def edited(text: str, how: int) -> str:
    """A planted copy as a copy gets written: verbatim, re-cased, or re-punctuated."""
    return [text, text.upper(), text.replace(" ", ",  ").replace("\n", " ")][how]


@st.composite
def planted(draw: st.DrawFn) -> tuple[list[str], list[str], int]:
    """Evaluation items, and records quoting some of them (a slice, maybe edited) among
    other text: what the compiled path must match exactly as the numpy path does."""
    items = draw(st.lists(PROSE | FREE, min_size=1, max_size=5))
    texts = []
    for _ in range(draw(st.integers(1, 8))):
        parts = [draw(PROSE | FREE)]
        for _ in range(draw(st.integers(0, 2))):
            item = draw(st.sampled_from(items))
            start = draw(st.integers(0, len(item)))
            stop = draw(st.integers(start, len(item)))
            parts += [edited(item[start:stop], draw(st.integers(0, 2))), draw(PROSE | FREE)]
        texts.append(draw(st.sampled_from([" ", "\n", ""])).join(parts))
    return items, texts, draw(st.sampled_from([1, 2, 3, 5, 13]))


@settings(max_examples=300, deadline=None)
@given(planted())
def test_the_compiled_path_matches_as_numpy_does(case: tuple[list[str], list[str], int]) -> None:
    """decontaminate/kernel.py against the numpy path: the same tokens (codes, places,
    texts), the same candidates, hence the same matches, spans and counts."""
    items, texts, n = case
    evalset = EvalSet(
        entry(Path("eval.jsonl"), ngram=n), "0" * 64, "jsonl", [(f"i{k}", t) for k, t in enumerate(items)]
    )
    index = EvalIndex.build(evalset)
    numpy_tokens, compiled_tokens = tokenise_batch(texts), tokenise_batch_compiled(texts)
    for field in ("codes", "starts", "ends", "record", "original"):
        want, got = getattr(numpy_tokens, field), getattr(compiled_tokens, field)
        assert got.dtype == want.dtype and np.array_equal(got, want), field
    assert compiled_tokens.quotable == numpy_tokens.quotable
    for want, got in zip(
        index.candidates(numpy_tokens), index.candidates_compiled(compiled_tokens), strict=True
    ):
        assert np.array_equal(got, want)
    assert matches_batch(texts, [index], compiled=True) == matches_batch(texts, [index], compiled=False)


def test_the_compiled_path_finds_planted_copies_in_every_script(index):
    """Not only the same answers as numpy: the right ones, in Latin, CJK and Thai text."""
    thai = "ที่ประชุมคณะรัฐมนตรีวันนี้มีมติอนุมัติงบประมาณเพิ่มเติมสำหรับโครงการน้ำ"
    thai_index = EvalIndex.build(EvalSet(entry(Path("th.jsonl")), "0" * 64, "jsonl", [("q-th", thai)]))
    texts = [
        article(EDITED),
        f"新华社北京电 {ZH_ITEM[:20]}，其中城镇居民收入增长较快。",
        f"ข่าว {thai[3:40]} ต่อ",
        "ﬁne",
    ]
    found = matches_batch(texts, [index, thai_index], compiled=True)
    assert found == matches_batch(texts, [index, thai_index], compiled=False)
    assert [[m.item for m in f] for f in found] == [["q-rates"], ["q-zh"], ["q-th"], []]


def test_a_process_switches_to_the_kernel_after_its_first_texts(index, monkeypatch):
    """numba's start costs more than numpy's matching of a small build's texts: a process
    uses the kernel only once it has matched INTERPRETED_TEXTS texts by numpy."""
    calls = []
    monkeypatch.setattr(decontamination, "_interpreted_left", 3)
    numpy_path, kernel_path = (lambda texts, used=used: calls.append(used) or tokenise("") for used in "nk")
    monkeypatch.setattr(decontamination, "tokenise_batch", numpy_path)
    monkeypatch.setattr(decontamination, "tokenise_batch_compiled", kernel_path)
    for texts in (["a", "b"], ["c", "d"], ["e"], []):
        decontamination.matches_batch(texts, [index])
    decontamination.matches_batch(["f"], [])  # no evaluation set: nothing to tokenise
    assert calls == ["n", "n", "k"]


def test_csv_parquet_and_dataset_folders_give_the_same_items(tmp_path):
    rows = [{"qid": f"q{i}", "passage": article_text(i, words=30)} for i in range(5)]
    with (tmp_path / "eval.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["qid", "passage"])
        writer.writeheader()
        writer.writerows(rows)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "eval.parquet")
    hub = tmp_path / "hub"
    (hub / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), hub / "data" / "test-00000-of-00001.parquet")
    pq.write_table(pa.Table.from_pylist(rows[:1]), hub / "data" / "train-00000-of-00001.parquet")
    datasets = pytest.importorskip("datasets")
    datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)}).save_to_disk(tmp_path / "saved")
    expected = [(r["qid"], r["passage"]) for r in rows]
    for path, split in [
        (evalset_file(tmp_path, rows), None),
        (tmp_path / "eval.csv", None),
        (tmp_path / "eval.parquet", None),
        (hub, "test"),
        (tmp_path / "saved", "test"),
    ]:
        assert read_evalset(entry(path, split=split)).items == expected, path
    assert len(read_evalset(entry(hub)).items) == 6  # no split named: every file


def test_missing_changed_or_malformed_evaluation_sets_are_clear_errors(tmp_path):
    path = evalset_file(tmp_path, [{"qid": "q1", "passage": ITEM}])
    with pytest.raises(ConfigError, match=r"\(newsqa\): .*missing.jsonl: evaluation set not found"):
        read_evalset(entry(tmp_path / "missing.jsonl"))
    with pytest.raises(ConfigError, match="the evaluation set changed: its SHA-256 is"):
        read_evalset(entry(path, sha256="0" * 64))
    path.write_text(jsonl({"qid": "q1", "passage": ITEM}, {"id": "q2", "passage": ITEM}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"eval.jsonl:2: no field 'qid' \(has: id, passage\)"):
        read_evalset(entry(path))


def corpus(tmp_path: Path) -> Path:
    """Ten articles: one quotes the item verbatim, one lightly edited, one shares a phrase."""
    records = [{"id": f"a{i}", "title": f"A {i}", "text": article_text(100 + i, words=150)} for i in range(7)]
    records += [
        {"id": "verbatim", "title": "Rates", "text": article(ITEM)},
        {"id": "edited", "title": "Rates again", "text": article_text(3, words=60) + " " + EDITED},
        {"id": "phrase", "title": "Phrase", "text": article(f"The bank {PHRASE} last year.", seed=5)},
    ]
    return write_files(tmp_path / "raw", {"news.jsonl": jsonl(*records)})


def decontaminate(path: Path, **kw) -> list[dict]:
    return [{"name": "newsqa", "path": str(path), "text_fields": ["passage"], "id_field": "qid", **kw}]


FIELDS = {"ingest": {"fields": {"id": "id", "title": "title", "text": "text"}}}


def test_build_rejects_contaminated_records_and_says_what_was_checked(tmp_path):
    raw = corpus(tmp_path)
    path = evalset_file(tmp_path, [{"qid": "q-rates", "passage": ITEM}])
    release = build(make_config(tmp_path, raw, decontaminate=decontaminate(path), **FIELDS))
    m = release.manifest
    assert m["counts"] == {"read": 10, "rejected": 2, "duplicates": 0, "kept": 8}
    rejects = {r["id"]: r for r in read_jsonl(release.path / "audit/rejects.jsonl")}
    assert set(rejects) == {"verbatim", "edited"}
    assert rejects["verbatim"]["reason"] == "contaminated"
    assert rejects["verbatim"]["detail"] == (
        f"evaluation set 'newsqa' item 'q-rates': {len(ITEM.split())} tokens in common: {ITEM[:-1]!r}"
    )
    checked = m["decontamination"]["evaluation_sets"]["newsqa"]
    assert checked["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (checked["records_matched"], checked["items"], checked["action"]) == (2, 1, "reject")
    assert checked["path"] == str(path) and checked["ngram"] == 13
    audit = read_jsonl(release.path / "audit/contamination.jsonl")
    assert [row["id"] for row in audit] == ["verbatim", "edited"]
    assert [e["id"] for e in checked["examples"]] == ["verbatim", "edited"]


def test_datasheet_croissant_and_report_name_the_sets_checked(tmp_path):
    raw = corpus(tmp_path)
    path = evalset_file(tmp_path, [{"qid": "q-rates", "passage": ITEM}])
    release = build(make_config(tmp_path, raw, decontaminate=decontaminate(path), **FIELDS))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    sheet = (release.path / "DATASHEET.md").read_text(encoding="utf-8")
    uses = sheet[sheet.index("## Uses") : sheet.index("## Distribution")]
    assert f"| newsqa | `{path}` (jsonl) | `{digest}` | 1 (0 too short) | 13 | reject | 2 |" in uses
    tokens = len(ITEM.split())
    assert f"- `verbatim` shares {tokens} tokens with item `q-rates` of newsqa: “{ITEM[:-1]}”" in uses
    composition = sheet[sheet.index("## Composition") : sheet.index("## Collection process")]
    assert "No record that overlaps a checked evaluation set was kept (newsqa; see Uses)." in composition
    croissant = json.loads((release.path / "croissant.json").read_text(encoding="utf-8"))
    assert digest in croissant["rai:dataLimitations"]
    page = lxml.html.fromstring((release.path / "report.html").read_bytes())
    [section] = page.xpath('//section[@id="decontamination"]')
    cell = section.xpath('.//*[@data-manifest="/decontamination/evaluation_sets/newsqa/records_matched"]')
    assert [c.text_content() for c in cell] == ["2"] and digest[:16] in section.text_content()
    assert "q-rates" in section.text_content() and ITEM[:60] in section.text_content()


def test_without_evaluation_sets_nothing_is_said_of_them(tmp_path):
    release = build(make_config(tmp_path, corpus(tmp_path), **FIELDS))
    assert "decontamination" not in release.manifest
    assert not (release.path / "audit/contamination.jsonl").exists()
    assert "evaluation set" not in (release.path / "DATASHEET.md").read_text(encoding="utf-8")


def test_split_sends_the_record_to_test_and_report_keeps_it(tmp_path):
    raw = corpus(tmp_path)
    path = evalset_file(tmp_path, [{"qid": "q-rates", "passage": ITEM}])
    fates = {}
    for action in ("split", "report"):
        entries = decontaminate(path, action=action)
        release = build(make_config(tmp_path / action, raw, decontaminate=entries, **FIELDS))
        assert release.manifest["counts"]["rejected"] == 0
        lineage = pq.read_table(release.path / "lineage.parquet").to_pylist()
        fates[action] = {row["id"]: row["fate"] for row in lineage}
        audit = read_jsonl(release.path / "audit/contamination.jsonl")
        assert {(row["id"], row["action"]) for row in audit} == {("verbatim", action), ("edited", action)}
    assert fates["split"]["verbatim"] == fates["split"]["edited"] == "split:test"
    assert {fates["report"]["verbatim"], fates["report"]["edited"]} != {"split:test"}  # their own splits
    others = {i: f for i, f in fates["split"].items() if i not in ("verbatim", "edited")}
    assert others == {i: f for i, f in fates["report"].items() if i in others}


def test_byte_identical_for_any_worker_count(tmp_path):
    raw = corpus(tmp_path)
    path = evalset_file(tmp_path, [{"qid": "q-rates", "passage": ITEM}])
    releases = [
        build(make_config(tmp_path / f"w{w}", raw, decontaminate=decontaminate(path), **FIELDS), workers=w)
        for w in (1, 2)
    ]
    assert releases[0].manifest["fingerprint"] == releases[1].manifest["fingerprint"]
    assert releases[0].manifest["decontamination"]["records_matched"] == 2


def test_cli_reports_a_missing_evaluation_set_without_a_traceback(tmp_path):
    corpus(tmp_path)
    (tmp_path / "dataset.toml").write_text(
        'name = "t"\n[[decontaminate]]\nname = "newsqa"\npath = "gone.jsonl"\n'
        'text_fields = ["passage"]\nid_field = "qid"\naction = "delete"\n',
        encoding="utf-8",
    )
    result = run_cli("build", "--config", "dataset.toml", cwd=tmp_path)
    assert result.returncode == 2 and "decontaminate.0.action" in result.stderr
    assert "Traceback" not in result.stderr
    toml = (tmp_path / "dataset.toml").read_text(encoding="utf-8").replace('action = "delete"\n', "")
    (tmp_path / "dataset.toml").write_text(toml, encoding="utf-8")
    result = run_cli("build", "--config", "dataset.toml", cwd=tmp_path)
    assert result.returncode == 2 and "gone.jsonl: evaluation set not found" in result.stderr
    assert "Traceback" not in result.stderr


def oracle_tokens(text: str) -> list[str]:
    """Words as a plain reading sees them: an independent check for Spanish text."""
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold())


def test_fakenews_es_every_overlap_is_found_and_none_other(tmp_path):
    """fakenews_es as the training corpus, its test split as the evaluation set: the
    records sharing a 13-gram with a test item, by brute force over sets of word tuples,
    are exactly those the build lists."""
    source = SHARED_CORPORA / "fakenews_es" / "fakenews_es.jsonl"
    if not source.is_file():
        pytest.skip(f"{source} is absent (the shared corpora are not on this machine)")
    lines = source.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    test_items = [r for r in records if r["split"] == "test"]
    path = evalset_file(tmp_path, [{"qid": f"test-{r['id']}", "passage": r["text"]} for r in test_items])
    raw = write_files(tmp_path / "raw", {"fakenews_es.jsonl": "\n".join(lines) + "\n"})
    grams: set[tuple[str, ...]] = set()
    for item in test_items:
        words = oracle_tokens(item["text"])
        grams.update(tuple(words[i : i + 13]) for i in range(len(words) - 12))
    expected = set()
    for line, record in enumerate(records, 1):
        words = oracle_tokens(record["text"])
        if any(tuple(words[i : i + 13]) in grams for i in range(len(words) - 12)):
            expected.add(line)
    config = make_config(
        tmp_path,
        raw,
        decontaminate=decontaminate(path, action="report"),
        ingest={"fields": {"title": "headline", "text": "text"}},
    )
    release = build(config, workers=2)
    found = {row["raw_line"] for row in read_jsonl(release.path / "audit/contamination.jsonl")}
    spooled = {
        row["raw_line"]
        for row in pq.read_table(release.path / "lineage.parquet").to_pylist()
        if row["fate"] != "rejected:schema"
    }
    assert found == expected & spooled
    beyond_test = {line for line in found if records[line - 1]["split"] != "test"}
    assert len(found) >= len(test_items) - 5 and beyond_test  # copies across splits exist
    assert np.isclose(release.manifest["decontamination"]["records_matched"], len(found))
