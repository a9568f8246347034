"""Incremental builds: a corpus that grows by a day's shard, rebuilt with the build cache.

    python bench/incremental.py --docs 100000 [--growth 0.01] [--workers 2]

Generates (once, bench/make_corpus.py) a corpus of DOCS + GROWTH × DOCS documents in JSON
Lines shards of DOCS ÷ 10; the first ten shards are the corpus, the last is what a day
adds. In one run, with one cache folder:

1. cold: the corpus, cache empty (it fills it);
2. unchanged, into a new folder: the build finds the release 1 published from these very
   inputs, checks it and copies it (`release.reuse`); 2b. unchanged, into the folder
   where 1 published the version (checked, not copied); 2c. unchanged, into a new folder
   once no earlier release is left to copy (every step but reading runs);
3. grown: the last shard added, from the cache (only the new shard is read);
4. grown, cold: the grown corpus without the cache — its fingerprint must be 3's.

Each build runs in a process of its own. Prints each build's wall time, stages, docs/s and
peak memory (summed PSS of the build and its workers), the ratios 2 ÷ 1, 2b ÷ 1, 2c ÷ 1
and 3 ÷ 4, and the cache's bytes per document. Ratios, not seconds, are the figures to
compare: the machine's speed drifts between days.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from build_speed import StageClock, TreeMemory

from dataset_builder.config import BuildConfig, load_config
from dataset_builder.pipeline import CacheUse, build


def corpus_for(docs: int, growth: float) -> tuple[Path, Path]:
    """(folder with dataset.toml, the shard that grows it): generated once, reused."""
    shard = docs // 10
    total = docs + round(docs * growth)
    folder = Path(tempfile.gettempdir()) / f"dataset-builder-incremental-{docs}-{total}"
    if not (folder / "truth.jsonl").exists():
        shutil.rmtree(folder, ignore_errors=True)
        here = Path(__file__).parent
        command = [sys.executable, str(here / "make_corpus.py"), "--docs", str(total), "--out", str(folder)]
        subprocess.run([*command, "--shard-docs", str(shard)], check=True)
        (folder / "growth").mkdir()
        (folder / "raw" / f"part-{10:05d}.jsonl").rename(folder / "growth" / f"part-{10:05d}.jsonl")
    return folder, folder / "growth" / f"part-{10:05d}.jsonl"


@dataclass(frozen=True)
class Timed:
    """One build as the benchmark reports it."""

    fingerprint: str
    seconds: float
    peak: int  # summed PSS of the build's process and its workers
    cache: CacheUse | None


def timed(
    label: str, folder: Path, cache: Path | None, workers: int, docs: int, keep: Path | None = None
) -> Timed:
    """One build into a new folder (or into `keep`, which stays, when given), in a process
    of its own: its peak memory is the build's, not what earlier builds left in this one."""
    out = keep or Path(tempfile.mkdtemp(prefix="dataset-builder-incremental-"))
    chosen = {"cache": {"folder": str(cache)}} if cache else {"cache": {"enabled": False}}
    config = load_config(folder / "dataset.toml", overrides={"out": str(out), **chosen})
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=build_in_child, args=(config, workers, answers))
    child.start()
    memory = TreeMemory(child.pid)
    fingerprint, seconds, stages, used = answers.get()
    child.join()
    peak = memory.stop()
    if keep is None:
        shutil.rmtree(out)
    reused = f", files reused {used.files_reused}, read {used.files_read}" if used else ""
    print(
        f"\n{label}: {seconds:.1f} s, {docs / seconds:.0f} docs/s, peak memory {peak / 2**30:.2f} GiB, "
        f"fingerprint {fingerprint[:16]}{reused}"
    )
    for stage, spent in stages.items():
        print(f"  {stage:24s} {spent:8.1f} s")
    return Timed(fingerprint, seconds, peak, used)


def build_in_child(config: BuildConfig, workers: int, answers: Any) -> None:
    clock = StageClock()
    started = time.perf_counter()
    release = build(config, workers=workers, progress=clock, report=False)
    seconds = time.perf_counter() - started
    answers.put((release.manifest["fingerprint"], seconds, clock.seconds, release.cache))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, required=True)
    parser.add_argument("--growth", type=float, default=0.01)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    folder, shard = corpus_for(args.docs, args.growth)
    grown_docs = args.docs + round(args.docs * args.growth)
    cache = Path(tempfile.mkdtemp(prefix="dataset-builder-incremental-cache-"))
    print(f"corpus {folder}: {args.docs} documents, +{grown_docs - args.docs}; cache {cache}")
    try:
        published = Path(tempfile.mkdtemp(prefix="dataset-builder-incremental-published-"))
        cold = timed("1. cold (cache empty)", folder, cache, args.workers, args.docs, published)
        same = timed("2. unchanged, new folder (copied)", folder, cache, args.workers, args.docs)
        again = timed("2b. unchanged, version published", folder, cache, args.workers, args.docs, published)
        shutil.rmtree(published)
        passes = timed("2c. unchanged, nothing to copy", folder, cache, args.workers, args.docs)
        shutil.copy(shard, folder / "raw" / shard.name)
        grown = timed("3. grown (from the cache)", folder, cache, args.workers, grown_docs)
        fresh = timed("4. grown, cold (no cache)", folder, None, args.workers, grown_docs)
    finally:
        (folder / "raw" / shard.name).unlink(missing_ok=True)
    size = grown.cache.bytes if grown.cache else 0

    def ratio(build: Timed, against: Timed) -> str:
        matches = build.fingerprint == against.fingerprint
        return f"{build.seconds / against.seconds:.1%}  (same fingerprint: {matches})"

    print(f"\nunchanged, copied ÷ cold: {ratio(same, cold)}")
    print(f"unchanged, the version already published ÷ cold: {ratio(again, cold)}")
    print(f"unchanged, nothing to copy ÷ cold: {ratio(passes, cold)}")
    print(f"grown ÷ grown cold: {ratio(grown, fresh)}")
    print(f"peak memory, grown ÷ grown cold: {grown.peak / fresh.peak:.2f}; cold {cold.peak / 2**30:.2f} GiB")
    print(f"cache: {size / 1e6:.0f} MB, {size / grown_docs:.0f} bytes per document")
    shutil.rmtree(cache)


if __name__ == "__main__":
    main()
