"""The report's plots, drawn with matplotlib from manifest values, as SVG text.

Text is drawn as outlines (`svg.fonttype = path`), so a chart looks the same in every
reader's browser whatever fonts the reader has. Latin text uses matplotlib's own DejaVu
Sans; characters it lacks (Chinese, Japanese, Korean, Thai publishers and titles) come
from the first of `FALLBACK_FONTS` installed on the building machine (on Debian the
packages fonts-noto-cjk and fonts-thai-tlwg). Without them matplotlib draws a box for each
such character: the page then says so, and its tables, which are text, still show the
names wherever the reader has the fonts.

The SVG is reproducible: a fixed `svg.hashsalt` for the ids it generates, no creation
date, and the fonts named. The bytes depend on the matplotlib version and the fallback
fonts' files, which the report states (`fonts_used`).
"""

from __future__ import annotations

import io
import itertools
import re
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine
from matplotlib.ticker import MaxNLocator

from dataset_builder.config import SPLITS
from dataset_builder.decide.minhash import detection_probability

SPLIT_COLOURS = {"train": "#4c72b0", "validation": "#dd8452", "test": "#55a868"}
KEPT, REJECTED, DUPLICATE = "#4c72b0", "#c44e52", "#8172b3"


def whole_numbers() -> MaxNLocator:
    """Tick positions for counts: whole numbers only."""
    return MaxNLocator(integer=True)


# Per script, fonts that cover it, in order of preference: Debian's packages first, then
# what macOS and Windows ship. The first one installed is used; the others are never asked
# for (matplotlib would warn of them). Han characters take the first font's forms
# (Simplified Chinese for the Noto fonts), also in Japanese names.
FALLBACK_FONTS = (
    # Chinese, Japanese kana, Hangul: fonts-noto-cjk
    ("Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans", "Microsoft YaHei"),
    # Thai: fonts-thai-tlwg (Loma), fonts-noto-core (Noto Sans Thai)
    ("Noto Sans Thai", "Loma", "Thonburi", "Leelawadee UI"),
)
# What matplotlib draws for a character no font has: its "last resort" font's boxes.
MISSING_GLYPH = re.compile(r'<path id="LastResort')
LABEL_WIDTH = 36  # columns (a Chinese character takes two) a chart label may take


def font_family() -> list[str]:
    """DejaVu Sans, then the first installed font of each script's fallbacks."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    chosen = [next((name for name in names if name in installed), None) for names in FALLBACK_FONTS]
    return ["DejaVu Sans", *filter(None, chosen)]


def fonts_used() -> list[str]:
    """The fonts charts are drawn with, with the version their files give: the same fonts
    and matplotlib version give the same chart bytes."""
    used = []
    for name in font_family():
        font = font_manager.get_font(font_manager.findfont(name))
        version = font.get_sfnt().get((3, 1, 1033, 5), b"").decode("utf-16-be").split(";")[0].strip()
        used.append(f"{name} ({version})" if version else name)
    return used


def has_missing_glyphs(svg: str) -> bool:
    return bool(MISSING_GLYPH.search(svg))


def columns(char: str) -> int:
    """Columns a character takes: East Asian wide ones two, combining marks (Thai vowels
    and tone marks) none."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def shorten(label: str, width: int = LABEL_WIDTH) -> str:
    """A label cut to `width` columns, "…" included, so that long names keep a chart readable."""
    if sum(map(columns, label)) <= width:
        return label
    kept, used = [], 1
    for char in label:
        used += columns(char)
        if used > width:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


STYLE = {
    "svg.hashsalt": "dataset_builder",
    "svg.fonttype": "path",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "legend.frameon": False,
}


LEGEND_ROW = 0.22  # inches a legend row takes at font size 9, below the axes
LEGEND_PAD = 0.08


@contextmanager
def figure(width: float, height: float, legend_rows: int = 0) -> Iterator[Figure]:
    """A figure laid out by matplotlib's tight layout (a third of what its constrained layout
    costs to draw: the report of a few thousand records drew in 0.9 s instead of 1.7 s),
    with `legend_rows` rows kept free at the bottom for a figure legend (`legend`)."""
    bottom = (LEGEND_PAD + LEGEND_ROW * legend_rows) / height if legend_rows else 0.0
    with matplotlib.rc_context({**STYLE, "font.family": font_family()}):
        yield Figure(figsize=(width, height), layout=TightLayoutEngine(pad=0.6, rect=(0.0, bottom, 1.0, 1.0)))


def legend(fig: Figure, *args: Any, ncols: int) -> None:
    """The figure's legend in the rows `figure(..., legend_rows)` kept free below the axes."""
    fig.legend(
        *args, loc="lower center", ncols=ncols, bbox_to_anchor=(0.5, LEGEND_PAD / fig.get_figheight() / 2)
    )


def to_svg(fig: Figure) -> str:
    """The figure as SVG text. matplotlib's warning per character no font has is not shown:
    the page itself says that some were drawn as boxes (`has_missing_glyphs`)."""
    with matplotlib.rc_context({**STYLE, "font.family": font_family()}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def funnel(m: dict[str, Any]) -> str:
    """Read, then what each step removed, then what was kept per split, as a waterfall."""
    steps: list[tuple[str, int, str]] = [
        (f"rejected: {reason}", count, REJECTED) for reason, count in m["rejected_by_reason"].items()
    ]
    steps += [(f"{kind} duplicates", count, DUPLICATE) for kind, count in m["duplicates_by_kind"].items()]
    read = m["counts"]["read"]
    with figure(7.5, 1.2 + 0.32 * (len(steps) + 2), legend_rows=1) as fig:
        ax = fig.subplots()
        labels, y = ["read"], 0
        ax.barh(y, read, color="#999999")
        remaining = read
        for label, count, colour in steps:
            y += 1
            ax.barh(y, count, left=remaining - count, color=colour)
            ax.text(remaining, y, f" −{count:,}", va="center")
            labels.append(shorten(label))
            remaining -= count
        y += 1
        left = 0
        for split in SPLITS:
            count = m["splits"][split]
            ax.barh(y, count, left=left, color=SPLIT_COLOURS[split], label=f"{split} {count:,}")
            left += count
        labels.append("kept")
        ax.text(read, 0, f" {read:,}", va="center")
        ax.text(left, y, f" {left:,}", va="center")
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, read * 1.15 or 1)
        ax.xaxis.set_major_locator(whole_numbers())
        ax.set_xlabel("records")
        legend(fig, ncols=3)
        ax.set_title("Where every record went")
        return to_svg(fig)


def languages(m: dict[str, Any], top: int = 12) -> str:
    """Records per language (the `top` most common, the rest as 'other'), stacked by split."""
    totals: dict[str, int] = {}
    for counts in m["languages"].values():
        for language, count in counts.items():
            totals[language] = totals.get(language, 0) + count
    shown = sorted(totals, key=lambda lang: (-totals[lang], lang))[:top]
    rest = set(totals) - set(shown)
    labels = shown + (["other"] if rest else [])
    with figure(7.5, 1.2 + 0.28 * len(labels), legend_rows=1) as fig:
        ax = fig.subplots()
        left = np.zeros(len(labels))
        for split in SPLITS:
            counts = m["languages"][split]
            values = [counts.get(lang, 0) for lang in shown]
            values += [sum(counts.get(lang, 0) for lang in rest)] if rest else []
            ax.barh(labels, values, left=left, color=SPLIT_COLOURS[split], label=split)
            left += values
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(whole_numbers())
        ax.set_xlabel("records")
        legend(fig, ncols=3)
        ax.set_title("Languages (langdetect), by split")
        return to_svg(fig)


def bin_labels(edges: Sequence[int]) -> list[str]:
    def short(n: int) -> str:
        return f"{n // 1000}k" if n >= 1000 else str(n)

    return [f"{short(a)}–{short(b)}" for a, b in itertools.pairwise(edges)] + [f"{short(edges[-1])}+"]


def lengths(m: dict[str, Any]) -> str:
    """Histograms of characters and words per document, one bar group per split."""
    profile = m["profile"]
    labels = bin_labels(profile["length_edges"])
    with figure(7.5, 4.6, legend_rows=1) as fig:
        axes = fig.subplots(2, 1)
        for ax, unit in zip(axes, ("chars", "words"), strict=True):
            used = [i for i in range(len(labels)) if any(profile["lengths"][s][unit][i] for s in SPLITS)]
            if not used:
                continue
            span = range(used[0], used[-1] + 1)
            x = np.arange(len(span))
            for n, split in enumerate(SPLITS):
                values = [profile["lengths"][split][unit][i] for i in span]
                ax.bar(x + (n - 1) * 0.27, values, 0.27, color=SPLIT_COLOURS[split], label=split)
            ax.set_xticks(x, [labels[i] for i in span])
            ax.yaxis.set_major_locator(whole_numbers())
            ax.set_ylabel("documents")
            ax.set_title("Characters per document" if unit == "chars" else "Words per document")
        legend(fig, *axes[0].get_legend_handles_labels(), ncols=3)
        return to_svg(fig)


def similarity(m: dict[str, Any]) -> str:
    """Confirmed similar pairs by Jaccard similarity, the two thresholds, and the chance that
    LSH proposes a pair of each similarity (the S-curve of its bands and rows)."""
    near, settings = m["near_duplicates"], m["config"]["near_dup"]
    histogram = near["similarity_histogram"]
    edges = np.array(histogram["edges"])
    with figure(7.5, 3.8, legend_rows=2) as fig:
        ax = fig.subplots()
        ax.bar(
            edges[:-1],
            histogram["pairs"],
            np.diff(edges),
            align="edge",
            color=DUPLICATE,
            alpha=0.8,
            label="confirmed pairs",
        )
        ax.axvline(
            settings["threshold"],
            color=REJECTED,
            linestyle="--",
            label=f"threshold {settings['threshold']} (keep one)",
        )
        ax.axvline(
            settings["group_threshold"],
            color=SPLIT_COLOURS["validation"],
            linestyle=":",
            label=f"group_threshold {settings['group_threshold']} (same split)",
        )
        ax.set_xlim(0, 1)
        ax.set_xlabel("Jaccard similarity of shingles")
        ax.yaxis.set_major_locator(whole_numbers())
        ax.set_ylabel("pairs")
        curve = ax.twinx()
        s = np.linspace(0, 1, 201)
        curve.plot(
            s,
            [detection_probability(v, near["bands"], near["rows"]) for v in s],
            color="#333333",
            linewidth=1,
            label=f"P(LSH proposes the pair), {near['bands']} bands × {near['rows']} rows",
        )
        curve.set_ylim(0, 1.05)
        curve.set_ylabel("detection probability")
        curve.spines["right"].set_visible(True)
        handles = ax.get_legend_handles_labels()
        extra = curve.get_legend_handles_labels()
        legend(fig, handles[0] + extra[0], handles[1] + extra[1], ncols=2)
        ax.set_title("Near-duplicate pairs")
        return to_svg(fig)


def bars(title: str, counts: dict[str, int], unit: str, horizontal: bool = True) -> str:
    """A plain bar chart of named counts, in the order given. Bars sit at positions, not at
    their labels: two long names shortened alike stay two bars."""
    labels, values = [shorten(label) for label in counts], list(counts.values())
    at = range(len(labels))
    with figure(7.5, (0.9 + 0.26 * len(labels)) if horizontal else 2.6) as fig:
        ax = fig.subplots()
        if horizontal:
            ax.barh(at, values, color=KEPT)
            ax.set_yticks(at, labels)
            ax.invert_yaxis()
            ax.xaxis.set_major_locator(whole_numbers())
            ax.set_xlabel(unit)
        else:
            ax.bar(at, values, color=KEPT)
            ax.set_xticks(at, labels)
            ax.yaxis.set_major_locator(whole_numbers())
            ax.set_ylabel(unit)
            if len(labels) > 12:
                ax.tick_params(axis="x", labelrotation=90)
        ax.set_title(title)
        return to_svg(fig)
