"""What publisher-learned boilerplate (decide/boilerplate.py) would remove from real news.

    python bench/publisher_boilerplate.py [--min-articles 5] [--min-share 0.15] [--max-publishers 3]
                                          [--sample 120]

Corpora of ../shared/corpora with a publisher per record: fakenews_es (its `source`: many
articles of few outlets), livedoor_ja (its category folder, each a livedoor channel with
its own furniture), xwlb_zh (one publisher, CCTV), wikinews_ko (one), and the Zyte and WCXB
bodies (their URL hosts, about one article each). Prints per corpus the lines learned, the
line occurrences removed, the articles touched, each learned line with its count, and a
systematic sample of removed occurrences (every k-th, in corpus order) to check by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dataset_builder.decide.boilerplate import learn, publisher_of, strip, text_lines

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


def corpora() -> dict[str, tuple[list[str], list[str]]]:
    def rows(name: str) -> list[dict]:
        return [json.loads(line) for line in (CORPORA / name).open(encoding="utf-8")]

    found = {}
    fakenews = rows("fakenews_es/fakenews_es.jsonl")
    found["fakenews_es"] = ([r["source"] or "?" for r in fakenews], [r["text"] for r in fakenews])
    livedoor = rows("livedoor_ja/livedoor_ja.jsonl")
    found["livedoor_ja"] = ([r["category"] for r in livedoor], [r["text"] for r in livedoor])
    for name in ("xwlb_zh/xwlb_zh.jsonl", "wikinews_ko/wikinews_ko.jsonl"):
        records = rows(name)
        found[name.split("/")[0]] = (
            [publisher_of(None, r.get("url"), name) for r in records],
            [r["text"] for r in records],
        )
    truth = json.loads((CORPORA / "article_extraction_benchmark" / "ground-truth.json").read_text("utf-8"))
    pages = [truth[k] for k in sorted(truth)]
    found["zyte"] = ([publisher_of(None, p["url"], "zyte") for p in pages], [p["articleBody"] for p in pages])
    gold = [
        json.loads(p.read_text("utf-8"))
        for p in sorted((CORPORA / "wcxb_articles" / "ground-truth").glob("*.json"))
    ]
    found["wcxb"] = (
        [publisher_of(None, g["url"], "wcxb") for g in gold],
        [g["ground_truth"]["main_content"] for g in gold],
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--min-articles", type=int, default=5)
    parser.add_argument("--min-share", type=float, default=0.15)
    parser.add_argument("--max-publishers", type=int, default=3)
    parser.add_argument("--sample", type=int, default=120)
    parser.add_argument("--lines", action="store_true", help="print every learned line")
    args = parser.parse_args()
    removed_all: list[tuple[str, str]] = []
    for name, (publishers, texts) in corpora().items():
        seen = [text_lines(text) for text in texts]
        learned = learn(publishers, seen, args.min_articles, args.min_share, args.max_publishers)
        by_publisher = {p: set(lines) for p, lines in learned.items()}
        examples = {
            (p, h): line for p, lines in zip(publishers, seen, strict=True) for h, line in lines.items()
        }
        occurrences = touched = 0
        for publisher, text in zip(publishers, texts, strict=True):
            if publisher in by_publisher:
                _, removed = strip(text, by_publisher[publisher])
                occurrences += len(removed)
                touched += bool(removed)
                removed_all += [(name, line) for line in removed]
        lines = sum(len(v) for v in learned.values())
        print(
            f"{name}: {len(texts)} articles, {len(set(publishers))} publishers: {lines} lines learned, "
            f"{occurrences} occurrences removed from {touched} articles"
        )
        if args.lines:
            for publisher, found in learned.items():
                for hashed, n in sorted(found.items(), key=lambda item: (-item[1], item[0])):
                    print(f"    [{publisher}] {n:4d}  {examples[(publisher, hashed)][:110]}")
    step = max(1, len(removed_all) // args.sample)
    print(f"\nsample: every {step}th of {len(removed_all)} removed occurrences")
    for number, (name, line) in enumerate(removed_all[::step][: args.sample]):
        print(f"{number:4d} {name:12s} {line[:120]}")


if __name__ == "__main__":
    main()
