"""One name per publisher: the spellings of a site's name that differ only in case, accents
or spacing ("El País", "El país", "EL PAÍS") are one publisher, named once.

Pages write their site's name as their templates do: the masthead in capitals, the meta
tag in title case, a feed with the accent dropped. Counted by spelling, one outlet becomes
several publishers in the report, the datasheet and the `source` column. Which spellings
are one name needs the whole corpus (the spelling most records use wins), so this is a
global step, a pure function over the (site, spelling) of the records that survive
deduplication; pass 2 writes each record's `source` under its canonical spelling.

- Spellings are the same name when `fold` makes them equal: Unicode case folding, accents
  removed (NFKD, combining marks dropped), runs of spaces as one.
- They are one publisher only on the same site, the registrable domain of the records'
  URLs (`stages.publisher.registrable_site`: www.elpais.com, english.elpais.com and
  elpais.com are one site): two sites whose names fold alike stay two publishers. Records
  without a URL are a site of their own ("").
- The canonical spelling is the one most records use; a tie goes to a spelling that is not
  all capitals, then to the first in code-point order. No spelling is invented.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping

Renames = dict[tuple[str, str], str]
"""(site, spelling) -> canonical spelling, for every spelling of a merged name (the
canonical one included, so that the records of a merged name can be told apart)."""


def fold(name: str) -> str:
    """The name as compared: case folded, without accents, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split())


def all_caps(name: str) -> bool:
    """A masthead's spelling ("EL UNIVERSAL"): cased letters, none of them lower case."""
    return any(ch.isupper() for ch in name) and not any(ch.islower() for ch in name)


def canonical(spellings: Mapping[str, int]) -> str:
    """The spelling most records use; ties: not all capitals first, then code-point order."""
    return min(spellings, key=lambda name: (-spellings[name], all_caps(name), name))


def publisher_names(counts: Iterable[tuple[str, str, int]]) -> Renames:
    """The spellings to merge, from (site, spelling, records) triples (a pair may come in
    several triples: their records add up)."""
    names: defaultdict[tuple[str, str], defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for site, spelling, records in counts:
        names[(site, fold(spelling))][spelling] += records
    renames: Renames = {}
    for (site, _), spellings in sorted(names.items()):
        if len(spellings) > 1:
            chosen = canonical(spellings)
            renames.update({(site, spelling): chosen for spelling in sorted(spellings)})
    return renames
