"""A record's publisher: the organisation, not the page's copyright line or its software.

Where a page names no site, trafilatura takes the site name from its copyright footer or
its `application-name`, so on portals and forums the "publisher" reads `Copyright © 2017
Sohu.com Inc. All Rights Reserved.`, `人民网版权所有` or `2001-2013 Comsenz Inc.` (the
vendor of the Discuz! forum software). A file's own `source` field and raw/sources.toml can
hold the same. Every reader's records pass through `publisher` (called by clean_record):
a copyright notice is cut down to the organisation it names (`Sohu.com`, `人民网`); a
software vendor, or nothing left, is no publisher, and the site of the record's URL (its
host name) stands in, so `publisher_origin` can tell the datasheet which is which.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from tld import get_fld

# A copyright notice: the words and marks, in the scripts whose pages are read most.
RIGHTS = re.compile(
    r"copyright|\(c\)|©|ⓒ|all rights reserved|some rights reserved|版权所有|版權所有|保留所有权利"
    r"|著作権|無断転載|저작권|무단",
    re.IGNORECASE,
)
RIGHTS_WORDS = re.compile(
    r"copyrights?|\(c\)|©|ⓒ|(all|some) rights reserved\.?|版权所有|版權所有|保留所有权利|著作権"
    r"|저작권|無断転載(を)?禁(じます|止)?|무단\s*전재.*",
    re.IGNORECASE,
)
# A year or a year range ("2001-2013", "1997 – present", "2005~今"), as notices write them.
YEARS = re.compile(r"\b(19|20)\d{2}\b(\s*[-–—~至]\s*((19|20)\d{2}\b|present|now|today|今))?", re.IGNORECASE)
LEADING_YEARS = re.compile(r"\s*" + YEARS.pattern, re.IGNORECASE)
# Legal forms a notice adds after the organisation's name ("Sohu.com Inc.").
LEGAL_FORM = re.compile(
    r"(,?\s+(inc|incorporated|ltd|limited|llc|l\.l\.c|corp|co|plc|gmbh|ag|s\.a|b\.v)\.?)+$"
    r"|(股份)?有限(责任)?公司$|株式会社",
    re.IGNORECASE,
)
# Forum, blog and CMS software whose vendor's name pages put where a site name goes.
VENDORS = frozenset(
    {
        "comsenz",
        "discuz",
        "discuz!",
        "phpwind",
        "dedecms",
        "vbulletin",
        "jelsoft enterprises",
        "vbulletin solutions",
        "invision power services",
        "xenforo",
        "wordpress",
        "joomla",
        "joomla!",
        "drupal",
        "phpbb",
        "phpbb group",
        "phpbb limited",
    }
)
POWERED_BY = re.compile(r"(proudly\s+)?powered\s+by\b|由.{1,30}(提供技术支持|驱动)", re.IGNORECASE)
EDGE = re.compile(r"^[\s\W_]+|[\s\W_]+$")  # punctuation left at either end once the notice is cut
HOST_NAME = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")


def clean_publisher(value: str) -> str | None:
    """The organisation a publisher value names, or None when it names none."""
    text = " ".join(value.split())
    if RIGHTS.search(text) or LEADING_YEARS.match(text):
        text = RIGHTS_WORDS.sub(" ", text)
        text = YEARS.sub(" ", text)
        text = LEGAL_FORM.sub("", EDGE.sub("", " ".join(text.split())))
        text = EDGE.sub("", text)
    if POWERED_BY.search(text) or is_vendor(text):
        return None
    return text if any(c.isalpha() for c in text) else None


def is_vendor(text: str) -> bool:
    return LEGAL_FORM.sub("", text).strip(" .,").lower() in VENDORS


def site_of(url: str | None) -> str | None:
    """The host name of a URL, without `www.`: the site a record came from. A web address's
    host is in the part before its path, and a corpus has few sites but as many addresses as
    records, so that part's answer is computed once (`site_of_origin`)."""
    if not url:
        return None
    if url.startswith(("https://", "http://")) and (end := url.find("/", url.index("//") + 2)) != -1:
        return site_of_origin(url[:end])
    return site_of_origin(url)


@functools.lru_cache(maxsize=4096)
def site_of_origin(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host and "." in host else None


def registrable_site(url: str | None) -> str:
    """The registrable domain of a URL's host (public suffix list: english.elpais.com and
    elpais.com are elpais.com, news.bbc.co.uk is bbc.co.uk, a blogspot.com blog is its
    own), the host itself where it has none (an IP address), "" without a host: the site
    whose spellings of a name are one publisher (decide/publishers.py)."""
    host = site_of(url)
    return registrable_host(host) if host else ""


@functools.lru_cache(maxsize=4096)
def registrable_host(host: str) -> str:
    return get_fld(host, fix_protocol=True, fail_silently=True) or host


def publisher(source: str | None, url: str | None) -> str | None:
    """The record's publisher: its cleaned value, else the site of its URL."""
    return (clean_publisher(source) if source else None) or site_of(url)


def publisher_origin(source: str | None, url: str | None) -> str:
    """Where a published record's publisher came from: "none", "domain" (the host name of its
    URL, or the registered domain above it, as trafilatura writes it) or "name" (the page,
    the file's own field or raw/sources.toml named it)."""
    if not source:
        return "none"
    host = site_of(url)
    if HOST_NAME.fullmatch(source) and host and (host == source or host.endswith("." + source)):
        return "domain"
    return "name"
