"""Personal information in kept texts: e-mail addresses, phone numbers, IP addresses.

Phone numbers are recognised by libphonenumber (the `phonenumbers` port), which knows
every country's numbering plan, so dates, ISBNs and prices are not mistaken for phones.
It costs ~1.7 ms on a 6 KB article, as much as language detection, so it only sees the
windows a cheap pattern finds: runs of at least seven digits with phone punctuation.
E-mail and IP candidates are found by pattern; IPs are confirmed by `ipaddress`.

Every pattern runs in time linear in the text (records may hold 16 MiB): no pattern can
fail after an unbounded run it must then backtrack over. An e-mail address is looked for
around each `@` (a local part of at most 64 characters before it, RFC 5321, a bounded
domain after it); a phone window is a maximal run of phone characters, cut after its last
digit in Python. Both find what the unbounded patterns found, on any address of sane length.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import phonenumbers

KINDS = ("email", "phone", "ip")
PLACEHOLDER = {"email": "<EMAIL>", "phone": "<PHONE>", "ip": "<IP>"}
# Every pattern starts with an ASCII character class, so `re` skips ahead to where it can
# match (a leading lookbehind, optional prefix or Unicode `\d` makes it test every
# position: several times slower on a 3 KB article).
LOCAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
MAX_LOCAL = 64
DOMAIN = re.compile(r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,126}\.[A-Za-z]{2,63}\b")
IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
IPV6 = re.compile(r"[0-9A-Fa-f:]{3,39}")
IPV6_HINT = re.compile(r":[0-9A-Fa-f]{0,4}:")  # starts with a literal: found by a fast scan
PHONE_RUN = re.compile(r"[+(0-9][0-9 ().-]*")
MIN_PHONE_WINDOW = 7  # characters, from the run's first to its last digit
MIN_PHONE_DIGITS = 7
CONTEXT = 4


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


def find_pii(text: str, phone_region: str | None) -> list[Finding]:
    """Every e-mail address, IP address and phone number in `text`, in order, not overlapping."""
    found = emails(text)
    candidates = list(IPV4.finditer(text))
    if IPV6_HINT.search(text):
        candidates += [m for m in IPV6.finditer(text) if m[0].count(":") >= 2]
    found += [Finding("ip", m.start(), m.end()) for m in candidates if stands_alone(text, m) and is_ip(m[0])]
    for start, end in phone_windows(text):
        if sum(c.isdigit() for c in text[start:end]) < MIN_PHONE_DIGITS:
            continue
        offset = max(0, start - CONTEXT)
        chunk = text[offset : end + CONTEXT]
        for match in phonenumbers.PhoneNumberMatcher(
            chunk, phone_region, leniency=phonenumbers.Leniency.VALID
        ):
            found.append(Finding("phone", offset + match.start, offset + match.end))
    kept: list[Finding] = []
    for finding in sorted(found, key=lambda f: (f.start, -f.end)):
        if not kept or finding.start >= kept[-1].end:
            kept.append(finding)
    return kept


def emails(text: str) -> list[Finding]:
    """E-mail addresses, left to right, not overlapping: around each `@`, the local part
    (at most 64 characters, not reaching into the previous address) and the domain."""
    found: list[Finding] = []
    at = text.find("@")
    while at != -1:
        start = at
        floor = max(found[-1].end if found else 0, at - MAX_LOCAL)
        while start > floor and text[start - 1] in LOCAL_CHARS:
            start -= 1
        domain = DOMAIN.match(text, at + 1) if start < at else None
        if domain:
            found.append(Finding("email", start, domain.end()))
        at = text.find("@", domain.end() if domain else at + 1)
    return found


def phone_windows(text: str) -> list[tuple[int, int]]:
    """Where a phone number may be: a run of digits and phone punctuation, from its first
    character (a digit, `+` or `(`) to its last digit, at least 7 characters long."""
    windows = []
    for run in PHONE_RUN.finditer(text):
        last = len(run[0].rstrip(" ().-"))
        if last >= MIN_PHONE_WINDOW:
            windows.append((run.start(), run.start() + last))
    return windows


def stands_alone(text: str, match: re.Match[str]) -> bool:
    """Not part of a longer number or word: `1.2.3.4.5` is a version, not an address."""
    before = text[match.start() - 1] if match.start() else " "
    after = text[match.end()] if match.end() < len(text) else " "
    continues = after in ".:" and text[match.end() + 1 : match.end() + 2].isalnum()
    return not (before.isalnum() or before == "." or after.isalnum() or continues)


def is_ip(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def redact(text: str, findings: list[Finding]) -> str:
    """`text` with each finding replaced by its placeholder (<EMAIL>, <PHONE>, <IP>)."""
    parts, position = [], 0
    for finding in findings:
        parts += [text[position : finding.start], PLACEHOLDER[finding.kind]]
        position = finding.end
    return "".join([*parts, text[position:]])


def summary(findings: list[Finding]) -> str | None:
    """`email=1;phone=2` for the lineage, or None when nothing was found."""
    counts = {kind: sum(1 for f in findings if f.kind == kind) for kind in KINDS}
    return ";".join(f"{kind}={n}" for kind, n in counts.items() if n) or None
