"""How well saved web pages become article text and metadata: trafilatura alone against
extract_article, on three benchmarks with gold, in one run.

    python bench/html_extraction.py [--jobs 2] [--steps] [--legacy]

Pages (bench/html_corpora.py, read in ../shared/corpora/): Zyte's article-extraction
benchmark (181 pages, 126 sites, mostly English), WCXB's article pages (250 English pages,
250 domains) and the Chinese web extraction set (69 pages, 47 in GB2312/GBK).

1. Body: token-level precision, recall and F1 against the gold body, as Zyte's evaluate.py
   counts them (per page the normalised true/false positives and false negatives of the two
   token multisets; P and R macro-averaged over pages, F1 their harmonic mean), with each
   Han/Kana/Thai character a token. Per benchmark, then per language (langdetect, seed 0,
   on the gold body), for trafilatura alone (`trafilatura.extract`, its defaults) and
   extract_article. Halves A and B split each benchmark by site: thresholds were set
   looking at all pages, so the halves show how much a figure moves between sites.
2. Metadata, exact after normalisation (NFKC, case folded, punctuation ignored): title,
   the set of author names (a page without one must get none), the publication date on
   the same day (to the month or year where that is all the gold gives). trafilatura's
   own metadata (`extract_metadata`, its defaults), htmldate alone (`find_date`,
   original date) and extract_article.
3. With --steps: extract_article with each of its steps left out, per benchmark.
4. With --legacy: the Zyte pages re-encoded in their script's legacy encoding (windows-1252,
   -1251, Shift JIS, ...; characters it lacks as character references, so the document is
   the same) with the charset declaration removed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from multiprocessing import Pool

import htmldate
import trafilatura
from html_corpora import BENCHMARKS, Page, counts, load, macro, same_authors, same_date, same_title
from trafilatura.utils import decode_file

from dataset_builder.stages.html import DATE_PARAMS, STEPS, HtmlArticle, extract_article
from dataset_builder.stages.langid import LanguageTagger
from dataset_builder.stages.pagetext import UndecodablePage, decode_html

READERS = ("trafilatura", "extract_article")
FIELDS = ("title", "author", "date")


def article_of(data: bytes, url: str | None, skip: frozenset[str] = frozenset()) -> HtmlArticle | None:
    """extract_article's reading, None for a page it rejects (no article, or undecodable)."""
    try:
        return extract_article(data, url, skip)
    except UndecodablePage:
        return None


def read(page: Page, steps: bool, legacy: bool) -> dict[str, object]:
    """Every reading of one page: body texts by reader name, metadata by (reader, field)."""
    article = article_of(page.data, page.url)
    meta = trafilatura.extract_metadata(decode_file(page.data), default_url=page.url)
    out: dict[str, object] = {
        "trafilatura": trafilatura.extract(page.data, url=page.url) or "",
        "extract_article": article.text if article else "",
        ("trafilatura", "title"): meta.title,
        ("trafilatura", "author"): [a.strip() for a in (meta.author or "").split(";") if a.strip()],
        ("trafilatura", "date"): meta.date,
        ("htmldate", "date"): htmldate.find_date(
            page.data, url=page.url, original_date=True, max_date=DATE_PARAMS["max_date"]
        ),
        ("extract_article", "title"): article.title if article else None,
        ("extract_article", "author"): article.authors if article else [],
        ("extract_article", "date"): article.published if article else None,
    }
    if steps:
        for step in STEPS:
            without = article_of(page.data, page.url, frozenset({step}))
            out[f"without {step}"] = without.text if without else ""
    if legacy and page.benchmark == "zyte":
        data, written = legacy_copy(page.data)
        article = article_of(data, page.url)
        out["legacy: trafilatura"] = trafilatura.extract(data, url=page.url) or ""
        out["legacy: extract_article"] = article.text if article else ""
        out["legacy decoded: trafilatura"] = decode_file(data) == written
        try:
            out["legacy decoded: extract_article"] = decode_html(data).text == written
        except UndecodablePage:
            out["legacy decoded: extract_article"] = False
    return out


def _read(job: tuple[Page, bool, bool]) -> dict[str, object]:
    return read(*job)


# --- the pages as a legacy site would serve them ---------------------------------------------

CHARSET_DECLARATION = re.compile(r"<meta[^>]*charset[^>]*>", re.IGNORECASE)
SCRIPTS = (  # (first, last) code point of a script, its legacy encoding; else windows-1252
    (("\u3040", "\u30ff"), "cp932"),  # kana
    (("\uac00", "\ud7af"), "cp949"),  # hangul
    (("\u4e00", "\u9fff"), "gb18030"),  # han
    (("\u0400", "\u04ff"), "cp1251"),  # cyrillic
)


def legacy_copy(data: bytes) -> tuple[bytes, str]:
    """The page in its script's legacy encoding, undeclared, and the text it encodes."""
    text = CHARSET_DECLARATION.sub("", data.decode("utf-8"))
    encoding = next(
        (name for (first, last), name in SCRIPTS if sum(first <= ch <= last for ch in text) > 50), "cp1252"
    )
    legacy = text.encode(encoding, errors="xmlcharrefreplace")
    return legacy, legacy.decode(encoding)


# --- report ------------------------------------------------------------------------------------


def body_table(
    groups: dict[str, list[Page]], readings: dict[tuple[str, str], dict], names: list[str]
) -> None:
    """One line per group of pages: P, R and F1 of each reader, and F1's lead over the first."""
    print(f"{'':22}{'pages':>6}" + "".join(f"{name[:22]:>24}" for name in names) + "   lead")
    print(f"{'':28}" + f"{'P      R     F1':>24}" * len(names))
    for label, pages in groups.items():
        row, f1s = f"{label:22}{len(pages):6}", []
        for name in names:
            p, r, f = macro(
                [counts(page.body, str(readings[page.benchmark, page.key][name])) for page in pages]
            )
            row += f"{p:10.3f}{r:7.3f}{f:7.3f}"
            f1s.append(f)
        print(row + f"{f1s[-1] - f1s[0]:+7.3f}")


def metadata_table(benchmark: str, pages: list[Page], readings: dict[tuple[str, str], dict]) -> None:
    checks = {"title": same_title, "author": same_authors, "date": same_date}
    gold = {"title": "title", "author": "authors", "date": "date"}
    for field in FIELDS:
        scored = [page for page in pages if getattr(page, gold[field]) is not None]
        if not scored:
            continue
        row = f"  {benchmark} {field:8}{len(scored):5} pages"
        for reader in ("trafilatura", "htmldate", "extract_article"):
            if (reader, field) not in readings[scored[0].benchmark, scored[0].key]:
                row += f"{'':>22}"
                continue
            right = sum(
                checks[field](getattr(page, gold[field]), readings[page.benchmark, page.key][reader, field])
                for page in scored
            )
            row += f"{reader:>16} {right / len(scored):5.1%}"
        print(row)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=2, help="processes")
    parser.add_argument("--steps", action="store_true", help="extract_article with each step left out")
    parser.add_argument("--legacy", action="store_true", help="Zyte pages in a legacy charset, undeclared")
    args = parser.parse_args()
    benchmarks = {name: pages for name in BENCHMARKS if (pages := load(name))}
    if not benchmarks:
        sys.exit("no benchmark found in ../shared/corpora/")
    pages = [page for group in benchmarks.values() for page in group]
    with Pool(args.jobs) as pool:
        found = pool.map(_read, [(page, args.steps, args.legacy) for page in pages], chunksize=4)
    readings = {(page.benchmark, page.key): out for page, out in zip(pages, found, strict=True)}
    tagger = LanguageTagger(seed=0, min_chars=20)
    languages = tagger.tag_batch([page.body for page in pages])

    groups: dict[str, list[Page]] = {}
    by_language: dict[str, list[Page]] = defaultdict(list)
    for page, tag in zip(pages, languages, strict=True):
        by_language[f"  {page.benchmark} {tag.language}"].append(page)
    for name, group in benchmarks.items():
        groups[name] = group
        groups |= {f"  {name} half {h}": [p for p in group if p.half == h] for h in "AB"}
        groups |= {label: by_language[label] for label in sorted(by_language) if label.split()[0] == name}
    print("1. Body, token P/R/F1 (each CJK character a token)\n")
    body_table(groups, readings, list(READERS))

    print("\n2. Metadata, share of pages right (exact after normalisation; date: same day)\n")
    for name, group in benchmarks.items():
        metadata_table(name, group, readings)

    if args.steps:
        print("\n3. extract_article with each step left out\n")
        names = ["extract_article", *(f"without {step}" for step in STEPS)]
        body_table({name: group for name, group in benchmarks.items()}, readings, names)
    if args.legacy and "zyte" in benchmarks:
        print("\n4. Zyte pages re-encoded in a legacy charset, undeclared\n")
        body_table(
            {"zyte legacy": benchmarks["zyte"]}, readings, ["legacy: trafilatura", "legacy: extract_article"]
        )
        for reader in READERS:
            right = sum(
                bool(readings["zyte", p.key][f"legacy decoded: {reader}"]) for p in benchmarks["zyte"]
            )
            print(f"  decoded as written by {reader + ':':17} {right}/{len(benchmarks['zyte'])} pages")


if __name__ == "__main__":
    main()
