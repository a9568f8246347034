"""How well saved web pages become article text: trafilatura's modes and extract_article.

    python bench/html_extraction.py [--jobs 2]

Pages: the 181 pages of the Zyte article-extraction benchmark (126 sites), read where they
are in ../shared/corpora/article_extraction_benchmark/; `articleBody` is the reference.

Metric: evaluate.py of github.com/scrapinghub/article-extraction-benchmark, at token level.
Tokens are `\\w+` runs, lower-cased; per page, the true positives, false positives and false
negatives of the two token multisets, normalised by their sum; precision and recall are
macro-averaged over pages (a page with no extraction scores precision 0 and is left out of
the precision mean, as in evaluate.py), and F1 is the harmonic mean of the two averages.
evaluate.py itself scores 4-token shingles with case kept: that F1 is the last column.

Halves: pages are split by site (CRC-32 of the host name), so no site is in both. The
numeric thresholds of dataset_builder/html.py were checked on half A; half B is held out
from that. The line rules were written after reading extraction errors on all pages, so B
is site-disjoint from A but not unseen.

Table 1, the pages as saved: trafilatura alone on the page bytes (default, favor_precision,
favor_recall); extract_article's steps added one at a time; extract_article with each step
left out; extract_article followed by the project's clean rules (defaults.toml), as a build.
Table 2, the same pages as a legacy site would serve them: re-encoded in their script's
legacy encoding (windows-1252, -1251, Shift JIS, ...; characters it lacks as character
references, so the document is the same) with the charset declaration removed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable
from functools import cache
from multiprocessing import Pool
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura
from trafilatura.utils import decode_file

from dataset_builder.config import load_config
from dataset_builder.stages.clean import Cleaner, clean_text, normalize_text
from dataset_builder.stages.furniture import drop_teasers, trim_head, trim_tail
from dataset_builder.stages.html import (
    decode_html,
    extract_article,
    keeps_enough,
    looks_like_article,
    merge_split_body,
    parse_html,
    run_trafilatura,
)

REPO = Path(__file__).resolve().parent.parent
BENCHMARK = REPO.parent / "shared" / "corpora" / "article_extraction_benchmark"
TOKEN = re.compile(r"\w+")
STEPS = ("fallback", "split body", "head", "teasers", "tail")
Page = tuple[bytes, str, str]  # page bytes, URL, reference body


def load_pages() -> dict[str, Page]:
    if not BENCHMARK.is_dir():
        sys.exit(f"this benchmark needs the Zyte pages in {BENCHMARK}")
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    html = BENCHMARK / "html"
    return {
        key: (gzip.decompress((html / f"{key}.html.gz").read_bytes()), page["url"], page["articleBody"])
        for key, page in sorted(truth.items())
    }


def half(url: str) -> str:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return "AB"[zlib.crc32(host.encode()) % 2]


# --- metric: evaluate.py's definition ---------------------------------------------------------


def counts(true: str, pred: str, n: int = 1, fold: bool = True) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of the n-token shingles of two texts."""

    def shingles(text: str) -> Counter[tuple[str, ...]]:
        tokens = TOKEN.findall(text.lower() if fold else text)
        return Counter(
            tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
        )

    a, b = shingles(true), shingles(pred)
    tp, fp, fn = sum((a & b).values()), sum((b - a).values()), sum((a - b).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def macro(page_counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)

    p = statistics.mean(precision(*c) for c in page_counts if c[0] + c[1] > 0)
    r = statistics.mean(recall(*c) for c in page_counts if c[0] + c[2] > 0)
    return p, r, 2 * p * r / (p + r)


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


# --- every row's text for one page -------------------------------------------------------------


def lines_of(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def trafilatura_modes(data: bytes, url: str) -> dict[str, str]:
    return {
        "trafilatura default": trafilatura.extract(data, url=url) or "",
        "trafilatura favor_precision": trafilatura.extract(data, url=url, favor_precision=True) or "",
        "trafilatura favor_recall": trafilatura.extract(data, url=url, favor_recall=True) or "",
    }


def variants(page: Page) -> tuple[dict[str, str], dict[str, bool]]:
    """Every row's text for one page, and whether each reader decoded its legacy copy as
    written. extract_article's steps are replayed from its public parts (one parse, one run
    per trafilatura mode) and checked against it, so the two cannot drift apart."""
    data, url, _ = page
    out = trafilatura_modes(data, url)
    tree = parse_html(decode_html(data).text)
    default = None if tree is None else run_trafilatura(tree, url, precision=False, metadata=True)
    precise = None if tree is None else run_trafilatura(tree, url, precision=True)

    @cache
    def body(fallback: bool, split: bool) -> str:
        if tree is None or default is None:
            return ""
        precision = precise is not None and (
            not fallback or keeps_enough(precise.text or "", default.text or "")
        )
        text = (precise.text if precise is not None and precision else default.text) or ""
        merged = merge_split_body(tree, text) if split else None
        if merged is not None:
            joined = run_trafilatura(merged, url, precision=precision)
            if joined is not None and len(joined.text or "") > len(text):
                return joined.text or ""
        return text

    def steps(skip: set[str]) -> str:
        if tree is None or default is None:
            return ""
        lines = lines_of(body("fallback" not in skip, "split body" not in skip))
        if "head" not in skip:
            lines = trim_head(lines, default.title, default.author)
        if "teasers" not in skip:
            lines = drop_teasers(lines)
        if "tail" not in skip:
            lines = trim_tail(lines)
        return normalize_text("\n\n".join(lines)) if looks_like_article(tree, lines) else ""

    out["precision, no comments"] = steps(set(STEPS))
    for i, step in enumerate(STEPS):
        out[f"  + {step}"] = steps(set(STEPS[i + 1 :]))
    for step in STEPS:
        out[f"extract_article without {step}"] = steps({step})
    article = extract_article(data, url)
    out["extract_article"] = article.text if article else ""
    if out["extract_article"] != out[f"  + {STEPS[-1]}"]:
        raise AssertionError(f"{url}: the benchmark's steps no longer add up to extract_article")

    legacy, written = legacy_copy(data)
    article = extract_article(legacy, url)
    out |= {f"legacy: {name}": text for name, text in trafilatura_modes(legacy, url).items()}
    out["legacy: extract_article"] = article.text if article else ""
    return out, {
        "trafilatura": decode_file(legacy) == written,
        "extract_article": decode_html(legacy).text == written,
    }


# --- report ------------------------------------------------------------------------------------


def table(pages: dict[str, Page], outputs: dict[str, dict[str, str]], names: list[str]) -> None:
    halves = {"all": list(pages), **{h: [k for k in pages if half(pages[k][1]) == h] for h in "AB"}}
    print(f"{'':34}" + "".join(f"{f'{h} ({len(ks)} pages)':>23}" for h, ks in halves.items()) + "  4-gram F1")
    print(f"{'':34}" + f"{'P      R     F1':>23}" * 3)
    for name in names:
        row = f"{name:34}"
        for keys in halves.values():
            p, r, f = macro([counts(pages[k][2], outputs[k][name]) for k in keys])
            row += f"{p:9.3f}{r:7.3f}{f:7.3f}"
        shingled = macro([counts(pages[k][2], outputs[k][name], n=4, fold=False) for k in pages])
        print(row + f"{shingled[2]:11.3f}")
        if name in ("trafilatura favor_recall", f"  + {STEPS[-1]}", f"extract_article without {STEPS[-1]}"):
            print()


def speed(pages: dict[str, Page], extract: Callable[[bytes, str], object]) -> float:
    started = time.perf_counter()
    for data, url, _ in pages.values():
        extract(data, url)
    return len(pages) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=2, help="processes for the accuracy runs")
    args = parser.parse_args()
    pages = load_pages()
    with Pool(args.jobs) as pool:
        results = dict(zip(pages, pool.map(variants, pages.values()), strict=True))
    outputs = {key: texts for key, (texts, _) in results.items()}
    config = load_config(None)
    cleaner = Cleaner.from_settings(config.settings.clean)
    for out in outputs.values():
        out["extract_article + clean rules"] = clean_text(out["extract_article"], cleaner)[0]
    names = list(next(iter(outputs.values())))

    print("1. The pages as saved\n")
    table(pages, outputs, [n for n in names if not n.startswith("legacy")])
    print("\n2. The pages re-encoded in a legacy charset, undeclared\n")
    table(pages, outputs, [n for n in names if n.startswith("legacy: ")])
    for reader in ("trafilatura", "extract_article"):
        right = sum(decoded[reader] for _, decoded in results.values())
        print(f"  decoded as written by {reader + ':':17} {right}/{len(pages)} pages")

    print("\n3. Speed, one process, page bytes in")
    readers: dict[str, Callable[[bytes, str], object]] = {
        "trafilatura.extract, default": lambda data, url: trafilatura.extract(data, url=url),
        "extract_article": extract_article,
    }
    for name, read in readers.items():
        print(f"  {name:30} {speed(pages, read):6.1f} pages/s")


if __name__ == "__main__":
    main()
