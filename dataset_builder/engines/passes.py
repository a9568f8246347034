"""The per-record work of the build's two passes, as pure functions over batches.

    pass 1   `prepare`:  ingest items (or line ranges) -> clean -> validate -> spool, dedup keys, band keys
    pass 2   `annotate`: spooled rows -> language -> allow-list -> PII -> tagged Arrow batches

Each engine (`dataset_builder.engines.base`) runs these same functions: the local one in this
process or in forked workers, the Ray one in Ray Data actors. A worker is set up once by
`init_prepare` or `init_annotate`; after that each call depends only on its batch, so the results are the same
whoever runs them, in whatever batches.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dataset_builder.config import Settings
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
from dataset_builder.spool import read_batch, write_batch
from dataset_builder.stages.clean import Cleaner, clean_record
from dataset_builder.stages.ingest import LineRange, Unit
from dataset_builder.stages.pii import find_pii, redact, summary
from dataset_builder.stages.profile import Profile
from dataset_builder.stages.validate import article_validator, validate_record

BATCH_SIZE = 64


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to set itself up once, before its first batch."""

    settings: Settings
    spool: Path  # the spool folder: pass 1 writes its batches there, pass 2 reads them


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


@dataclass(frozen=True)
class Annotated:
    """Pass 2's answer for one batch: per row (language, PII summary, PII kinds, kept), and
    the kept records, tagged, as one Arrow batch, and where each goes (split, bucket)."""

    outcomes: list[tuple[str, str | None, frozenset[str], bool]]
    kept: pa.RecordBatch
    routes: list[tuple[str, int]]  # per row of `kept`
    missing: Counter[str]
    profiles: dict[str, Profile]  # per split


AnnotateTask = tuple[str, list[int], list[tuple[str, int]]]
"""A spool batch, the offsets of its rows that survived dedup, and where each goes (split, bucket)."""

# Per-process stages, made once in each worker by `init_prepare` or `init_annotate`.
_stages: dict[str, Any] = {}


def init_prepare(setup: WorkerSetup) -> None:
    settings = setup.settings
    _stages["cleaner"] = Cleaner.from_settings(settings.clean)
    _stages["validator"] = article_validator()
    near = settings.near_dup
    _stages["near"] = NearDupSettings.from_settings(near) if near.enabled else None
    _stages["group_by"] = settings.split.group_by
    _stages["spool"] = setup.spool


def init_annotate(setup: WorkerSetup) -> None:
    from dataset_builder.stages.langid import LanguageTagger  # langdetect and its arrays: pass 2 only

    langid = setup.settings.langid
    _stages["tagger"] = LanguageTagger(langid.seed, langid.min_chars)
    _stages["allow"] = frozenset(langid.allow)
    _stages["pii"] = setup.settings.pii
    _stages["spool"] = setup.spool


def prepare(task: tuple[str, list[Unit]]) -> tuple[Prepared, DedupKeys]:
    """Pass 1 for the batch named `batch`: read its line ranges, clean and validate its
    records, spool the valid ones, and return what the building process and the global
    steps need of them."""
    batch, units = task
    valid: list[Record] = []
    rejected: list[Rejection] = []
    removed: Counter[str] = Counter()
    items = (item for unit in units for item in (unit.read() if isinstance(unit, LineRange) else (unit,)))
    for raw in items:
        if isinstance(raw, dict) and raw["raw_format"] == "html":
            from dataset_builder.stages.html import (
                html_record,  # imports trafilatura (~0.6 s): only if needed
            )

            raw = html_record(raw)
        if isinstance(raw, Rejection):
            rejected.append(raw)
            continue
        cleaned, lines = clean_record(raw, _stages["cleaner"])
        removed.update(lines)
        checked = validate_record(cleaned, _stages["validator"])
        (rejected if isinstance(checked, Rejection) else valid).append(checked)
    texts = [r["text"] for r in valid]
    near: NearDupSettings | None = _stages["near"]
    if near and valid:
        matrix, has_words = signatures(texts, near.minhash)
        bands = band_keys(matrix, *near.lsh_shape)
    else:  # as many columns as other batches have, so that batches stack
        bands = np.zeros((len(valid), near.lsh_shape[0] if near else 0), dtype=np.uint64)
        has_words = np.zeros(len(valid), dtype=bool)
    if valid:
        write_batch(_stages["spool"], batch, valid, spool_schema())
    prepared = Prepared(
        batch, [r["id"] for r in valid], [tuple(r[k] for k in PROVENANCE) for r in valid], rejected, removed
    )
    groups = {name: [r.get(name) for r in valid] for name in _stages["group_by"]}
    return prepared, DedupKeys([content_key(t) for t in texts], bands, has_words, groups)


def annotate(task: AnnotateTask) -> Annotated:
    """Pass 2 for the rows `offsets` of spool batch `batch`, going to `routes` (split,
    bucket): language (and the allow-list), personal information (redacted if asked)."""
    batch, offsets, routes = task
    records = read_batch(_stages["spool"], batch).take(pa.array(offsets, pa.int64())).to_pylist()
    tags = _stages["tagger"].tag_batch([r["text"] for r in records])
    allow, pii = _stages["allow"], _stages["pii"]
    outcomes = []
    kept: list[Record] = []
    kept_routes: list[tuple[str, int]] = []
    missing: Counter[str] = Counter()
    profiles: defaultdict[str, Profile] = defaultdict(Profile)
    for record, tag, (split, bucket) in zip(records, tags, routes, strict=True):
        if allow and tag.language not in allow:
            outcomes.append((tag.language, None, frozenset(), False))
            continue
        findings = find_pii(record["text"], pii.phone_region)
        outcomes.append((tag.language, summary(findings), frozenset(f.kind for f in findings), True))
        record.update(language=tag.language, language_score=tag.score)
        if findings and pii.redact:
            record["text"] = redact(record["text"], findings)
        missing.update(f for f in METADATA_FIELDS if record.get(f) in (None, []))
        kept.append(record)
        kept_routes.append((split, bucket))
        profiles[split].add([record])
    tagged = pa.RecordBatch.from_pylist(kept, schema=record_schema())
    return Annotated(outcomes, tagged, kept_routes, missing, dict(profiles))
