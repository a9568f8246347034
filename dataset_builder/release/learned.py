"""What a release says of the boilerplate its build learned per publisher
(`[boilerplate]`, engines/boilerplate.py): the datasheet's table, and the same lines as
ready-to-paste `clean.extra_rules` (`python -m dataset_builder rules RELEASE`).

A rule of `clean.extra_rules` applies to every publisher's articles, not only to the one
that repeated the line: the printed rules say so, and keep each publisher's lines apart.
"""

from __future__ import annotations

import json
import re
from typing import Any


def rows(m: dict[str, Any]) -> list[list[Any]]:
    """(publisher, line, articles) per learned line, publishers by name, most articles first."""
    learned = m.get("boilerplate_learned", {}).get("publishers", {})
    return [
        [publisher, line["line"], line["articles"]] for publisher, lines in learned.items() for line in lines
    ]


def pattern(line: str) -> str:
    """A whole-line rule pattern for the line as learned: its digits as any digits, since
    learning counted "Updated: 2024-10-29" and "Updated: 2025-01-02" as one line."""
    parts = re.split(r"\d+", line)
    return r"\d+".join(re.escape(part) for part in parts)


def extra_rules(m: dict[str, Any]) -> str:
    """The learned lines as TOML `[[clean.extra_rules]]` tables, to paste into dataset.toml."""
    out = [
        f"# Boilerplate learned per publisher by {m['name']} {m['version']} ([boilerplate]).",
        "# As clean.extra_rules these lines are removed from every publisher's articles.",
    ]
    number: dict[str, int] = {}
    for publisher, line, articles in rows(m):
        number[publisher] = number.get(publisher, 0) + 1
        # rule names are [a-z0-9-]: a publisher named in another script goes by its number
        slug = re.sub(r"[^a-z0-9]+", "-", publisher.casefold()).strip("-") or f"publisher-{len(number)}"
        out += [
            "",
            f"# {publisher}: in {articles} articles",
            "[[clean.extra_rules]]",
            f"name = {json.dumps(f'learned-{slug}-{number[publisher]}', ensure_ascii=False)}",
            f"pattern = {json.dumps(pattern(line), ensure_ascii=False)}",
            'action = "drop-line"',
        ]
    return "\n".join(out) + "\n"
