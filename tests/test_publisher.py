"""Publishers: the organisation a page names, not its copyright line or forum software; the
site of the URL when nothing is left; counted by origin in the manifest and the datasheet;
one spelling per publisher and site. On the Chinese and WCXB benchmark pages when
../shared/corpora is present."""

from __future__ import annotations

import gzip

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataset_builder.decide.publishers import canonical, fold, publisher_names
from dataset_builder.pipeline import build
from dataset_builder.stages.publisher import (
    clean_publisher,
    publisher,
    publisher_origin,
    registrable_site,
    site_of,
)
from tests.conftest import SHARED_CORPORA, article_text, jsonl, make_config, run_build, write_files

ZH = SHARED_CORPORA / "zh_web_extraction"
WCXB = SHARED_CORPORA / "wcxb_articles"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Copyright © 2017 Sohu.com Inc. All Rights Reserved.", "Sohu.com"),
        ("© 2019 新浪网 版权所有", "新浪网"),
        ("Copyright (c) 2005-2024 Foo Co., Ltd. All rights reserved", "Foo"),
        ("Copyright © 2020 株式会社朝日新聞社", "朝日新聞社"),
        ("Copyright ⓒ 한겨레신문사 All Rights Reserved.", "한겨레신문사"),
        ("© 2024 The New York Times Company", "The New York Times Company"),
        ("2024 Reuters", "Reuters"),
        # software vendors, and notices that name nobody
        ("2001-2013 Comsenz Inc.", None),
        ("Powered by Discuz! X3.4", None),
        ("WordPress", None),
        ("1997-2024", None),
        ("© 2021 All Rights Reserved", None),
        # names: left as they are, legal form and years included
        ("Wikimedia Foundation, Inc.", "Wikimedia Foundation, Inc."),
        ("Columbia Star, weekly newspaper since 1963", "Columbia Star, weekly newspaper since 1963"),
        ("ไทยรัฐออนไลน์", "ไทยรัฐออนไลน์"),
        ("The Riverside Post", "The Riverside Post"),
    ],
)
def test_clean_publisher_by_hand(value, expected):
    assert clean_publisher(value) == expected


def test_the_site_stands_in_and_is_counted_as_a_domain():
    assert site_of("http://www.cbzw.com.cn/thread-1.html") == "cbzw.com.cn"
    assert site_of("not a url") is None and site_of(None) is None
    assert publisher("2001-2013 Comsenz Inc.", "http://www.cbzw.com.cn/") == "cbzw.com.cn"
    assert publisher(None, "https://news.example.org/a") == "news.example.org"
    assert publisher(None, None) is None
    assert publisher_origin("cbzw.com.cn", "http://www.cbzw.com.cn/") == "domain"
    assert publisher_origin("wikipedia.org", "https://zh.wikipedia.org/wiki/X") == "domain"  # trafilatura's
    assert publisher_origin("Sohu.com", "http://www.sohu.com/a/1") == "name"
    assert publisher_origin("pedia.org", "https://zh.wikipedia.org/wiki/X") == "name"
    assert publisher_origin(None, "http://www.sohu.com/a/1") == "none"


def test_every_reader_cleans_and_the_datasheet_counts(tmp_path):
    records = [
        {
            "id": "sohu",
            "text": article_text(1),
            "source": "Copyright © 2017 Sohu.com Inc. All Rights Reserved.",
        },
        {
            "id": "forum",
            "text": article_text(2),
            "source": "2001-2013 Comsenz Inc.",
            "url": "http://www.cbzw.com.cn/t",
        },
        {"id": "bare", "text": article_text(3), "url": "https://news.example.org/a"},
        {"id": "nothing", "text": article_text(4)},
    ]
    byline = f"A headline for the test\n\nBy Ann Lee | © 2020 Riverside Post Ltd.\n\n{article_text(5)}"
    release = run_build(
        tmp_path, {"a.jsonl": jsonl(*records), "b.txt": byline}, ingest={"fields": {"id": "id"}}
    )
    table = pq.read_table(sorted((release.path / "data").glob("*.parquet")), columns=["id", "source"])
    sources = dict(zip(table["id"].to_pylist(), table["source"].to_pylist(), strict=True))
    byline_id = (set(sources) - {r["id"] for r in records}).pop()
    assert sources == {
        "sohu": "Sohu.com",
        "forum": "cbzw.com.cn",
        "bare": "news.example.org",
        "nothing": None,
        byline_id: "Riverside Post",
    }
    origin = release.manifest["profile"]["publishers"]["origin"]
    assert origin == {"name": 2, "domain": 2, "none": 1}
    datasheet = (release.path / "DATASHEET.md").read_text(encoding="utf-8")
    assert (
        "2 named by the record itself" in datasheet and "2 only the host name of its URL, 1 none" in datasheet
    )


def page_publishers(folder, pattern):
    """(raw value as trafilatura reads it, cleaned) for each page: what html_record and
    clean_record do with the page's site name, without extracting the body."""
    from trafilatura.metadata import extract_metadata

    from dataset_builder.stages.pagetext import decode_html, parse_html

    found = {}
    for path in sorted(folder.glob(pattern)):
        tree = parse_html(decode_html(gzip.decompress(path.read_bytes())).text)
        meta = extract_metadata(tree) if tree is not None else None
        raw = meta and (meta.sitename or meta.hostname)
        found[path.name.split(".")[0]] = (raw, publisher(raw, meta and meta.url))
    return found


@pytest.mark.skipif(not ZH.is_dir(), reason="../shared/corpora/zh_web_extraction not present")
def test_chinese_pages():
    found = page_publishers(ZH / "original", "*.html.gz")
    cleaned = {raw: new for raw, new in found.values() if raw}
    assert cleaned["Copyright © 2017 Sohu.com Inc. All Rights Reserved."] == "Sohu.com"
    assert cleaned["2001-2013 Comsenz Inc."] == "cbzw.com.cn"  # the forum's own site
    assert all(
        new == raw
        for raw, new in cleaned.items()
        if "©" not in raw and "版权" not in raw and "Comsenz" not in raw
    )


@pytest.mark.skipif(not WCXB.is_dir(), reason="../shared/corpora/wcxb_articles not present")
def test_wcxb_names_are_left_alone():
    """None of the 250 site names is a copyright line or a vendor (read one by one): cleaning
    must not touch them."""
    found = page_publishers(WCXB / "html", "*.html.gz")
    assert len(found) == 250
    assert [(raw, new) for raw, new in found.values() if raw != new] == []


@given(
    st.sampled_from(["https://", "http://", "ftp://", "//", ""]),
    st.text(alphabet="abcwx.-:@[]0189", max_size=20),
    st.text(alphabet="/?#=&a.\\", max_size=12),
)
def test_a_sites_host_is_what_urlsplit_says_of_the_whole_address(scheme, host, rest):
    """`site_of` looks only at the part before the path (and remembers it): the same answer
    as the whole address gives."""
    from urllib.parse import urlsplit

    url = scheme + host + rest
    try:
        expected = urlsplit(url).hostname
    except ValueError:
        expected = None
    expected = expected.removeprefix("www.") if expected and "." in expected else None
    assert site_of(url) == expected


# --- one name per publisher (decide/publishers.py) -----------------------------------------


def test_names_fold_by_case_accents_and_spaces():
    assert fold("El País") == fold("El país") == fold("  EL   PAÍS ") == fold("El Pais") == "el pais"
    assert fold("STRASSE") == fold("Straße")  # case folding, not lower()
    assert fold("El País") != fold("El Paisaje")


def test_the_canonical_spelling_is_the_most_used_then_not_capitals_then_code_points():
    assert canonical({"EL PAÍS": 1, "El país": 1, "El País": 1}) == "El País"
    assert canonical({"EL UNIVERSAL": 2, "El Universal": 1}) == "EL UNIVERSAL"  # most records win
    assert canonical({"EL UNIVERSAL": 1, "El Universal": 1}) == "El Universal"


def test_the_site_is_the_registrable_domain():
    assert registrable_site("https://www.elpais.com/a") == "elpais.com"
    assert registrable_site("https://english.elpais.com/a") == "elpais.com"
    assert registrable_site("https://news.bbc.co.uk/a") == "bbc.co.uk"
    assert registrable_site("http://10.0.0.1/a") == "10.0.0.1"
    assert registrable_site(None) == ""


def test_spellings_merge_on_one_site_only():
    renames = publisher_names(
        [
            ("elpais.com", "El País", 1),
            ("elpais.com", "El país", 1),
            ("elpais.com", "EL PAÍS", 1),
            ("elpais.example.org", "El Pais", 5),  # folds alike, another site: another publisher
            ("elpais.com", "Cinco Días", 1),
        ]
    )
    assert renames == {("elpais.com", s): "El País" for s in ("El País", "El país", "EL PAÍS")}
    assert publisher_names([("", "China Daily", 1), ("", "CHINA DAILY", 1)]) == {
        ("", "China Daily"): "China Daily",  # without a URL: one site
        ("", "CHINA DAILY"): "China Daily",
    }


def outlets() -> dict[str, str]:
    """One outlet spelt three ways on three hosts of its site (a file each), a namesake on
    another site, and one whose capitals most records use."""
    pages = [
        ("elpais1", "El País", "https://elpais.com/a"),
        ("elpais2", "El país", "https://www.elpais.com/b"),
        ("elpais3", "EL PAÍS", "https://english.elpais.com/c"),
        ("namesake", "El Pais", "https://elpais.example.org/d"),
        ("universal1", "EL UNIVERSAL", "https://www.eluniversal.com.mx/e"),
        ("universal2", "EL UNIVERSAL", "https://www.eluniversal.com.mx/f"),
        ("universal3", "El Universal", "https://eluniversal.com.mx/g"),
    ]
    return {
        f"{n}.jsonl": jsonl({"id": n, "text": article_text(60 + i), "source": source, "url": url})
        for i, (n, source, url) in enumerate(pages)
    }


def test_one_spelling_per_publisher_in_the_source_column_manifest_and_datasheet(tmp_path):
    release = run_build(tmp_path, outlets(), ingest={"fields": {"id": "id"}})
    table = pq.read_table(sorted((release.path / "data").glob("*.parquet")), columns=["id", "source"])
    sources = dict(zip(table["id"].to_pylist(), table["source"].to_pylist(), strict=True))
    assert sources == {
        "elpais1": "El País",
        "elpais2": "El País",
        "elpais3": "El País",
        "namesake": "El Pais",
        "universal1": "EL UNIVERSAL",
        "universal2": "EL UNIVERSAL",
        "universal3": "EL UNIVERSAL",
    }
    publishers = release.manifest["profile"]["publishers"]
    assert publishers["top"] == {"El País": 3, "EL UNIVERSAL": 3, "El Pais": 1}
    assert publishers["variants"] == {
        "EL UNIVERSAL": {"EL UNIVERSAL": 2, "El Universal": 1},
        "El País": {"EL PAÍS": 1, "El País": 1, "El país": 1},
    }
    datasheet = (release.path / "DATASHEET.md").read_text(encoding="utf-8")
    assert "| El País | EL PAÍS (1); El País (1); El país (1) |" in datasheet


def test_publisher_names_are_the_same_with_workers_and_the_cache(tmp_path):
    raw = write_files(tmp_path / "raw", outlets())
    chosen = {"ingest": {"fields": {"id": "id"}}, "cache": {"folder": str(tmp_path / "cache")}}
    one = build(make_config(tmp_path / "one", raw, **chosen), workers=1, report=False)
    two = build(make_config(tmp_path / "two", raw, **chosen), workers=2, report=False)
    assert two.cache and two.cache.files_reused == len(outlets())  # pass 1 from the cache
    assert two.manifest["fingerprint"] == one.manifest["fingerprint"]
    assert one.manifest["profile"]["publishers"]["variants"]
