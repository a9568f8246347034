"""Quality signals: their cost against pass 1, and how often each default bound fails on real news.

    python bench/quality_signals.py cost [--docs 20000 | --real]
    python bench/quality_signals.py rates

`cost`: pass 1's per-batch function (`passes.prepare`: read, clean, validate, sign) and both
implementations of the signals on the texts that batch spooled, one after the other on every
batch, in this process, in CPU time (not wall time), so that other users of the machine
weigh on all alike: `signals_interpreted` (regex and numpy, what every text took before the
kernel and what a process's first texts still take) and `signals_compiled`
(stages/qualitykernel.py), whose values are checked to be the same. The compiled kernel's
start (numba's import and first compile, which pass 2 pays for language ID anyway; the
character table; the kernel's load from numba's cache) is paid once per process, before the
first batch, and shown apart. The generated corpus of bench/make_corpus.py (`--docs`), or
the real text corpora of ../shared/corpora written as JSONL to a temporary folder
(`--real`).

`rates`: the signals of every text of the real corpora (their language as the corpus
declares it) and, per corpus, how many records each default bound of `[quality]` would
reject: a bound that rejects a large share of real news in one language misfires there.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from build_speed import real_corpus

from dataset_builder.config import load_config
from dataset_builder.engines import passes
from dataset_builder.engines.cached import plain_parts
from dataset_builder.engines.parallel import batched
from dataset_builder.spool import read_batch
from dataset_builder.stages.ingest import discover
from dataset_builder.stages.quality import failures, signals_batch, signals_compiled, signals_interpreted

HERE = Path(__file__).resolve().parent
CORPORA = HERE.parent.parent / "shared" / "corpora"
LANGUAGE = {
    "fakenews_es": "es",
    "livedoor_ja": "ja",
    "wikinews_ko": "ko",
    "xwlb_zh": "zh",
    "zyte": "en",
    "wcxb": "en",
}


def generated(docs: int) -> Path:
    out = Path(f"/tmp/dataset-builder-corpus-{docs}")
    if not (out / "dataset.toml").is_file():
        subprocess.run(
            [sys.executable, str(HERE / "make_corpus.py"), "--docs", str(docs), "--out", str(out)], check=True
        )
    return out


def cost(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if args.real:
            raw = Path(tmp) / "real"
            real_corpus(raw)
        else:
            raw = generated(args.docs)
        config = load_config(raw / "dataset.toml")
        spool = Path(tmp) / "spool"
        spool.mkdir()
        passes.init_prepare(passes.WorkerSetup(config.settings, spool))
        parts = (p for f in discover(config.raw_dir).files for p in plain_parts(f, config.settings.ingest))
        seconds = Counter[str]()
        records = 0
        for number, batch in enumerate(batched(parts, passes.BATCH_SIZE, lambda part: part.weight)):
            name = f"{number:07d}"
            started = time.process_time()
            prepared, _ = passes.prepare((name, batch))
            seconds["pass 1"] += time.process_time() - started
            if not prepared.ids:
                continue
            texts = read_batch(spool, name, ["text"]).column(0).to_pylist()
            languages = ["en"] * len(texts)
            found = {}
            for kind, signals in (("interpreted", signals_interpreted), ("compiled", signals_compiled)):
                if kind == "compiled" and not seconds["start-up"]:
                    started = time.process_time()
                    from numba import njit

                    njit(lambda: 0)()  # numba's own start, whichever kernel comes first
                    seconds["numba"] = time.process_time() - started
                    signals_compiled(["warm up"], ["en"])  # the table, the kernel from numba's cache
                    seconds["start-up"] = time.process_time() - started
                started = time.process_time()
                found[kind] = signals(texts, languages)
                seconds[kind] += time.process_time() - started
            if found["interpreted"] != found["compiled"]:
                sys.exit(f"batch {name}: the two implementations differ")
            records += len(texts)
    corpus = "real corpora" if args.real else f"{args.docs} generated documents"
    print(f"{corpus}: {records} records; CPU time in one process (the machine is shared with other users)")
    print(f"  pass 1 (prepare) {seconds['pass 1']:.2f} s")
    print("  signals, the same values from both:")
    for kind in ("interpreted", "compiled"):
        share = 100 * seconds[kind] / seconds["pass 1"]
        each = 1e3 * seconds[kind] / max(records, 1)
        print(f"  {kind:>12} {seconds[kind]:6.2f} s = {share:5.1f} % of pass 1, {each:.3f} ms a record")
    start = seconds["start-up"] + seconds["compiled"]
    own = seconds["start-up"] - seconds["numba"]
    print(
        f"  compiled with its start-up ({seconds['start-up']:.2f} s once per process: numba's own "
        f"{seconds['numba']:.2f} s, which pass 2's language ID pays anyway, and {own:.2f} s for "
        f"the table and kernel): {100 * start / seconds['pass 1']:.1f} % of pass 1, "
        f"{100 * (own + seconds['compiled']) / seconds['pass 1']:.1f} % without numba's own start"
    )
    print(f"  compiled is {seconds['interpreted'] / seconds['compiled']:.1f}x faster than interpreted")


def rates(args: argparse.Namespace) -> None:
    settings = load_config(None).settings.quality
    with tempfile.TemporaryDirectory() as tmp:
        real_corpus(Path(tmp))
        for part in sorted((Path(tmp) / "raw").glob("*.jsonl")):
            language = LANGUAGE[part.stem]
            texts = [json.loads(line)["text"] for line in part.open(encoding="utf-8")]
            broken: Counter[str] = Counter()
            rejected = 0
            for start in range(0, len(texts), passes.BATCH_SIZE):
                chunk = texts[start : start + passes.BATCH_SIZE]
                for values in signals_batch(chunk, [language] * len(chunk)):
                    found = failures(values, settings.bounds_for(language), language)
                    broken.update({text.split(" ", 1)[0] for text in found})
                    rejected += bool(found)
            top = ", ".join(f"{name} {n}" for name, n in broken.most_common())
            print(
                f"{part.stem} ({language}): {len(texts)} texts, {rejected} would be rejected "
                f"({100 * rejected / len(texts):.1f} %): {top or 'none'}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("cost")
    one.add_argument("--docs", type=int, default=20000)
    one.add_argument("--real", action="store_true")
    sub.add_parser("rates")
    args = parser.parse_args()
    {"cost": cost, "rates": rates}[args.command](args)


if __name__ == "__main__":
    main()
