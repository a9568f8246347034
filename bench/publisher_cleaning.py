"""What publisher cleaning does to the site names trafilatura reads from real pages.

    python bench/publisher_cleaning.py

Pages: the 69 Chinese pages of ../shared/corpora/zh_web_extraction/ and the 250 English
pages of ../shared/corpora/wcxb_articles/ (and the 181 Zyte pages, when present). For each
page, the value an HTML record gets as its `source` (trafilatura's site name, else its host
name, as html_record takes it) and what clean_record makes of it (stages/publisher.py):
kept as it is, cut to an organisation, replaced by the site of the page's URL, or dropped;
then the origin the datasheet counts. Only the metadata is extracted (trafilatura's
extract_metadata on the page as html.py decodes and parses it), not the article body, so
every page counts, also those a build rejects as holding no article.
"""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

from trafilatura.metadata import extract_metadata

from dataset_builder.stages.pagetext import decode_html, parse_html
from dataset_builder.stages.publisher import publisher, publisher_origin

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
SETS = {
    "zh_web_extraction": "original/*.html.gz",
    "wcxb_articles": "html/*.html.gz",
    "article_extraction_benchmark": "html/*.html.gz",
}


def page_source(path: Path) -> tuple[str | None, str | None]:
    tree = parse_html(decode_html(gzip.decompress(path.read_bytes())).text)
    meta = extract_metadata(tree) if tree is not None else None
    if meta is None:
        return None, None
    return meta.sitename or meta.hostname or None, meta.url


def main() -> None:
    print(f"{'corpus':<30} {'pages':>5} {'raw':>5} {'same':>5} {'org':>5} {'site':>5} {'drop':>5}   origin")
    for name, pattern in SETS.items():
        folder = CORPORA / name
        if not folder.is_dir():
            print(f"{name:<30} not present")
            continue
        fates: Counter[str] = Counter()
        origins: Counter[str] = Counter()
        changed = []
        paths = sorted(folder.glob(pattern))
        for path in paths:
            raw, url = page_source(path)
            new = publisher(raw, url)
            origins[publisher_origin(new, url)] += 1
            if raw is None:
                fates["none" if new is None else "site"] += 1  # no site name: the URL's site
                continue
            fates["raw"] += 1
            if new == raw:
                fates["same"] += 1
                continue
            fates["drop" if new is None else "site" if publisher_origin(new, url) == "domain" else "org"] += 1
            changed.append(f"    {path.name.split('.')[0][:12]}: {raw!r} -> {new!r}")
        counts = " ".join(f"{fates[k]:>5}" for k in ("raw", "same", "org", "site", "drop"))
        origin = ", ".join(f"{k} {origins[k]}" for k in ("name", "domain", "none"))
        print(f"{name:<30} {len(paths):>5} {counts}   {origin}")
        print("\n".join(changed))
    print(
        "raw: pages with a site name or host name; same: left as it is; org: cut to the "
        "organisation; site: the URL's host name instead; drop: no publisher left"
    )


if __name__ == "__main__":
    main()
