"""report.html: one self-contained page that shows a release to the people who will use it.

It is drawn only from what the release already holds (the manifest, the audit files) and,
for its changes section, the previous release beside it: `python -m dataset_builder report
RELEASE` draws the same page from a published release. The page is a view, like the
output of `diff`: it is not in the manifest's file list or the fingerprint, so a release's
identity does not depend on the fonts its charts are drawn with or on whether a report was
asked for. Its bytes are still reproducible (see charts.py).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from dataset_builder.config import SPLITS
from dataset_builder.errors import BuildError
from dataset_builder.records import balanced, locator
from dataset_builder.release import diff, learned
from dataset_builder.release.publish import REPORT, read_jsonl, read_manifest

NAME = REPORT
REJECTS_PER_REASON = 3
LEARNED_SHOWN = 12  # learned boilerplate lines, most articles first


def render(release: Path, changes: diff.Changes | None) -> str:
    """The report of the release folder `release`, with `changes` since the previous
    version (`changes_since_previous`), as HTML text."""
    m = read_manifest(release)
    if "profile" not in m:
        raise BuildError(f"{release} was built before reports existed (no profile in its manifest)")
    counts = m["counts"]
    environment = Environment(
        loader=PackageLoader("dataset_builder.report"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["pointer"] = json_pointer
    return environment.get_template(NAME).render(
        m=m,
        splits=SPLITS,
        publishers=top_publishers(m),
        balanced=balanced(counts),
        **draw_charts(m),
        languages=sorted({lang for counts in m["languages"].values() for lang in counts}),
        learned_top=sorted(learned.rows(m), key=lambda row: (-row[2], row[0], row[1]))[:LEARNED_SHOWN],
        rejects=sample_rejects(release / "audit" / "rejects.jsonl", REJECTS_PER_REASON),
        per_reason=REJECTS_PER_REASON,
        pairs=list(read_jsonl(release / "audit" / "near_duplicate_examples.jsonl")),
        changes=changes,
    )


def write(release: Path, changes: diff.Changes | None, output: Path | None = None) -> Path:
    output = output or release / NAME
    page = render(release, changes)
    try:
        output.write_text(page, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise BuildError(f"cannot write {output}: {exc.strerror}") from None
    return output


def draw_charts(m: dict[str, Any]) -> dict[str, Any]:
    """The template's `charts` (each chart as base64 SVG, ready for a data: URL), the
    `fonts` they are drawn with and the `fonttools` version that read them, and whether
    some character had no font (`boxes`)."""
    from dataset_builder.report import charts, glyphs, histograms  # fontTools: only when a page is drawn

    svgs = {
        "funnel": charts.funnel(m),
        "languages": charts.languages(m),
        "lengths": charts.lengths(m),
        "publishers": charts.bars("Records per publisher", publisher_counts(m), "records"),
        "years": charts.bars(
            "Records per publication year", m["profile"]["published"]["by_year"], "records", horizontal=False
        ),
    }
    if m["near_duplicates"]["enabled"]:
        svgs["similarity"] = charts.similarity(m)
    if m.get("quality", {}).get("signals"):
        svgs["quality"] = histograms.quality(m)
    return {
        "charts": {name: base64.b64encode(svg.encode("utf-8")).decode("ascii") for name, svg in svgs.items()},
        "fonts": glyphs.fonts_used(list(svgs.values())),
        "fonttools": glyphs.FONTTOOLS,
        "boxes": any(glyphs.has_missing_glyphs(svg) for svg in svgs.values()),
    }


def top_publishers(m: dict[str, Any]) -> list[tuple[str, int]]:
    """Most records first (the manifest's JSON keeps keys sorted by name)."""
    return sorted(m["profile"]["publishers"]["top"].items(), key=lambda item: (-item[1], item[0]))


def publisher_counts(m: dict[str, Any]) -> dict[str, int]:
    publishers = m["profile"]["publishers"]
    others = publishers["distinct"] - len(publishers["top"])
    return dict(top_publishers(m)) | ({f"{others} others": publishers["others"]} if others else {})


def json_pointer(parts: list[Any]) -> str:
    """RFC 6901: where a value is in the manifest, whatever characters its keys hold."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def sample_rejects(path: Path, per_reason: int) -> list[dict[str, str]]:
    """The first `per_reason` rejects of each reason, in file order (the audit's order);
    reads the file once, without holding it."""
    shown: dict[str, list[dict[str, str]]] = {}
    for row in read_jsonl(path):
        picked = shown.setdefault(row["reason"], [])
        if len(picked) < per_reason:
            detail = row["detail"] if len(row["detail"]) <= 300 else row["detail"][:300] + "…"
            picked.append(
                {
                    "where": locator(row["raw_path"], row["raw_line"], row["raw_format"]),
                    "reason": row["reason"],
                    "detail": detail,
                }
            )
    return [row for reason in sorted(shown) for row in shown[reason]]


def changes_since_previous(release: Path) -> diff.Changes | None:
    """The diff against the version the manifest names as previous, when it is beside this
    one. (A build has it already: it compared the two for the datasheet's changelog.)"""
    m = read_manifest(release)
    previous = m["previous"]
    if previous is None or not (release.parent / previous["version"] / "manifest.json").is_file():
        return None
    return diff.compare(release.parent / previous["version"], release, (previous["version"], m["version"]))
