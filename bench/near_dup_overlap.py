"""The near-duplicate stage where distinct documents share text, as templated news does.

    python bench/near_dup_overlap.py [--docs 20000] [--pool 156]

Distinct documents are built from one shared pool of `--pool` real sentences (from
../shared/corpora, via bench/realtext.py), 30-60 sentences each in random order, so that
distinct documents overlap at Jaccard ~0.1-0.4, as templated press releases, market
reports and wire rewrites do; a tenth of the documents are exact copies and a tenth near
copies (one sentence replaced) of earlier ones. Runs the build's near-duplicate stage in
memory, one process, and prints the LSH candidates per document, the seconds of each step,
and the distinct documents removed. The confirmation (which stops early for pairs it can
reject below the report threshold) is checked against every merge run to its end and
numpy's intersect1d one pair at a time (not with `--no-before`): the same similarities,
and the same pairs at or above the report threshold.
With `--datatrove-python`, datatrove's MinHash deduplication runs on the same corpus
(bench/datatrove_minhash.py, in datatrove's own environment, e.g. `python3 -m venv
/tmp/dt && /tmp/dt/bin/pip install datatrove regex tokenizers`), and the speed ratio and
both tools' false removals are printed.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from realtext import real_articles, sentences

from dataset_builder.arrays import distinct
from dataset_builder.config import load_config
from dataset_builder.decide.dedup import (
    BandMatrix,
    NearDupSettings,
    ShingleSets,
    id_ranks,
    lsh_candidates,
    near_duplicates,
    similar_pairs,
)
from dataset_builder.decide.minhash import band_keys, jaccard, signatures


def corpus(docs: int, pool_size: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """Texts, and the group of each: the index of the original it copies (itself for one)."""
    rng = random.Random(seed)
    pool = sorted({s for a in real_articles() if a.source == "fakenews_es" for s in sentences(a.text)})
    pool = rng.sample(pool, pool_size)
    texts: list[str] = []
    groups: list[int] = []
    for n in range(docs):
        roll = rng.random()
        if texts and roll < 0.1:
            source = rng.randrange(len(texts))
            texts.append(texts[source])
            groups.append(groups[source])
        elif texts and roll < 0.2:
            source = rng.choice([i for i in range(max(0, n - 200), n) if groups[i] == i])
            parts = texts[source].split("\n")
            parts[rng.randrange(len(parts))] = rng.choice(pool)
            texts.append("\n".join(parts))
            groups.append(source)
        else:
            texts.append("\n".join(rng.sample(pool, rng.randint(30, 60))))
            groups.append(n)
    return texts, groups


def datatrove(python: str, texts: list[str], groups: list[int]) -> dict[str, float]:
    """bench/datatrove_minhash.py on the same texts, run by `python` (datatrove's environment)."""
    with tempfile.TemporaryDirectory(prefix="near-dup-datatrove-") as tmp:
        corpus = Path(tmp) / "corpus" / "docs.jsonl"
        corpus.parent.mkdir()
        with corpus.open("w", encoding="utf-8") as file:
            for n, (text, group) in enumerate(zip(texts, groups, strict=True)):
                file.write(json.dumps({"id": f"{n:08d}", "text": text, "group": group}) + "\n")
        script = Path(__file__).with_name("datatrove_minhash.py")
        done = subprocess.run(
            [python, str(script), str(corpus), str(Path(tmp) / "work")],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--pool", type=int, default=156)
    parser.add_argument(
        "--no-before",
        action="store_true",
        help="skip numpy's intersect1d, one pair at a time",
    )
    parser.add_argument(
        "--datatrove-python", help="a Python with datatrove installed: run it on the same corpus"
    )
    args = parser.parse_args()
    settings = NearDupSettings.from_settings(load_config(None).settings.near_dup)
    texts, groups = corpus(args.docs, args.pool)
    unique = len(set(texts))
    print(
        f"{args.docs} documents ({unique} distinct texts), {sum(map(len, texts)) / len(texts):.0f} chars each"
    )

    clock = time.perf_counter()
    blocks = [signatures(texts[i : i + 64], settings.minhash) for i in range(0, len(texts), 64)]
    matrix = np.concatenate([b[0] for b in blocks])
    compared = np.flatnonzero(np.concatenate([b[1] for b in blocks]))
    bands = BandMatrix(band_keys(matrix, *settings.lsh_shape))  # by record index
    t_signatures = time.perf_counter() - clock
    clock = time.perf_counter()
    candidates = lsh_candidates(bands, compared)
    t_candidates = time.perf_counter() - clock
    clock = time.perf_counter()
    rows = distinct(candidates.ravel()).tolist()
    shingles = ShingleSets.of_texts(((i, texts[i]) for i in rows), settings.minhash.shingling)
    t_shingles = time.perf_counter() - clock
    clock = time.perf_counter()
    pairs = similar_pairs(candidates, shingles, len(compared), settings.report_threshold)
    t_confirm = time.perf_counter() - clock
    ranks = id_ranks([f"{i:08d}" for i in range(len(texts))])
    dropped = near_duplicates(ranks, pairs, shingles, settings.threshold)
    clock = time.perf_counter()
    exact = shingles.similarities(candidates)  # every candidate, each merge to its end
    t_exact = time.perf_counter() - clock
    reaching = exact >= settings.report_threshold
    same = np.array_equal(pairs.pairs, candidates[reaching]) and np.array_equal(
        pairs.similarity, exact[reaching]
    )
    clock = time.perf_counter()
    if not args.no_before:
        before = np.array([jaccard(shingles[a], shingles[b]) for a, b in candidates.tolist()])
        same = same and np.array_equal(before, exact)
    t_before = time.perf_counter() - clock
    bands_, rows_ = settings.lsh_shape
    n = max(1, len(candidates))
    print(f"LSH {bands_} bands x {rows_} rows: {len(candidates)} candidate pairs")
    print(
        f"  {n / len(texts):.1f} per document, {len(pairs.pairs)} at Jaccard >= {settings.report_threshold}"
    )
    print(f"  signatures + band keys   {t_signatures:6.1f} s")
    print(f"  candidate pairs          {t_candidates:6.1f} s")
    print(f"  shingle sets             {t_shingles:6.1f} s")
    print(f"  exact Jaccard, batched   {t_confirm:6.1f} s  ({t_confirm / n * 1e6:.2f} µs a pair)")
    print(f"    {len(candidates) - len(pairs.pairs)} candidates rejected below {settings.report_threshold}")
    print(f"  every merge to its end   {t_exact:6.1f} s  ({t_exact / n * 1e6:.2f} µs a pair)")
    if not args.no_before:
        print(f"  one pair at a time       {t_before:6.1f} s  ({t_before / n * 1e6:.2f} µs a pair)")
    print(f"  the same similarities, and the same pairs at or above the report threshold: {same}")
    total = t_signatures + t_candidates + t_shingles + t_confirm
    print(f"  stage (without clusters) {total:6.1f} s")
    sizes = Counter(groups)
    false = sum(sizes[groups[d.index]] == 1 for d in dropped)
    print(f"removed {len(dropped)}: {false} of them distinct documents (false removals)")
    if args.datatrove_python:
        theirs = datatrove(args.datatrove_python, texts, groups)
        print(
            f"datatrove MinHash (4 stages, defaults, one process): {theirs['seconds']:.1f} s, removed "
            f"{theirs['removed']}, {theirs['false_removals']} of them distinct documents (false removals)"
        )
        print(f"near-dup stage ÷ datatrove, speed: {theirs['seconds'] / total:.2f}")


if __name__ == "__main__":
    main()
