"""What publisher-learned boilerplate (decide/boilerplate.py) removes from real news, and a
hand-checked sample of what it removed.

    python bench/publisher_boilerplate.py [--min-articles 5] [--min-share 0.15] [--max-publishers 3]
                                          [--sample 120] [--lines] [--write-sample]

Corpora of ../shared/corpora with a publisher per record: fakenews_es (its `source`: 349
outlets, a few with 40-140 articles), livedoor_ja (its category folder, each a livedoor
channel with its own furniture: 9 outlets of 100 articles), xwlb_zh (one publisher, CCTV),
the same transcripts filed by year (`xwlb_zh/years`: its assets/<year>/ folders as
publishers, as a build of files without URLs takes them: 15 "outlets" of 26-95 articles),
wikinews_ko (one), and the Zyte and WCXB bodies (their URL hosts, about one article each).

Prints per corpus the lines learned, the line occurrences removed (`strip` keeps a learned
line that stands among the article's own lines) and the articles touched; with `--lines`
each learned line with its articles and its removals. Then a systematic sample of the
removed occurrences (every k-th, in corpus order, k = ceil(removed / --sample)), each with
the lines around it, and the verdict given by hand to each in CHECKED (by corpus, article
id and line number); the share of the sample that is true boilerplate is computed from those
verdicts. `--write-sample` writes the sample to CHECKED, keeping the verdicts already there
and leaving new rows' verdict empty, to be read and judged.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from dataset_builder.decide.boilerplate import learn, line_hash, publisher_of, strip, text_lines

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
CHECKED = Path(__file__).resolve().parent / "publisher_boilerplate_sample.tsv"
FIELDS = ["corpus", "id", "at", "publisher", "line", "before", "after", "verdict", "why"]


@dataclass(frozen=True)
class Corpus:
    ids: list[str]
    publishers: list[str]
    texts: list[str]


def corpora() -> dict[str, Corpus]:
    def rows(name: str) -> list[dict]:
        return [json.loads(line) for line in (CORPORA / name).open(encoding="utf-8")]

    found = {}
    fakenews = rows("fakenews_es/fakenews_es.jsonl")
    found["fakenews_es"] = Corpus(
        [str(r["id"]) for r in fakenews],
        [r["source"] or "?" for r in fakenews],
        [r["text"] for r in fakenews],
    )
    livedoor = rows("livedoor_ja/livedoor_ja.jsonl")
    found["livedoor_ja"] = Corpus(
        [r["id"] for r in livedoor], [r["category"] for r in livedoor], [r["text"] for r in livedoor]
    )
    xwlb = rows("xwlb_zh/xwlb_zh.jsonl")
    found["xwlb_zh"] = Corpus(
        [r["id"] for r in xwlb],
        [publisher_of(None, r["url"], "xwlb") for r in xwlb],
        [r["text"] for r in xwlb],
    )
    found["xwlb_zh/years"] = Corpus(
        [r["id"] for r in xwlb],
        [publisher_of(None, None, r["source_file"].split("#")[0]) for r in xwlb],
        [r["text"] for r in xwlb],
    )
    wikinews = rows("wikinews_ko/wikinews_ko.jsonl")
    found["wikinews_ko"] = Corpus(
        [r["id"] for r in wikinews],
        [publisher_of(None, r["url"], "wikinews") for r in wikinews],
        [r["text"] for r in wikinews],
    )
    truth = json.loads((CORPORA / "article_extraction_benchmark" / "ground-truth.json").read_text("utf-8"))
    found["zyte"] = Corpus(
        sorted(truth),
        [publisher_of(None, truth[k]["url"], "zyte") for k in sorted(truth)],
        [truth[k]["articleBody"] for k in sorted(truth)],
    )
    gold = sorted((CORPORA / "wcxb_articles" / "ground-truth").glob("*.json"))
    pages = [json.loads(p.read_text("utf-8")) for p in gold]
    found["wcxb"] = Corpus(
        [p.stem for p in gold],
        [publisher_of(None, g["url"], "wcxb") for g in pages],
        [g["ground_truth"]["main_content"] for g in pages],
    )
    return found


def placed(text: str, removed: list[str]) -> list[tuple[int, str, str]]:
    """Each removed line's number in `text` (from 1), with the lines just before and after
    it as written ("" for a blank line, "^" and "$" for the text's start and end)."""
    lines = [row.strip() for row in text.split("\n")]
    found, at = [], 0
    for line in removed:
        at = lines.index(line, at)
        found.append((at + 1, lines[at - 1] if at else "^", lines[at + 1] if at + 1 < len(lines) else "$"))
        at += 1
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
    parser.add_argument("--checked", type=Path, default=CHECKED, help="the hand-checked sample (TSV)")
    parser.add_argument("--write-sample", action="store_true", help="write the sample to --checked")
    args = parser.parse_args()
    removed_all: list[dict[str, str]] = []
    for name, corpus in corpora().items():
        seen = [text_lines(text) for text in corpus.texts]
        learned = learn(corpus.publishers, seen, args.min_articles, args.min_share, args.max_publishers)
        by_publisher = {p: set(lines) for p, lines in learned.items()}
        examples = {
            (p, h): line
            for p, lines in zip(corpus.publishers, seen, strict=True)
            for h, line in lines.items()
        }
        removals: Counter[tuple[str, int]] = Counter()
        occurrences = touched = 0
        for id_, publisher, text in zip(corpus.ids, corpus.publishers, corpus.texts, strict=True):
            if publisher in by_publisher:
                _, removed = strip(text, by_publisher[publisher])
                occurrences += len(removed)
                touched += bool(removed)
                removals.update((publisher, line_hash(line)) for line in removed)
                for line, (number, before, after) in zip(removed, placed(text, removed), strict=True):
                    row = {"corpus": name, "id": id_, "at": str(number), "publisher": publisher, "line": line}
                    removed_all.append(row | {"before": before, "after": after})
        lines = sum(len(v) for v in learned.values())
        print(
            f"{name}: {len(corpus.texts)} articles, {len(set(corpus.publishers))} publishers: {lines} lines "
            f"learned, {occurrences} occurrences removed from {touched} articles"
        )
        if args.lines:
            for publisher, found in learned.items():
                for hashed, n in sorted(found.items(), key=lambda item: (-item[1], item[0])):
                    line, gone = examples[(publisher, hashed)][:100], removals[(publisher, hashed)]
                    print(f"    [{publisher}] {n:4d} articles, {gone:4d} removed  {line}")
    step = max(1, math.ceil(len(removed_all) / args.sample)) if args.sample else 0
    sample = removed_all[::step] if step else []
    verdicts = {}
    if args.checked.is_file():
        with args.checked.open(encoding="utf-8", newline="") as f:
            verdicts = {(r["corpus"], r["id"], r["at"]): r for r in csv.DictReader(f, delimiter="\t")}
    for row in sample:
        known = verdicts.get((row["corpus"], row["id"], row["at"]), {})
        row |= {"verdict": known.get("verdict", ""), "why": known.get("why", "")}
    print(f"\nsample: every {step}th of {len(removed_all)} removed occurrences, {len(sample)} lines")
    for number, row in enumerate(sample):
        where = f"{row['id']}:{row['at']}"
        print(f"{number:4d} {row['corpus']:13s} {where:28s} {row['verdict'] or '?':11s} {row['line'][:80]}")
        print(f"{'':19s} before: {row['before'][:70]}\n{'':19s}  after: {row['after'][:70]}")
    judged = [row for row in sample if row["verdict"]]
    true = sum(row["verdict"] == "boilerplate" for row in judged)
    if judged:
        share = true / len(judged)
        print(f"\nchecked by hand: {len(judged)} of {len(sample)}; true boilerplate {true} ({share:.1%})")
        for row in judged:
            if row["verdict"] != "boilerplate":
                where = f"{row['corpus']} {row['id']}:{row['at']}"
                print(f"  false removal: {where}: {row['line']!r} ({row['why']})")
    if args.write_sample:
        with args.checked.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, FIELDS, delimiter="\t", lineterminator="\n")
            writer.writeheader()
            writer.writerows(sample)
        print(f"wrote {args.checked}")


if __name__ == "__main__":
    main()
