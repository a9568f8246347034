"""A saved page's title, authors and date (stages/metadata.py): small pages and bylines
written here, and the WCXB gold when ../shared/corpora is present."""

from __future__ import annotations

import gzip
import json
import unicodedata

import pytest

from dataset_builder.stages.html import extract_article
from dataset_builder.stages.metadata import article_authors, article_title, clean_author, shown_date
from dataset_builder.stages.pagetext import parse_html
from tests.conftest import SHARED_CORPORA


def tree(body: str, head: str = ""):
    return parse_html(f"<html><head>{head}</head><body>{body}</body></html>")


# --- titles --------------------------------------------------------------------------------------


def test_the_headline_shown_wins_over_a_meta_title_with_the_site_name():
    page = tree("<h1>Top 10 Health and Nutrition Trends to Watch</h1><p>Text.</p>")
    found = article_title(
        page, "Health And Nutrition Trends For 2026 - Tastewise", "Tastewise", "tastewise.io"
    )
    assert found == "Top 10 Health and Nutrition Trends to Watch"


def test_the_site_name_is_cut_from_the_meta_title_not_from_other_segments():
    page = tree("<h1>Tastewise</h1><p>Text.</p>")  # the logo's heading: the site, no headline
    assert article_title(
        page, "Machine learning, explained | MIT Sloan", "MIT Sloan", "mitsloan.mit.edu"
    ) == ("Machine learning, explained")
    assert article_title(
        page, "Opinion | Republicans Are Following Trump", "The New York Times", "nytimes.com"
    ) == (
        "Opinion | Republicans Are Following Trump"  # "Opinion" is a section, not the site
    )
    assert article_title(page, "Event Planning | Accruent", None, "accruent.com") == "Event Planning"


def test_a_title_that_is_the_site_name_is_no_title():
    assert article_title(tree("<p>Text.</p>"), "davidbau.com", "davidbau.com", "davidbau.com") is None
    # a blog's post heading stands in
    page = tree('<h1>davidbau.com</h1><h3 class="title">Vibe Coding</h3><p>Text.</p>')
    assert article_title(page, "davidbau.com", "davidbau.com", "davidbau.com") == "Vibe Coding"


def test_a_site_name_that_is_the_whole_meta_title_does_not_erase_the_title():
    """trafilatura sometimes reads `Title - Site` as the site's name: the host tells the site."""
    title = "Do you need 14 USB ports on your Raspberry Pi 5?"
    found = article_title(tree("<p>Text.</p>"), title, f"{title} - CNX Software", "cnx-software.com")
    assert found == title


def test_a_byline_inside_the_headline_element_is_not_title():
    page = tree("<h1>Top Strategies to Optimize Blockchain Posted on July 1, 2024 by infuy</h1>")
    assert article_title(page, "Top Strategies to Optimize Blockchain", None, "infuy.com") == (
        "Top Strategies to Optimize Blockchain"
    )


def test_a_short_last_segment_with_the_domain_s_name_is_the_site_s_name():
    page = tree("<p>Text.</p>")
    assert article_title(page, "Corner Bakery | Example App Store", None, "apps.example.com") == (
        "Corner Bakery"
    )
    long = "Take care - our team at the Example fair 2018"  # a sentence: the title's
    assert article_title(page, long, None, "example.com") == long


def test_a_heading_that_is_the_meta_title_s_first_segment_is_the_title():
    page = tree("<h2>What do readers love?</h2><p>Text.</p><h1>But what they love is speed</h1>")
    assert article_title(page, "What do readers love? | Our Blog", None, "blog.example.org") == (
        "What do readers love?"
    )


def test_a_last_segment_that_names_the_url_s_section_is_not_title():
    page = tree("<p>Text.</p>")
    title = "Homestead gardens feed a village | District"
    url = "https://news.example/district/343604"
    assert (
        article_title(page, title, "Example News", "news.example", url) == "Homestead gardens feed a village"
    )
    assert article_title(page, title, "Example News", "news.example", "https://news.example/story/1") == title
    shown = tree("<h1>Why we sleep | Opinion</h1>")  # in the headline too
    url = "https://paper.example/story/opinion/contributors/2025/12/19/sleep/123/"
    assert article_title(shown, "Why we sleep | Opinion", None, "paper.example", url) == "Why we sleep"


def test_a_headline_holding_the_meta_title_beside_a_label_or_a_source_link():
    label = tree('<h1><span class="descriptor">Title:</span>A study of sleep</h1>')
    assert article_title(label, "A study of sleep", None, "papers.example") == "A study of sleep"
    source = tree(
        '<h1><span><a href="/story/1">Grads find jobs scarce</a> <span>(paper.example)</span></span>'
        "<span>87</span></h1>"
    )
    assert article_title(source, "Grads find jobs scarce", None, "news.example") == "Grads find jobs scarce"
    subtitle = tree("<h1>What tutoring is. <span>Choosing a good tutor</span></h1>")
    found = article_title(subtitle, "What tutoring is. - Choosing a good tutor", None, "learning.example")
    assert found == "What tutoring is. Choosing a good tutor"  # title and subtitle, both meta's


# --- authors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("Harry Rabinowitz Tech Reporter", "Harry Rabinowitz"),
        ("Linda Rosencrance Contributing Writer", "Linda Rosencrance"),
        ("Jordana Cepelewicz December", "Jordana Cepelewicz"),
        ("Jeff Foust Monday", "Jeff Foust"),
        ("CM Craig McCarthy Last updated", "Craig McCarthy"),  # an avatar's initials
        ("Author Michael Ansaldo", "Michael Ansaldo"),
        ("Read more about The Upwork Team", "The Upwork Team"),
        ("Shelby Loos, DVM Reviewed by Molly Price", "Shelby Loos, DVM"),
        ("Phil Helsel is a reporter", "Phil Helsel"),
        ("Resy Staff", "Resy Staff"),  # a collective byline stays whole
        ("Science X staff", "Science X staff"),
        ("Preetam Jinka Co-founder", "Preetam Jinka"),
        ("Co-Founder", None),
        ("Written By", None),
        ("Name", None),
        ("MD", None),
    ],
)
def test_a_byline_is_cut_to_the_name(byline, expected):
    assert clean_author(byline, "Resy", "resy.com") == expected


def test_a_role_after_another_name_is_that_persons_not_an_author():
    assert article_authors(tree(""), "Tom Krisher; Ap Auto Writer", "AP News", "apnews.com") == [
        "Tom Krisher"
    ]
    assert article_authors(tree(""), "Paul Takahashi; Staff writer", None, "chron.com") == ["Paul Takahashi"]


def test_the_site_beside_people_is_the_publisher_alone_it_signs():
    site = "Memphis Commercial Appeal"
    found = article_authors(
        tree(""), "Manoj Jain; Jagpreet Chhatwal; The Commercial Appeal", site, "commercialappeal.com"
    )
    assert found == ["Manoj Jain", "Jagpreet Chhatwal"]
    assert article_authors(tree(""), "USA TODAY", "USA TODAY", "usatoday.com") == ["USA TODAY"]
    assert article_authors(tree(""), "Ben Nadel", "Ben Nadel", "bennadel.com") == [
        "Ben Nadel"
    ]  # his own site


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "<div><span>By</span><span>Daryl Austin</span><span>Published March 9, 2026</span></div>",
            ["Daryl Austin"],
        ),
        ("<h3>Written by Cassidy Horton</h3>", ["Cassidy Horton"]),
        ("<div>By Chase Bernath•January 23, 2026•0</div>", ["Chase Bernath"]),
        ("<p>Posted by David at December 16, 2025 11:15 AM</p>", ["David"]),
        ("<td>来源：21世纪经济报道 作者：宋怡 杨志华</td>", ["宋怡", "杨志华"]),
        ("<p>光明日报记者 王建宏 张文攀</p>", ["王建宏", "张文攀"]),  # a newsroom's reporter
        ("<p>（总台记者 张倩）</p>", ["张倩"]),
        ("<p>本报记者罗科苏盈发自北京</p>", ["罗科苏盈"]),
        ("<p>商报记者马俊峰/文</p>", ["马俊峰"]),
        ("<p>本报记者获悉，明日起</p>", []),  # a sentence, not a byline
        ("<div><a>新华社记者看东北</a></div>", []),  # a menu's link
        ("<div>02日14:25 作者： 赵婕 出自</div>", ["赵婕"]),
        ("<p>文章来源：新华社</p>", []),  # 文 inside a word is no label
        ("<p>By 2030, most cars sold will be electric.</p>", []),
        ('<nav><div>By Role</div></nav><div class="byline">By Jane Doe</div>', ["Jane Doe"]),  # a menu
        (  # the label, the name and what follows, each an element of its own
            "<div><h2>Article by</h2><div>Jane Doe</div><div>Let's talk</div></div>",
            ["Jane Doe"],
        ),
        (  # a layout's class that names the menu above it: the headline is inside
            '<div class="section under-menu"><h1>Zero waste</h1><span>by Jane Doe</span></div>',
            ["Jane Doe"],
        ),
    ],
)
def test_a_labelled_byline_when_trafilatura_finds_no_author(body, expected):
    assert article_authors(tree(body), None, None, "example.com") == expected


def test_a_name_shown_only_in_the_comments_is_a_reader_not_the_author():
    page = tree(
        "<h1>Games</h1><p>Written by Ada Byron</p><p>Text.</p>"
        '<ol class="comment-list"><li><div class="comment-author-name">quietreader42</div>'
        "<p>Great list!</p></li></ol>"
    )
    assert article_authors(page, "Quietreader42", None, "games.example") == ["Ada Byron"]
    shown = tree("<p>By Quietreader42</p>")  # shown outside the comments too: kept
    assert article_authors(shown, "Quietreader42", None, "games.example") == ["Quietreader42"]


def test_a_link_to_an_author_s_page_names_the_author():
    link = '<p><a href="https://news.example/staff/0451/ada-byron/">Ada Byron</a> Published 2 May</p>'
    assert article_authors(tree(link), None, None, "news.example") == ["Ada Byron"]
    # trafilatura's byline is the newsroom's name: the page links to its reporter
    assert article_authors(tree(link), "Example News", "Example News", "news.example") == ["Ada Byron"]
    menu = '<nav><a href="/authors/ada-byron">Ada Byron</a></nav><p>Text.</p>'
    assert article_authors(tree(menu), None, None, "news.example") == []


def test_an_element_whose_class_shows_an_author_s_name_after_the_site_s():
    authors = (
        '<div class="post_author-list"><div class="post_author-name">Acme</div>'
        '<div class="post_author-name">Ada Byron</div></div><p>Text.</p>'
        '<div class="comments"><span class="comment-author-name">Quietreader</span></div>'
    )
    assert article_authors(tree(authors), None, "Acme", "acme.example") == ["Ada Byron"]
    comments = '<p>Text.</p><div class="comments"><span class="comment-author-name">Quietreader</span></div>'
    assert article_authors(tree(comments), None, "Acme", "acme.example") == []
    dated = '<div class="heading-author-name"><time>20 Nov 2019 08:00 GMT</time></div><p>Text.</p>'
    assert article_authors(tree(dated), None, "Acme", "acme.example") == []  # a date in its box


def test_the_name_beside_the_date_in_the_dateline():
    dateline = (
        "<h1>Pricing guide</h1><p><time>Dec 26, 2025</time><span>•</span>"
        "<span>Ada Byron in</span> <a>Project Management</a></p><p>Text.</p>"
    )
    assert article_authors(tree(dateline), None, None, "example.com") == ["Ada Byron"]
    before = "<h1>Pricing guide</h1><div>Ada Byron · 3 March 2024</div>"
    assert article_authors(tree(before), None, None, "example.com") == ["Ada Byron"]
    pieces = (  # each an element: the name ends where its element does
        "<h1>Landed</h1><div><span>2025-12-17</span><span>·</span><a><div>Ada Byron</div></a></div>"
        "<p>The Pilot Project has landed at last, after two years of work on the archive.</p>"
    )
    assert article_authors(tree(pieces), None, None, "example.com") == ["Ada Byron"]
    section = "<h1>Pricing guide</h1><div>3 March 2024 · Guides</div>"  # a section, one word
    assert article_authors(tree(section), None, None, "example.com") == []


def test_a_scholarly_page_s_citation_authors_are_all_its_authors():
    head = (
        '<meta name="citation_author" content="Curie, Marie">'
        '<meta name="citation_author" content="Pierre Curie">'
        '<meta name="citation_authors" content="李  明">'
    )
    page = tree("<p>Marie Curie<sup>1</sup>; Pierre Curie<sup>2</sup></p>", head)
    assert article_authors(page, "Marie Curie", None, "journal.example") == [
        "Marie Curie",
        "Pierre Curie",
        "李明",  # spaced out to line up with longer names
    ]


def test_a_link_preview_s_written_by_pair_when_the_page_shows_no_byline():
    head = (
        '<meta name="twitter:label1" content="Est. reading time">'
        '<meta name="twitter:data1" content="6 minutes">'
        '<meta name="twitter:label2" content="Written by">'
        '<meta name="twitter:data2" content="Ada Byron, Charles Babbage">'
    )
    page = tree("<p>Text.</p>", head)
    assert article_authors(page, None, None, "example.com") == ["Ada Byron", "Charles Babbage"]
    assert article_authors(page, "Mary Somerville", None, "example.com") == ["Mary Somerville"]


def test_a_one_word_meta_author_when_nothing_else_names_one():
    page = tree("<p>Text.</p>", '<meta name="author" content="Zach">')
    assert article_authors(page, None, None, "example.com") == ["Zach"]


# --- the date shown under the headline ------------------------------------------------------------


def test_the_date_shown_under_the_headline():
    assert (
        shown_date(tree("<h1>Storm</h1><p>By Jerry Chu</p><p>Apr 17, 2025</p><p>Text.</p>")) == "2025-04-17"
    )
    assert shown_date(tree("<h1>雅诗兰黛</h1><div>2005年05月13日14:15</div>")) == "2005-05-13"
    assert shown_date(tree("<h1>Storm</h1><p>20 December 2025</p>")) == "2025-12-20"
    assert shown_date(tree("<p>Apr 17, 2025</p><h1>Storm</h1><p>Text.</p>")) is None  # above it: a menu's


def test_not_an_update_nor_a_date_inside_a_sentence():
    updated = "<h1>Iceland</h1><p>Last updated: Dec 4, 2025</p><p>By Hlín</p>"
    assert shown_date(tree(updated)) is None
    caption = (
        "<h1>Hibernating astronauts</h1><p>In this Dec. 12, 2006, file photo, made available by NASA, "
        "two astronauts take part in a space walk.</p>"
    )
    assert shown_date(tree(caption)) is None


# --- on WCXB's gold --------------------------------------------------------------------------------

WCXB = SHARED_CORPORA / "wcxb_articles"


def normal(text: str) -> str:
    return " ".join(
        "".join(c if c.isalnum() else " " for c in unicodedata.normalize("NFKC", text).casefold()).split()
    )


@pytest.mark.skipif(not WCXB.is_dir(), reason="../shared/corpora/wcxb_articles (WCXB pages) not present")
def test_wcxb_metadata_sample():
    """Every third page: what bench/html_extraction.py measures on all 250, in brief (titles
    and dates only: author names need the bench's splitting of several names)."""
    titles = dates = pages = 0
    for path in sorted((WCXB / "ground-truth").glob("*.json"))[::3]:
        gold = json.loads(path.read_text(encoding="utf-8"))
        article = extract_article(
            gzip.decompress((WCXB / "html" / f"{path.stem}.html.gz").read_bytes()), gold["url"]
        )
        assert article is not None, path.stem
        pages += 1
        titles += normal(article.title or "") == normal(gold["ground_truth"]["title"])
        dates += (article.published or "")[:10] == gold["ground_truth"]["publish_date"]
    assert titles / pages >= 0.9 and dates / pages >= 0.85, (titles, dates, pages)
