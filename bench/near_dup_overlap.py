"""The near-duplicate stage where distinct documents share text, as templated news does.

    python bench/near_dup_overlap.py [--docs 20000] [--pool 156]

Distinct documents are built from one shared pool of `--pool` real sentences (from
../shared/corpora, via bench/realtext.py), 30-60 sentences each in random order, so that
distinct documents overlap at Jaccard ~0.1-0.4, as templated press releases, market
reports and wire rewrites do; a tenth of the documents are exact copies and a tenth near
copies (one sentence replaced) of earlier ones. Runs the build's near-duplicate stage in
memory, one process, and prints the LSH candidates per document, the seconds of each step,
the confirmation as it was before (numpy's intersect1d one pair at a time) on the same
candidates with both similarity lists compared, and the distinct documents removed.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
from realtext import real_articles, sentences

from dataset_builder.config import load_config
from dataset_builder.decide.dedup import (
    NearDupSettings,
    ShingleSets,
    id_ranks,
    lsh_candidates,
    near_duplicates,
    similar_pairs,
)
from dataset_builder.decide.minhash import band_keys, jaccard, signatures


def corpus(docs: int, pool_size: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Texts and their kind (original, exact, near)."""
    rng = random.Random(seed)
    pool = sorted({s for a in real_articles() if a.source == "fakenews_es" for s in sentences(a.text)})
    pool = rng.sample(pool, pool_size)
    texts: list[str] = []
    kinds: list[str] = []
    for _ in range(docs):
        roll = rng.random()
        if texts and roll < 0.1:
            texts.append(texts[rng.randrange(len(texts))])
            kinds.append("exact")
        elif texts and roll < 0.2:
            parts = rng.choice(
                [t for t, k in zip(texts[-200:], kinds[-200:], strict=True) if k == "original"]
            )
            parts = parts.split("\n")
            parts[rng.randrange(len(parts))] = rng.choice(pool)
            texts.append("\n".join(parts))
            kinds.append("near")
        else:
            texts.append("\n".join(rng.sample(pool, rng.randint(30, 60))))
            kinds.append("original")
    return texts, kinds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--pool", type=int, default=156)
    args = parser.parse_args()
    settings = NearDupSettings.from_settings(load_config(None).settings.near_dup)
    texts, kinds = corpus(args.docs, args.pool)
    unique = len(set(texts))
    print(
        f"{args.docs} documents ({unique} distinct texts), {sum(map(len, texts)) / len(texts):.0f} chars each"
    )

    clock = time.perf_counter()
    blocks = [signatures(texts[i : i + 64], settings.minhash) for i in range(0, len(texts), 64)]
    matrix = np.concatenate([b[0] for b in blocks])
    compared = np.flatnonzero(np.concatenate([b[1] for b in blocks]))
    bands = band_keys(matrix[compared], *settings.lsh_shape)
    t_signatures = time.perf_counter() - clock
    clock = time.perf_counter()
    candidates = lsh_candidates(bands, compared)
    t_candidates = time.perf_counter() - clock
    clock = time.perf_counter()
    rows = np.unique(candidates).tolist()
    shingles = ShingleSets.of_texts(((i, texts[i]) for i in rows), settings.minhash.shingle_words)
    t_shingles = time.perf_counter() - clock
    clock = time.perf_counter()
    pairs = similar_pairs(candidates, shingles, len(compared), settings.report_threshold)
    t_confirm = time.perf_counter() - clock
    ranks = id_ranks([f"{i:08d}" for i in range(len(texts))])
    dropped = near_duplicates(ranks, pairs, shingles, settings.threshold)
    clock = time.perf_counter()
    before = np.array([jaccard(shingles[a], shingles[b]) for a, b in candidates.tolist()])
    t_before = time.perf_counter() - clock
    same = np.array_equal(before, shingles.similarities(candidates))

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
    print(f"  exact Jaccard as before  {t_before:6.1f} s  ({t_before / n * 1e6:.2f} µs a pair)")
    print(f"  the same similarities: {same}")
    total = t_signatures + t_candidates + t_shingles + t_confirm
    print(f"  stage (without clusters) {total:6.1f} s; as before {total - t_confirm + t_before:6.1f} s")
    false = sum(kinds[d.index] == "original" for d in dropped)
    print(f"removed {len(dropped)}: {false} of them distinct documents (false removals)")


if __name__ == "__main__":
    main()
