"""Speed of seeded langdetect against dataset_builder.stages.fastlangid.FastDetector.

    python bench/langid_speed.py [--seed 0] [--min-chars 2000] [--max-chars 3000] [--repeat 3]

Real news of ~2-3 KB: the seed articles, the Zyte benchmark's article bodies and the Spanish
fake-news articles of ../shared/corpora. docs/s on one core, wall clock, best of --repeat runs,
the runs taking turns so that a busy machine slows them alike; the profiles are loaded before
timing, for both. Every FastDetector result is checked against langdetect's with ==.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from langdetect.lang_detect_exception import LangDetectException
from realtext import real_articles

from dataset_builder.stages.fastlangid import FastDetector, Probabilities, seeded_factory

Results = list[Probabilities | None]


def langdetect_all(texts: list[str], seed: int) -> Results:
    factory = seeded_factory(seed)
    results: Results = []
    for text in texts:
        detector = factory.create()
        detector.append(text)
        try:
            results.append([(lang.lang, lang.prob) for lang in detector.get_probabilities()])
        except LangDetectException:
            results.append(None)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-chars", type=int, default=2000)
    parser.add_argument("--max-chars", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = [a.text for a in real_articles() if args.min_chars <= len(a.text) <= args.max_chars]
    chars = sum(map(len, texts)) / len(texts)
    span = f"{args.min_chars}-{args.max_chars}"
    print(f"{len(texts)} real articles of {span} chars ({chars:.0f} on average), seed {args.seed}")

    detector = FastDetector(args.seed)
    runs: list[tuple[str, Callable[[], Results]]] = [
        ("langdetect 1.0.9, seeded", lambda: langdetect_all(texts, args.seed)),
        ("FastDetector, one at a time", lambda: [detector.probabilities(text) for text in texts]),
    ]
    # Runs take turns, so that a busy machine slows them all alike; each keeps its best time.
    best = [float("inf")] * len(runs)
    results: list[Results] = [[] for _ in runs]
    for _ in range(args.repeat):
        for i, (_, run) in enumerate(runs):
            started = time.perf_counter()
            results[i] = run()
            best[i] = min(best[i], time.perf_counter() - started)
    base = len(texts) / best[0]
    for (name, _), seconds, result in zip(runs, best, results, strict=True):
        same = sum(r == e for r, e in zip(result, results[0], strict=True))
        rate = len(texts) / seconds
        print(f"  {name:30s} {rate:7.0f} docs/s  {rate / base:5.1f}x  same as langdetect {same}/{len(texts)}")
    print(f"  fallbacks to langdetect: {detector.fallbacks}")


if __name__ == "__main__":
    main()
