"""Speed and memory of a whole build, against bare langdetect on the same texts.

    python bench/build_speed.py --docs 20000 [--workers 1 2] [--engine local ray] [--corpus DIR]

Generates the corpus with bench/make_corpus.py (once; reused when the folder exists), then
for each engine and worker count builds it into a fresh output folder and prints, per stage and in
total, wall time and docs/s, and the peak memory of the build's whole process tree (the
build and its workers, summed PSS sampled every 0.1 s). In the same run it times seeded
langdetect.detect, one process, on a systematic sample of the same texts, and prints
build docs/s ÷ bare langdetect docs/s: on a busy machine both slow down together.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from langdetect import DetectorFactory, detect

from dataset_builder.config import load_config
from dataset_builder.engines.base import ENGINES
from dataset_builder.pipeline import build


class StageClock:
    """A Progress that records how long each stage took."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        started = time.perf_counter()
        yield lambda advance: None
        self.seconds[description] = self.seconds.get(description, 0.0) + time.perf_counter() - started


class TreeMemory:
    """Peak of the summed PSS of this process and all its descendants. Not RSS: forked workers
    share the parent's pages copy-on-write, and RSS would count them once per process."""

    def __init__(self) -> None:
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while self.running:
            started = time.perf_counter()
            self.peak = max(self.peak, sum(pss(pid) for pid in tree(os.getpid())))
            # The kernel walks every page table to answer: ~50 ms per GiB of the processes here. Sampling at
            # most 5 % of the time keeps the sampler from slowing the build it measures.
            time.sleep(max(0.1, 20 * (time.perf_counter() - started)))

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


def tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child in task.read_text().split():
                pids += tree(int(child))
    return pids


def pss(pid: int) -> int:
    """Proportional set size: each shared page divided among the processes sharing it."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def texts_of(corpus: Path, sample: int) -> list[str]:
    total = sum(1 for f in sorted((corpus / "raw").glob("*.jsonl")) for _ in f.open(encoding="utf-8"))
    step = max(1, total // sample)
    texts = []
    n = 0
    for f in sorted((corpus / "raw").glob("*.jsonl")):
        for line in f.open(encoding="utf-8"):
            if n % step == 0 and len(texts) < sample:
                texts.append(json.loads(line)["text"])
            n += 1
    return texts


def bare_langdetect(texts: list[str]) -> float:
    DetectorFactory.seed = 0  # the benchmark's own process: the reference the build is compared with
    detect("warm up the profiles")
    started = time.perf_counter()
    for text in texts:
        detect(text)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, required=True)
    parser.add_argument("--corpus", type=Path, help="default: /tmp/dataset-builder-corpus-DOCS")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--engine", nargs="+", choices=ENGINES, default=["local"])
    parser.add_argument("--langdetect-sample", type=int, default=2000)
    args = parser.parse_args()
    corpus = args.corpus or Path(tempfile.gettempdir()) / f"dataset-builder-corpus-{args.docs}"
    if not (corpus / "truth.jsonl").exists():
        shutil.rmtree(corpus, ignore_errors=True)
        here = Path(__file__).parent
        subprocess.run(
            [sys.executable, str(here / "make_corpus.py"), "--docs", str(args.docs), "--out", str(corpus)],
            check=True,
        )
    size = sum(f.stat().st_size for f in (corpus / "raw").glob("*.jsonl"))
    print(f"corpus: {corpus} ({args.docs} documents, {size / 1e9:.2f} GB of JSONL)")

    sample = texts_of(corpus, args.langdetect_sample)
    reference = bare_langdetect(sample)
    print(f"bare seeded langdetect.detect, one process: {reference:.0f} docs/s ({len(sample)} texts sampled)")

    results = {}
    fingerprints = set()
    for engine, workers in [(e, w) for e in args.engine for w in args.workers]:
        out = Path(tempfile.mkdtemp(prefix="dataset-builder-bench-"))
        clock, memory = StageClock(), TreeMemory()
        started = time.perf_counter()
        release = build(
            load_config(corpus / "dataset.toml", overrides={"out": str(out)}),
            workers=workers,
            progress=clock,
            engine=engine,
        )
        total = time.perf_counter() - started
        peak = memory.stop()
        shutil.rmtree(out)
        rate = args.docs / total
        results[engine, workers] = rate
        fingerprints.add(release.manifest["fingerprint"])
        gib = peak / 2**30
        print(
            f"\n--engine {engine} --workers {workers}: {total:.1f} s, {rate:.0f} docs/s, "
            f"peak memory (PSS, process tree) {gib:.2f} GiB"
        )
        print(
            f"  kept {release.manifest['counts']['kept']}, fingerprint {release.manifest['fingerprint'][:16]}"
        )
        for stage, seconds in clock.seconds.items():
            print(f"  {stage:24s} {seconds:8.1f} s  {args.docs / seconds:9.0f} docs/s")
        print(f"  {'(between stages)':24s} {total - sum(clock.seconds.values()):8.1f} s")
        print(f"  build ÷ bare langdetect: {rate / reference:.2f}")
    for engine in args.engine:
        if (engine, 1) in results and (engine, 2) in results:
            print(f"\n{engine}: 2 workers ÷ 1 worker: {results[engine, 2] / results[engine, 1]:.2f}")
    for workers in args.workers:
        if ("local", workers) in results and ("ray", workers) in results:
            ratio = results["ray", workers] / results["local", workers]
            print(f"\n--workers {workers}: ray ÷ local: {ratio:.2f}")
    print(f"\nfingerprints: {'all the same' if len(fingerprints) == 1 else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
