"""Real text for benchmarks: the seed articles and the corpora in ../shared/corpora/.

Nothing is copied into the repository; the corpora are read where they are.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dataset_builder.config import load_config
from dataset_builder.stages.clean import Cleaner, clean_record
from dataset_builder.stages.langid import LanguageTagger

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÁÉÍÓÚÑ¿¡\"“])")


@dataclass(frozen=True)
class Article:
    source: str  # which corpus
    topic: str  # fakenews_es topic, else the corpus name
    text: str


def require_corpora() -> None:
    if not CORPORA.is_dir():
        sys.exit(f"benchmarks need the real corpora in {CORPORA}")


@cache
def real_articles() -> tuple[Article, ...]:
    """1,728 real articles: 4 seeds (cleaned), 181 Zyte benchmark bodies, 1,543 fakenews_es."""
    require_corpora()
    config = load_config(REPO / "dataset.toml")
    cleaner = Cleaner.from_settings(config.settings.clean)
    articles = []
    for path in sorted((REPO / "raw").glob("*.txt")):
        record = {
            "id": path.name,
            "text": path.read_text(encoding="utf-8"),
            "raw_path": path.name,
            "raw_line": 1,
            "raw_sha256": "",
            "raw_format": "txt",
        }
        articles.append(Article("seed", "seed", clean_record(record, cleaner)[0]["text"]))
    truth = json.loads(
        (CORPORA / "article_extraction_benchmark" / "ground-truth.json").read_text(encoding="utf-8")
    )
    articles += [Article("zyte", "zyte", page["articleBody"]) for _, page in sorted(truth.items())]
    with (CORPORA / "fakenews_es" / "fakenews_es.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            articles.append(Article("fakenews_es", row["topic"], row["text"]))
    return tuple(articles)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


def sentences(text: str) -> list[str]:
    return [s.strip() for p in paragraphs(text) for s in SENTENCE_END.split(p) if len(s.split()) >= 4]


@cache
def sentences_by_language() -> dict[str, tuple[str, ...]]:
    """Every sentence of the real articles, grouped by the article's langdetect label."""
    tagger = LanguageTagger(seed=0, min_chars=20)
    pools: dict[str, list[str]] = {}
    for article in real_articles():
        language = tagger.tag(article.text).language
        pools.setdefault(language, []).extend(sentences(article.text))
    return {lang: tuple(dict.fromkeys(pool)) for lang, pool in sorted(pools.items()) if len(pool) >= 50}


@cache
def articles_by_script() -> dict[str, tuple[str, ...]]:
    """Real articles per script, exact twins removed: Latin (`real_articles`), Han (xwlb_zh
    transcripts and the zh_web_extraction gold bodies), Japanese (livedoor_ja), Hangul
    (wikinews_ko). No Thai news corpus is staged (../shared/corpora/README.md), so Thai is
    tested only on text written in tests/test_scripts.py."""
    require_corpora()

    def jsonl_texts(path: Path) -> list[str]:
        with path.open(encoding="utf-8") as lines:
            return [json.loads(line)["text"] for line in lines]

    zh_gold = sorted((CORPORA / "zh_web_extraction" / "cleaned").glob("*.txt"))
    found = {
        "Latin": [a.text for a in real_articles()],
        "Han": jsonl_texts(CORPORA / "xwlb_zh" / "xwlb_zh.jsonl") + [p.read_text("utf-8") for p in zh_gold],
        "Japanese": jsonl_texts(CORPORA / "livedoor_ja" / "livedoor_ja.jsonl"),
        "Hangul": jsonl_texts(CORPORA / "wikinews_ko" / "wikinews_ko.jsonl"),
    }
    from dataset_builder.decide.dedup import content_key

    return {
        script: tuple({content_key(t): t for t in texts if t.strip()}.values())
        for script, texts in found.items()
    }
