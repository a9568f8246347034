"""Saved web pages in, article text and metadata out: small pages written here, and a
sample of the Zyte benchmark pages when ../shared/corpora is present."""

from __future__ import annotations

import codecs
import gzip
import json
import re
from collections import Counter

import pyarrow.parquet as pq
import pytest

from dataset_builder.stages.furniture import drop_teasers, trim_head, trim_tail
from dataset_builder.stages.html import extract_article, merge_split_body, primary_language, run_trafilatura
from dataset_builder.stages.pagetext import declared_charset, decode_html, parse_html
from tests.conftest import SHARED_CORPORA, article_text, jsonl, run_build
from tests.test_scripts import ARTICLES

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en-gb">
<head>
<meta charset="utf-8">
<title>River Thames reaches record low after driest summer | The Riverside Post</title>
<meta name="author" content="Helen Carter">
<meta property="article:published_time" content="2024-08-14T07:30:00+01:00">
<meta property="og:site_name" content="The Riverside Post">
<meta property="og:title" content="River Thames reaches record low after driest summer">
<link rel="canonical" href="https://www.riversidepost.example/news/2024/08/14/thames-record-low">
</head>
<body>
<header>
  <a href="/">The Riverside Post</a>
  <nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
  <li><a href="/weather">Weather</a></li><li><a href="/opinion">Opinion</a></li></ul></nav>
</header>
<main>
<article>
  <h1>River Thames reaches record low after driest summer</h1>
  <p class="byline">By Helen Carter</p>
  <time datetime="2024-08-14">14 August 2024, 07:30</time>
  <p>The River Thames fell to its lowest level on record at Teddington Lock on Tuesday, after
  the driest summer in southern England since measurements began more than a century ago.</p>
  <p>The Environment Agency said the flow over the weir had dropped below eight cubic metres a
  second, a third of the usual August figure, and that boat traffic upstream would be limited
  to the mornings until further notice.</p>
  <p>Related: Hosepipe ban extended to three more counties</p>
  <p>Water companies have asked customers to take shorter showers and to leave lawns unwatered.
  "Every litre we save now is a litre in the river in September," a spokesperson said.</p>
  <p>Farmers along the upper river say their crops are already suffering. Several have started
  selling livestock early because grazing land has turned brown.</p>
  <p>Reporting by Helen Carter; editing by Sam Okafor</p>
</article>
<section class="comments" id="comments">
  <h2>3 comments</h2>
  <div class="comment"><p>Pensioner99: I have lived here for seventy years and never seen it
  this low, the council should have acted in the spring.</p></div>
  <div class="comment"><p>boatman: Our moorings are in the mud now, nobody can get in or out of
  the marina and the summer is ruined for everyone.</p></div>
</section>
</main>
<aside><h3>Most read</h3><ul>
  <li><a href="/a">Council approves new bridge</a></li><li><a href="/b">Heatwave: what to expect</a></li>
</ul></aside>
<footer><p>Follow us on Twitter and Facebook</p>
<p>&copy; 2024 The Riverside Post. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy</a></li><li><a href="/contact">Contact</a></li></ul></footer>
</body>
</html>
"""


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def test_article_text_without_navigation_footer_comments_or_teasers():
    article = extract_article(NEWS_PAGE.encode("utf-8"))
    assert article is not None
    text = article.text
    assert paragraphs(text)[0].startswith("The River Thames fell to its lowest level on record")
    assert paragraphs(text)[-1].startswith("Farmers along the upper river")
    assert len(paragraphs(text)) == 4
    for furniture in (
        "River Thames reaches record low",  # the headline is the title, not text
        "By Helen Carter",
        "14 August 2024",
        "Related:",
        "Reporting by",
        "Pensioner99",
        "comments",
        "Most read",
        "Council approves",
        "Follow us",
        "All rights reserved",
        "Privacy",
    ):
        assert furniture not in text


def test_metadata_from_meta_tags():
    article = extract_article(NEWS_PAGE.encode("utf-8"), url="https://riversidepost.example/p/123")
    assert article is not None
    assert article.title == "River Thames reaches record low after driest summer"
    assert article.authors == ["Helen Carter"]
    assert article.published == "2024-08-14"
    assert article.source == "The Riverside Post"
    assert article.url == "https://www.riversidepost.example/news/2024/08/14/thames-record-low"
    assert article.language == "en-GB"


def test_given_url_and_its_host_when_the_page_declares_neither():
    page = re.sub(r'<link rel="canonical"[^>]*>|<meta property="og:site_name"[^>]*>', "", NEWS_PAGE)
    page = page.replace('<a href="/">The Riverside Post</a>', "").replace(" | The Riverside Post", "")
    article = extract_article(page.encode("utf-8"), url="https://riversidepost.example/p/123")
    assert article is not None
    assert article.url == "https://riversidepost.example/p/123"
    assert article.source == "riversidepost.example"


def test_declared_language_is_written_as_bcp47():
    page = NEWS_PAGE.replace('<html lang="en-gb">', "<html>").replace(
        "<head>", '<head>\n<meta property="og:locale" content="pt_BR">'
    )
    article = extract_article(page.encode("utf-8"))
    assert article is not None
    assert article.language == "pt-BR"
    article = extract_article(NEWS_PAGE.replace('<html lang="en-gb">', "<html>").encode("utf-8"))
    assert article is not None
    assert article.language is None  # not declared: not guessed either


def test_same_bytes_same_article():
    data = NEWS_PAGE.encode("utf-8")
    assert extract_article(data, "https://x.example/a") == extract_article(data, "https://x.example/a")


SPANISH = """<html><head><title>La sequía vacía los embalses del sur</title></head><body>
<nav><a href="/">Portada</a> <a href="/espana">España</a> <a href="/economia">Economía</a></nav>
<article><h1>La sequía vacía los embalses del sur</h1>
<p>Los embalses de Andalucía están al veintidós por ciento de su capacidad, según los datos
publicados el martes por el Ministerio. Es la cifra más baja desde que comenzó la serie histórica.</p>
<p>«Nunca habíamos visto algo así», explicó un agricultor de Jaén, que ha perdido la mitad de la
cosecha de aceituna. Los regantes piden ayudas urgentes y una reducción de las tarifas del agua.</p>
<p>El Gobierno aprobará el viernes un paquete de medidas que incluye obras de emergencia, camiones
cisterna para los pueblos más afectados y créditos a bajo interés para las explotaciones.</p>
</article><footer>Aviso legal · Política de privacidad</footer></body></html>"""

RUSSIAN = """<html><head><title>Морозы в Сибири</title></head><body>
<nav><a href="/">Главная</a> <a href="/news">Новости</a></nav>
<article><h1>Морозы в Сибири</h1>
<p>В среду в Новосибирске температура опустилась до минус сорока градусов. Синоптики говорят, что
холод продержится до конца недели, а в выходные возможен сильный ветер.</p>
<p>Школы перевели на дистанционное обучение, а городские власти открыли пункты обогрева для
бездомных и попросили водителей не оставлять машины на улице без присмотра.</p>
<p>Жителям советуют не выходить на улицу без необходимости и следить за состоянием пожилых
родственников и соседей.</p>
</article></body></html>"""


@pytest.mark.parametrize(
    ("page", "encoding", "expected"),
    [
        (SPANISH, "cp1252", "«Nunca habíamos visto algo así», explicó un agricultor de Jaén"),
        (SPANISH, "latin-1", "la cifra más baja desde que comenzó la serie histórica"),
        (RUSSIAN, "cp1251", "В среду в Новосибирске температура опустилась"),
        (RUSSIAN, "koi8_r", "Школы перевели на дистанционное обучение"),
    ],
)
def test_page_in_a_legacy_charset_without_declaration(page, encoding, expected):
    data = page.encode(encoding)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert declared_charset(data) is None
    article = extract_article(data)
    assert article is not None
    assert expected in " ".join(article.text.split())


def test_declared_charset_bom_and_xml_declaration():
    declared = RUSSIAN.replace(
        "<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    )
    assert decode_html(declared.encode("cp1251")).text == declared
    # latin-1 is read as windows-1252, as browsers do: 0x93/0x94 are curly quotes
    quoted = '<meta charset="ISO-8859-1"><p>\u201cS\u00ed\u201d</p>'
    assert decode_html(quoted.encode("cp1252")).text == quoted
    assert decode_html(codecs.BOM_UTF8 + SPANISH.encode("utf-8")).text == SPANISH
    assert decode_html(SPANISH.encode("utf-16")).text == SPANISH  # BOM first
    xml = '<?xml version="1.0" encoding="windows-1251"?>\n' + RUSSIAN
    assert decode_html(xml.encode("cp1251")).text == xml
    article = extract_article(xml.encode("cp1251"))
    assert article is not None
    assert "Новосибирске" in article.text  # not re-read by lxml as some other encoding


def test_valid_utf8_wins_over_a_stale_declaration():
    page = SPANISH.replace("<head>", '<head><meta charset="iso-8859-1">')
    assert decode_html(page.encode("utf-8")).text == page


HOME_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Example News</title></head>
<body><header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<main><h2>Top stories</h2><ul>
<li><a href="/a1">Floods hit the north as rivers burst their banks</a></li>
<li><a href="/a2">Central bank holds interest rates for a third month running</a></li>
<li><a href="/a3">Local team wins the cup after extra time and penalties</a></li>
<li><a href="/a4">New museum opens its doors to the public this weekend</a></li></ul></main>
<footer><p>&copy; 2024 Example News. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""

NOT_FOUND = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Page not found</title></head>
<body><nav><a href="/">Home</a></nav><main><h1>Page not found</h1>
<p>Sorry, we could not find that page.</p></main><footer>&copy; 2024 Example</footer></body></html>"""


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   ",
        b"<html><head><title>x</title></head><body></body></html>",
        HOME_PAGE.encode(),
        NOT_FOUND.encode(),
    ],
    ids=["empty", "blank", "empty-body", "home-page", "not-found"],
)
def test_no_article_is_none(data):
    assert extract_article(data) is None


def split_page(second_block: str) -> str:
    """An article whose body sits in two blocks of one class, an advert between them:
    trafilatura reads the first block only."""
    first = "".join(
        f"<p>Paragraph {i} of the first part tells how the council voted on the new tram line, who spoke "
        f"for it and against it, and what the residents of the old town said at the public meeting.</p>"
        for i in range(1, 5)
    )
    return f"""<html><head><title>Council backs the tram line</title></head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>
<main><h1>Council backs the tram line</h1>
<div class="grid"><div class="article-body">{first}</div></div>
<div class="advert"><p>Advertisement</p></div>
<div class="grid"><div class="article-body">{second_block}</div></div>
</main></body></html>"""


SECOND_PART = "".join(
    f"<p>Paragraph {i} of the second part explains the cost of the line, the years of building work ahead, "
    f"the bus routes that will change and the shops that fear losing customers while streets are closed.</p>"
    for i in range(1, 7)
)


def test_article_split_into_blocks_of_one_class_is_joined():
    page = split_page(SECOND_PART)
    first_block_only = run_trafilatura(parse_html(page), None, precision=True)
    assert first_block_only is not None
    assert "second part" not in first_block_only.text
    article = extract_article(page.encode())
    assert article is not None
    assert "Paragraph 1 of the first part" in article.text
    assert "Paragraph 6 of the second part" in article.text
    assert article.text.index("first part") < article.text.index("second part")


def test_a_small_block_sharing_the_class_is_not_joined():
    tree = parse_html(split_page("<p>Subscribe for more stories like this one.</p>"))
    assert tree is not None
    text = "\n".join(p.text_content() for p in tree.iter("p"))
    assert merge_split_body(tree, text) is None


def test_head_drops_title_date_and_byline_but_keeps_the_lead():
    lines = [
        "Storm closes ports",
        "November 20, 2019 - 11:28 AMT",
        "Jane Doe and John Roe",
        "Ferries stayed in harbour on Tuesday as winds reached 120 km/h.",
        "More paragraphs.",
    ]
    kept = trim_head(lines, "Storm closes ports - The Coast Daily", "Jane Doe; John Roe")
    assert kept == lines[3:]
    lead = ["On 12 May 2019, 40 people were rescued.", "Body."]
    assert trim_head(lead, "Rescue at sea", None) == lead  # a sentence, not a dateline


def test_teasers_and_listed_headlines_are_dropped():
    lines = [
        "First paragraph of the story, long enough to be prose.",
        "Related: Another story elsewhere",
        "[Read more: Yet another story]",
        "DON'T MISS",
        "China furious at trade jibe [INSIGHT]",
        "Markets slide as talks stall [VIDEO]",
        "The story goes on here with a full sentence.",
        "More information: the report is online.",
    ]
    assert drop_teasers(lines) == [lines[0], lines[6], lines[7]]


def test_tail_cuts_credits_prompts_and_tag_lists_only_at_the_end():
    body = ["He said police would follow the suspect at a distance.", "The trial starts in May."]
    footer = [
        "Associated Press writers Jane Roe and John Doe contributed to this report.",
        "Follow us on Twitter @example",
        "Tags",
        "storm, ports, ferries",
    ]
    assert trim_tail(body + footer) == body
    assert trim_tail(body) == body
    mid = ["Intro.", "Subscribe to our newsletter", "A long paragraph " + "word " * 60, "End."]
    assert trim_tail(mid) == mid  # a prompt with the article going on below it stays


def token_prf(true: str, pred: str) -> tuple[float, float]:
    """Token precision and recall of one page, as the benchmark's evaluate.py counts them."""
    a, b = Counter(re.findall(r"\w+", true.lower())), Counter(re.findall(r"\w+", pred.lower()))
    tp = sum((a & b).values())
    return (tp / sum(b.values()) if b else 0.0), (tp / sum(a.values()) if a else 0.0)


BENCHMARK = SHARED_CORPORA / "article_extraction_benchmark"


@pytest.mark.skipif(
    not BENCHMARK.is_dir(), reason="../shared/corpora/article_extraction_benchmark (Zyte pages) not present"
)
def test_zyte_benchmark_sample():
    """Every fourth page: what bench/html_extraction.py measures on all of them, in brief."""
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    scores = []
    for key in sorted(truth)[::4]:
        data = gzip.decompress((BENCHMARK / "html" / f"{key}.html.gz").read_bytes())
        article = extract_article(data, truth[key]["url"])
        assert article is not None, key
        scores.append(token_prf(truth[key]["articleBody"], article.text))
    precision = sum(p for p, _ in scores) / len(scores)
    recall = sum(r for _, r in scores) / len(scores)
    assert 2 * precision * recall / (precision + recall) >= 0.965


# --- the declared language, beside the detected one ------------------------------------------

PORTUGUESE = (
    "O governo federal anunciou nesta terça-feira um novo plano para a educação pública, com "
    "investimentos em escolas de todo o país. Segundo o ministério, os recursos serão usados para "
    "reformar prédios, comprar equipamentos e contratar professores nas regiões mais pobres.",
    "Os secretários estaduais disseram que ainda não conhecem os detalhes do programa, mas que a "
    "iniciativa chega num momento em que muitas cidades enfrentam falta de vagas. A oposição "
    "criticou o prazo curto e pediu que o texto seja discutido no Congresso antes de entrar em vigor.",
)


def page(lang: str | None, title: str, paragraphs: tuple[str, ...]) -> str:
    html = f'<html lang="{lang}">' if lang else "<html>"
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    head = f'<head><meta charset="utf-8"><title>{title}</title></head>'
    return f"<!DOCTYPE html>{html}{head}<body><article><h1>{title}</h1>{body}</article></body></html>"


def declared_pages() -> dict[str, str]:
    """A Portuguese page declaring pt-BR, a Spanish one declaring en, a Chinese one
    declaring zh-Hant-TW, an English one declaring nothing, and a JSON Lines record."""
    spanish = tuple(article_text(n, "es", words=60) for n in (1, 2))
    return {
        "pt.html": page("pt-BR", "Governo anuncia plano para a educação", PORTUGUESE),
        "es.html": page("en", "Noticia del día", spanish),
        "zh.html": page("zh-Hant-TW", "人工智能发展规划", (ARTICLES["Han"][0], ARTICLES["Han"][1])),
        "none.html": page(None, "A plain page", (article_text(3, words=60), article_text(4, words=60))),
        "feed.jsonl": jsonl({"text": article_text(5), "title": "Feed"}),
    }


def test_the_declared_language_is_recorded_and_disagreements_counted(tmp_path):
    release = run_build(tmp_path, declared_pages())
    table = pq.read_table(
        sorted((release.path / "data").glob("*.parquet")),
        columns=["raw_path", "language", "declared_language"],
    )
    rows = {r["raw_path"]: (r["declared_language"], r["language"]) for r in table.to_pylist()}
    assert rows == {
        "pt.html": ("pt", "pt"),
        "es.html": ("en", "es"),  # counted, not resolved: `language` stays the detected one
        "zh.html": ("zh", "zh-cn"),
        "none.html": (None, "en"),
        "feed.jsonl": (None, "en"),
    }
    assert release.manifest["profile"]["declared_languages"] == {
        "records": 3,
        "agree": 2,  # pt-BR and pt; zh-Hant-TW and zh-cn: primary subtags
        "undetermined": 0,
        "disagree": [{"declared": "en", "detected": "es", "records": 1}],
    }
    datasheet = (release.path / "DATASHEET.md").read_text(encoding="utf-8")
    assert "3 kept record(s) declare one; langdetect agrees with 2" in datasheet
    assert "| en | es | 1 |" in datasheet
    card = (release.path / "README.md").read_text(encoding="utf-8")
    assert "- name: declared_language\n    dtype: string" in card
    croissant = json.loads((release.path / "croissant.json").read_text(encoding="utf-8"))
    fields = {f["name"]: f for r in croissant["recordSet"] for f in r["field"]}
    assert fields["declared_language"]["dataType"] == "sc:Text"


@pytest.mark.parametrize(
    ("tag", "primary"),
    [("pt-BR", "pt"), ("zh-Hant-TW", "zh"), ("EN", "en"), ("iw", "he"), ("und", None), (None, None)],
)
def test_a_declared_tag_is_kept_as_its_primary_subtag(tag, primary):
    assert primary_language(tag) == primary


@pytest.mark.parametrize(
    ("meta", "declared"),
    [
        ('<meta http-equiv="Content-Language" content="utf-8">', None),  # a charset, not a language
        ('<meta http-equiv="Content-Language" content="iso-8859-1">', None),
        ('<meta http-equiv="Content-Language" content="de-AT">', "de-AT"),
    ],
)
def test_a_charset_is_no_declared_language(meta, declared):
    page = NEWS_PAGE.replace('<html lang="en-gb">', "<html>").replace("<head>", f"<head>\n{meta}")
    article = extract_article(page.encode("utf-8"))
    assert article is not None and article.language == declared
