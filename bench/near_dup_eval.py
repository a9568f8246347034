"""How well near-duplicate detection works, on real articles with labelled near-copies.

    python bench/near_dup_eval.py [--copies 2] [--seed 0]

Originals: the 1,728 real articles of bench/realtext.py (seeds, Zyte benchmark bodies,
fakenews_es). Each gets `--copies` near-copies made the way the web makes them: a new
headline, a boilerplate footer, a trimmed or added paragraph, typo fixes, rewrapped lines,
or several of these. Ground truth is the exact Jaccard similarity of word shingles.
Reports, at the default settings (dataset_builder/defaults.toml):
- recall: share of labelled pairs at Jaccard >= threshold that end in one cluster, and
  share of pairs in [group_threshold, threshold) that end in one split group;
- false merges: records of different originals in one cluster while the originals
  themselves are below the threshold (distinct articles merged);
- the similarity each kind of edit leaves, and the closest pair of distinct originals on
  the same topic, for shingle sizes 3, 5, 7 and 9 (why 5 is the default).
"""

from __future__ import annotations

import argparse
import random
import statistics
import textwrap
import time
from collections import defaultdict
from itertools import combinations

import numpy as np
from near_dup_speed import run_near_dup
from realtext import paragraphs, real_articles

from dataset_builder.config import load_config
from dataset_builder.decide.dedup import NearDupSettings, content_key
from dataset_builder.decide.graph import connected_components
from dataset_builder.decide.minhash import jaccard, shingle_set

FOOTERS = [
    "Share this article on Facebook, Twitter and WhatsApp.",
    "© 2024 Example Media Group. All rights reserved. This material may not be published or redistributed.",
    "Sign up for our daily newsletter to get the top stories delivered to your inbox every morning.",
    "Follow us on social media for more news from around the world and breaking updates.",
]


def edits(rng: random.Random, text: str, others: list[str]) -> tuple[str, str]:
    """One web-style copy of `text`, and the name of what was done to it."""
    paras = paragraphs(text)
    kind = rng.choice(["headline", "footer", "trim", "add", "typos", "reflow", "combined"])
    steps = ["headline", "footer", "typos"] if kind == "combined" else [kind]
    for step in steps:
        if step == "headline":
            paras.insert(0, "BREAKING: " + " ".join(rng.choice(others).split()[:9]))
        elif step == "footer":
            paras.append(rng.choice(FOOTERS))
        elif step == "trim" and len(paras) > 3:
            del paras[rng.choice([0, -1])]
        elif step == "add":
            paras.append(rng.choice(paragraphs(rng.choice(others)) or ["Update: more details to follow."]))
        elif step == "typos":
            words = " ".join(paras).split()
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(words))
                words[i] = words[i][:-1] + "x" if len(words[i]) > 2 else words[i]
            paras = [" ".join(words)]
    copy = "\n\n".join(paras)
    if kind == "reflow":
        copy = "\n".join(textwrap.wrap(copy, rng.randint(50, 90)))
    return copy, kind


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    near = load_config(None).settings.near_dup
    settings = NearDupSettings.from_settings(near)

    originals = list({content_key(a.text): a for a in real_articles()}.values())  # no exact twins
    texts, origin, kinds, topics = [], [], [], []
    for i, article in enumerate(originals):
        texts.append(article.text)
        origin.append(i)
        kinds.append("original")
        topics.append(article.topic)
    pool = [a.text for a in originals]
    for i, article in enumerate(originals):
        for _ in range(args.copies):
            copy, kind = edits(rng, article.text, pool)
            texts.append(copy)
            origin.append(i)
            kinds.append(kind)
            topics.append(article.topic)
    print(f"{len(originals)} real originals + {len(texts) - len(originals)} labelled copies")

    started = time.perf_counter()
    pairs, dropped = run_near_dup(texts, settings)
    elapsed = time.perf_counter() - started
    cluster = list(range(len(texts)))
    for d in dropped:
        cluster[d.index] = d.representative
    group = connected_components(len(texts), pairs.at_least(settings.group_threshold))
    print(f"near-dup stage on {len(texts)} texts: {elapsed:.1f} s, {pairs.candidates} candidate pairs")
    sets = [shingle_set(t, settings.minhash.shingle_words) for t in texts]

    # Labelled pairs: each copy against its original.
    by_kind: dict[str, list[float]] = defaultdict(list)
    found = {"dup": [0, 0], "group": [0, 0]}
    for i, kind in enumerate(kinds):
        if kind == "original":
            continue
        o = origin[i]
        similarity = jaccard(sets[i], sets[o])
        by_kind[kind].append(similarity)
        if similarity >= settings.threshold:
            found["dup"][1] += 1
            found["dup"][0] += cluster[i] == cluster[o]
        elif similarity >= settings.group_threshold:
            found["group"][1] += 1
            found["group"][0] += group[i] == group[o]
    dup_hits, dup_total = found["dup"]
    group_hits, group_total = found["group"]
    print(
        f"\nthreshold {settings.threshold}: recall {dup_hits / dup_total:.4f} "
        f"({dup_hits}/{dup_total} labelled pairs)"
    )
    print(
        f"group_threshold {settings.group_threshold}: same group {group_hits / max(group_total, 1):.4f} "
        f"({group_hits}/{group_total} pairs between the thresholds)"
    )

    members = defaultdict(list)
    for i, c in enumerate(cluster):
        members[c].append(i)
    merged_pairs = false_merges = 0
    natural = set()
    for ids_in in members.values():
        for a, b in combinations(ids_in, 2):
            if origin[a] != origin[b]:
                merged_pairs += 1
                similarity = jaccard(sets[origin[a]], sets[origin[b]])
                if similarity >= settings.threshold:
                    natural.add(tuple(sorted((origin[a], origin[b]))))
                else:
                    false_merges += 1
    print(
        f"pairs of different originals in one cluster: {merged_pairs}; the originals themselves are "
        f"near-copies in {len(natural)} cases; false merges of distinct articles: {false_merges}"
    )

    print("\nJaccard of copy vs original, by edit (5-word shingles): median / min")
    for kind, values in sorted(by_kind.items()):
        print(f"  {kind:9s} {statistics.median(values):.3f} / {min(values):.3f}  (n={len(values)})")
    shingle_size_sweep(originals, texts, origin, kinds, topics)


def shingle_size_sweep(originals, texts, origin, kinds, topics) -> None:
    """Separation between edited copies and distinct same-topic articles, by shingle size."""
    rng = random.Random(1)
    same_topic = defaultdict(list)
    for i, article in enumerate(originals):
        if article.source == "fakenews_es":
            same_topic[article.topic].append(i)
    negatives = [p for ids in same_topic.values() for p in combinations(ids, 2)]
    negatives = rng.sample(negatives, min(len(negatives), 60_000))
    copies = [i for i, k in enumerate(kinds) if k != "original"]
    print(
        f"\nshingle size sweep: {len(copies)} copies vs {len(negatives)} "
        "same-topic pairs of distinct articles"
    )
    print("  k  copies<0.8  copy median  same-topic p99.9  same-topic max")
    for k in (3, 5, 7, 9):
        sets = [shingle_set(t, k) for t in texts]
        copy_j = np.array([jaccard(sets[i], sets[origin[i]]) for i in copies])
        neg_j = np.array([jaccard(sets[a], sets[b]) for a, b in negatives])
        print(
            f"  {k}  {np.mean(copy_j < 0.8):10.3f}  {np.median(copy_j):11.3f}  "
            f"{np.quantile(neg_j, 0.999):15.3f}  {neg_j.max():14.3f}"
        )


if __name__ == "__main__":
    main()
