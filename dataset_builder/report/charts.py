"""The report's plots, drawn from manifest values as SVG text written by hand.

matplotlib drew them before, at ~1 s of a 2 s seed build (0.3 s of it its import); a bar
chart is rectangles, lines and labels, so they are written here directly (`drawing`),
their text as outlines of the fonts `glyphs` finds. The layout follows what matplotlib's
tight layout gave: margins as wide as the labels in them, ticks on whole numbers for
counts, the legend centred below the axes.

The SVG is reproducible: nothing in it depends on the time, the process or the folder.
Its bytes depend on the font files and the fontTools version, which the report states.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dataset_builder.config import SPLITS
from dataset_builder.decide.minhash import detection_probability
from dataset_builder.report.drawing import SIZE, Canvas, text_width

SPLIT_COLOURS = {"train": "#4c72b0", "validation": "#dd8452", "test": "#55a868"}
KEPT, REJECTED, DUPLICATE = "#4c72b0", "#c44e52", "#8172b3"
LABEL_WIDTH = 36  # columns (a Chinese character takes two) a chart label may take

WIDTH = 540  # points: 7.5 inches
PAD = 6  # around the figure
TICK, TICK_PAD = 3.5, 3.5  # a tick's length and the space between it and its label
LINE = SIZE * 1.3  # a line of text
TITLE_SIZE, TITLE_LINE = 10, 18  # the bold title above the axes, and the room it takes
LEGEND_ROW = 16
Swatch = tuple[str, str, str]  # ("patch" or "line", colour, dash pattern or opacity)


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


def ticks(high: float, whole: bool = True, most: int = 8) -> list[float]:
    """Tick values from 0 up to `high`: the smallest step of 1, 2, 2.5 or 5 times a power
    of ten (a whole number for counts) that leaves at most `most` intervals, as
    matplotlib's MaxNLocator picked them."""
    magnitude = 10.0 ** math.floor(math.log10(high / most))
    while True:
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * magnitude
            if (not whole or (step >= 1 and step % 1 == 0)) and high / step <= most:
                return [round(i * step, 9) for i in range(int(high / step + 1e-9) + 1)]
        magnitude *= 10


def tick_label(value: float, whole: bool = True) -> str:
    return str(int(value)) if whole else f"{value:.1f}"


def headroom(values: Sequence[float], factor: float = 1.05) -> float:
    """The top of a value axis: a little above the largest value (1 when all are 0)."""
    return max(values, default=0) * factor or 1


@dataclass
class Axes:
    """A plot area of a canvas and the data ranges drawn onto it: `x` from left to right,
    `y` from bottom to top (a reversed range puts its first value on top)."""

    canvas: Canvas
    left: float
    top: float
    width: float
    height: float
    x: tuple[float, float]
    y: tuple[float, float]

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def px(self, value: float) -> float:
        return self.left + self.width * (value - self.x[0]) / (self.x[1] - self.x[0])

    def py(self, value: float, y: tuple[float, float] | None = None) -> float:
        low, high = y or self.y
        return self.bottom - self.height * (value - low) / (high - low)

    def bar(self, x0: float, x1: float, y0: float, y1: float, colour: str, extra: str = "") -> None:
        """A bar from (x0, y0) to (x1, y1) in data units."""
        left, right, top, bottom = self.px(x0), self.px(x1), self.py(y1), self.py(y0)
        self.canvas.rect(
            min(left, right),
            min(top, bottom),
            abs(right - left),
            abs(bottom - top),
            colour,
            f' class="bar"{extra}',
        )

    def spines(self, right: bool = False) -> None:
        self.canvas.line(self.left, self.top, self.left, self.bottom)
        self.canvas.line(self.left, self.bottom, self.left + self.width, self.bottom)
        if right:
            self.canvas.line(self.left + self.width, self.top, self.left + self.width, self.bottom)

    def xticks(self, at: Sequence[float], labels: Sequence[str], vertical: bool = False) -> None:
        """Ticks below the axes, their labels centred on them (or read upwards, ending there)."""
        for value, label in zip(at, labels, strict=True):
            x = self.px(value)
            self.canvas.line(x, self.bottom, x, self.bottom + TICK, extra=tick_attributes("xtick", value))
            if vertical:
                self.canvas.text(label, x, self.bottom + TICK + TICK_PAD, anchor="end", vertical=True)
            else:
                self.canvas.text(label, x, self.bottom + TICK + TICK_PAD + LINE / 2, anchor="middle")

    def yticks(
        self,
        at: Sequence[float],
        labels: Sequence[str],
        right: bool = False,
        y: tuple[float, float] | None = None,
    ) -> None:
        """Ticks left of the axes (or right, on the range `y`), their labels beside them."""
        edge, out = (self.left + self.width, 1) if right else (self.left, -1)
        for value, label in zip(at, labels, strict=True):
            top = self.py(value, y)
            self.canvas.line(edge, top, edge + out * TICK, top, extra=tick_attributes("ytick", value))
            self.canvas.text(label, edge + out * (TICK + TICK_PAD), top, anchor="start" if right else "end")

    def xlabel(self, text: str) -> None:
        self.canvas.text(
            text, self.left + self.width / 2, self.bottom + TICK + TICK_PAD + LINE * 1.6, "middle"
        )

    def ylabel(self, text: str, x: float) -> None:
        self.canvas.text(text, x, self.top + self.height / 2, anchor="middle", vertical=True)

    def title(self, text: str) -> None:
        self.canvas.text(text, self.left, self.top - TITLE_LINE / 2, size=TITLE_SIZE, bold=True)


def tick_attributes(axis: str, value: float) -> str:
    """A tick names its axis and value, so that a test can check what is drawn at it."""
    return f' class="{axis}" data-value="{value:g}"'


def widest(labels: Sequence[str]) -> float:
    return max((text_width(label) for label in labels), default=0.0)


def below_axes(legend_rows: int, tick_labels: float = LINE, xlabel: bool = True) -> float:
    """Room under the axes for ticks, their labels, an axis label and a legend."""
    return TICK + TICK_PAD + tick_labels + (LINE * 1.2 if xlabel else 0) + legend_rows * LEGEND_ROW + PAD


def legend(canvas: Canvas, entries: Sequence[tuple[str, Swatch]], ncols: int) -> None:
    """Entries row by row in `ncols` columns, centred at the bottom of the figure."""
    rows = [entries[i : i + ncols] for i in range(0, len(entries), ncols)]
    widths = [max(22 + text_width(label) for label, _ in column) for column in zip(*rows, strict=False)]
    start = (canvas.width - sum(widths) - 16 * (len(widths) - 1)) / 2
    for r, row in enumerate(rows):
        y = canvas.height - PAD - LEGEND_ROW * (len(rows) - r - 0.5)
        for c, (label, (kind, colour, style)) in enumerate(row):
            x = start + sum(widths[:c]) + 16 * c
            if kind == "patch":
                canvas.rect(x, y - 3.5, 18, 7, colour, f' fill-opacity="{style}"' if style else "")
            else:
                dash = f' stroke-dasharray="{style}"' if style else ""
                canvas.line(x, y, x + 18, y, colour, 1.5, dash)
            canvas.text(label, x + 22, y)


def split_legend(canvas: Canvas, labels: Sequence[str]) -> None:
    legend(
        canvas, [(label, ("patch", SPLIT_COLOURS[s], "")) for s, label in zip(SPLITS, labels, strict=True)], 3
    )


def rows_chart(labels: Sequence[str], high: float, height: float, legend_rows: int = 0) -> Axes:
    """Axes for one horizontal bar per label, the first on top, and a value axis from 0 to
    `high` below."""
    left = PAD + widest(labels) + TICK + TICK_PAD
    right = PAD + text_width(tick_label(ticks(high)[-1])) / 2
    bottom = below_axes(legend_rows)
    canvas = Canvas(WIDTH, height)
    top = PAD + TITLE_LINE
    return Axes(
        canvas, left, top, WIDTH - left - right, height - top - bottom, (0, high), (len(labels) - 0.5, -0.5)
    )


def finish_rows(ax: Axes, labels: Sequence[str], unit: str, title: str) -> None:
    """The frame of a `rows_chart`, drawn over its bars."""
    ax.spines()
    ax.yticks(range(len(labels)), labels)
    at = [v for v in ticks(ax.x[1]) if v <= ax.x[1]]
    ax.xticks(at, [tick_label(v) for v in at])
    ax.xlabel(unit)
    ax.title(title)


def funnel(m: dict[str, Any]) -> str:
    """Read, then what each step removed, then what was kept per split, as a waterfall."""
    steps: list[tuple[str, int, str]] = [
        (f"rejected: {reason}", count, REJECTED) for reason, count in m["rejected_by_reason"].items()
    ]
    steps += [(f"{kind} duplicates", count, DUPLICATE) for kind, count in m["duplicates_by_kind"].items()]
    read = m["counts"]["read"]
    labels = ["read", *(shorten(label) for label, _, _ in steps), "kept"]
    ax = rows_chart(labels, read * 1.15 or 1, 72 * (1.2 + 0.32 * len(labels)), legend_rows=1)
    ax.bar(0, read, -0.4, 0.4, "#999999")
    remaining = read
    for y, (_, count, colour) in enumerate(steps, start=1):
        ax.bar(remaining - count, remaining, y - 0.4, y + 0.4, colour)
        ax.canvas.text(f" −{count:,}", ax.px(remaining), ax.py(y))
        remaining -= count
    kept, left = len(labels) - 1, 0
    for split in SPLITS:
        ax.bar(left, left + m["splits"][split], kept - 0.4, kept + 0.4, SPLIT_COLOURS[split])
        left += m["splits"][split]
    ax.canvas.text(f" {read:,}", ax.px(read), ax.py(0))
    ax.canvas.text(f" {left:,}", ax.px(left), ax.py(kept))
    finish_rows(ax, labels, "records", "Where every record went")
    split_legend(ax.canvas, [f"{split} {m['splits'][split]:,}" for split in SPLITS])
    return ax.canvas.svg()


def languages(m: dict[str, Any], top: int = 12) -> str:
    """Records per language (the `top` most common, the rest as 'other'), stacked by split."""
    totals: dict[str, int] = {}
    for counts in m["languages"].values():
        for language, count in counts.items():
            totals[language] = totals.get(language, 0) + count
    shown = sorted(totals, key=lambda lang: (-totals[lang], lang))[:top]
    rest = set(totals) - set(shown)
    labels = shown + (["other"] if rest else [])
    per_split = {
        split: [m["languages"][split].get(lang, 0) for lang in shown]
        + ([sum(m["languages"][split].get(lang, 0) for lang in rest)] if rest else [])
        for split in SPLITS
    }
    sums = [sum(values) for values in zip(*per_split.values(), strict=True)]
    ax = rows_chart(labels, headroom(sums), 72 * (1.2 + 0.28 * len(labels)), legend_rows=1)
    left = [0] * len(labels)
    for split, values in per_split.items():
        for y, value in enumerate(values):
            if value:
                ax.bar(left[y], left[y] + value, y - 0.4, y + 0.4, SPLIT_COLOURS[split])
            left[y] += value
    finish_rows(ax, labels, "records", "Languages (langdetect), by split")
    split_legend(ax.canvas, list(SPLITS))
    return ax.canvas.svg()


def bin_labels(edges: Sequence[int]) -> list[str]:
    def short(n: int) -> str:
        return f"{n // 1000}k" if n >= 1000 else str(n)

    return [f"{short(a)}–{short(b)}" for a, b in itertools.pairwise(edges)] + [f"{short(edges[-1])}+"]


def columns_axes(
    canvas: Canvas, top: float, height: float, labels: Sequence[str], high: float, left: float
) -> Axes:
    """Axes for one column (or group of columns) per label, values from 0 to `high`."""
    return Axes(canvas, left, top, WIDTH - left - PAD, height, (-0.5, len(labels) - 0.5), (0, high))


def finish_columns(ax: Axes, labels: Sequence[str], unit: str, title: str, vertical: bool = False) -> None:
    """The frame of a `columns_axes`, drawn over its bars."""
    ax.spines()
    ax.xticks(range(len(labels)), labels, vertical)
    at = [v for v in ticks(ax.y[1]) if v <= ax.y[1]]
    ax.yticks(at, [tick_label(v) for v in at])
    ax.ylabel(unit, PAD + LINE / 2)
    ax.title(title)


def column_left(tick_labels: Sequence[str]) -> float:
    """Where axes with a vertical axis label and these tick labels on their left begin."""
    return PAD + LINE + 4 + widest(tick_labels) + TICK + TICK_PAD


def lengths(m: dict[str, Any]) -> str:
    """Histograms of characters and words per document, one bar group per split."""
    profile = m["profile"]
    labels = bin_labels(profile["length_edges"])
    canvas = Canvas(WIDTH, 72 * 4.6)
    panel = (canvas.height - PAD - LEGEND_ROW) / 2
    highs, spans = {}, {}
    for unit in ("chars", "words"):
        used = [i for i in range(len(labels)) if any(profile["lengths"][s][unit][i] for s in SPLITS)]
        spans[unit] = range(used[0], used[-1] + 1) if used else range(0)
        highs[unit] = headroom([profile["lengths"][s][unit][i] for s in SPLITS for i in spans[unit]])
    left = column_left([tick_label(v) for high in highs.values() for v in ticks(high)])
    for n, unit in enumerate(("chars", "words")):
        shown = [labels[i] for i in spans[unit]]
        top = n * panel + PAD + TITLE_LINE
        ax = columns_axes(
            canvas, top, panel - TITLE_LINE - below_axes(0, xlabel=False), shown, highs[unit], left
        )
        for s, split in enumerate(SPLITS):
            for x, i in enumerate(spans[unit]):
                value = profile["lengths"][split][unit][i]
                if value:
                    ax.bar(x + (s - 1.5) * 0.27, x + (s - 0.5) * 0.27, 0, value, SPLIT_COLOURS[split])
        title = "Characters per document" if unit == "chars" else "Words per document"
        finish_columns(ax, shown, "documents", title)
    split_legend(canvas, list(SPLITS))
    return canvas.svg()


def similarity(m: dict[str, Any]) -> str:
    """Confirmed similar pairs by Jaccard similarity, the two thresholds, and the chance that
    LSH proposes a pair of each similarity (the S-curve of its bands and rows)."""
    near, settings = m["near_duplicates"], m["config"]["near_dup"]
    edges, pairs = near["similarity_histogram"]["edges"], near["similarity_histogram"]["pairs"]
    high = headroom(pairs)
    curve = (0.0, 1.05)
    probabilities = [tick_label(v, whole=False) for v in ticks(1.0, whole=False, most=5)]
    left = column_left([tick_label(v) for v in ticks(high)])
    right = PAD + LINE + 4 + widest(probabilities) + TICK + TICK_PAD
    canvas = Canvas(WIDTH, 72 * 3.8)
    top = PAD + TITLE_LINE
    ax = Axes(canvas, left, top, WIDTH - left - right, canvas.height - top - below_axes(2), (0, 1), (0, high))
    for x0, x1, count in zip(edges, edges[1:], pairs, strict=False):
        if count:
            ax.bar(x0, x1, 0, count, DUPLICATE, ' fill-opacity="0.8"')
    lines = (
        (settings["threshold"], REJECTED, "5.55 2.4"),
        (settings["group_threshold"], SPLIT_COLOURS["validation"], "1.5 2.48"),
    )
    for value, colour, dash in lines:
        x = ax.px(value)
        canvas.line(x, ax.top, x, ax.bottom, colour, 1.5, f' stroke-dasharray="{dash}"')
    s = [i / 200 for i in range(201)]
    points = [(ax.px(v), ax.py(detection_probability(v, near["bands"], near["rows"]), curve)) for v in s]
    canvas.polyline(points, "#333333")
    similarity_frame(ax, high, curve, probabilities)
    legend(canvas, similarity_legend(near, settings), ncols=2)
    return canvas.svg()


def similarity_frame(ax: Axes, high: float, curve: tuple[float, float], probabilities: list[str]) -> None:
    """Both value axes of the similarity chart: pairs on the left, probability on the right."""
    ax.spines(right=True)
    at = [i / 5 for i in range(6)]
    ax.xticks(at, [tick_label(v, whole=False) for v in at])
    ax.xlabel("Jaccard similarity of shingles")
    counts = [v for v in ticks(high) if v <= high]
    ax.yticks(counts, [tick_label(v) for v in counts])
    ax.ylabel("pairs", PAD + LINE / 2)
    ax.yticks([float(p) for p in probabilities], probabilities, right=True, y=curve)
    ax.ylabel("detection probability", ax.canvas.width - PAD - LINE / 2)
    ax.title("Near-duplicate pairs")


def similarity_legend(near: dict[str, Any], settings: dict[str, Any]) -> list[tuple[str, Swatch]]:
    return [
        ("confirmed pairs", ("patch", DUPLICATE, "0.8")),
        (f"P(LSH proposes the pair), {near['bands']} bands × {near['rows']} rows", ("line", "#333333", "")),
        (f"threshold {settings['threshold']} (keep one)", ("line", REJECTED, "5.55 2.4")),
        (
            f"group_threshold {settings['group_threshold']} (same split)",
            ("line", SPLIT_COLOURS["validation"], "1.5 2.48"),
        ),
    ]


def bars(title: str, counts: dict[str, int], unit: str, horizontal: bool = True) -> str:
    """A plain bar chart of named counts, in the order given. Bars sit at positions, not at
    their labels: two long names shortened alike stay two bars."""
    labels, values = [shorten(label) for label in counts], list(counts.values())
    if horizontal:
        ax = rows_chart(labels, headroom(values), 72 * (0.9 + 0.26 * len(labels)))
        for y, value in enumerate(values):
            ax.bar(0, value, y - 0.4, y + 0.4, KEPT)
        finish_rows(ax, labels, unit, title)
        return ax.canvas.svg()
    vertical = len(labels) > 12
    canvas = Canvas(WIDTH, 72 * 2.6)
    top, high = PAD + TITLE_LINE, headroom(values)
    below = below_axes(0, widest(labels) if vertical else LINE, xlabel=False)
    left = column_left([tick_label(v) for v in ticks(high)])
    ax = columns_axes(canvas, top, canvas.height - top - below, labels, high, left)
    for x, value in enumerate(values):
        ax.bar(x - 0.4, x + 0.4, 0, value, KEPT)
    finish_columns(ax, labels, unit, title, vertical)
    return canvas.svg()
