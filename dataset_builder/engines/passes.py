"""The per-record work of the build's two passes, as pure functions over batches.

    pass 1   `prepare`:  ingest items (or line ranges) -> clean -> validate -> decontaminate -> spool,
                         dedup keys, band keys
    pass 2   `annotate`: spooled rows -> language -> allow-list -> PII -> publisher names
                         -> tagged Arrow batches

Each engine (`dataset_builder.engines.base`) runs these same functions: the local one in this
process or in forked workers, the Ray one in Ray Data actors. A worker is set up once by
`init_prepare` or `init_annotate`; after that each call depends only on its batch, so the results are the same
whoever runs them, in whatever batches.
"""

from __future__ import annotations

import itertools
import os
import pickle
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dataset_builder import cache
from dataset_builder.cache import Memo, Store, text_key
from dataset_builder.config import IngestSettings, Settings
from dataset_builder.decide.boilerplate import publisher_of, text_lines
from dataset_builder.decide.dedup import NearDupSettings, content_key
from dataset_builder.decide.minhash import band_keys, signatures
from dataset_builder.decide.publishers import Renames
from dataset_builder.decide.steps import DedupKeys, publisher_codes
from dataset_builder.errors import BuildError
from dataset_builder.records import (
    METADATA_FIELDS,
    PREFIX,
    PROVENANCE,
    SIGNALS,
    Record,
    Rejection,
    record_schema,
    spool_schema,
)
from dataset_builder.scripts import script_of
from dataset_builder.spool import SplitBuckets, read_batch_hashed, write_batch
from dataset_builder.stages.clean import Cleaner, clean_record
from dataset_builder.stages.columns import INPUT, coerce, pick, to_arrow
from dataset_builder.stages.decontaminate import EvalIndex, Match, matches_batch
from dataset_builder.stages.ingest import InputFile, LineRange, Unit, file_chunks
from dataset_builder.stages.pii import Finding, find_pii, redact, summary
from dataset_builder.stages.profile import Profile
from dataset_builder.stages.publisher import registrable_site
from dataset_builder.stages.quality import failures, signals_batch
from dataset_builder.stages.validate import article_validator, validate_record

BATCH_SIZE = 64


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to set itself up once, before its first batch."""

    settings: Settings
    spool: Path  # the spool folder: pass 1 writes its batches there, pass 2 reads them
    evalsets: tuple[EvalIndex, ...] = ()  # the n-gram indexes of `[[decontaminate]]`, built once
    read: IngestSettings | None = None  # how pass 1 reads files (`settings.ingest` and raw/sources.toml)
    cache: Path | None = None  # the build cache's folder, None without one
    memo: Memo | None = None  # pass 2's results of the last build, by text (None: no cache)
    publishers: Renames = field(default_factory=dict)  # pass 2: the spellings written as one
    batch_context: str | None = None  # pass 2's settings for whole batches (`BuildCache.batch_context`)
    buckets: SplitBuckets | None = None  # pass 2: a worker writes its kept rows to its own part of these


@dataclass(frozen=True)
class Prepared:
    """Pass 1's answer for one batch, for the building process. Its valid records are in the
    spool file `batch`, in the order of `ids`. `rejected` holds the batch's records that
    could not be read (passed through) or did not clean or validate."""

    batch: str
    ids: list[str]
    provenance: list[tuple[Any, ...]]  # PROVENANCE values
    rejected: list[Rejection]
    removed: Counter[str]
    keys: Counter[str]  # per input key, how many input objects had it
    objects: int  # records read from objects (JSON, tables), which have keys
    contamination: list[dict[str, Any]] = field(default_factory=list)  # audit rows, every match
    to_test: list[str] = field(default_factory=list)  # ids of spooled records `split` sends to test
    lines: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)  # per spooled record, with
    # `boilerplate.learn`: its publisher and its distinct line hashes (decide/boilerplate.py)
    warnings: list[str] = field(default_factory=list)  # cache entries found corrupt (and recomputed)


@dataclass(frozen=True)
class Part:
    """A piece of one input file for pass 1 (`stages.ingest.file_chunks`): its units, or
    None when the build cache holds its result under `key`. `number` is its place in the
    file, so that a worker can read it again if that entry turns out corrupt."""

    file: InputFile
    number: int
    key: str | None  # its cache entry; None without a cache (or for an unreadable file)
    units: list[Unit] | None
    weight: int  # records (or lines) it holds, what a batch is filled by


@dataclass(frozen=True)
class Piece:
    """Pass 1's result for one part: what the cache keeps, and what `Prepared` and the
    batch's dedup keys are put together from."""

    spooled: pa.RecordBatch  # the valid records, as spooled
    rejected: list[Rejection]
    removed: Counter[str]
    keys: Counter[str]
    objects: int
    contamination: list[dict[str, Any]]
    to_test: list[str]
    lines: list[tuple[str, tuple[int, ...]]]
    dedup: DedupKeys


@dataclass(frozen=True)
class Annotated:
    """Pass 2's answer for one batch: per row (language, PII summary, PII kinds, kept), and
    where each kept record goes (split, bucket), with the kept records, tagged, as one Arrow
    batch unless the worker wrote them to its part of the buckets itself."""

    outcomes: list[tuple[str, str | None, frozenset[str], bool]]
    kept: pa.RecordBatch | None  # sorted by route; None when the worker wrote them to `WorkerSetup.buckets`
    routes: list[tuple[str, int]]  # per row of `kept`
    missing: Counter[str]
    profiles: dict[str, Profile]  # per split
    failed: list[list[str]] = field(default_factory=list)  # per row, the quality bounds it broke
    signals: list[dict[str, Any] | None] = field(default_factory=list)  # per row (None: not allowed)
    memo: list[tuple[bytes, bytes]] = field(default_factory=list)  # per row, what the cache's memo keeps
    recalled: int = 0  # rows whose results came from the cache (the memo, or the batch's `Tags`)
    warnings: list[str] = field(default_factory=list)  # cache entries found corrupt (and recomputed)


@dataclass(frozen=True)
class Tags:
    """Pass 2's result for one spool batch's surviving rows, without the rows: what the
    build cache keeps per batch, so that a batch whose records, fates and publishers' names
    are a past build's is put together again from the spool and this (`annotate`)."""

    outcomes: list[tuple[str, str | None, frozenset[str], bool]]  # as `Annotated.outcomes`
    kept: list[int]  # the rows kept, of the batch's surviving rows
    columns: pa.RecordBatch  # pass 2's columns of those rows (`pass2_columns`)
    profiles: dict[str, Profile]
    failed: list[list[str]]
    signals: list[dict[str, Any] | None]
    memo: list[tuple[bytes, bytes]]


AnnotateTask = tuple[str, list[int], list[tuple[str, int]]]
"""A spool batch, the offsets of its rows that survived dedup, and where each goes (split, bucket)."""

# Per-process stages, made once in each worker by `init_prepare` or `init_annotate`.
_stages: dict[str, Any] = {}


def init_prepare(setup: WorkerSetup) -> None:
    settings = setup.settings
    _stages["cleaner"] = Cleaner.from_settings(settings.clean)
    _stages["columns"] = settings.ingest.columns
    _stages["validator"] = article_validator(settings.ingest.columns)
    near = settings.near_dup
    _stages["near"] = NearDupSettings.from_settings(near) if near.enabled else None
    _stages["group_by"] = settings.split.group_by
    _stages["spool"] = setup.spool
    _stages["evalsets"] = list(setup.evalsets)
    _stages["boilerplate"] = settings.boilerplate.learn
    _stages["read"] = setup.read or settings.ingest
    _stages["store"] = Store(setup.cache) if setup.cache else None


def init_annotate(setup: WorkerSetup) -> None:
    langid = setup.settings.langid
    _stages.pop("tagger", None)
    _stages["langid"] = (langid.seed, langid.min_chars)
    _stages["store"] = Store(setup.cache) if setup.cache else None
    _stages["batch_context"] = setup.batch_context
    _stages["allow"] = frozenset(langid.allow)
    _stages["columns"] = setup.settings.ingest.columns
    _stages["pii"] = setup.settings.pii
    _stages["spool"] = setup.spool
    _stages["quality"] = setup.settings.quality
    _stages["memo"] = setup.memo
    _stages["publishers"] = setup.publishers
    _stages["buckets"] = setup.buckets.own(str(os.getpid())) if setup.buckets else None


def close_annotate() -> None:
    """After a process's last batch of pass 2: its part of the split buckets written out."""
    buckets = _stages.pop("buckets", None)
    if buckets is not None:
        buckets.close()


def prepare(task: tuple[str, list[Part]]) -> tuple[Prepared, DedupKeys]:
    """Pass 1 for the batch named `batch`: take each part's result from the cache, or read
    its line ranges, clean and validate its records (and keep the result in the cache);
    spool the valid ones, and return what the building process and the global steps need
    of them."""
    batch, parts = task
    store: Store | None = _stages["store"]
    pieces: list[Piece | None] = [None] * len(parts)
    warnings: list[str] = []
    for i, part in enumerate(parts):
        if part.units is None and store is not None and part.key is not None:
            pieces[i] = store.recall(part.key, warnings)
    todo = [i for i, piece in enumerate(pieces) if piece is None]
    for i, piece in zip(todo, compute_pieces([units_of(parts[i]) for i in todo]), strict=True):
        pieces[i] = piece
        if store is not None and parts[i].key is not None:
            store.put(parts[i].key, piece)
    done = [piece for piece in pieces if piece is not None]
    valid = pa.concat_batches([piece.spooled for piece in done])
    if valid.num_rows:
        write_batch(_stages["spool"], batch, valid)
    provenance = [valid.column(name).to_pylist() for name in PROVENANCE]
    prepared = Prepared(
        batch,
        valid.column("id").to_pylist(),
        list(zip(*provenance, strict=True)),
        [rejection for piece in done for rejection in piece.rejected],
        sum((piece.removed for piece in done), Counter()),
        sum((piece.keys for piece in done), Counter()),
        sum(piece.objects for piece in done),
        [row for piece in done for row in piece.contamination],
        [id_ for piece in done for id_ in piece.to_test],
        [line for piece in done for line in piece.lines],
        warnings=warnings,
    )
    return prepared, DedupKeys.concatenated([piece.dedup for piece in done])


def units_of(part: Part) -> list[Unit]:
    """A part's units; for a part the cache was to give but did not (its entry was corrupt
    or evicted since), read again from its file."""
    if part.units is not None:
        return part.units
    chunk = next(
        itertools.islice(file_chunks(part.file, _stages["read"], BATCH_SIZE), part.number, None), None
    )
    if chunk is None:
        raise BuildError(f"{part.file.rel}: the file changed during the build; run the build again")
    return chunk


def compute_pieces(parts: list[list[Unit]]) -> list[Piece]:
    """Pass 1 proper over the units of several parts at once (the signatures and the
    evaluation-set index are faster over many texts), each part's results kept apart."""
    columns = _stages["columns"]
    checked: list[tuple[int, Record | Rejection]] = []  # (part, read, cleaned and validated), in order
    removed = [Counter[str]() for _ in parts]
    keys = [Counter[str]() for _ in parts]
    objects = [0] * len(parts)
    for number, units in enumerate(parts):
        for raw in (
            item for unit in units for item in (unit.read() if isinstance(unit, LineRange) else (unit,))
        ):
            if isinstance(raw, dict) and raw["raw_format"] == "html":
                from dataset_builder.stages.html import (
                    html_record,  # imports trafilatura (~0.6 s): only if needed
                )

                raw = html_record(raw)
            if isinstance(raw, Rejection):
                checked.append((number, raw))
                continue
            source = raw.pop(INPUT, None)
            if source is not None:
                objects[number] += 1
                keys[number].update(source.keys())
            cleaned, lines = clean_record({**raw, **pick(source or {}, columns)}, _stages["cleaner"])
            removed[number].update(lines)
            checked.append((number, validate_record(coerce(cleaned, columns), _stages["validator"])))
    texts = [r["text"] for _, r in checked if not isinstance(r, Rejection)]
    overlaps = iter(matches_batch(texts, _stages["evalsets"]))
    rejected: list[list[Rejection]] = [[] for _ in parts]
    valid: list[list[Record]] = [[] for _ in parts]
    contamination: list[list[dict[str, Any]]] = [[] for _ in parts]
    to_test: list[list[str]] = [[] for _ in parts]
    for number, record in checked:
        if not isinstance(record, Rejection) and (found := next(overlaps)):
            contamination[number] += [audit_row(record, match) for match in found]
            actions = {match.action for match in found}
            if "reject" in actions:
                record = Rejection.of(record, "contaminated", contaminated_detail(found))
            elif "split" in actions:
                to_test[number].append(record["id"])
        if isinstance(record, Rejection):
            rejected[number].append(record)
        else:
            valid[number].append(to_arrow(record, columns))
    every = [record for records in valid for record in records]
    dedup = dedup_keys(every, _stages["near"], _stages["group_by"])
    bounds = np.cumsum([0] + [len(records) for records in valid])
    schema = spool_schema(columns)
    return [
        Piece(
            pa.RecordBatch.from_pylist(valid[n], schema=schema),
            rejected[n],
            removed[n],
            keys[n],
            objects[n],
            contamination[n],
            to_test[n],
            [publisher_lines(r) for r in valid[n]] if _stages["boilerplate"] else [],
            dedup.sliced(int(bounds[n]), int(bounds[n + 1])),
        )
        for n in range(len(parts))
    ]


def publisher_lines(record: Record) -> tuple[str, tuple[int, ...]]:
    publisher = publisher_of(record.get("source"), record.get("url"), record["raw_path"])
    return publisher, tuple(sorted(text_lines(record["text"])))


def dedup_keys(valid: list[Record], near: NearDupSettings | None, group_by: tuple[str, ...]) -> DedupKeys:
    """What the global steps compare of a batch's spooled records (also for records that
    learned boilerplate left shorter, engines/boilerplate.py), and the site and spelling of
    each one's publisher, for one name per publisher (decide/publishers.py)."""
    texts = [r["text"] for r in valid]
    if near and valid:
        matrix, shingles = signatures(texts, near.minhash)
        bands = band_keys(matrix, *near.lsh_shape)
    else:  # as many columns as other batches have, so that batches stack
        bands = np.zeros((len(valid), near.lsh_shape[0] if near else 0), dtype=np.uint64)
        shingles = np.zeros(len(valid), dtype=np.int64)
    groups = {name: [r.get(name) for r in valid] for name in group_by}
    pairs = [(registrable_site(r.get("url")), r["source"]) if r.get("source") else None for r in valid]
    return DedupKeys(
        [content_key(t) for t in texts],
        bands,
        shingles > 0,
        groups,
        [script_of(t) for t in texts] if near else [""] * len(texts),
        shingles == 1,
        *publisher_codes(pairs),
    )


def contaminated_detail(found: list[Match]) -> str:
    return "; ".join(
        f"evaluation set {m.evalset!r} item {m.item!r}: {m.tokens} tokens in common: {m.span!r}"
        for m in found
    )


def audit_row(record: Record, match: Match) -> dict[str, Any]:
    """One line of audit/contamination.jsonl: the record, where it came from, what it shares."""
    return {
        "id": record["id"],
        "raw_path": record["raw_path"],
        "raw_line": record["raw_line"],
        "evalset": match.evalset,
        "item": match.item,
        "action": match.action,
        "ngrams": match.ngrams,
        "tokens": match.tokens,
        "span": match.span,
    }


def annotate(task: AnnotateTask) -> Annotated:
    """Pass 2 for the rows `offsets` of spool batch `batch`, going to `routes` (split,
    bucket): language (and the allow-list), quality signals, personal information
    (redacted if asked), each publisher under the one spelling the global steps chose.

    With the build cache, a batch whose spooled bytes, surviving rows, their splits and
    their publishers' names are all a past build's is put together from that build's
    `Tags`; otherwise what a text's earlier build found is taken from the memo (`Known`),
    and the rest computed."""
    batch, offsets, routes = task
    spooled, digest = read_batch_hashed(_stages["spool"], batch)
    table = taken(spooled, offsets)
    sources, spellings = named_publishers(table, _stages["publishers"])
    splits = [split for split, _ in routes]
    store, context = _stages["store"], _stages["batch_context"]
    key = cache.key("pass 2 batch", context, digest, offsets, splits, sources) if store and context else None
    warnings: list[str] = []
    tags: Tags | None = store.recall(key, warnings) if store is not None and key is not None else None
    recalled = len(offsets)
    if tags is None:
        tags, recalled = tag_rows(table, sources, spellings, splits)
        if store is not None and key is not None:
            store.put(key, tags)
    kept = tagged_batch(taken(table, tags.kept), tags.columns)
    by_route = sorted(range(kept.num_rows), key=lambda row: routes[tags.kept[row]])  # stable
    kept_routes = [routes[tags.kept[row]] for row in by_route]
    sorted_kept: pa.RecordBatch | None = taken(kept, by_route)
    if _stages["buckets"] is not None:
        _stages["buckets"].add(sorted_kept, kept_routes)
        sorted_kept = None
    return Annotated(
        tags.outcomes,
        sorted_kept,
        kept_routes,
        missing_values(kept),
        tags.profiles,
        tags.failed,
        tags.signals,
        tags.memo,
        recalled,
        warnings,
    )


def tag_rows(
    table: pa.RecordBatch, sources: list[str | None], spellings: list[str | None], splits: list[str]
) -> tuple[Tags, int]:
    """Pass 2 computed for the rows of `table`, each going to split `splits[i]`, with the
    texts the memo knows recalled; and how many it knew."""
    texts = table.column("text").to_pylist()
    allow, pii, quality = _stages["allow"], _stages["pii"], _stages["quality"]
    known, stored = recall(texts, _stages["memo"])
    recalled = list(known)  # as the memo gave them: an entry nothing was added to is kept as stored
    untagged = [i for i, k in enumerate(known) if k.language is None]
    if untagged:
        for i, tag in zip(untagged, tagger().tag_batch([texts[i] for i in untagged]), strict=True):
            known[i] = replace(known[i], language=tag.language, score=tag.score)
    allowed = [not allow or k.language in allow for k in known]
    unscored = [i for i, k in enumerate(known) if allowed[i] and k.signals is None]
    scored = signals_batch([texts[i] for i in unscored], [known[i].language or "" for i in unscored])
    for i, values in zip(unscored, scored, strict=True):
        known[i] = replace(known[i], signals=tuple(values[name] for name in SIGNALS))
    outcomes = []
    failed: list[list[str]] = []
    signals: list[dict[str, Any] | None] = []
    kept: list[int] = []  # rows of `table`
    redacted = False
    for n, ok in enumerate(allowed):
        language = known[n].language or ""
        values = dict(zip(SIGNALS, known[n].signals, strict=True)) if ok and known[n].signals else None
        broken = failures(values, quality.bounds_for(language), language) if values else []
        signals.append(values)
        failed.append(broken if quality.filter else [])
        if not ok or (quality.filter and broken):
            outcomes.append((language, None, frozenset(), False))
            continue
        if known[n].findings is None:
            known[n] = replace(known[n], findings=tuple(find_pii(texts[n], pii.phone_region)))
        findings = list(known[n].findings or ())
        outcomes.append((language, summary(findings), frozenset(f.kind for f in findings), True))
        if findings and pii.redact:
            texts[n] = redact(texts[n], findings)
            redacted = True
        kept.append(n)
    changed: dict[str, list[Any]] = {"text": [texts[n] for n in kept]} if redacted else {}
    if _stages["publishers"]:
        changed["source"] = [sources[n] for n in kept]
    profiles: defaultdict[str, Profile] = defaultdict(Profile)
    profiled = ("url", "published", "declared_language")
    columns = {name: table.column(name).to_pylist() for name in profiled}
    for n in kept:
        record = {name: c[n] for name, c in columns.items()}
        record.update(
            text=texts[n], source=sources[n], spelling=spellings[n], language=known[n].language or ""
        )
        profiles[splits[n]].add([record])
    memo = (
        [
            (k.hashed, data if data is not None and k is before else k.dumps())
            for k, before, data in zip(known, recalled, stored, strict=True)
        ]
        if _stages["memo"] is not None
        else []
    )
    found = sum(data is not None for data in stored)
    added = pass2_columns([known[n] for n in kept], changed)
    return Tags(outcomes, kept, added, dict(profiles), failed, signals, memo), found


def tagger() -> Any:
    """The language tagger, made on first use: a worker whose batches all come from the
    cache never loads langdetect's profiles."""
    if "tagger" not in _stages:
        from dataset_builder.stages.langid import LanguageTagger  # langdetect and its arrays: pass 2 only

        _stages["tagger"] = LanguageTagger(*_stages["langid"])
    return _stages["tagger"]


def named_publishers(table: pa.RecordBatch, renames: Renames) -> tuple[list[str | None], list[str | None]]:
    """Each row's publisher under its canonical spelling (decide/publishers.py), and the
    spelling it had where that was merged with others (None elsewhere), for the profile's
    list of the variants seen."""
    spellings = table.column("source").to_pylist()
    if not renames:
        return spellings, [None] * len(spellings)
    urls = table.column("url").to_pylist()
    named = [
        renames.get((registrable_site(url), spelling)) if spelling else None
        for spelling, url in zip(spellings, urls, strict=True)
    ]
    sources = [name or spelling for name, spelling in zip(named, spellings, strict=True)]
    return sources, [spelling if name else None for name, spelling in zip(named, spellings, strict=True)]


def taken(table: pa.RecordBatch, rows: list[int]) -> pa.RecordBatch:
    """`table`'s rows `rows`: the table itself when they are all of them in order, as they
    mostly are (a take copies every text)."""
    if rows == list(range(table.num_rows)):
        return table
    return table.take(pa.array(rows, pa.int64()))


def pass2_columns(known: list[Known], changed: dict[str, list[Any]]) -> pa.RecordBatch:
    """Pass 2's columns of the kept rows (language, score, quality signals) and the spooled
    columns it `changed` (texts redacted, publishers named once)."""
    schema = record_schema(_stages["columns"])
    signals = [k.signals or (None,) * len(SIGNALS) for k in known]
    added = {
        **changed,
        "language": [k.language or "" for k in known],
        "language_score": [k.score for k in known],
        **{PREFIX + name: [values[i] for values in signals] for i, name in enumerate(SIGNALS)},
    }
    fields = [f for f in schema if f.name in added]
    return pa.RecordBatch.from_arrays(
        [pa.array(added[f.name], f.type) for f in fields], schema=pa.schema(fields)
    )


def tagged_batch(table: pa.RecordBatch, columns: pa.RecordBatch) -> pa.RecordBatch:
    """The kept rows in the release's column order: pass 2's `columns`, the other columns as
    spooled, passed through as Arrow (a record is never turned into a dict and back, nor a
    text into a Python string and back unless redacted)."""
    schema = record_schema(_stages["columns"])
    names = set(columns.schema.names)
    arrays = [columns.column(f.name) if f.name in names else table.column(f.name) for f in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def missing_values(tagged: pa.RecordBatch) -> Counter[str]:
    """Per metadata field, the kept rows without a value (null, or an empty list)."""
    missing: Counter[str] = Counter()
    for name in METADATA_FIELDS:
        column = tagged.column(name)
        empty = column.null_count
        if pa.types.is_list(column.type):
            empty += int(pc.sum(pc.equal(pc.list_value_length(column), 0)).as_py() or 0)
        if empty:
            missing[name] = empty
    return missing


@dataclass(frozen=True)
class Known:
    """What pass 2 found of one text, as the build cache's memo keeps it: each part is None
    until computed (signals only for an allowed language, findings only for a kept record),
    so a later build with other settings computes only what it lacks."""

    hashed: bytes  # xxh3-128 of the text's UTF-8
    language: str | None = None
    score: float = 0.0
    signals: tuple[Any, ...] | None = None  # in `SIGNALS` order
    findings: tuple[Finding, ...] | None = None

    def dumps(self) -> bytes:
        findings = None if self.findings is None else tuple((f.kind, f.start, f.end) for f in self.findings)
        return pickle.dumps(
            (self.language, self.score, self.signals, findings), protocol=pickle.HIGHEST_PROTOCOL
        )

    @classmethod
    def loads(cls, hashed: bytes, data: bytes) -> Known:
        language, score, signals, findings = pickle.loads(data)
        found = None if findings is None else tuple(Finding(*f) for f in findings)
        return cls(hashed, language, score, signals, found)


def recall(texts: list[str], memo: Memo | None) -> tuple[list[Known], list[bytes | None]]:
    """Each text's `Known` — from the memo when it has the text, else empty — and the
    memo's bytes for it (None where it had none)."""
    hashes = [text_key(text) for text in texts]
    found = [memo.get(h) for h in hashes] if memo is not None else [None] * len(hashes)
    known = [
        Known(h) if data is None else Known.loads(h, data) for h, data in zip(hashes, found, strict=True)
    ]
    return known, found
