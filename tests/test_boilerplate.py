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


def test_lines_match_after_normalising_case_spaces_and_digits() -> None:
    assert normalise("  Updated:   2024-10-29  ") == normalise("UPDATED: 2025-01-02")
    assert line_hash("Contact the editor at x@y.example") == line_hash("contact  the EDITOR at x@y.example")


def test_the_publisher_is_the_source_else_the_host_else_the_folder() -> None:
    assert publisher_of("China Daily", "https://www.chinadaily.com.cn/a", "x/y.txt") == "China Daily"
    assert publisher_of(None, "https://www.chinadaily.com.cn/a", "x/y.txt") == "chinadaily.com.cn"
    assert publisher_of(None, None, "feeds/xinhua/a.txt") == "feeds/xinhua"
    assert publisher_of(None, None, "a.txt") == "."
