"""Speed of near-duplicate detection, and the choice of MinHash library.

    python bench/near_dup_speed.py [--docs 100000] [--mix latin|scripts]

1. datasketch vs rensa on the real articles (~3 KB): text -> 128-permutation signature,
   docs/s on one core, and how far each one's Jaccard estimate falls from the exact value.
2. dataset_builder's own path (batch shingling + rensa), docs/s on one core.
3. The whole near-dup stage as the build runs it (signatures, LSH candidates, exact
   Jaccard, clusters) on `--docs` generated documents (bench/make_corpus.py's generator,
   in memory): seconds, and signatures alone for comparison, and peak memory. With
   `--mix scripts` half of them are Chinese, Japanese and Korean instead (20/15/15 %):
   real sentences of bench/realtext.py `articles_by_script` drawn at random, a quarter
   of their characters replaced in pairs by pairs of the same corpus (as the Latin
   generator swaps a quarter of the words, so that documents do not share sentences),
   each document as long as a real article of its script, 4 % near copies as for Latin.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import re
import resource
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import datasketch
import numpy as np
import rensa
from make_corpus import LANGUAGE_SHARES, SWAPPED_WORDS, Generator
from realtext import articles_by_script, real_articles

from dataset_builder.arrays import distinct
from dataset_builder.config import load_config
from dataset_builder.decide import minhash as ours
from dataset_builder.decide.dedup import (
    BandMatrix,
    NearDuplicate,
    NearDupSettings,
    ShingleSets,
    SimilarPairs,
    id_ranks,
    near_duplicate_stage,
)
from dataset_builder.decide.minhash import Shingling, band_keys, jaccard, shingle_set, signatures, tokens

NUM_PERM = 128
FIVE = Shingling(5, 5)  # the k the library comparison shingles its strings with (shingle_strings)
SCRIPT_SHARES = {"Han": 0.2, "Japanese": 0.15, "Hangul": 0.15}  # the rest: Latin
SENTENCE = re.compile(r"[^。！？.!?\n]+[。！？.!?]*")


def per_second(count: int, seconds: float) -> str:
    return f"{count / seconds:8.0f} docs/s"


def shingle_strings(text: str, k: int = 5) -> set[bytes]:
    words = tokens(text)
    return {b" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))}


def load_minhash(checkout: Path) -> ModuleType:
    """Another checkout's dataset_builder/decide/minhash.py (e.g. main's), as a module of its own."""
    spec = importlib.util.spec_from_file_location(
        "baseline_minhash", checkout / "dataset_builder/decide/minhash.py"
    )
    assert spec and spec.loader, checkout
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run_near_dup(
    texts: list[str], settings: NearDupSettings, minhash: ModuleType = ours
) -> tuple[SimilarPairs, list[NearDuplicate]]:
    """The build's near-dup stage over texts in memory, ids in input order, with the
    shingles and signatures of `minhash` (this checkout's, or a baseline's)."""
    signing, shingling = module_settings(minhash, settings)
    blocks = [minhash.signatures(texts[i : i + 64], signing) for i in range(0, len(texts), 64)]
    matrix = np.concatenate([b[0] for b in blocks])
    compared = np.flatnonzero(np.concatenate([b[1] for b in blocks]))
    bands = BandMatrix(band_keys(matrix, *settings.lsh_shape))  # by record index
    ranks = id_ranks([f"{i:08d}" for i in range(len(texts))])
    return near_duplicate_stage(
        bands,
        compared,
        lambda rows: ShingleSets(
            {i: minhash.shingle_set(texts[i], shingling) for i in distinct(rows.ravel()).tolist()}
        ),
        ranks,
        settings,
    )


def module_settings(minhash: ModuleType, settings: NearDupSettings) -> tuple[Any, Any]:
    """What `minhash`'s functions take: this checkout's MinHashSettings and Shingling, or a
    checkout from before Shingling existed: its settings with one k for every text (5,
    its default then)."""
    if hasattr(minhash, "Shingling"):
        return settings.minhash, settings.minhash.shingling
    return minhash.MinHashSettings(settings.minhash.num_perm, 5, settings.minhash.seed), 5


def compare_libraries(texts: list[str]) -> None:
    print(f"1. text -> {NUM_PERM}-permutation signature, one core, {len(texts)} real articles")
    started = time.perf_counter()
    ds = []
    for text in texts:
        m = datasketch.MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch(list(shingle_strings(text)))
        ds.append(m)
    seconds = time.perf_counter() - started
    print(f"   datasketch {datasketch.__version__} MinHash.update_batch   {per_second(len(texts), seconds)}")
    started = time.perf_counter()
    rs = rensa.RMinHash.digests_from_token_sets([shingle_strings(t) for t in texts], NUM_PERM, 1)
    seconds = time.perf_counter() - started
    print(f"   rensa RMinHash.digests_from_token_sets   {per_second(len(texts), seconds)}")

    rng = random.Random(0)
    pairs = [(rng.randrange(len(texts)), rng.randrange(len(texts))) for _ in range(200)]
    pairs += [(i, i + len(texts) // 2) for i in range(0, len(texts) // 2, 25)]  # edited copies (see main)
    err_ds, err_rs = [], []
    for a, b in pairs:
        exact = jaccard(shingle_set(texts[a], FIVE), shingle_set(texts[b], FIVE))
        err_ds.append(abs(ds[a].jaccard(ds[b]) - exact))
        err_rs.append(abs(np.mean(np.array(rs[a]) == np.array(rs[b])) - exact))
    for name, errors in (("datasketch", err_ds), ("rensa", err_rs)):
        mean, p95 = np.mean(errors), np.quantile(errors, 0.95)
        print(
            f"   {name:10s} |estimate - exact Jaccard| mean {mean:.4f}, p95 {p95:.4f} over {len(pairs)} pairs"
        )


def own_path(texts: list[str], settings: NearDupSettings) -> None:
    started = time.perf_counter()
    for i in range(0, len(texts), 64):
        signatures(texts[i : i + 64], settings.minhash)
    seconds = time.perf_counter() - started
    rate = per_second(len(texts), seconds)
    print(f"2. dataset_builder.decide.minhash.signatures (batch shingling + rensa), one core: {rate}")


class ScriptDocuments:
    """Documents of real Chinese, Japanese and Korean sentences, drawn at random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        real = articles_by_script()
        self.sentences = {s: [m for t in real[s] for m in SENTENCE.findall(t)] for s in SCRIPT_SHARES}
        self.lengths = {s: [len(t) for t in real[s]] for s in SCRIPT_SHARES}
        self.text = {s: "".join(real[s]) for s in SCRIPT_SHARES}

    def article(self, script: str) -> str:
        target = self.rng.choice(self.lengths[script])
        parts: list[str] = []
        while sum(map(len, parts)) < target:
            parts.append(self.swapped(self.rng.choice(self.sentences[script]), script))
        return "".join(parts)

    def swapped(self, sentence: str, script: str) -> str:
        chars, source = list(sentence), self.text[script]
        for _ in range(round(len(chars) * SWAPPED_WORDS / 2)):
            at, take = self.rng.randrange(len(chars)), self.rng.randrange(len(source) - 1)
            chars[at : at + 2] = source[take : take + 2]
        return "".join(chars)

    def near_copy(self, text: str, script: str) -> str:
        """The last sentence cut and another one added at the end."""
        parts = SENTENCE.findall(text)
        return "".join(parts[:-1] if len(parts) > 3 else parts) + self.rng.choice(self.sentences[script])


def generated(docs: int, mix: str) -> list[str]:
    """`docs` documents: Latin from make_corpus's generator, or half Chinese, Japanese and Korean."""
    generator = Generator(0, LANGUAGE_SHARES)
    rng = generator.rng
    others = ScriptDocuments(random.Random(1)) if mix == "scripts" else None
    scripts, weights = [*SCRIPT_SHARES, "Latin"], [*SCRIPT_SHARES.values(), 1 - sum(SCRIPT_SHARES.values())]
    texts: list[str] = []
    of_script: dict[str, list[str]] = {script: [] for script in SCRIPT_SHARES}
    for _ in range(docs):
        roll = rng.random()
        script = others.rng.choices(scripts, weights)[0] if others else "Latin"
        if others and script != "Latin":
            same = of_script[script]
            same.append(
                others.near_copy(rng.choice(same), script) if same and roll < 0.04 else others.article(script)
            )
            texts.append(same[-1])
        elif texts and roll < 0.04:
            texts.append(
                generator.near_copy({"title": "", "text": rng.choice(texts), "language": "en"})["text"]
            )
        else:
            texts.append(generator.article()["text"])
    return texts


def whole_stage(texts: list[str], settings: NearDupSettings, mix: str) -> None:
    docs = len(texts)
    chars = sum(map(len, texts))
    print(
        f"3. whole near-dup stage on {docs} generated documents, mix {mix!r} ({chars / docs:.0f} chars each)"
    )
    started = time.perf_counter()
    shingles = 0
    for i in range(0, docs, 64):
        shingles += int(signatures(texts[i : i + 64], settings.minhash)[1].sum())
    t_sig = time.perf_counter() - started
    print(f"   {shingles / docs:.0f} shingles per document")
    started = time.perf_counter()
    pairs, dropped = run_near_dup(texts, settings)
    t_stage = time.perf_counter() - started
    print(f"   signatures alone     {t_sig:6.1f} s  ({per_second(docs, t_sig)} on one core)")
    print(
        f"   whole stage          {t_stage:6.1f} s  ({per_second(docs, t_stage)}; {pairs.candidates} "
        f"LSH candidates, {len(pairs.pairs)} confirmed, {len(dropped)} near duplicates)"
    )
    print(f"   peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def against_baseline(docs: int, settings: NearDupSettings, checkout: Path, rounds: int) -> None:
    """The whole stage with the baseline's minhash.py on Latin documents, and with ours on
    Latin and on mixed-script ones, interleaved `rounds` times (the machine is shared: the
    best of each is compared)."""
    baseline = load_minhash(checkout)
    corpora = {"latin": generated(docs, "latin"), "scripts": generated(docs, "scripts")}
    runs = [("baseline", baseline, "latin"), ("ours", ours, "latin"), ("ours", ours, "scripts")]
    best: dict[tuple[str, str], float] = {}
    print(
        f"4. whole near-dup stage, {docs} documents, baseline {checkout} vs this checkout, best of {rounds}"
    )
    for _ in range(rounds):
        for name, module, mix in runs:
            started = time.perf_counter()
            run_near_dup(corpora[mix], settings, module)
            seconds = time.perf_counter() - started
            best[name, mix] = min(seconds, best.get((name, mix), seconds))
    reference = best["baseline", "latin"]
    for (name, mix), seconds in best.items():
        print(
            f"   {name:8s} {mix:7s} {seconds:6.1f} s  ({per_second(docs, seconds)}; "
            f"{seconds / reference:.2f}x baseline Latin)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--mix", choices=["latin", "scripts"], default="latin")
    parser.add_argument("--stage-only", action="store_true", help="skip parts 1 and 2")
    parser.add_argument("--baseline", type=Path, help="another checkout (e.g. of main): part 4 instead of 3")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    settings = NearDupSettings.from_settings(load_config(None).settings.near_dup)
    articles = [a.text for a in real_articles()]
    rng = random.Random(0)
    edited = [t.replace(". ", ". Indeed, ", rng.randint(1, 3)) for t in articles]
    texts = articles + edited
    if not args.stage_only:
        compare_libraries(texts)
        own_path(texts * 3, settings)
    if args.baseline:
        against_baseline(args.docs, settings, args.baseline, args.rounds)
    else:
        whole_stage(generated(args.docs, args.mix), settings, args.mix)


if __name__ == "__main__":
    main()
