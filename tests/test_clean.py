from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from dataset_builder.config import load_config
from dataset_builder.stages.clean import (
    Cleaner,
    CompiledRule,
    Rules,
    clean_record,
    clean_text,
    normalize_text,
)
from dataset_builder.stages.header import parse_date, parse_header

CONFIG = load_config(None)
CLEANER = Cleaner.from_settings(CONFIG.settings.clean)


def txt_record(text: str) -> dict:
    prov = {"raw_path": "a.txt", "raw_line": 1, "raw_sha256": "0" * 64, "raw_format": "txt"}
    return {"id": "a", "text": text, **prov}


def test_normalize_text_unifies_breaks_spaces_and_blank_lines():
    raw = "  Title\r\n\r\n\r\n\tFirst\u00a0 paragraph\u200b here.  \rSecond\u2028line\n\n\n\n"
    assert normalize_text(raw) == "Title\n\nFirst paragraph here.\nSecond\nline"


def test_normalize_text_composes_to_nfc():
    assert normalize_text("Cafe\u0301") == "Café"
    assert normalize_text("e\u200b\u0301") == "é"  # an invisible character between base and accent


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_cleaning_is_idempotent(text):
    once, _ = clean_text(text, CLEANER)
    twice, removed = clean_text(once, CLEANER)
    assert twice == once
    assert not removed


@given(st.text(max_size=500))
def test_clean_record_never_crashes_on_plain_text(text):
    record, _ = clean_record(txt_record(text), CLEANER)
    assert isinstance(record["text"], str)


def test_cut_rest_rule_needs_body_above_it():
    # "Related stories" on top is a stray menu line: dropped, not a cut of the whole article.
    text, removed = clean_text("Related stories\nBody paragraph one.\nBody two.", CLEANER)
    assert text == "Body paragraph one.\nBody two."
    assert removed == {"related-stories": 1}
    text, removed = clean_text("Body paragraph one.\nRelated stories\nTeaser one\nTeaser two", CLEANER)
    assert text == "Body paragraph one."
    assert removed == {"related-stories": 3}


def test_rules_match_whole_lines_only():
    body = "Share prices rose.\nCopyright law is contested.\nMost viewers agreed with the ruling."
    assert clean_text(body, CLEANER) == (body, {})


def test_extra_rules_add_to_the_defaults(tmp_path):
    config = load_config(
        None,
        overrides={
            "clean": {"extra_rules": [{"name": "promo", "pattern": "buy now!?", "action": "drop-line"}]}
        },
    )
    cleaner = Cleaner.from_settings(config.settings.clean)
    text, removed = clean_text("Body.\nBuy now!\nShare\nMore body.", cleaner)
    assert text == "Body.\nMore body."
    assert removed == {"promo": 1, "share-button": 1}


def test_byline_with_three_authors_publisher_and_zoned_date():
    lines = [
        "Menu",
        "Headline here",
        "By Ana Lima, Bo Chen and Cy Diaz | The Times | Published: 2023-05-01T10:00:00Z",
        "",
        "Body paragraph.",
    ]
    header, body = parse_header(lines)
    assert header.title == "Headline here"
    assert header.authors == ["Ana Lima", "Bo Chen", "Cy Diaz"]
    assert header.source == "The Times"
    assert header.published == "2023-05-01T10:00:00+00:00"
    assert header.navigation_lines == 1
    assert body == ["", "Body paragraph."]


def test_paragraph_starting_with_by_is_not_a_byline():
    lines = ["By 2030, the plan says, most factories will use AI.", "", "More text."]
    header, body = parse_header(lines)
    assert header.authors == [] and header.title is None
    assert body == lines


def test_title_must_stand_alone_as_a_paragraph():
    header, body = parse_header(["What's happened", "China hosted a workshop."])
    assert header.title is None and body == ["What's happened", "China hosted a workshop."]
    header, body = parse_header(["A headline", "", "China hosted a workshop."])
    assert header.title == "A headline" and body == ["", "China hosted a workshop."]


def test_a_single_line_is_text_not_a_title():
    header, body = parse_header(["note 0 0"])
    assert header.title is None and body == ["note 0 0"]
    header, body = parse_header(["A headline", ""])
    assert header.title is None


def test_sentence_after_title_is_not_a_keyword_line():
    header, _ = parse_header(["A headline", "", "Prices rose, analysts said, after the vote."])
    assert header.keywords == []


def test_standalone_date_and_source_lines():
    header, body = parse_header(["Headline", "", "March 3, 2024", "Source: Reuters", "", "Body."])
    assert header.published == "2024-03-03"
    assert header.source == "Reuters"
    assert body == ["", "", "Body."]


def test_parse_date_forms():
    assert parse_date("2024-10-29 08:23") == "2024-10-29"
    assert parse_date("2024-10-29 08:23", "+08:00") == "2024-10-29T08:23:00+08:00"
    assert parse_date("2024-10-29T08:23:05+0530") == "2024-10-29T08:23:05+05:30"
    assert parse_date("29 Oct 2024") == "2024-10-29"
    assert parse_date("Sept. 3, 2021") == "2021-09-03"
    assert parse_date("2024-02-30") is None  # not a day
    assert parse_date("sometime in 2024") is None


def test_structured_fields_are_normalised_and_wrong_types_left_for_the_validator():
    record = {
        "id": "x",
        "text": "Body  text.",
        "title": "  Two\nlines ",
        "authors": "Solo Author",
        "published": "2024-01-02 10:00",
        "keywords": ["a", "", " b "],
        "url": 42,
        "raw_path": "a.jsonl",
        "raw_line": 1,
        "raw_sha256": "0" * 64,
        "raw_format": "jsonl",
    }
    out, _ = clean_record(record, CLEANER)
    assert out["title"] == "Two lines"
    assert out["authors"] == ["Solo Author"]
    assert out["published"] == "2024-01-02"
    assert out["keywords"] == ["a", "b"]
    assert out["url"] == 42


def test_non_ascii_urls_are_percent_encoded_and_non_urls_left_as_written():
    base = {
        "id": "x",
        "text": "Body.",
        "raw_path": "a.jsonl",
        "raw_line": 1,
        "raw_sha256": "0" * 64,
        "raw_format": "jsonl",
    }
    out, _ = clean_record(
        {**base, "url": "http://www.jornada.com.mx/2018/05/28/Política/007n1pol?q=a b"}, CLEANER
    )
    assert out["url"] == "http://www.jornada.com.mx/2018/05/28/Pol%C3%ADtica/007n1pol?q=a%20b"
    out, _ = clean_record({**base, "url": "https://example.org/a%20b?x=1&y=[2]"}, CLEANER)
    assert out["url"] == "https://example.org/a%20b?x=1&y=[2]"  # already a URI: unchanged
    out, _ = clean_record({**base, "url": "Perma | www.alertadigital.com"}, CLEANER)
    assert out["url"] == "Perma | www.alertadigital.com"


# Rules as users write them: groups, an inline flag, a backreference, a duplicate group name.
USER_RULES = (
    ("share", r"share( ?[-|:] ?.{1,10}| (on|via) .{1,10})?"),
    ("top", r"(back to (the )?top|top)"),
    ("twice", r"(\w+) \1"),
    ("named", r"(?P<word>menu|nav)"),
    ("named again", r"(?P<word>footer)"),
    ("flagged", r"(?s)cookies.*"),
)


@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from(["share on x", "Back to top", "top", "la la", "menu", "footer", "cookies ok"]),
            st.text(alphabet="ab tops:|", max_size=12),
        ),
        max_size=20,
    ),
    chosen=st.lists(st.sampled_from(USER_RULES), min_size=1, max_size=6, unique=True),
)
@example(lines=["la la", "share on x"], chosen=[USER_RULES[0], USER_RULES[2]])
def test_the_joined_screen_finds_the_rule_trying_each_rule_finds(lines, chosen):
    """However the rules are written, the one screening pattern never changes which rule
    removes a line: the first rule in order that matches the whole line."""
    rules = tuple(CompiledRule(name, re.compile(pattern, re.IGNORECASE), False) for name, pattern in chosen)
    screened = Rules.compile(rules)
    for line in lines:
        expected = next((r for r in rules if r.pattern.fullmatch(line)), None)
        assert screened.first_match(line) == expected


def test_default_rules_are_screened_by_one_pattern():
    assert CLEANER.rules.screen is not None and not CLEANER.rules.unscreened
