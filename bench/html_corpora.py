"""The three HTML benchmarks with gold, read as one kind of page, and how a reading is scored.

Used by bench/html_extraction.py. The pages stay in ../shared/corpora/ (never copied):

- `zyte`: article_extraction_benchmark/, 181 pages, gold body only (`articleBody`);
- `wcxb`: wcxb_articles/, 250 English pages, gold body, title, author and date;
- `zh`: zh_web_extraction/, 69 Chinese pages (47 in GB2312/GBK), gold body, author and date
  (`UNKNOWN` where the page names none); it has no URLs.

Body tokens are `\\w+` runs, lower-cased, as in Zyte's evaluate.py, except that each
character of a script written without spaces (Han, Kana, Thai, ...; scripts.py, Hangul
left out: Korean is written with spaces) is a token of its own. Without that a Chinese
paragraph is one token and a page scores 0 or 1.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dataset_builder.scripts import HANGUL, UNSPACED

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
BENCHMARKS = ("zyte", "wcxb", "zh")

_CHARACTERS = UNSPACED.replace(HANGUL, "")
TOKEN = re.compile(f"[{_CHARACTERS}]|(?:(?![{_CHARACTERS}])\\w)+")


@dataclass(frozen=True)
class Page:
    benchmark: str
    key: str
    data: bytes
    url: str | None
    body: str
    title: str | None = None  # None: no gold
    authors: tuple[str, ...] | None = None  # () : the page names none; None: no gold
    date: str | None = None  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"; "" : none; None: no gold

    @property
    def half(self) -> str:
        """A or B, by site (CRC-32 of the host name, or of the key without a URL): no site
        is in both, so a threshold set on one half can be checked on the other."""
        site = (urlsplit(self.url).hostname or "").removeprefix("www.") if self.url else self.key
        return "AB"[zlib.crc32(site.encode()) % 2]


def load(name: str) -> list[Page]:
    """The pages of one benchmark, sorted by key; [] when its folder is absent."""
    return {"zyte": _zyte, "wcxb": _wcxb, "zh": _zh}[name]()


def _zyte() -> list[Page]:
    folder = CORPORA / "article_extraction_benchmark"
    if not folder.is_dir():
        return []
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page("zyte", key, _gunzip(folder / "html" / f"{key}.html.gz"), page["url"], page["articleBody"])
        for key, page in sorted(truth.items())
    ]


def _wcxb() -> list[Page]:
    folder = CORPORA / "wcxb_articles"
    if not folder.is_dir():
        return []
    pages = []
    for path in sorted((folder / "ground-truth").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        gold = record["ground_truth"]
        key = path.stem
        pages.append(
            Page(
                "wcxb",
                key,
                _gunzip(folder / "html" / f"{key}.html.gz"),
                record["url"],
                gold["main_content"],
                gold["title"],
                tuple(split_authors(gold["author"] or "")),
                gold["publish_date"] or "",
            )
        )
    return pages


def _zh() -> list[Page]:
    folder = CORPORA / "zh_web_extraction"
    if not folder.is_dir():
        return []
    gold = {
        part: json.loads((folder / "eval" / f"{part}_ground.json").read_text(encoding="utf-8"))
        for part in ("cleaned", "author", "date")
    }
    pages = []
    for key in sorted(gold["cleaned"]):
        author = gold["author"][key]["articleBody"].strip()
        pages.append(
            Page(
                "zh",
                key,
                _gunzip(folder / "original" / f"{key}.html.gz"),
                None,
                gold["cleaned"][key]["articleBody"],
                None,
                () if author in ("", "UNKNOWN") else tuple(split_authors(author)),
                gold_date(gold["date"][key]["articleBody"]),
            )
        )
    return pages


def _gunzip(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


GOLD_DATE = re.compile(r"\s*((?:19|20)\d{2})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\b")


def gold_date(text: str) -> str:
    """`2005-5-7 21:23:57` -> 2005-05-07, `1998-3` -> 1998-03, `UNKNOWN` -> ''."""
    match = GOLD_DATE.match(text)
    if not match:
        return ""
    return "-".join([match[1], *(f"{int(part):02d}" for part in match.groups()[1:] if part)])


# --- scores ------------------------------------------------------------------------------------


def counts(true: str, pred: str) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of the two texts' token multisets, as evaluate.py counts."""
    a, b = Counter(TOKEN.findall(true.lower())), Counter(TOKEN.findall(pred.lower()))
    tp, fp, fn = sum((a & b).values()), sum((b - a).values()), sum((a - b).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def macro(page_counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision and recall averaged over pages, F1 their harmonic mean (evaluate.py): a page
    with no extraction is left out of the precision mean and scores recall 0."""

    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)

    ps = [precision(*c) for c in page_counts if c[0] + c[1] > 0]
    rs = [recall(*c) for c in page_counts if c[0] + c[2] > 0]
    p = statistics.mean(ps) if ps else 0.0
    r = statistics.mean(rs) if rs else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# --- metadata: exact after normalisation -----------------------------------------------------

AUTHOR_SEPARATOR = re.compile(r"\s*(?:[,;、，&]|\band\b|\s{2,})\s*|\s+(?=[\u4e00-\u9fff]{2,4}(?:\s|$))")


CREDENTIALS = {"md", "dvm", "phd", "rn", "rd", "do", "mba", "mph"}


def split_authors(text: str) -> list[str]:
    """`A, B and C` / `王建宏 张文攀` -> names; a degree after a comma (`A, MD`) is no name."""
    names = [name.strip() for name in AUTHOR_SEPARATOR.split(text.strip()) if name and name.strip()]
    return [name for name in names if normal(name) not in CREDENTIALS]


def normal(text: str) -> str:
    """NFKC, case folded, punctuation and spacing ignored: the form titles and names are
    compared in."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def same_title(gold: str, found: str | None) -> bool:
    return normal(gold) == normal(found or "")


def same_authors(gold: tuple[str, ...], found: list[str]) -> bool:
    """The same set of names: none found for a page that names none counts as right."""
    names = {normal(name) for part in found for name in split_authors(part)}
    return {normal(name) for name in gold} == names - {""}


def same_date(gold: str, found: str | None) -> bool:
    """The same day (or month, or year, as precisely as the gold gives it); none found for a
    page with no date counts as right."""
    found_day = (found or "")[:10]
    return found_day[: len(gold)] == gold if gold else not found_day
