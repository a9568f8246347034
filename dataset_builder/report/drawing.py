"""An SVG document written element by element, its text as glyph outlines.

Each glyph's outline is written once, in <defs>, under an id made of its font and glyph
name, and every occurrence is a <use> of it: the same chart gives the same bytes in every
run, whatever the process, time zone or working folder.
"""

from __future__ import annotations

from dataset_builder.report import glyphs

SIZE = 9  # the charts' font size, in points (the SVG unit: 72 per inch)
CAP = 0.73  # height of a capital letter in DejaVu Sans, in em: where text centres sit


def num(value: float) -> str:
    """A coordinate with at most two decimals and no "-0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def text_width(text: str, size: float = SIZE, bold: bool = False) -> float:
    return glyphs.layout(text, bold)[1] * size / glyphs.EM


class Canvas:
    """One SVG image `width` × `height` points on white: shapes in drawing order, and the
    outlines of the glyphs its text uses."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.elements: list[str] = []
        self.outlines: dict[str, str] = {}  # glyph id: <path> defining it, in first-use order

    def rect(self, x: float, y: float, width: float, height: float, fill: str, extra: str = "") -> None:
        self.elements.append(
            f'<rect x="{num(x)}" y="{num(y)}" width="{num(width)}" height="{num(height)}" '
            f'fill="{fill}"{extra}/>'
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str = "#000",
        width: float = 0.8,
        extra: str = "",
    ) -> None:
        self.elements.append(
            f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" stroke="{stroke}" '
            f'stroke-width="{width:g}"{extra}/>'
        )

    def polyline(self, points: list[tuple[float, float]], stroke: str) -> None:
        d = "M" + "L".join(f"{num(x)} {num(y)}" for x, y in points)
        self.elements.append(f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="1"/>')

    def text(
        self,
        text: str,
        x: float,
        y: float,
        anchor: str = "start",
        size: float = SIZE,
        bold: bool = False,
        vertical: bool = False,
    ) -> None:
        """`text` with its baseline centred on `y` (read upwards when `vertical`), from `x`
        at its start, middle or end (`anchor`)."""
        placed, width = glyphs.layout(text, bold)
        scale = size / glyphs.EM
        shift = {"start": 0.0, "middle": -width / 2, "end": -width}[anchor] * scale
        baseline = CAP * size / 2
        turn = f"translate({num(x)} {num(y)}) rotate(-90) " if vertical else f"translate({num(x)} {num(y)}) "
        uses = "".join(self.use(glyph) for glyph in placed)
        self.elements.append(
            f'<g transform="{turn}translate({num(shift)} {num(baseline)}) scale({scale:g} -{scale:g})">'
            f"{uses}</g>"
        )

    def use(self, glyph: glyphs.Glyph) -> str:
        if glyph.id not in self.outlines:
            scaled = f' transform="scale({glyph.scale:.8g})"' if glyph.scale != 1 else ""
            self.outlines[glyph.id] = f'<path id="{glyph.id}"{scaled} d="{glyph.outline}"/>'
        return f'<use xlink:href="#{glyph.id}" x="{num(glyph.x)}"/>'

    def svg(self) -> str:
        width, height = num(self.width), num(self.height)
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{width}pt" height="{height}pt" viewBox="0 0 {width} {height}">\n'
            f"<defs>{''.join(self.outlines.values())}</defs>\n"
            f'<rect width="{width}" height="{height}" fill="#fff"/>\n'
            + "\n".join(self.elements)
            + "\n</svg>\n"
        )
