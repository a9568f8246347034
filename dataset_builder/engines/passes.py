"""The per-record work of the build's two passes, as pure functions over batches.

    pass 1   `prepare`:  ingest items (or line ranges) -> clean -> validate -> decontaminate -> spool,
                         dedup keys, band keys
    pass 2   `annotate`: spooled rows -> language -> allow-list -> PII -> tagged Arrow batches

Each engine (`dataset_builder.engines.base`) runs these same functions: the local one in this
process or in forked workers, the Ray one in Ray Data actors. A worker is set up once by
`init_prepare` or `init_annotate`; after that each call depends only on its batch, so the results are the same
whoever runs them, in whatever batches.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dataset_builder.config import Settings
from dataset_builder.decide.boilerplate import publisher_of, text_lines
from dataset_builder.decide.dedup import NearDupSettings, content_key
from dataset_builder.decide.minhash import band_keys, signatures
from dataset_builder.decide.steps import DedupKeys
from dataset_builder.records import (
    METADATA_FIELDS,
    PROVENANCE,
    Record,
    Rejection,
    record_schema,
    spool_schema,
)
from dataset_builder.scripts import script_of
from dataset_builder.spool import read_batch, write_batch
from dataset_builder.stages.clean import Cleaner, clean_record
from dataset_builder.stages.columns import INPUT, coerce, pick, to_arrow
from dataset_builder.stages.decontaminate import EvalIndex, Match, matches_batch
from dataset_builder.stages.ingest import LineRange, Unit
from dataset_builder.stages.pii import find_pii, redact, summary
from dataset_builder.stages.profile import Profile
from dataset_builder.stages.quality import columns as quality_columns
from dataset_builder.stages.quality import failures, signals_batch
from dataset_builder.stages.validate import article_validator, validate_record

BATCH_SIZE = 64


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to set itself up once, before its first batch."""

    settings: Settings
    spool: Path  # the spool folder: pass 1 writes its batches there, pass 2 reads them
    evalsets: tuple[EvalIndex, ...] = ()  # the n-gram indexes of `[[decontaminate]]`, built once


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


@dataclass(frozen=True)
class Annotated:
    """Pass 2's answer for one batch: per row (language, PII summary, PII kinds, kept), and
    the kept records, tagged, as one Arrow batch, and where each goes (split, bucket)."""

    outcomes: list[tuple[str, str | None, frozenset[str], bool]]
    kept: pa.RecordBatch
    routes: list[tuple[str, int]]  # per row of `kept`
    missing: Counter[str]
    profiles: dict[str, Profile]  # per split
    failed: list[list[str]] = field(default_factory=list)  # per row, the quality bounds it broke
    signals: list[dict[str, Any] | None] = field(default_factory=list)  # per row (None: not allowed)


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


def init_annotate(setup: WorkerSetup) -> None:
    from dataset_builder.stages.langid import LanguageTagger  # langdetect and its arrays: pass 2 only

    langid = setup.settings.langid
    _stages["tagger"] = LanguageTagger(langid.seed, langid.min_chars)
    _stages["allow"] = frozenset(langid.allow)
    _stages["columns"] = setup.settings.ingest.columns
    _stages["pii"] = setup.settings.pii
    _stages["spool"] = setup.spool
    _stages["quality"] = setup.settings.quality


def prepare(task: tuple[str, list[Unit]]) -> tuple[Prepared, DedupKeys]:
    """Pass 1 for the batch named `batch`: read its line ranges, clean and validate its
    records, spool the valid ones, and return what the building process and the global
    steps need of them."""
    batch, units = task
    valid: list[Record] = []
    rejected: list[Rejection] = []
    removed: Counter[str] = Counter()
    keys: Counter[str] = Counter()
    objects = 0
    columns = _stages["columns"]
    checked: list[Record | Rejection] = []  # read, cleaned and validated, in order
    contamination: list[dict[str, Any]] = []
    to_test: list[str] = []
    items = (item for unit in units for item in (unit.read() if isinstance(unit, LineRange) else (unit,)))
    for raw in items:
        if isinstance(raw, dict) and raw["raw_format"] == "html":
            from dataset_builder.stages.html import (
                html_record,  # imports trafilatura (~0.6 s): only if needed
            )

            raw = html_record(raw)
        if isinstance(raw, Rejection):
            checked.append(raw)
            continue
        source = raw.pop(INPUT, None)
        if source is not None:
            objects += 1
            keys.update(source.keys())
        cleaned, lines = clean_record({**raw, **pick(source or {}, columns)}, _stages["cleaner"])
        removed.update(lines)
        checked.append(validate_record(coerce(cleaned, columns), _stages["validator"]))
    records = [r for r in checked if not isinstance(r, Rejection)]
    overlaps = iter(matches_batch([r["text"] for r in records], _stages["evalsets"]))
    for record in checked:
        if not isinstance(record, Rejection) and (found := next(overlaps)):
            contamination += [audit_row(record, match) for match in found]
            actions = {match.action for match in found}
            if "reject" in actions:
                record = Rejection.of(record, "contaminated", contaminated_detail(found))
            elif "split" in actions:
                to_test.append(record["id"])
        if isinstance(record, Rejection):
            rejected.append(record)
        else:
            valid.append(to_arrow(record, columns))
    if valid:
        write_batch(_stages["spool"], batch, valid, spool_schema(columns))
    prepared = Prepared(
        batch,
        [r["id"] for r in valid],
        [tuple(r[k] for k in PROVENANCE) for r in valid],
        rejected,
        removed,
        keys,
        objects,
        contamination,
        to_test,
        [publisher_lines(r) for r in valid] if _stages["boilerplate"] else [],
    )
    return prepared, dedup_keys(valid, _stages["near"], _stages["group_by"])


def publisher_lines(record: Record) -> tuple[str, tuple[int, ...]]:
    publisher = publisher_of(record.get("source"), record.get("url"), record["raw_path"])
    return publisher, tuple(sorted(text_lines(record["text"])))


def dedup_keys(valid: list[Record], near: NearDupSettings | None, group_by: tuple[str, ...]) -> DedupKeys:
    """What the global steps compare of a batch's spooled records (also for records that
    learned boilerplate left shorter, engines/boilerplate.py)."""
    texts = [r["text"] for r in valid]
    if near and valid:
        matrix, shingles = signatures(texts, near.minhash)
        bands = band_keys(matrix, *near.lsh_shape)
    else:  # as many columns as other batches have, so that batches stack
        bands = np.zeros((len(valid), near.lsh_shape[0] if near else 0), dtype=np.uint64)
        shingles = np.zeros(len(valid), dtype=np.int64)
    groups = {name: [r.get(name) for r in valid] for name in group_by}
    return DedupKeys(
        [content_key(t) for t in texts],
        bands,
        shingles > 0,
        groups,
        [script_of(t) for t in texts] if near else [""] * len(texts),
        shingles == 1,
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
    bucket): language (and the allow-list), personal information (redacted if asked)."""
    batch, offsets, routes = task
    records = read_batch(_stages["spool"], batch).take(pa.array(offsets, pa.int64())).to_pylist()
    tags = _stages["tagger"].tag_batch([r["text"] for r in records])
    allow, pii, quality = _stages["allow"], _stages["pii"], _stages["quality"]
    allowed = [not allow or tag.language in allow for tag in tags]
    scored = iter(
        signals_batch(
            [r["text"] for r, ok in zip(records, allowed, strict=True) if ok],
            [t.language for t, ok in zip(tags, allowed, strict=True) if ok],
        )
    )
    outcomes = []
    failed: list[list[str]] = []
    signals: list[dict[str, Any] | None] = []
    kept: list[Record] = []
    kept_routes: list[tuple[str, int]] = []
    missing: Counter[str] = Counter()
    profiles: defaultdict[str, Profile] = defaultdict(Profile)
    for record, tag, ok, (split, bucket) in zip(records, tags, allowed, routes, strict=True):
        values = next(scored) if ok else None
        broken = failures(values, quality.bounds_for(tag.language), tag.language) if values else []
        signals.append(values)
        failed.append(broken if quality.filter else [])
        if not ok or (quality.filter and broken):
            outcomes.append((tag.language, None, frozenset(), False))
            continue
        findings = find_pii(record["text"], pii.phone_region)
        outcomes.append((tag.language, summary(findings), frozenset(f.kind for f in findings), True))
        record.update(language=tag.language, language_score=tag.score, **quality_columns(values or {}))
        if findings and pii.redact:
            record["text"] = redact(record["text"], findings)
        missing.update(f for f in METADATA_FIELDS if record.get(f) in (None, []))
        kept.append(record)
        kept_routes.append((split, bucket))
        profiles[split].add([record])
    tagged = pa.RecordBatch.from_pylist(kept, schema=record_schema(_stages["columns"]))
    return Annotated(outcomes, tagged, kept_routes, missing, dict(profiles), failed, signals)
