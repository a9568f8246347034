"""report.html: drawn from the manifest, reproducible, outside the fingerprint, and a page
that loads in a real browser."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import lxml.html
import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataset_builder.decide.dedup import difference_excerpt
from dataset_builder.pipeline import build
from dataset_builder.release import verify
from dataset_builder.report import page as report
from dataset_builder.stages.profile import LENGTH_EDGES, Profile
from tests.conftest import article_text, jsonl, make_config, read_jsonl, run_build, run_cli, write_files
from tests.test_html import declared_pages
from tests.test_publisher import outlets

CHROMIUM = Path("/usr/bin/chromium")
SVG = "{http://www.w3.org/2000/svg}"
SECTIONS = (
    "quality",
    "summary",
    "funnel",
    "languages",
    "lengths",
    "near-duplicates",
    "sources",
    "pii",
    "rejects",
    "pairs",
    "changes",
)


def corpus() -> dict[str, str]:
    """Something in every section: rejects of two kinds, an exact and a near duplicate, two
    languages, publishers, dates and an e-mail address."""
    story = article_text(9, words=400)
    edited = story.split(". ")
    edited[3] = "An entirely new sentence stands here"
    records = [
        {
            "id": f"en{i}",
            "text": article_text(i),
            "source": "Wire/Service" if i % 3 else "Daily News",
            "published": f"202{i % 4}-0{1 + i % 9}-15",
        }
        for i in range(12)
    ]
    records += [
        {
            "id": "es1",
            "text": article_text(1, "es"),
            "source": "El Diario",
            "published": "2023-05-01T10:00:00Z",
        },
        {"id": "copy", "text": article_text(2)},
        {"id": "story9", "text": story + " Write to desk@example.org."},
        {"id": "story9-edit", "text": ". ".join(edited)},  # removed: story9 is the smaller id
        {"id": "notext", "title": "no text"},
    ]
    return {"a.jsonl": jsonl(*records) + '{"id": "broken", \n'}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    raw = write_files(root / "raw", corpus())
    return build(make_config(root, raw, ingest={"fields": {"id": "id"}}))


def resolve(manifest: dict, pointer: str):
    value = manifest
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        value = value[int(key)] if isinstance(value, list) else value[key]  # RFC 6901: an index
    return value


def test_every_number_shown_is_the_manifests(release):
    page = lxml.html.fromstring((release.path / "report.html").read_bytes())
    cells = page.xpath("//*[@data-manifest]")
    shown = {cell.get("data-manifest"): cell.text_content() for cell in cells}
    for pointer, text in shown.items():
        assert int(text.replace(",", "")) == resolve(release.manifest, pointer), pointer
    for pointer in (
        "/counts/read",
        "/rejected_by_reason/json",
        "/rejected_by_reason/schema",
        "/duplicates_by_kind/exact",
        "/duplicates_by_kind/near",
        "/languages/train/en",
        "/profile/publishers/top/Wire~1Service",
        "/pii/found/email",
        "/near_duplicates/removed",
        "/missing_values/published",
    ):
        assert pointer in shown
    counts = release.manifest["counts"]
    assert counts == {"read": 18, "rejected": 2, "duplicates": 2, "kept": 14}  # by hand: see corpus()
    assert release.manifest["rejected_by_reason"] == {"json": 1, "schema": 1}
    assert release.manifest["duplicates_by_kind"] == {"exact": 1, "near": 1}


def test_charts_are_svg_images_inside_the_page(release):
    page = lxml.html.fromstring((release.path / "report.html").read_bytes())
    images = page.xpath("//img")
    assert len(images) == 7  # funnel, languages, lengths, publishers, years, similarity, quality
    for image in images:
        header, payload = image.get("src").split(",", 1)
        assert header == "data:image/svg+xml;base64"
        root = ElementTree.fromstring(base64.b64decode(payload))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert image.get("alt")
    assert not page.xpath("//script") and not page.xpath("//link")


def test_profile_matches_the_published_data(release):
    """Lengths, publishers and dates, computed again from the Parquet files another way."""
    profile = release.manifest["profile"]
    sources: Counter[str] = Counter()
    days = []
    for split, lengths in profile["lengths"].items():
        texts, publishers, published = [], [], []
        for path in sorted((release.path / "data").glob(f"{split}-*.parquet")):
            table = pq.read_table(path, columns=["text", "source", "published"])
            texts += table["text"].to_pylist()
            publishers += table["source"].to_pylist()
            published += table["published"].to_pylist()
        chars = np.array([len(t) for t in texts])
        words = np.array([len(t.split()) for t in texts])
        bins = np.digitize(chars, LENGTH_EDGES) - 1
        assert lengths["chars"] == np.bincount(bins, minlength=len(LENGTH_EDGES)).tolist()
        bins = np.digitize(words, LENGTH_EDGES) - 1
        assert lengths["words"] == np.bincount(bins, minlength=len(LENGTH_EDGES)).tolist()
        assert lengths["total_chars"] == chars.sum() and lengths["total_words"] == words.sum()
        sources.update(p or "(none)" for p in publishers)
        days += [p.date().isoformat() for p in published if p]  # UTC timestamps
    assert profile["publishers"]["top"] == dict(sources)
    assert profile["published"]["earliest"] == min(days) == "2020-01-15"
    assert profile["published"]["latest"] == max(days)
    assert profile["published"]["by_year"] == dict(sorted(Counter(d[:4] for d in days).items()))


def test_profile_bins_by_hand():
    profile = Profile().add(
        [
            {"text": "x" * 9, "source": "A", "published": "2024-02-01T08:00:00+08:00"},
            {"text": "x" * 10, "source": None, "published": None},
            {"text": " ".join(["w"] * 25), "source": "A", "published": "2019-12-31"},
        ]
    )
    assert profile.chars[:4] == [1, 1, 1, 0]  # 9 -> [0, 10), 10 -> [10, 20), 49 -> [20, 50)
    assert profile.words[:4] == [2, 0, 1, 0]  # 1, 1 -> [0, 10), 25 -> [20, 50)
    assert (profile.total_chars, profile.total_words) == (9 + 10 + 49, 27)
    assert profile.publishers == {"A": 2, "(none)": 1}
    assert (profile.earliest, profile.latest, profile.years) == (
        "2019-12-31",
        "2024-02-01",
        {"2024": 1, "2019": 1},
    )


records = st.lists(
    st.fixed_dictionaries(
        {
            "text": st.text(max_size=300),
            "source": st.none() | st.sampled_from(["A", "B"]),
            "published": st.none() | st.dates().map(str),
        }
    ),
    max_size=20,
)


@given(records, st.integers(0, 20))
def test_profiles_merge_like_one_profile(rows, cut):
    """Workers profile their own batches: merging must equal profiling everything at once."""
    merged = Profile().add(rows[:cut])
    merged.merge(Profile().add(rows[cut:]))
    assert merged == Profile().add(rows)


def test_difference_excerpt_by_hand():
    assert difference_excerpt("a b c d e f", "a b c X e f Y") == [
        ["equal", "a b c", "a b c"],
        ["replace", "d", "X"],
        ["equal", "e f", "e f"],
        ["insert", "", "Y"],
    ]
    assert difference_excerpt("one two", "one  two") == [["equal", "one two", "one two"]]
    long = " ".join(f"w{i}" for i in range(100))
    excerpt = difference_excerpt(long, long.replace("w60", "CHANGED"), context=5, span=10)
    assert excerpt[0] == ["equal", "w55 w56 w57 w58 w59", "w55 w56 w57 w58 w59"]
    assert excerpt[1] == ["replace", "w60", "CHANGED"]
    assert excerpt[2] == [
        "equal",
        "w61 w62 w63 w64 w65 w66 w67 w68 w69",
        "w61 w62 w63 w64 w65 w66 w67 w68 w69",
    ]


def test_near_duplicate_pair_is_shown_where_it_differs(release):
    (example,) = read_jsonl(release.path / "audit/near_duplicate_examples.jsonl")
    assert (example["id"], example["duplicate_of"]) == ("story9-edit", "story9")
    kinds = [tag for tag, _, _ in example["segments"]]
    assert "equal" in kinds and kinds[0] == "equal"
    removed = " ".join(dropped for tag, _, dropped in example["segments"] if tag != "equal")
    assert "An entirely new sentence stands here" in removed
    page = (release.path / "report.html").read_text(encoding="utf-8")
    assert "<ins>An entirely new sentence stands here.</ins>" in page


def test_report_is_a_reproducible_view_outside_the_fingerprint(tmp_path, release):
    raw = write_files(tmp_path / "raw", corpus())
    settings = {"ingest": {"fields": {"id": "id"}}}
    again = build(make_config(tmp_path / "again", raw, **settings))
    bare = build(make_config(tmp_path / "bare", raw, **settings), report=False)
    assert (again.path / "report.html").read_bytes() == (release.path / "report.html").read_bytes()
    assert not (bare.path / "report.html").exists()
    assert bare.manifest["fingerprint"] == again.manifest["fingerprint"] == release.manifest["fingerprint"]
    assert "report.html" not in {f["path"] for f in again.manifest["files"]}
    assert verify.check_files(again.path).ok and verify.check_files(bare.path).ok

    drawn = run_cli("report", str(bare.path), "--output", str(tmp_path / "page.html"), cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    assert (tmp_path / "page.html").read_bytes() == (again.path / "report.html").read_bytes()


def test_report_compares_with_the_previous_version(tmp_path):
    files = {"a.jsonl": jsonl(*({"id": f"r{i}", "text": article_text(i)} for i in range(6)))}
    raw = write_files(tmp_path / "raw", files)
    first = build(make_config(tmp_path, raw, ingest={"fields": {"id": "id"}}))
    page = lxml.html.fromstring((first.path / "report.html").read_bytes())
    assert "first version in its output folder" in page.get_element_by_id("changes").text_content()

    (raw / "b.jsonl").write_text(jsonl({"id": "r9", "text": article_text(9)}))
    second = build(make_config(tmp_path, raw, version="1.1.0", ingest={"fields": {"id": "id"}}))
    changes = lxml.html.fromstring((second.path / "report.html").read_bytes()).get_element_by_id("changes")
    assert "From 1.0.0 to 1.1.0" in changes.text_content()
    rows = [[td.text_content() for td in tr.xpath("td")] for tr in changes.xpath(".//tr[td]")]
    assert sum(int(added) for _, added, _, _ in rows) == 1
    assert all(removed == changed == "0" for _, _, removed, changed in rows)

    shutil.rmtree(first.path)  # the previous release is gone: the page says so
    report.write(second.path, report.changes_since_previous(second.path))
    section = lxml.html.fromstring((second.path / "report.html").read_bytes()).get_element_by_id("changes")
    assert "1.0.0, is not beside this release" in section.text_content()


def test_report_command_fails_cleanly(tmp_path, release):
    empty = run_cli("report", str(tmp_path), cwd=tmp_path)
    assert empty.returncode == 1 and "not a readable release" in empty.stderr
    assert "Traceback" not in empty.stderr
    old = tmp_path / "old"
    shutil.copytree(release.path, old)
    manifest = (old / "manifest.json").read_text()
    (old / "manifest.json").write_text(manifest.replace('"profile"', '"profile_of_old"'))
    stale = run_cli("report", str(old), cwd=tmp_path)
    assert stale.returncode == 1 and "built before reports existed" in stale.stderr
    assert "Traceback" not in stale.stderr


def test_report_renders_in_headless_chromium(tmp_path, release):
    """The page a researcher opens: no console errors, no request leaves the file, every
    section and every chart shows."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "install Debian's chromium (apt-get install chromium); .ci/run does"
    problems, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on(
            "console",
            lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((release.path / "report.html").as_uri(), wait_until="load")
        for section in SECTIONS:
            assert page.is_visible(f"#{section}"), section
        sizes = page.eval_on_selector_all("img", "images => images.map(i => [i.complete, i.naturalWidth])")
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        height = page.evaluate("document.body.scrollHeight")
        browser.close()
    assert problems == []
    assert all(url.startswith(("file:", "data:")) for url in requests)
    assert len(sizes) == 7 and all(done and width > 300 for done, width in sizes)
    assert height > 2000 and shot.stat().st_size > 50_000


# Names in the scripts DejaVu Sans lacks, as publishers (drawn in a chart and listed in a
# table) and titles; one long enough to be shortened.
SCRIPT_PUBLISHERS = {
    "zh": "搜狐新闻",
    "ja": "朝日新聞デジタル",
    "ko": "한겨레신문",
    "th": "ไทยรัฐออนไลน์",
    "long": "云南日报网云南日报报业集团新闻网络信息中心编辑部",
}
SCRIPT_TITLES = ["上海举行新闻发布会", "東京で記者会見", "서울에서 기자회견", "กรุงเทพฯ แถลงข่าว"]


def script_corpus() -> dict[str, str]:
    records = [
        {"id": f"{key}{i}", "text": article_text(10 * n + i), "source": name, "title": SCRIPT_TITLES[i % 4]}
        for n, (key, name) in enumerate(SCRIPT_PUBLISHERS.items())
        for i in range(n + 1)
    ]
    return {"a.jsonl": jsonl(*records)}


def glyph_fonts(svg: bytes) -> set[str]:
    """The fonts an SVG's text outlines come from: each glyph's outline is defined once,
    with the id `<font>_<glyph name>` (`nofont_box` for a character no font has)."""
    root = ElementTree.fromstring(svg)
    ids = [p.get("id") for p in root.iter(f"{SVG}path") if p.get("id")]
    return {i.split("_", 1)[0] for i in ids}


def chart(page_path: Path, alt: str) -> bytes:
    page = lxml.html.fromstring(page_path.read_bytes())
    (image,) = page.xpath(f"//img[@alt='{alt}']")
    return base64.b64decode(image.get("src").split(",", 1)[1])


@pytest.fixture(scope="module")
def scripts_release(tmp_path_factory):
    root = tmp_path_factory.mktemp("scripts")
    raw = write_files(root / "raw", script_corpus())
    return build(make_config(root, raw, ingest={"fields": {"id": "id"}}))


def test_chinese_japanese_korean_thai_names_are_drawn_not_boxed(scripts_release):
    """Fails where a chart's text is drawn in DejaVu Sans alone (a box then stands for each
    character it lacks); needs fonts-noto-cjk and fonts-thai-tlwg, as CI installs them."""
    path = scripts_release.path / "report.html"
    fonts = glyph_fonts(chart(path, "Records per publisher"))
    assert "nofont" not in fonts, fonts
    assert any(f.startswith("NotoSansCJK") for f in fonts) and "Loma" in fonts, fonts
    page = lxml.html.fromstring(path.read_bytes())
    assert not page.xpath("//*[@id='missing-fonts']")
    names = {td.text_content() for td in page.get_element_by_id("sources").xpath(".//td")}
    assert set(SCRIPT_PUBLISHERS.values()) <= names  # the table keeps whole names
    assert "Noto Sans CJK SC" in page.xpath("//footer")[0].text_content()


def test_without_the_fonts_the_page_says_so(tmp_path, monkeypatch):
    from dataset_builder.report import glyphs

    monkeypatch.setattr(glyphs, "font_files", dict)  # a machine with no fonts at all:
    monkeypatch.setattr(glyphs, "LOADED", {})
    # Latin still comes from the shipped DejaVu Sans, the other scripts are boxes
    raw = write_files(tmp_path / "raw", script_corpus())
    release = build(make_config(tmp_path, raw, ingest={"fields": {"id": "id"}}))
    path = release.path / "report.html"
    assert glyph_fonts(chart(path, "Records per publisher")) == {"DejaVuSans", "DejaVuSans-Bold", "nofont"}
    note = lxml.html.fromstring(path.read_bytes()).get_element_by_id("missing-fonts")
    assert "fonts-noto-cjk" in note.text_content()


def test_scripts_report_is_reproducible(tmp_path, scripts_release):
    raw = write_files(tmp_path / "raw", script_corpus())
    again = build(make_config(tmp_path, raw, ingest={"fields": {"id": "id"}}))
    assert (again.path / "report.html").read_bytes() == (scripts_release.path / "report.html").read_bytes()


def test_long_labels_are_shortened_by_columns():
    from dataset_builder.report.charts import shorten

    assert shorten("short") == "short"
    assert shorten("a" * 40, 10) == "a" * 9 + "…"
    assert shorten("云南日报网云南日报报业集团", 10) == "云南日报…"  # two columns each
    assert shorten("ไทยรัฐออนไลน์", 5) == "ไทยรั…"  # marks take no column, stay on their letter
    assert shorten("Sohu.com News", 9) == "Sohu.com…"


def test_names_shortened_alike_stay_two_bars():
    from dataset_builder.report.charts import bars

    def rows(svg: str) -> int:
        return svg.count('class="bar"')

    long = "Regional Newspaper Group of the Northern Provinces, "
    assert rows(bars("t", {long + "North": 1, long + "South": 2}, "records")) == 2
    assert rows(bars("t", {"North": 1, "South": 2, "East": 3}, "records")) == 3


def test_bars_are_drawn_to_the_scale_of_their_axis():
    """Each bar starts at the axis's 0 tick and ends at the tick of its value, across and
    upright; the funnel's steps each start where the one before ended."""
    from dataset_builder.report.charts import bars, funnel

    def drawn(svg: str) -> tuple[list[dict[str, float]], dict[str, dict[float, float]]]:
        root = ElementTree.fromstring(svg)
        rects = [
            {k: float(r.get(name)) for k, name in (("x", "x"), ("y", "y"), ("w", "width"), ("h", "height"))}
            for r in root.iter(f"{SVG}rect")
            if r.get("class") == "bar"
        ]
        ticks = {"xtick": {}, "ytick": {}}
        for line in root.iter(f"{SVG}line"):
            if line.get("class") in ticks:
                at = "x1" if line.get("class") == "xtick" else "y1"
                ticks[line.get("class")][float(line.get("data-value"))] = float(line.get(at))
        return rects, ticks

    counts = {"a": 2, "b": 4, "c": 6}
    rects, ticks = drawn(bars("t", counts, "records"))
    assert [r["x"] for r in rects] == [ticks["xtick"][0]] * 3
    assert [r["x"] + r["w"] for r in rects] == pytest.approx(
        [ticks["xtick"][v] for v in counts.values()], abs=0.02
    )
    rects, ticks = drawn(bars("t", counts, "records", horizontal=False))
    assert [r["y"] + r["h"] for r in rects] == pytest.approx([ticks["ytick"][0]] * 3, abs=0.02)
    assert [r["y"] for r in rects] == pytest.approx([ticks["ytick"][v] for v in counts.values()], abs=0.02)
    assert [r["x"] + r["w"] / 2 for r in rects] == pytest.approx(
        [ticks["xtick"][i] for i in range(3)], abs=0.02
    )

    m = {
        "counts": {"read": 10},
        "rejected_by_reason": {"json": 4},
        "duplicates_by_kind": {"exact": 2},
        "splits": {"train": 2, "validation": 2, "test": 0},
    }
    rects, ticks = drawn(funnel(m))
    ends = [end for r in rects for end in (r["x"], r["x"] + r["w"])]
    x = ticks["xtick"]  # 0, 2, ..., 10
    expected = [(0, 10), (6, 10), (4, 6), (0, 2), (2, 4), (4, 4)]  # read, json, exact, kept per split
    assert ends == pytest.approx([x[end] for pair in expected for end in pair], abs=0.02)


def test_names_in_every_script_render_in_headless_chromium(tmp_path, scripts_release):
    """What a reader sees: Chromium names the fonts it drew each table cell with
    (CSS.getPlatformFontsForNode); a character none of them has was drawn as a box. The
    charts are checked in their SVG (test above): their text is outlines."""
    from fontTools.ttLib import TTFont
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "install Debian's chromium (apt-get install chromium); .ci/run does"
    drawn = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((scripts_release.path / "report.html").as_uri(), wait_until="load")
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "#sources td"})["nodeIds"]:
            text = lxml.html.fromstring(
                cdp.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"]
            ).text_content()
            drawn[text] = [
                f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            ]
        page.screenshot(path=str(tmp_path / "scripts.png"), full_page=True)
        browser.close()

    def boxes(text: str, families: list[str]) -> set[str]:
        have: set[int] = set()
        for family in families:  # the file fontconfig gives Chromium for the family
            found = subprocess.run(
                ["fc-match", "--format", "%{file}\n%{index}", family],
                capture_output=True,
                text=True,
                check=True,
            )
            file, index = found.stdout.split("\n")
            have |= set(TTFont(file, fontNumber=int(index), lazy=True).getBestCmap())
        return {char for char in text if not char.isspace() and ord(char) not in have}

    names = set(SCRIPT_PUBLISHERS.values())
    assert names <= set(drawn)
    assert {name: boxes(name, drawn[name]) for name in names} == {name: set() for name in names}
    assert boxes("搜狐", ["DejaVu Sans"]) == {"搜", "狐"}  # the check sees a box where there is one
    assert (tmp_path / "scripts.png").stat().st_size > 50_000


def test_quality_histograms_draw_each_bin_to_scale_and_the_cut_where_it_is():
    """Written by hand (report/histograms.py): a bar per non-empty bin, heights in
    proportion to the counts, the dashed cut at its value's place on the axis; a signal
    without a histogram (no record scored) is left out."""
    from dataset_builder.report.histograms import PLOT_HEIGHT, PLOT_LEFT, PLOT_WIDTH, quality

    words = {"edges": [0, 10, 20, 30], "counts": [3, 0, 6], "cut": {"bound": "min", "value": 15}}
    m = {"quality": {"signals": {"words": {**words, "fail": 3, "pass": 6}, "stop_words": {"fail": 0}}}}
    root = ElementTree.fromstring(quality(m))
    svg = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{svg}g")) == 1
    bins = [r for r in root.iter(f"{svg}rect") if r.get("class") == "bin"]
    assert [float(r.get("height")) for r in bins] == [PLOT_HEIGHT / 2, PLOT_HEIGHT]
    assert [float(r.get("x")) for r in bins] == [PLOT_LEFT, PLOT_LEFT + PLOT_WIDTH * 2 / 3]
    (cut,) = [line for line in root.iter(f"{svg}line") if line.get("class") == "cut"]
    assert float(cut.get("x1")) == PLOT_LEFT + PLOT_WIDTH / 2


def test_merged_names_and_declared_languages_are_shown_from_the_manifest(tmp_path):
    """The spellings merged into one publisher and the declared → detected languages, each
    number the manifest's (the loop below resolves every data-manifest pointer)."""
    release = run_build(tmp_path, {**outlets(), **declared_pages()}, ingest={"fields": {"id": "id"}})
    page = lxml.html.fromstring((release.path / "report.html").read_bytes())
    shown = {cell.get("data-manifest"): cell.text_content() for cell in page.xpath("//*[@data-manifest]")}
    for pointer, text in shown.items():
        assert int(text.replace(",", "")) == resolve(release.manifest, pointer), pointer
    assert "/profile/publishers/variants/El País/El país" in shown
    assert shown["/profile/declared_languages/records"] == "3"
    assert shown["/profile/declared_languages/disagree/0/records"] == "1"
    rows = [
        " ".join(cell.text_content() for cell in row) for row in page.xpath("//section[@id='sources']//tr")
    ]
    assert "El País El país 1" in rows and "en es 1" in rows
