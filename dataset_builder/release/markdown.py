"""Names from outside the code (`pretty_name`, input file names, patterns, keys) written into
the release's Markdown (DATASHEET.md, README.md) so that they read as themselves: a
newline in a file name must not end a table row or start a heading, a backtick must not
end its code span, a `|` must not start a table cell.

Characters that would hide or move text (controls, line and paragraph separators, bidi
overrides, lone surrogates) are shown as Python escapes (`\\n`, `\\u202e`), so every name
is one visible line; manifest.json keeps the exact name.
"""

from __future__ import annotations

import re
import unicodedata

HIDDEN_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ACTIVE = re.compile(r"([\\`*_\[\]<>#|~&$])")
"""ASCII punctuation that Markdown (with GFM tables and the Hub's math) gives a meaning;
any ASCII punctuation may be backslash-escaped, these are the ones that need it."""


def visible(name: str) -> str:
    """`name` on one line, with each character that would hide or move text escaped."""
    return "".join(
        char.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(char) in HIDDEN_CATEGORIES or char in BIDI_CONTROLS
        else char
        for char in name
    )


def text(name: str) -> str:
    """`name` for a heading or running text: one line, its Markdown punctuation escaped."""
    return ACTIVE.sub(r"\\\1", visible(name))


def code(name: str) -> str:
    """`name` as an inline code span: fenced by more backticks than any run inside it,
    padded with a space when it starts or ends with a backtick or a space (CommonMark
    strips one from each side)."""
    shown = visible(name)
    fence = "`" * (max((len(run) for run in re.findall("`+", shown)), default=0) + 1)
    pad = " " if shown[:1] in ("`", " ") or shown[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def cell(markdown: str) -> str:
    """Markdown for a table cell: its pipes escaped, code spans included (GFM reads `\\|`
    in a cell as a pipe of the cell's content)."""
    return markdown.replace("|", "\\|")
