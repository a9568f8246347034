"""The header of a plain-text article: what the page itself shows above the body.

Saved web pages put a title, sometimes a keyword line, and a byline such as
`By A and B | Publisher | Updated: 2024-10-29 08:23` above the body. This module
recognises those lines, returns them as metadata and removes them from the text.
It is conservative: a line is only taken when it looks like nothing but a header line,
so a body paragraph that happens to start with "By 2030, ..." stays in the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

HEADER_LINES = 10  # non-empty lines scanned for a header
BODY_LINE = 300  # a line this long means the body has started
TITLE_MAX_CHARS = 200
TITLE_MAX_WORDS = 30

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
_ZONE = r"(?: ?(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
DATE_FORMS = [
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME + _ZONE),
    re.compile(_MONTH + r" (?P<d>\d{1,2}),? (?P<y>\d{4})" + _TIME + _ZONE, re.IGNORECASE),
    re.compile(r"(?P<d>\d{1,2}) " + _MONTH + r",? (?P<y>\d{4})" + _TIME + _ZONE, re.IGNORECASE),
]
DATE_LABEL = re.compile(
    r"(?:(?:last )?(?:published|updated|posted|modified|date)(?: on)?:? ?)?(?P<date>.+)",
    re.IGNORECASE,
)
BYLINE = re.compile(r"(?:By|BY|by) (?P<rest>.+)")
AUTHOR_SEPARATOR = re.compile(r" ?(?:,|&| and ) ?")
SOURCE_LINE = re.compile(r"(?:source|publisher): ?(?P<source>.{1,100})", re.IGNORECASE)


@dataclass
class Header:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    source: str | None = None
    published: str | None = None
    keywords: list[str] = field(default_factory=list)
    navigation_lines: int = 0  # site menus above the title, dropped with the header

    def metadata(self) -> dict[str, object]:
        """The fields found, as record fields."""
        fields = ("title", "authors", "source", "published", "keywords")
        return {name: getattr(self, name) for name in fields if getattr(self, name)}


def parse_date(text: str, assume_timezone: str | None = None) -> str | None:
    """A date written in a common form, as RFC 3339; None when `text` is not just a date.

    Without a time zone the time of day cannot be placed on a timeline, so only the
    calendar date is kept, unless `assume_timezone` (e.g. "+08:00") says where it was."""
    text = text.strip()
    for form in DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            return format_date(match, assume_timezone)
    return None


def format_date(match: re.Match[str], assume_timezone: str | None) -> str | None:
    parts = match.groupdict()
    month = MONTHS[parts["month"].lower()] if parts.get("month") else int(parts["m"])
    try:
        day = date(int(parts["y"]), month, int(parts["d"]))
        if parts["H"] is None:
            return day.isoformat()
        moment = datetime(
            day.year, day.month, day.day, int(parts["H"]), int(parts["M"]), int(parts["S"] or 0)
        )
    except ValueError:
        return None
    zone = parts["tz"]
    if zone in ("Z", "UTC", "GMT"):
        zone = "+00:00"
    elif zone:
        zone = zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    else:
        zone = assume_timezone
    if zone is None:
        return day.isoformat()
    return moment.isoformat() + zone


def parse_header(lines: list[str], assume_timezone: str | None = None) -> tuple[Header, list[str]]:
    """Split a cleaned article (list of lines) into its header metadata and its body lines."""
    header = Header()
    window = header_window(lines)
    taken: set[int] = set()

    byline_at = next((i for i in window if parse_byline(lines[i], header, assume_timezone)), None)
    if byline_at is not None:
        taken.add(byline_at)
    for i in window:
        if i in taken:
            continue
        if header.published is None and (found := parse_date_line(lines[i], assume_timezone)):
            header.published = found
            taken.add(i)
        elif header.source is None and (match := SOURCE_LINE.fullmatch(lines[i])):
            header.source = match["source"].strip()
            taken.add(i)

    candidates = [i for i in window if i not in taken]
    if byline_at is not None:
        above = [i for i in candidates if i < byline_at]
        title_at = above[-1] if above and is_title(lines[above[-1]]) else None
        if title_at is not None:
            navigation = {i for i in range(title_at) if lines[i]}
            header.navigation_lines = len(navigation)
            taken.update(navigation)
    else:
        first = candidates[0] if candidates else None
        title_at = (
            first if first is not None and is_title(lines[first]) and stands_alone(lines, first) else None
        )
    if title_at is not None:
        header.title = lines[title_at]
        taken.add(title_at)
        following = [i for i in candidates if i > title_at]
        if following and (keywords := parse_keywords(lines[following[0]])):
            header.keywords = keywords
            taken.add(following[0])
    body = [line for i, line in enumerate(lines) if i not in taken]
    return header, body


def header_window(lines: list[str]) -> list[int]:
    """Indices of the first non-empty lines, up to the first line that reads like body text."""
    window: list[int] = []
    for i, line in enumerate(lines):
        if not line:
            continue
        if len(line) > BODY_LINE or len(window) == HEADER_LINES:
            break
        window.append(i)
    return window


def parse_byline(line: str, header: Header, assume_timezone: str | None) -> bool:
    """`By A and B | Publisher | Updated: <date>`: fills `header` and says whether it matched."""
    match = BYLINE.fullmatch(line)
    if not match or len(line) > TITLE_MAX_CHARS:
        return False
    segments = [s.strip() for s in match["rest"].split("|")]
    authors = [a.strip() for a in AUTHOR_SEPARATOR.split(segments[0]) if a.strip()]
    if not authors or not all(looks_like_name(a) for a in authors):
        return False
    header.authors = authors
    for segment in segments[1:]:
        if header.published is None and (found := parse_date_line(segment, assume_timezone)):
            header.published = found
        elif header.source is None and segment and not parse_date_line(segment, None):
            header.source = segment
    return True


def looks_like_name(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 5
        and text[0].isupper()
        and all(w[0].isalpha() for w in words)
        and not text.endswith((".", "!", "?", ";", ":"))
    )


def parse_date_line(line: str, assume_timezone: str | None) -> str | None:
    match = DATE_LABEL.fullmatch(line.strip())
    return parse_date(match["date"], assume_timezone) if match else None


def is_title(line: str) -> bool:
    return (
        0 < len(line) <= TITLE_MAX_CHARS
        and len(line.split()) <= TITLE_MAX_WORDS
        and not line.endswith((".", ",", ";", ":"))
    )


def stands_alone(lines: list[str], index: int) -> bool:
    """A title is its own paragraph, with a blank line after it and body text below: the
    only line of a file is its text, not a title over nothing."""
    return index + 1 < len(lines) and lines[index + 1] == "" and any(lines[index + 2 :])


def parse_keywords(line: str) -> list[str]:
    """`Artificial Intelligence, AI, China, OpenAI`: short capitalised items, no sentence."""
    items = [item.strip() for item in line.split(",")]
    if len(items) < 2 or len(line) > TITLE_MAX_CHARS or line.endswith((".", "!", "?")):
        return []
    if all(item and item[0].isupper() and len(item.split()) <= 4 and len(item) <= 40 for item in items):
        return items
    return []
