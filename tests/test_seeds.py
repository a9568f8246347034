"""The four seed articles, cleaned with the shipped config.

For each seed I read the raw file and decided where its body starts and ends. The test
checks that the cleaned text is exactly those raw lines — so the body survives whole
(first and last paragraph included) and every boilerplate line around it is gone —
and that the header metadata the page shows was picked up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dataset_builder.config import load_config
from dataset_builder.stages.clean import Cleaner, clean_record, normalize_text
from dataset_builder.stages.ingest import discover, read_file
from tests.conftest import REPO


@pytest.fixture(scope="module")
def cleaned() -> dict[str, dict]:
    config = load_config(REPO / "dataset.toml")
    cleaner = Cleaner.from_settings(config.settings.clean)
    records = {}
    for file in discover(config.raw_dir).files:
        (raw,) = read_file(file, config.settings.ingest)
        records[file.rel[:3]], _ = clean_record(raw, cleaner)
    return records


def body_between(prefix: str, first: str, last: str) -> str:
    """The raw lines from the one starting with `first` to the one starting with `last`."""
    (path,) = Path(REPO / "raw").glob(f"{prefix}_*.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i, line in enumerate(lines) if line.startswith(last))
    assert start < end
    return normalize_text("\n".join(lines[start : end + 1]))


def test_000_opinion_piece_keeps_body_and_drops_comment_form(cleaned):
    record = cleaned["000"]
    assert record["text"] == body_between(
        "000",
        "In the rapidly evolving realm of artificial intelligence (AI)",
        "Looking ahead, China’s advancement in AI necessitates a united endeavor",
    )
    assert record["text"].endswith("fostering an inclusive and sustainable AI-driven landscape.")
    assert "Please enter your comment" not in record["text"]
    assert "Please enter your name here" not in record["text"]
    assert record["title"] == "China leads the initiative for its own AI development"
    assert record["keywords"] == ["Artificial Intelligence", "AI", "China", "OpenAI"]
    assert record["authors"] == [] and record["source"] is None and record["published"] is None


def test_001_china_daily_keeps_body_and_drops_site_chrome(cleaned):
    record = cleaned["001"]
    assert record["text"] == body_between(
        "001",
        "China and the US should not only enhance the capacity for risk assessment",
        "Contact the editor at editor@chinawatch.cn.",
    )
    text = record["text"]
    assert "As the world's two largest economies and leading powers" in text
    assert "In a nutshell, in the face of rapidly changing AI technologies" in text
    for boilerplate in (
        "Global Edition",
        "Home / Opinion",
        "Share",
        "WeChat",
        "SONG CHEN/CHINA DAILY",
        "Most Viewed",
        "BACK TO THE TOP",
        "Copyright 1995",
        "License for publishing",
        "Registration Number",
        "FOLLOW US",
        "By SUN CHENGHAO",
        "Aiding one and all",
    ):
        assert boilerplate not in text, boilerplate
    assert not any(line in ("Opinion", "Top", "English") for line in text.split("\n"))
    assert record["title"] == "Aiding one and all"
    assert record["authors"] == ["SUN CHENGHAO", "SUN YUHAN"]
    assert record["source"] == "China Daily Global"
    # "Updated: 2024-10-29 08:23" has no time zone: only the day is certain.
    assert record["published"] == "2024-10-29"


def test_001_date_keeps_time_when_the_config_gives_a_zone(tmp_path):
    config = load_config(None, overrides={"raw": str(REPO / "raw"), "clean": {"assume_timezone": "+08:00"}})
    cleaner = Cleaner.from_settings(config.settings.clean)
    file = next(f for f in discover(config.raw_dir).files if f.rel.startswith("001"))
    record, _ = clean_record(next(read_file(file, config.settings.ingest)), cleaner)
    assert record["published"] == "2024-10-29T08:23:00+08:00"


def test_002_short_report_drops_language_menu_and_has_no_title(cleaned):
    record = cleaned["002"]
    assert record["text"] == body_between(
        "002",
        "Developing artificial intelligence isn’t just about creating the most sophisticated models",
        "The partner’s organization committed to reaching net-zero emissions by 2030",
    )
    assert record["text"].endswith("supporting the company’s environmental objectives.")
    assert "Select Language" not in record["text"]
    # The page shows no title; its first line is a body paragraph, not a headline.
    assert record["title"] is None


def test_003_digest_keeps_sections_and_drops_unrelated_teasers(cleaned):
    record = cleaned["003"]
    assert record["text"] == body_between(
        "003",
        "What's happened",
        "Over recent years, China has prioritized AI development",
    )
    text = record["text"]
    assert "South China Morning Post provides a comprehensive overview" in text
    for teaser in (
        "Go deeper",
        "Common question",
        "Why Are Protests Happening Across Europe Over Gaza?",
        "More on these topics",
        "Alibaba Group Holding Limited",
        "ByteDance",
        "Xi Jinping",
    ):
        assert teaser not in text, teaser
    assert record["title"] is None


def test_cleaning_the_seeds_is_idempotent(cleaned):
    config = load_config(REPO / "dataset.toml")
    cleaner = Cleaner.from_settings(config.settings.clean)
    for record in cleaned.values():
        again, removed = clean_record({**record, "raw_format": "jsonl"}, cleaner)
        assert again["text"] == record["text"]
        assert not removed
