"""Publisher-learned boilerplate on text written here: one outlet's promo line goes, a
quotation three outlets share stays, and so do lines too rare to be furniture."""

from __future__ import annotations

from dataset_builder.decide.boilerplate import learn, line_hash, normalise, publisher_of, strip, text_lines

PROMO = "Sign up for the Daily Brief newsletter at dailybrief.example/signup"
QUOTE = '"We will not back down," the minister said on Tuesday.'
TOPICS = ("budget", "schools", "roads", "taxes", "housing", "water", "energy", "health", "trade", "farms")


def corpus() -> tuple[list[str], list[str]]:
    publishers, texts = [], []
    for i in range(10):
        publishers.append("Daily Brief")
        middle = QUOTE if i < 4 else f"Other words on {TOPICS[i]}."
        texts.append(f"A story about {TOPICS[i]}, paragraph one.\n{middle}\n{PROMO}")
    for outlet in ("Morning Post", "Evening Star"):
        for i in range(5):
            publishers.append(outlet)
            texts.append(
                f"{outlet} report on {TOPICS[i]}.\n{QUOTE if i < 3 else f'More words on {TOPICS[i]}.'}"
            )
    return publishers, texts


def test_a_publishers_promo_line_is_learned_and_a_shared_quote_is_not() -> None:
    publishers, texts = corpus()
    learned = learn(publishers, map(text_lines, texts), min_articles=3, min_share=0.3, max_publishers=3)
    # the quote is in 4 of 10 Daily Brief articles (above both bounds) but in three outlets
    assert learned == {"Daily Brief": {line_hash(PROMO): 10}}
    text, removed = strip(texts[0], set(learned["Daily Brief"]))
    assert removed == [PROMO]
    assert QUOTE in text and PROMO not in text


def test_a_line_below_the_share_or_the_count_stays() -> None:
    publishers, texts = corpus()
    assert learn(publishers, map(text_lines, texts), min_articles=11, min_share=0.3, max_publishers=3) == {}
    only_quote = learn(
        publishers[10:], map(text_lines, texts[10:]), min_articles=3, min_share=0.7, max_publishers=3
    )
    assert only_quote == {}  # the quote: 3 of 5 articles of each outlet, under 0.7


def test_a_learned_line_among_the_articles_own_lines_stays() -> None:
    """A phone's spec row that many of one outlet's reviews share, and a dateline run into
    its lead, are learned like furniture but stand inside a run of the article's own
    lines: they stay. Furniture has a blank line, the text's edge or other furniture
    beside it, and goes."""
    row, dateline = "OS Android 4.0", "MEXICO CITY"
    footer = ["Follow us on Twitter", "Read more from the Daily Brief"]
    text = "\n".join(
        [
            "Acme launches its new phone",
            dateline,
            "The phone goes on sale on Friday.",
            "",
            "Main specifications",
            "RAM 2GB",
            row,
            "Battery 2,600 mAh",
            "",
            "Related articles",
            "Another phone launched in May",
            *footer,
            "A third article",
        ]
    )
    learned = {line_hash(line) for line in [row, dateline, "Related articles", *footer]}
    kept, removed = strip(text, learned)
    assert removed == ["Related articles", *footer]
    assert row in kept and dateline in kept
    assert strip(f"{dateline}\n\nThe phone goes on sale on Friday.", learned)[1] == [dateline]  # its own line


def test_lines_match_after_normalising_case_spaces_and_digits() -> None:
    assert normalise("  Updated:   2024-10-29  ") == normalise("UPDATED: 2025-01-02")
    assert line_hash("Contact the editor at x@y.example") == line_hash("contact  the EDITOR at x@y.example")


def test_the_publisher_is_the_source_else_the_host_else_the_folder() -> None:
    assert publisher_of("China Daily", "https://www.chinadaily.com.cn/a", "x/y.txt") == "China Daily"
    assert publisher_of(None, "https://www.chinadaily.com.cn/a", "x/y.txt") == "chinadaily.com.cn"
    assert publisher_of(None, None, "feeds/xinhua/a.txt") == "feeds/xinhua"
    assert publisher_of(None, None, "a.txt") == "."


FOOTER = [
    "Sign up for the Daily Brief newsletter and get the day's news in your inbox every morning.",
    "Contact the editor at editor@dailybrief.example with corrections or tips about this story.",
    "The views expressed by contributors do not necessarily reflect those of the Daily Brief.",
    "Copyright Daily Brief Media Group, all rights reserved, no reproduction without permission.",
]
SENTENCES = [
    "The council approved the new budget for schools on Monday after a long debate.",
    "Engineers said the bridge on the river road will close for repairs next week.",
    "Farmers in the valley expect a smaller harvest after the dry summer months.",
    "The hospital opened a new wing for children with room for forty more beds.",
    "Water prices will rise in the spring as the city replaces its old pipes.",
    "A new bus line will link the airport with the central station from May.",
]


def learned_build(tmp_path, workers: int = 1, learn: bool = True):
    from dataset_builder.pipeline import build
    from tests.conftest import jsonl, make_config, write_files

    records = [
        {"source": "Daily Brief", "text": "\n\n".join([sentence, QUOTE if i < 2 else "", *FOOTER])}
        for i, sentence in enumerate(SENTENCES)
    ]
    # the first report again, as another page of the site printed it: without the footer
    records.append({"source": "Daily Brief", "text": f"{SENTENCES[0]}\n\n{QUOTE}"})
    records += [
        {
            "source": "Post",
            "text": f"The Post asked ten voters what the result means for their towns.\n\n{QUOTE}",
        },
        {"source": "Star", "text": f"{QUOTE}\n\nThe Star reports that the opposition will appeal in court."},
    ]
    raw = write_files(tmp_path / "raw", {"a.jsonl": jsonl(*records)})
    config = make_config(tmp_path / f"out{workers}{learn}", raw, boilerplate={"learn": learn})
    return build(config, workers=workers, report=False)


def published_texts(release) -> list[str]:
    import pyarrow.parquet as pq

    return [
        row["text"]
        for path in sorted((release.path / "data").glob("*.parquet"))
        for row in pq.read_table(path).to_pylist()
    ]


def test_a_build_removes_a_publishers_footer_before_dedup_and_keeps_the_shared_quote(tmp_path) -> None:
    without = learned_build(tmp_path, learn=False)
    # the six short reports share a long footer: as written they are similar enough to be
    # grouped (Jaccard >= 0.5); without it, no pair is
    assert without.manifest["near_duplicates"]["pairs_at_or_above"]["group_threshold"] > 0
    release = learned_build(tmp_path)
    assert release.manifest["near_duplicates"]["pairs_at_or_above"]["group_threshold"] == 0
    # once the footer is gone, the reprint is an exact duplicate (its keys were computed again)
    assert release.manifest["counts"] == {"read": 9, "rejected": 0, "duplicates": 1, "kept": 8}
    assert release.manifest["duplicates_by_kind"] == {"exact": 1}
    texts = published_texts(release)
    assert not any(line in text for text in texts for line in FOOTER)
    assert sum(QUOTE in text for text in texts) == 4  # two Daily Brief reports, Post, Star
    assert all(sentence in "".join(texts) for sentence in SENTENCES)
    learned = release.manifest["boilerplate_learned"]
    (publisher,) = learned["publishers"]
    assert publisher == "Daily Brief"
    # the copyright line goes by the default rule `copyright` already; the three others are learned
    assert {(e["line"], e["articles"]) for e in learned["publishers"][publisher]} == {
        (f, 6) for f in FOOTER[:3]
    }
    assert (learned["lines"], learned["removed"]) == (3, 18)


def outlets_corpus() -> dict[str, str]:
    """Three outlets' articles over three files and several spool batches: each outlet's
    own promo line (dated, so the copies differ as written and the one reported is the
    first in spool order), a quotation all three share, and reprints of a few articles
    without the promo, which are exact duplicates once it is removed."""
    from tests.conftest import article_text, jsonl

    files = {}
    for n, outlet in enumerate(("Daily Brief", "Post", "Star")):
        records = []
        for i in range(60):
            body = "\n\n".join([article_text(100 * n + i, words=60), *([QUOTE] if i % 4 == 0 else [])])
            promo = f"Read {outlet} every morning: subscribe today, from 1 May {2020 + i % 5} only $1."
            records.append({"source": outlet, "text": f"{body}\n\n{promo}"})
            if i % 15 == 0:
                records.append({"source": outlet, "text": body})
        files[f"{outlet.split()[0].lower()}.jsonl"] = jsonl(*records)
    return files


def test_learned_boilerplate_is_the_same_for_any_worker_count_over_many_batches(tmp_path) -> None:
    from dataset_builder.pipeline import build
    from tests.conftest import make_config, write_files

    raw = write_files(tmp_path / "raw", outlets_corpus())
    one, two = (
        build(make_config(tmp_path / f"w{workers}", raw, boilerplate={"learn": True}), workers=workers)
        for workers in (1, 2)
    )
    assert one.manifest["fingerprint"] == two.manifest["fingerprint"]
    learned = one.manifest["boilerplate_learned"]
    assert sorted(learned["publishers"]) == ["Daily Brief", "Post", "Star"]
    assert learned["publishers"]["Post"] == [
        {"line": "Read Post every morning: subscribe today, from 1 May 2020 only $1.", "articles": 60}
    ]
    assert one.manifest["duplicates_by_kind"] == {"exact": 12}  # the reprints, once the promo is gone
    assert not any("subscribe today" in text for text in published_texts(one))


def test_the_datasheet_report_and_rules_command_list_the_learned_lines(tmp_path) -> None:
    import re

    import lxml.html

    from dataset_builder.config import load_config
    from dataset_builder.report.page import render
    from tests.conftest import run_cli

    release = learned_build(tmp_path)
    datasheet = (release.path / "DATASHEET.md").read_text(encoding="utf-8")
    assert f"| Daily Brief | {FOOTER[0]} | 6 |" in datasheet
    page = lxml.html.fromstring(render(release.path, None))
    shown = [row.text_content() for row in page.xpath('//section[@id="learned-boilerplate"]//tr')]
    assert any(FOOTER[1] in row and row.rstrip().endswith("6") for row in shown)
    printed = run_cli("rules", str(release.path), cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    (tmp_path / "dataset.toml").write_text(printed.stdout, encoding="utf-8")
    rules = load_config(tmp_path / "dataset.toml").settings.clean.rules
    learned_rules = [rule for rule in rules if rule.name.startswith("learned-daily-brief-")]
    assert len(learned_rules) == 3
    for line in FOOTER[:3]:  # each learned line is matched, as the cleaning matches rules
        assert any(re.fullmatch(rule.pattern, line, re.IGNORECASE) for rule in learned_rules)


def test_real_channels_lose_their_own_furniture_only(tmp_path) -> None:
    """livedoor_ja's nine channels (100 articles each): each learns its own widgets and
    headings; no learned line is another channel's too, and a line shared by three
    channels is never learned."""
    import json
    from collections import Counter

    import pytest

    from tests.conftest import SHARED_CORPORA

    corpus = SHARED_CORPORA / "livedoor_ja" / "livedoor_ja.jsonl"
    if not corpus.is_file():
        pytest.skip("needs ../shared/corpora/livedoor_ja (real news)")
    rows = [json.loads(line) for line in corpus.open(encoding="utf-8")]
    channels, seen = [r["category"] for r in rows], [text_lines(r["text"]) for r in rows]
    learned = learn(channels, seen, min_articles=5, min_share=0.15, max_publishers=3)
    assert line_hash("【関連記事】") in learned["topic-news"]
    assert line_hash("クチコミを見る") in learned["it-life-hack"]
    owners: dict[int, set[str]] = {}
    for channel, lines in zip(channels, seen, strict=True):
        for hashed in lines:
            owners.setdefault(hashed, set()).add(channel)
    assert all(len(owners[h]) < 3 for hashes in learned.values() for h in hashes)
    assert sum(len(hashes) for hashes in learned.values()) == 21  # README, "Publisher-learned boilerplate"
    removed = Counter(
        line
        for channel, row in zip(channels, rows, strict=True)
        for line in strip(row["text"], set(learned.get(channel, {})))[1]
    )
    # smax's spec tables share the row "OS Android 4.0" in 16 reviews: learned, never removed
    assert line_hash("OS Android 4.0") in learned["smax"] and removed["OS Android 4.0"] == 0
    assert removed["・エスマックス（S-MAX）"] == 98
    assert sum(removed.values()) == 657
