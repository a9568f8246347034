"""Chart text as glyph outlines, read from font files with fontTools.

Text is drawn as outlines so that a chart looks the same in every reader's browser
whatever fonts the reader has. Latin text is in DejaVu Sans, shipped in `fonts/` so that
it is drawn the same, byte for byte, on every building machine, fonts installed or not;
characters it lacks (Chinese, Japanese, Korean, Thai publishers and titles) come from the
first installed font of each script's `FALLBACK_FONTS` (on Debian the packages
fonts-noto-cjk and fonts-thai-tlwg). A character no font has is drawn as an empty box
(`BOX`): the page then says so, and its tables, which are text, still show the names
wherever the reader has the fonts.

There is no shaping, as there was none when matplotlib drew the charts: each character is
its font's glyph, placed at the advances of the ones before it (with the font's `kern`
pairs). Thai vowel and tone marks have no advance and sit on their letter.

A font is read when a character first needs it (the Noto CJK collection costs ~0.25 s)
and kept for the process, with every outline drawn from it.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import fontTools
from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.ttLib import TTCollection, TTFont

EM = 1000  # units per em of every outline drawn (a font's own are scaled to it)

# Where fonts are installed on Linux, macOS and Windows; searched for the file names below.
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/System/Library/Fonts",
    "/Library/Fonts",
    "~/Library/Fonts",
    os.path.join(os.environ.get("WINDIR", "C:/Windows"), "Fonts"),
)
SHIPPED = Path(__file__).parent / "fonts"  # DejaVu Sans 2.37, with its licence
# (family, file name): the family picks the face in a collection (.ttc).
LATIN = ("DejaVu Sans", "DejaVuSans.ttf")
LATIN_BOLD = ("DejaVu Sans Bold", "DejaVuSans-Bold.ttf")
# Per script, fonts that cover it, in order of preference: Debian's packages first, then
# what macOS and Windows ship. The first one installed is used. Han characters take the
# first font's forms (Simplified Chinese for the Noto fonts), also in Japanese names.
FALLBACK_FONTS = (
    # Chinese, Japanese kana, Hangul: fonts-noto-cjk
    (
        ("Noto Sans CJK SC", "NotoSansCJK-Regular.ttc"),
        ("Source Han Sans SC", "SourceHanSansSC-Regular.otf"),
        ("PingFang SC", "PingFang.ttc"),
        ("Hiragino Sans", "ヒラギノ角ゴシック W3.ttc"),
        ("Microsoft YaHei", "msyh.ttc"),
    ),
    # Thai: fonts-thai-tlwg (Loma), fonts-noto-core (Noto Sans Thai)
    (
        ("Noto Sans Thai", "NotoSansThai-Regular.ttf"),
        ("Loma", "Loma.ttf"),
        ("Thonburi", "Thonburi.ttc"),
        ("Leelawadee UI", "LeelawUI.ttf"),
    ),
)
# The glyph drawn for a character no font has: an empty box, 0.6 em wide.
BOX, BOX_OUTLINE, BOX_ADVANCE = "nofont_box", "M50 -100V700H550V-100ZM100 -50H500V650H100Z", 650


class Font:
    """One face of a font file: its character map, advances, kerning and outlines."""

    def __init__(self, family: str, face: TTFont, key: str) -> None:
        self.family = family
        self.face = face
        self.key = re.sub(r"[^A-Za-z0-9-]", "", key)
        self.cmap: dict[int, str] = face.getBestCmap()
        self.scale = EM / face["head"].unitsPerEm
        self.glyphs = face.getGlyphSet()
        self.kerning: dict[tuple[str, str], int] = kern_pairs(face)
        self.outlines: dict[str, str] = {}

    def label(self) -> str:
        """The family and the revision its file gives: the same files draw the same bytes.
        (The `head` table's revision: a font's `name` table, with its version string, takes
        ~25 ms to read.)"""
        return f"{self.family} (version {round(self.face['head'].fontRevision, 3):g})"

    def advance(self, glyph: str, following: str | None = None) -> float:
        kern = self.kerning.get((glyph, following), 0) if following else 0
        return (self.face["hmtx"][glyph][0] + kern) * self.scale

    def outline(self, glyph: str) -> str:
        """The glyph's SVG path in the font's own units ("" for a space)."""
        if glyph not in self.outlines:
            pen = SVGPathPen(self.glyphs)
            self.glyphs[glyph].draw(pen)
            self.outlines[glyph] = pen.getCommands()
        return self.outlines[glyph]

    def glyph_id(self, glyph: str) -> str:
        """An id made of the font and the glyph name, the same in every run."""
        return f"{self.key}_{re.sub(r'[^A-Za-z0-9._-]', '-', glyph)}"


def kern_pairs(face: TTFont) -> dict[tuple[str, str], int]:
    """The face's `kern` table pairs (the kerning matplotlib applied through FreeType)."""
    if "kern" not in face:
        return {}
    pairs: dict[tuple[str, str], int] = {}
    for table in face["kern"].kernTables:
        pairs.update(getattr(table, "kernTable", {}))
    return pairs


@functools.cache
def font_files() -> dict[str, Path]:
    """Every font file in `FONT_DIRS` by file name, the first found of each name."""
    found: dict[str, Path] = {}
    for folder in FONT_DIRS:
        for root, dirs, files in os.walk(os.path.expanduser(folder)):
            dirs.sort()
            for name in sorted(files):
                found.setdefault(name, Path(root, name))
    return found


LOADED: dict[tuple[str, str], Font | None] = {}  # (family, file name): read this process


def load(family: str, file_name: str) -> Font | None:
    """The installed face of `family`, read once per process; None when not installed."""
    if (family, file_name) not in LOADED:
        shipped = SHIPPED / file_name
        path = shipped if shipped.is_file() else font_files().get(file_name)
        LOADED[family, file_name] = read(family, path)
    return LOADED[family, file_name]


def read(family: str, path: Path | None) -> Font | None:
    """The face of `family` in the file at `path`. Its glyph ids begin with the file's name
    or, in a collection, the face's PostScript name (its `name` table is read to find it)."""
    if path is None:
        return None
    if path.suffix.lower() != ".ttc":
        return Font(family, TTFont(path, lazy=True), path.stem)
    for face in TTCollection(path, lazy=True).fonts:
        names = face["name"]
        if family in {names.getDebugName(i) for i in (1, 4, 16)}:
            return Font(family, face, names.getDebugName(6) or family)
    return None


def fonts(bold: bool) -> Iterator[Font]:
    """The fonts a character is looked for in, in order, each read when first reached."""
    first = [LATIN_BOLD, LATIN] if bold else [LATIN]
    for family, file_name in first:
        font = load(family, file_name)
        if font is not None:
            yield font
    for candidates in FALLBACK_FONTS:
        font = next(filter(None, (load(*candidate) for candidate in candidates)), None)
        if font is not None:
            yield font


@dataclass(frozen=True)
class Glyph:
    """A glyph placed on a line of text: its id, its outline in its font's units, the scale
    from those to `EM` units, and where it starts on the line (in `EM` units)."""

    id: str
    outline: str
    scale: float
    x: float


def layout(text: str, bold: bool = False) -> tuple[list[Glyph], float]:
    """The glyphs of `text` from the first font that has each character, and the width of
    the line, in `EM` units."""
    found = [glyph_for(char, bold) for char in text]
    placed, x = [], 0.0
    for n, (font, glyph) in enumerate(found):
        if font is None:
            placed.append(Glyph(BOX, BOX_OUTLINE, 1.0, x))
            x += BOX_ADVANCE
            continue
        placed.append(Glyph(font.glyph_id(glyph), font.outline(glyph), font.scale, x))
        following = found[n + 1] if n + 1 < len(found) else (None, None)
        x += font.advance(glyph, following[1] if following[0] is font else None)
    return [g for g in placed if g.outline], x


def glyph_for(char: str, bold: bool) -> tuple[Font | None, str]:
    code = ord(char)
    for font in fonts(bold):
        if code in font.cmap:
            return font, font.cmap[code]
    return None, BOX


def has_missing_glyphs(svg: str) -> bool:
    """Whether some character had no font and was drawn as a box."""
    return f'id="{BOX}"' in svg


def fonts_used(svgs: list[str]) -> list[str]:
    """The fonts the charts `svgs` are drawn with, with their versions: with the fontTools
    version (`FONTTOOLS`) they determine the charts' bytes."""
    candidates = [LATIN, LATIN_BOLD, *(c for group in FALLBACK_FONTS for c in group)]
    loaded = filter(None, (LOADED.get(candidate) for candidate in candidates))
    return [f.label() for f in loaded if any(f'id="{f.key}_' in svg for svg in svgs)]


FONTTOOLS = fontTools.version  # (importlib.metadata would take ~50 ms to find it)
