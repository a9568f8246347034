"""A saved page's bytes (stages/pagetext.py): a few broken bytes are read past, bytes that
are no text are a reject with its reason, a crawler's wrapper is still HTML, and a page
over the size limit is rejected without being read."""

from __future__ import annotations

import random
import time

from dataset_builder.config import load_config
from dataset_builder.stages.html import extract_article, html_record
from dataset_builder.stages.ingest import files
from dataset_builder.stages.ingest.files import InputFile
from dataset_builder.stages.ingest.text import read_html
from dataset_builder.stages.pagetext import UndecodablePage, decode_html
from tests.conftest import run_build
from tests.test_hostile import assert_accounted, rejects_by_place

PARAGRAPHS = [
    "西藏自治区农业农村厅召开全区农牧业工作会议，记者从会上了解到，去年全区粮食总产量再创新高。",
    "会议提出，今年将继续加大高标准农田建设力度，推进青稞和牦牛等特色产业发展，带动农牧民增收。",
    "自治区有关负责人表示，要加快农牧业科技推广，完善基层服务体系，让更多群众享受到发展成果。",
]
PAGE = (
    "<html><head><title>全区农牧业工作会议召开</title></head><body><h1>全区农牧业工作会议召开</h1>"
    + "".join(f"<p>{p * 2}</p>" for p in PARAGRAPHS)
    + "</body></html>"
)


def test_a_gbk_page_with_a_broken_byte_is_read_as_gbk():
    data = PAGE.encode("gb18030")
    cut = data.index("去年".encode("gb18030"))
    broken = data[:cut] + b"\xc7" + data[cut:]  # a lead byte with no trail: no encoding reads it all
    for encoding in ("utf-8", "gb18030"):
        try:
            broken.decode(encoding)
            raise AssertionError(encoding)
        except UnicodeDecodeError:
            pass
    decoded = decode_html(broken)
    assert decoded.encoding == "gb18030 (undecodable bytes replaced)"
    assert decoded.text.count("\ufffd") == 1 and "农牧业工作会议" in decoded.text
    article = extract_article(broken)
    assert article is not None and "高标准农田建设" in article.text


def junk(size: int) -> bytes:
    rng = random.Random(21)
    return bytes(rng.randrange(256) for _ in range(size))


def test_bytes_that_are_no_text_are_a_decode_reject_with_the_place():
    raw = {"id": "a", "html": junk(20_000), "raw_path": "bad.html", "raw_line": 1}
    raw |= {"raw_sha256": "0" * 64, "raw_format": "html", "raw_encoding": None}
    rejection = html_record(raw)
    assert getattr(rejection, "reason", None) == "decode", rejection
    assert "not valid UTF-8" in rejection.detail and "convert the page to UTF-8" in rejection.detail
    try:
        decode_html(junk(20_000))
        raise AssertionError("decoded junk")
    except UndecodablePage:
        pass


def test_a_corrupt_page_in_a_build_is_one_reject_and_the_others_are_kept(tmp_path):
    release = run_build(tmp_path, {"good.html": PAGE.encode("gb18030"), "bad.html": junk(20_000)})
    assert_accounted(release)
    reject = rejects_by_place(release)[("bad.html", 1)]
    assert reject["reason"] == "decode", reject
    assert release.manifest["counts"]["kept"] == 1


def test_a_page_wrapped_in_a_crawlers_element_is_still_html():
    body = PAGE.split("<body>")[1].split("</body>")[0]
    wrapper = '<text id="http://blog.example.cn/archive/41810.aspx" title="会议" encoding="unset">'
    wrapped = f'{wrapper}<form id="Form1">{body}</form></text>'  # one child, as the benchmark's pages
    article = extract_article(wrapped.encode("utf-8"))
    assert article is not None and "青稞和牦牛" in article.text


def test_a_page_over_the_limit_is_rejected_without_being_read(tmp_path, monkeypatch):
    """Rejected on its size alone: its bytes are hashed for the reject, never opened for
    reading, decompressed or extracted."""
    path = tmp_path / "huge.html"
    with path.open("wb") as out:
        out.truncate(64 * 1024 * 1024)  # sparse: 64 MB, none of it ever written

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the page was opened for reading")

    monkeypatch.setattr(files, "open_input", never)
    settings = load_config(None).settings.ingest
    started = time.perf_counter()
    (reject,) = read_html(InputFile(path, "huge.html", path.stat().st_size), settings)
    assert time.perf_counter() - started < 2.0
    assert reject.reason == "too-large"
    assert f"more than ingest.max_html_bytes ({settings.max_html_bytes:,})" in reject.detail
