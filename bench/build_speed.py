"""Speed and memory of a whole build, against bare langdetect on the same texts.

    python bench/build_speed.py --docs 20000 [--workers 1 2] [--engine local ray] [--corpus DIR]
    python bench/build_speed.py --real [--workers 1 2] [--repeat 2]

`--real`: a small corpus of real articles as users have them, the text corpora of
../shared/corpora (Spanish, English, Japanese, Korean and Chinese news, ~4,600 articles)
written as JSONL into a temporary folder, never into the repository. Each build is timed as
a whole process from outside (`python -m dataset_builder build`: imports, profile loading
and the report included), bare seeded langdetect.detect over every text in the same run,
the runs taking turns so that a busy machine slows them alike.

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
import resource
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
    """Peak of the summed PSS of a process (this one unless `root` is given) and all its
    descendants. Not RSS: forked workers share the parent's pages copy-on-write, and RSS
    would count them once per process."""

    def __init__(self, root: int | None = None) -> None:
        self.root = root or os.getpid()
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while self.running:
            started = time.perf_counter()
            self.peak = max(self.peak, sum(pss(pid) for pid in tree(self.root)))
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
    return len(texts) / timed_langdetect(texts)[0]


def timed_langdetect(texts: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of seeded langdetect.detect over `texts`, its profiles loaded first."""
    DetectorFactory.seed = 0  # the benchmark's own process: the reference the build is compared with
    detect("warm up the profiles")
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        detect(text)
    return time.perf_counter() - started, time.process_time() - cpu


def real_corpus(out: Path) -> list[str]:
    """Write the real corpus into `out` (raw/*.jsonl and dataset.toml); returns its texts."""
    corpora = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
    if not corpora.is_dir():
        sys.exit(f"--real needs the real corpora in {corpora}")
    sources: dict[str, list[dict[str, str]]] = {}
    for name in (
        "fakenews_es/fakenews_es.jsonl",
        "livedoor_ja/livedoor_ja.jsonl",
        "wikinews_ko/wikinews_ko.jsonl",
        "xwlb_zh/xwlb_zh.jsonl",
    ):
        with (corpora / name).open(encoding="utf-8") as lines:
            rows = [json.loads(line) for line in lines]
        sources[name.split("/")[0]] = [
            {
                "title": r.get("headline") or r.get("title") or "",
                "text": r["text"],
                "url": r.get("link") or r.get("url"),
            }
            for r in rows
        ]
    truth = json.loads((corpora / "article_extraction_benchmark" / "ground-truth.json").read_text("utf-8"))
    sources["zyte"] = [
        {"title": "", "text": p["articleBody"], "url": p["url"]} for _, p in sorted(truth.items())
    ]
    gold = sorted((corpora / "wcxb_articles" / "ground-truth").glob("*.json"))
    sources["wcxb"] = [
        {
            "title": g["ground_truth"]["title"] or "",
            "text": g["ground_truth"]["main_content"],
            "url": g["url"],
        }
        for g in (json.loads(path.read_text("utf-8")) for path in gold)
    ]
    (out / "raw").mkdir(parents=True)
    texts = []
    for name, rows in sources.items():
        with (out / "raw" / f"{name}.jsonl").open("w", encoding="utf-8") as file:
            for row in rows:
                file.write(json.dumps({k: v for k, v in row.items() if v}, ensure_ascii=False) + "\n")
                texts.append(row["text"])
    (out / "dataset.toml").write_text(
        'name = "bench-real"\nversion = "1.0.0"\npretty_name = "Real articles"\nlicense = "unknown"\n',
        encoding="utf-8",
    )
    return texts


# The build as a user's Python runs it: with the bytecode of its modules cached (this
# machine's environment sets PYTHONDONTWRITEBYTECODE, and compiling the package's ~100
# modules again costs every run ~0.15 s; the first of `--repeat` runs writes the cache).
AS_A_USER = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_process(corpus: Path, workers: int) -> tuple[float, float, str]:
    """Wall and CPU seconds (the build and its workers) of `python -m dataset_builder build`,
    timed from outside, and its fingerprint."""
    out = Path(tempfile.mkdtemp(prefix="dataset-builder-bench-"))
    command = [sys.executable, "-m", "dataset_builder", "build", "--config", str(corpus / "dataset.toml")]
    started, cpu = time.perf_counter(), children_cpu()
    arguments = [*command, "--out", str(out), "--workers", str(workers)]
    subprocess.run(arguments, check=True, capture_output=True, env=AS_A_USER)
    seconds, cpu = time.perf_counter() - started, children_cpu() - cpu
    manifest = json.loads(next(out.glob("*/*/manifest.json")).read_text("utf-8"))
    shutil.rmtree(out)
    return seconds, cpu, manifest["fingerprint"][:16]


def real(args: argparse.Namespace) -> None:
    """Wall time shows what a user waits; CPU time (user + system, the build and its workers)
    is what a busy machine disturbs least, so both ratios are printed."""
    corpus = Path(tempfile.mkdtemp(prefix="dataset-builder-real-"))
    texts = real_corpus(corpus)
    chars = sum(map(len, texts))
    print(f"real corpus: {len(texts)} articles, {chars / len(texts):.0f} characters on average, in {corpus}")
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    fingerprints = set()
    for _ in range(args.repeat):  # runs take turns: a busy machine slows them all alike
        seconds, used = timed_langdetect(texts)
        wall["langdetect"] = min(wall.get("langdetect", 1e9), seconds)
        cpu["langdetect"] = min(cpu.get("langdetect", 1e9), used)
        for workers in args.workers:
            seconds, used, fingerprint = whole_process(corpus, workers)
            fingerprints.add(fingerprint)
            wall[f"{workers}"] = min(wall.get(f"{workers}", 1e9), seconds)
            cpu[f"{workers}"] = min(cpu.get(f"{workers}", 1e9), used)
    print(
        f"bare seeded langdetect.detect, one process: {wall['langdetect']:.1f} s wall, "
        f"{cpu['langdetect']:.1f} s CPU ({len(texts) / wall['langdetect']:.0f} docs/s)"
    )
    for workers in args.workers:
        key = f"{workers}"
        print(
            f"build --workers {workers}, whole process: {wall[key]:.1f} s wall "
            f"({wall['langdetect'] / wall[key]:.2f}x bare langdetect), {cpu[key]:.1f} s CPU "
            f"({cpu['langdetect'] / cpu[key]:.2f}x)"
        )
    if "1" in wall and "2" in wall:
        print(f"2 workers ÷ 1 worker (wall): {wall['1'] / wall['2']:.2f}")
    print(f"best of {args.repeat}; fingerprints: {'all the same' if len(fingerprints) == 1 else 'DIFFERENT'}")
    shutil.rmtree(corpus)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int)
    parser.add_argument("--real", action="store_true", help="real articles from ../shared/corpora")
    parser.add_argument("--repeat", type=int, default=1, help="with --real: runs, the best kept")
    parser.add_argument("--corpus", type=Path, help="default: /tmp/dataset-builder-corpus-DOCS")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--engine", nargs="+", choices=ENGINES, default=["local"])
    parser.add_argument("--langdetect-sample", type=int, default=2000)
    args = parser.parse_args()
    if args.real:
        return real(args)
    if args.docs is None:
        parser.error("give --docs N or --real")
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
