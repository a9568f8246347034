"""Publisher names merged, and declared against detected languages, as a build sees them
on the benchmark pages.

    python bench/publisher_names.py [--workers 2]

One release is built from the pages of the three benchmarks with gold in
../shared/corpora/ (Zyte's article_extraction_benchmark, wcxb_articles, zh_web_extraction)
and the records of fakenews_es (JSON Lines whose `source` is typed by hand: "El País", "El
país" and "EL UNIVERSAL" come from there), together, so that the sites they share meet.
Each page's URL from its gold is given through raw/sources.toml (the Chinese set has none:
a page's own canonical URL, if any, is its URL), so a publisher's site is its URL's
registrable domain as in any build. From the release it prints the spellings merged into
each publisher (decide/publishers.py), and per benchmark how many kept pages declare a
language, how many langdetect agrees with, and the pages where it does not.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from dataset_builder import build, load_config

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
SETS = {
    "zyte": ("article_extraction_benchmark", "html/*.html.gz"),
    "wcxb": ("wcxb_articles", "html/*.html.gz"),
    "zh": ("zh_web_extraction", "original/*.html.gz"),
    "fakenews": ("fakenews_es", "fakenews_es.jsonl"),
}
# fakenews_es's keys, as record fields.
FIELDS = {"title": "headline", "text": "text", "url": "link", "source": "source"}


def gold_urls(name: str) -> dict[str, str]:
    """Page id -> its URL, as the benchmark's gold gives it."""
    folder = CORPORA / SETS[name][0]
    if name == "zyte":
        gold = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
        return {page: entry["url"] for page, entry in gold.items() if entry.get("url")}
    if name == "wcxb":
        found = {}
        for path in sorted((folder / "ground-truth").glob("*.json")):
            url = json.loads(path.read_text(encoding="utf-8")).get("url")
            if url:
                found[path.stem] = url
        return found
    return {}


def stage(raw: Path) -> None:
    """The pages under raw/<benchmark>/, and raw/sources.toml with each page's URL."""
    entries = []
    for name, (folder, pattern) in SETS.items():
        urls = gold_urls(name)
        (raw / name).mkdir(parents=True)
        for path in sorted((CORPORA / folder).glob(pattern)):
            shutil.copyfile(path, raw / name / path.name)
            page = path.name.split(".")[0]
            if page in urls:
                entries.append(f'[[source]]\nfiles = "{name}/{path.name}"\nurl = {json.dumps(urls[page])}\n')
    (raw / "sources.toml").write_text("\n".join(entries), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    missing = [folder for folder, _ in SETS.values() if not (CORPORA / folder).is_dir()]
    if missing:
        raise SystemExit(f"not present in {CORPORA}: {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="publisher-names-") as tmp:
        raw = Path(tmp) / "raw"
        stage(raw)
        overrides = {"raw": str(raw), "out": str(Path(tmp) / "dist"), "name": "bench", "version": "1.0.0"}
        chosen = {"cache": {"enabled": False}, "ingest": {"fields": FIELDS}}
        config = load_config(None, overrides={**overrides, **chosen}, base_dir=Path(tmp))
        release = build(config, workers=args.workers, report=False)
        rows = pq.read_table(
            sorted((release.path / "data").glob("*.parquet")),
            columns=["raw_path", "url", "source", "language", "declared_language", "title"],
        ).to_pylist()
        print_publishers(release.manifest, rows)
        print_languages(rows)


def print_publishers(manifest: dict, rows: list[dict]) -> None:
    publishers = manifest["profile"]["publishers"]
    variants = publishers["variants"]
    merged = sum(len(spellings) - 1 for spellings in variants.values())
    print(
        f"{manifest['counts']['kept']} pages kept of {manifest['counts']['read']}; "
        f"{publishers['distinct']} publishers; {merged} spelling(s) merged into {len(variants)} publisher(s):"
    )
    for publisher, spellings in variants.items():
        sites = sorted(
            {(r["url"] or "").split("/")[2] for r in rows if r["source"] == publisher and r["url"]}
        )
        listed = "; ".join(f"{spelling!r} {n}" for spelling, n in spellings.items())
        print(f"  {publisher!r} <- {listed}   ({', '.join(sites) or 'no URL'})")


def print_languages(rows: list[dict]) -> None:
    from dataset_builder.stages.profile import agrees

    print(f"\n{'benchmark':<10} {'kept':>5} {'declare':>8} {'agree':>6} {'und':>4} {'disagree':>9}")
    for name in SETS:
        pages = [r for r in rows if r["raw_path"].startswith(f"{name}/")]
        declaring = [r for r in pages if r["declared_language"]]
        judged = [r for r in declaring if r["language"] != "und"]
        wrong = [r for r in judged if not agrees(r["declared_language"], r["language"])]
        print(
            f"{name:<10} {len(pages):>5} {len(declaring):>8} {len(judged) - len(wrong):>6} "
            f"{len(declaring) - len(judged):>4} {len(wrong):>9}"
        )
        pairs = Counter(f"{r['declared_language']} -> {r['language']}" for r in wrong)
        for pair, n in pairs.most_common():
            print(f"    {pair}: {n}")
        for r in wrong:
            print(
                f"      {r['raw_path'][:30]:<30} {r['declared_language']} -> {r['language']}  {r['title']!r}"
            )


if __name__ == "__main__":
    main()
