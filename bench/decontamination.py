"""Decontamination: what it costs in pass 1, and which n-gram length to use.

    python bench/decontamination.py cost --docs 20000 --items 10000 --workers 2
    python bench/decontamination.py ngram

`cost` generates a corpus of DOCS documents and an evaluation set of ITEMS documents (the
same generator, another seed, words shuffled: ~3 KB items, longer than most benchmark
items, so the index is larger than usual), PLANTED of them replaced by passages of corpus
documents, and builds the corpus twice, without and with the evaluation set.
It first runs pass 1's per-batch function on every batch twice in a row, without and with
the index, in one process, and sums the CPU time of each (the figure to trust on a shared
machine); then, for each repeat, it prints the wall time of pass 1 ("read, clean,
validate") in both whole builds, the time to read and index the evaluation set (once per
build, before pass 1) and the index's size.

`ngram` reads fakenews_es (../shared/corpora) and, for n in 8, 10, 13, 20, treats its test
split as the evaluation set and its train and dev splits as the corpus. It prints how many
corpus records match (a) through a near-copy of a test item (Jaccard of 5-word shingles
>= 0.3: real overlap) and (b) only through items that are not near-copies (shared quotes,
stock phrases: what a default should not flag), and the recall on passages of 40 tokens
quoted from each test item with one word in 10 or one in 20 changed (the kind of light
rewording a copy gets).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from build_speed import StageClock  # bench/ is on the path when a script here runs

from dataset_builder.config import EvalSetSettings, load_config
from dataset_builder.engines import passes
from dataset_builder.engines.cached import plain_parts
from dataset_builder.engines.parallel import batched
from dataset_builder.pipeline import build
from dataset_builder.stages.decontaminate import (
    INTERPRETED_TEXTS,
    EvalIndex,
    matches,
    matches_batch,
    read_evalset,
)
from dataset_builder.stages.ingest import discover

HERE = Path(__file__).resolve().parent
FAKENEWS = HERE.parent.parent / "shared" / "corpora" / "fakenews_es" / "fakenews_es.jsonl"
PASS_1 = "read, clean, validate"


def corpus(docs: int, seed: int) -> Path:
    out = Path(f"/tmp/dataset-builder-corpus-{docs}" + (f"-seed{seed}" if seed else ""))
    if not (out / "dataset.toml").is_file():
        args = ["--docs", str(docs), "--out", str(out), "--seed", str(seed)]
        subprocess.run([sys.executable, str(HERE / "make_corpus.py"), *args], check=True)
    return out


def evalset(items: int, folder: Path, raw: Path, planted: int) -> Path:
    """ITEMS documents of another seed with their words shuffled (the same vocabulary and
    lengths as the corpus, but no sentence of it), and every (ITEMS/PLANTED)th item
    replaced by a 60-word passage of a corpus document: those are the contamination."""
    source = corpus(items, seed=7)
    rng = random.Random(7)
    corpus_texts = [json.loads(line)["text"] for line in next(iter(sorted(raw.glob("raw/*.jsonl")))).open()]
    path = folder / "evalset.jsonl"
    every = max(1, items // planted)
    with path.open("w", encoding="utf-8") as out:
        number = 0
        for part in sorted((source / "raw").glob("*.jsonl")):
            for line in part.open(encoding="utf-8"):
                words = json.loads(line)["text"].split()
                if number % every == 0:
                    words = corpus_texts[number // every].split()[100:160]
                else:
                    rng.shuffle(words)
                out.write(json.dumps({"id": f"item-{number}", "text": " ".join(words)}) + "\n")
                number += 1
    return path


def cost(args: argparse.Namespace) -> None:
    raw = corpus(args.docs, seed=0)
    work = Path(f"/tmp/dataset-builder-decont-{args.docs}")
    work.mkdir(exist_ok=True)
    path = evalset(args.items, work, raw, args.planted)
    entry = {"name": "bench", "path": str(path), "text_fields": ["text"], "id_field": "id"}
    entry["action"] = "report"
    started = time.perf_counter()
    settings = EvalSetSettings("bench", path, ("text",), "id", "report", 13, None, None)
    index = EvalIndex.build(read_evalset(settings))
    indexing = time.perf_counter() - started
    size = sum(a.nbytes for a in (index.hashes, index.items, index.starts, index.ends))
    size += sum(len(t) for t in index.item_texts)
    print(f"evaluation set: {len(index.item_ids)} items, {len(index.hashes):,} 13-grams; read and indexed in")
    print(f"  {indexing:.1f} s; index ~{size / 2**20:.0f} MiB (arrays + normalised texts)")
    interleaved(raw, path, args.docs)
    print(f"whole builds: {args.docs} documents, {args.workers} worker(s); machine shared with other users")
    for run in range(args.repeat):
        for label, extra in (("without", {}), ("with", {"decontaminate": [entry]})):
            out = work / f"out-{label}-{run}"
            overrides = {"out": str(out), "version": f"1.0.{run}", **extra}
            config = load_config(raw / "dataset.toml", overrides=overrides)
            clock = StageClock()
            started = time.perf_counter()
            release = build(config, workers=args.workers, progress=clock, report=False)
            total = time.perf_counter() - started
            matched = release.manifest.get("decontamination", {}).get("records_matched", 0)
            print(
                f"  run {run} {label:8s} pass 1 {clock.seconds[PASS_1]:7.1f} s   "
                f"build {total:7.1f} s   records matched {matched}"
            )
            subprocess.run(["rm", "-rf", str(out)], check=True)


def interleaved(raw: Path, path: Path, docs: int) -> None:
    """Pass 1's per-batch function on every batch of the corpus, twice in a row, without and
    with the index, in this process: CPU time (not wall time) summed per variant, so that
    other users of the machine, whose load drifts over minutes, weigh on both alike. The
    time inside `matches_batch` is summed too (numba's start and the first texts matched by
    numpy included, as a worker pays them): a second measure of the same cost, which the
    machine's drift between the two variants does not reach."""
    config = load_config(raw / "dataset.toml")
    settings = EvalSetSettings("bench", path, ("text",), "id", "report", 13, None, None)
    index = EvalIndex.build(read_evalset(settings))
    inside = [0.0]

    def timed(texts: list[str], indexes: list[EvalIndex]) -> list:
        started = time.process_time()
        found = matches_batch(texts, indexes)
        inside[0] += time.process_time() - started
        return found

    passes.matches_batch = timed
    with tempfile.TemporaryDirectory() as spool:
        passes.init_prepare(passes.WorkerSetup(config.settings, Path(spool), (index,)))
        parts = (p for f in discover(config.raw_dir).files for p in plain_parts(f, config.settings.ingest))
        seconds = {"without": 0.0, "with": 0.0}
        matched = 0
        for number, batch in enumerate(batched(parts, passes.BATCH_SIZE, lambda part: part.weight)):
            for label, evalsets in (("without", []), ("with", [index])):
                passes._stages["evalsets"] = evalsets
                started = time.process_time()
                prepared, _ = passes.prepare((f"{number:07d}", batch))
                seconds[label] += time.process_time() - started
            matched += len({row["id"] for row in prepared.contamination})
    passes.matches_batch = matches_batch
    without, extra = seconds["without"], seconds["with"] - seconds["without"]
    print(f"pass 1 in one process, CPU time, each batch without then with the index ({docs} documents;")
    print(f"  the first {INTERPRETED_TEXTS} texts matched by numpy, the rest by the numba kernel):")
    print(f"  without {without:.1f} s, with {seconds['with']:.1f} s: matching adds {extra:.1f} s,")
    print(f"  {100 * extra / without:.1f} % of pass 1; timed inside matches_batch {inside[0]:.1f} s,")
    print(f"  {100 * inside[0] / without:.1f} % of pass 1; records matched {matched}")


def plain_tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str) -> set[tuple[str, ...]]:
    words = plain_tokens(text)
    return {tuple(words[i : i + 5]) for i in range(len(words) - 4)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def reworded(words: list[str], every: int) -> str:
    return " ".join("palabra" if i % every == every // 2 else w for i, w in enumerate(words))


def ngram(args: argparse.Namespace) -> None:
    if not FAKENEWS.is_file():
        sys.exit(f"{FAKENEWS} is absent")
    records = [json.loads(line) for line in FAKENEWS.open(encoding="utf-8")]
    tests = [r for r in records if r["split"] == "test"]
    others = [r for r in records if r["split"] != "test"]
    folder = Path("/tmp/dataset-builder-decont-ngram")
    folder.mkdir(exist_ok=True)
    path = folder / "test.jsonl"
    lines = (json.dumps({"id": str(i), "text": r["text"]}) + "\n" for i, r in enumerate(tests))
    path.write_text("".join(lines), encoding="utf-8")
    test_shingles = [shingles(r["text"]) for r in tests]
    rng = random.Random(0)
    quotes = {10: [], 20: []}
    for r in tests:
        words = plain_tokens(r["text"])
        if len(words) >= 60:
            start = rng.randrange(len(words) - 40)
            for every in quotes:
                quotes[every].append(reworded(words[start : start + 40], every))
    print(f"fakenews_es: {len(others)} train/dev records, {len(tests)} test items")
    print("  n   matched  via near-copy  chance only   recall on 40-token quotes (1 word in 10 / 20 changed)")
    for n in (8, 10, 13, 20):
        settings = EvalSetSettings("test", path, ("text",), "id", "report", n, None, None)
        index = EvalIndex.build(read_evalset(settings))
        near = chance = 0
        for r in others:
            found = matches(r["text"], [index])
            if not found:
                continue
            mine = shingles(r["text"])
            similar = any(jaccard(mine, s) >= 0.3 for s in test_shingles)
            near += similar
            chance += not similar
        recall = {e: sum(bool(matches(q, [index])) for q in qs) / len(qs) for e, qs in quotes.items()}
        print(f"  {n:2d}  {near + chance:7d}  {near:13d}  {chance:11d}   {recall[10]:.3f} / {recall[20]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    measure = commands.add_parser("cost")
    measure.add_argument("--docs", type=int, default=20_000)
    measure.add_argument("--items", type=int, default=10_000)
    measure.add_argument("--workers", type=int, default=2)
    measure.add_argument("--repeat", type=int, default=1, help="whole builds without and with")
    measure.add_argument("--planted", type=int, default=100, help="items quoting a corpus document")
    commands.add_parser("ngram")
    args = parser.parse_args()
    cost(args) if args.command == "cost" else ngram(args)


if __name__ == "__main__":
    main()
