"""The quality signals' small multiples, written as SVG by hand.

One histogram per signal (19 of them) drawn by matplotlib cost ~3 s, twice the rest of a
small build; a histogram is a row of rectangles, a dashed line and four labels, so it is
written here directly: the same figure in a few milliseconds, and the same bytes on every
machine (no fonts are embedded: the labels are ASCII, drawn by the browser).
"""

from __future__ import annotations

from html import escape
from typing import Any

from dataset_builder.report.charts import KEPT, REJECTED

CELL_WIDTH, CELL_HEIGHT = 240, 150
PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT = 12, 34, 216, 90


def quality(m: dict[str, Any], columns: int = 4) -> str:
    """Small multiples, one per quality signal: the histogram of every scored record, the
    default cut as a dashed line, and how many records fail and pass their language's bound."""
    signals = {name: e for name, e in m["quality"]["signals"].items() if "counts" in e}
    rows = max(1, -(-len(signals) // columns))
    cells = [
        cell(name, entry, (i % columns) * CELL_WIDTH, (i // columns) * CELL_HEIGHT)
        for i, (name, entry) in enumerate(signals.items())
    ]
    width, height = columns * CELL_WIDTH, rows * CELL_HEIGHT
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">'
        f'<rect width="{width}" height="{height}" fill="white"/>{"".join(cells)}</svg>'
    )


def cell(name: str, entry: dict[str, Any], x: int, y: int) -> str:
    """One signal's histogram, its title, the range of its values and its tallest bin."""
    edges, counts = entry["edges"], entry["counts"]
    low, high = edges[0], edges[-1]
    span = (high - low) or 1.0
    tallest = max(counts) or 1

    def at(value: float) -> float:
        return PLOT_LEFT + PLOT_WIDTH * (value - low) / span

    bars = []
    for left, right, count in zip(edges, edges[1:], counts, strict=False):
        if count:
            h = PLOT_HEIGHT * count / tallest
            bars.append(
                f'<rect class="bin" x="{at(left):.2f}" y="{PLOT_TOP + PLOT_HEIGHT - h:.2f}" '
                f'width="{max(at(right) - at(left), 0.5):.2f}" height="{h:.2f}" fill="{KEPT}"/>'
            )
    cut = entry.get("cut")
    line = ""
    if cut and low <= cut["value"] <= high:
        cx = at(cut["value"])
        line = (
            f'<line class="cut" x1="{cx:.2f}" x2="{cx:.2f}" y1="{PLOT_TOP - 4}" '
            f'y2="{PLOT_TOP + PLOT_HEIGHT}" stroke="{REJECTED}" stroke-width="1.2" stroke-dasharray="4 3"/>'
        )
    base = PLOT_TOP + PLOT_HEIGHT
    return (
        f'<g transform="translate({x},{y})">'
        f'<text x="{PLOT_LEFT}" y="12" font-weight="bold">{escape(name)}</text>'
        f'<text x="{PLOT_LEFT}" y="25" font-size="9">fail {entry["fail"]:,} · pass {entry["pass"]:,}'
        f" · tallest bin {tallest:,}</text>"
        f"{''.join(bars)}{line}"
        f'<line x1="{PLOT_LEFT}" x2="{PLOT_LEFT + PLOT_WIDTH}" y1="{base}" y2="{base}" stroke="#444"/>'
        f'<text x="{PLOT_LEFT}" y="{base + 12}" font-size="9">{low:g}</text>'
        f'<text x="{PLOT_LEFT + PLOT_WIDTH}" y="{base + 12}" font-size="9" text-anchor="end">{high:g}</text>'
        "</g>"
    )
