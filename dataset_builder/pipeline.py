"""The build: run the stages in order and publish a release.

    pass 1   ingest -> clean -> validate -> dedup keys, MinHash band keys   (per record, engine)
    global   duplicate ids, exact dedup, near dedup, split groups           (arrays in memory)
    pass 2   language -> allow-list -> route to split buckets               (per record, engine)
    publish  buckets sorted by id -> Parquet shards, audit, card, datasheet

Records stream: the first pass spools every valid record to disk and keeps only what the
global steps need per record (id, content key, band keys, provenance); the second pass
reads the spool back. Per-record stages are the pure functions of `passes`, run by an
engine (`engines`: local processes or Ray) that returns results in input order, so the
result is the same for any engine and number of workers.

Every record read ends in exactly one place — a split, the rejects or the duplicates — and
the build checks `read == kept + rejected + duplicates` before it publishes anything.
"""

from __future__ import annotations

import contextlib
import json
import platform
import shutil
import sys
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dataset_builder.config import SPLITS, BuildConfig
from dataset_builder.decide.dedup import (
    NearDuplicate,
    NearDupSettings,
    difference_excerpt,
    id_ranks,
    lowest_similarity,
)
from dataset_builder.decide.minhash import detection_probability
from dataset_builder.decide.split import Move
from dataset_builder.decide.steps import Corpus, Decisions, similarity_edges
from dataset_builder.engines.base import Engine, open_engine
from dataset_builder.engines.passes import METADATA_FIELDS, AnnotateTask, Prepared, Setup
from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.records import PROVENANCE, Duplicate, Rejection
from dataset_builder.release import card, croissant, datasheet, diff
from dataset_builder.release.publish import (
    LINEAGE_SCHEMA,
    MANIFEST,
    Published,
    publish_release,
    record_schema,
    release_lock,
    write_audit,
    write_splits,
)
from dataset_builder.report.page import write as write_report
from dataset_builder.spool import SplitBuckets, Spool
from dataset_builder.stages.ingest import Inventory, ReadSettings, discover, file_sha256
from dataset_builder.stages.pii import KINDS as PII_KINDS
from dataset_builder.stages.profile import Profile, profile_summary
from dataset_builder.stages.sources import NAME as SOURCES
from dataset_builder.stages.sources import load_sources

DEPENDENCIES = (
    "dataset_builder",
    "pyarrow",
    "datasets",
    "langdetect",
    "jsonschema",
    "xxhash",
    "rensa",
    "numpy",
)
S_CURVE = (0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
NEAR_EXAMPLES = 6


class Progress(Protocol):
    """Where long stages report progress; the CLI draws bars, the API default is silent."""

    def stage(self, description: str, total: int | None) -> AbstractContextManager[Callable[[int], None]]: ...


class Silent:
    @contextlib.contextmanager
    def stage(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        yield lambda advance: None


@dataclass(frozen=True)
class Release:
    path: Path
    manifest: dict[str, Any]
    unchanged: bool
    rejects: list[Rejection]
    warnings: list[str]


@dataclass
class Index:
    """What the global steps know of each spooled record: row i is spool row i."""

    ids: list[str] = field(default_factory=list)
    provenance: list[tuple[Any, ...]] = field(default_factory=list)  # PROVENANCE values
    fate: list[str] = field(default_factory=list)  # "" while undecided
    pii: dict[int, str] = field(default_factory=dict)  # row -> what personal information it holds

    def add(self, prepared: Prepared) -> None:
        self.ids += prepared.ids
        self.provenance += prepared.provenance
        self.fate += [""] * len(prepared.ids)

    def locator(self, row: int) -> str:
        path, line, _, fmt, _ = self.provenance[row]
        return f"{path}{'#' if fmt == 'json' else ':'}{line}"

    def rejection(self, row: int, reason: str, detail: str) -> Rejection:
        self.fate[row] = f"rejected:{reason}"
        return Rejection(*self.provenance[row], reason=reason, detail=detail, id=self.ids[row])

    def duplicate(self, row: int, of: int, kind: str, similarity: float) -> Duplicate:
        self.fate[row] = f"duplicate:{self.ids[of]}"
        return Duplicate(self.ids[row], self.ids[of], kind, similarity, *self.provenance[row])


@dataclass
class Ledger:
    """Where every record went, and what each stage removed or decided."""

    read: int = 0
    rejects: list[Rejection] = field(default_factory=list)
    unspooled: list[Rejection] = field(default_factory=list)  # rejected before the spool
    duplicates: list[Duplicate] = field(default_factory=list)
    boilerplate: Counter[str] = field(default_factory=Counter)
    records_per_file: Counter[str] = field(default_factory=Counter)
    encodings: Counter[str] = field(default_factory=Counter)  # records read, by encoding ("" = undecodable)
    rows: Counter[str] = field(default_factory=Counter)  # kept, per split
    languages: dict[str, Counter[str]] = field(default_factory=lambda: {s: Counter() for s in SPLITS})
    missing: Counter[str] = field(default_factory=Counter)
    pii: Counter[str] = field(default_factory=Counter)  # occurrences in kept texts, by kind
    profiles: dict[str, Profile] = field(default_factory=lambda: {s: Profile() for s in SPLITS})
    pii_records: Counter[str] = field(default_factory=Counter)  # kept records holding each kind
    near_dup: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    leakage: list[dict[str, Any]] = field(default_factory=list)
    near_examples: list[dict[str, Any]] = field(default_factory=list)  # for the report
    moves: list[Move] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        kept = sum(self.rows.values())
        return {
            "read": self.read,
            "rejected": len(self.rejects),
            "duplicates": len(self.duplicates),
            "kept": kept,
        }


def build(
    config: BuildConfig,
    *,
    workers: int = 1,
    progress: Progress | None = None,
    strict: bool = False,
    report: bool = True,
    engine: str = "local",
    ray_address: str | None = None,
) -> Release:
    """Build and publish one release, with report.html unless `report` is false, running the
    per-record passes on `engine` ("local" or "ray"; the release is the same). Raises
    BuildError (or ConfigError) with a message."""
    progress = progress or Silent()
    inventory = discover(config.raw_dir)
    entries, sources_sha = load_sources(config.raw_dir)
    base = load_base(config)
    folder = config.out_dir / config.name
    with release_lock(folder, config.version) as notes, open_engine(engine, workers, ray_address) as runner:
        work = Path(tempfile.mkdtemp(prefix=f".{config.version}.work-", dir=folder))
        try:
            known = {"path": SOURCES, "sha256": sources_sha, "entries": entries} if sources_sha else None
            return run_stages(config, inventory, known, base, work, runner, progress, strict, report, notes)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def run_stages(
    config: BuildConfig,
    inventory: Inventory,
    known: dict[str, Any] | None,
    base: dict[str, Any] | None,
    work: Path,
    engine: Engine,
    progress: Progress,
    strict: bool,
    report: bool,
    notes: list[str],
) -> Release:
    """The two passes and the global steps between them; `work` holds the spool and buckets."""
    spool = Spool(work / "spool")
    spool.folder.mkdir()
    setup: Setup = (config.settings, config.rules, spool.folder)
    ledger, index = Ledger(), Index()
    first_pass(config, inventory, known, ledger, index, spool, engine, progress, setup)
    alive = reject_duplicate_ids(index, ledger)
    ranks = id_ranks(index.ids)
    corpus = Corpus(index.ids, ranks, alive, spool, config.settings, base["splits"] if base else None)
    with progress.stage("dedup, split groups", total=None):
        decisions = engine.decided(corpus)
    apply_decisions(config, index, ledger, spool, decisions, ranks)
    buckets = second_pass(
        config, index, ledger, spool, decisions.splits, ranks, work, engine, progress, setup
    )
    group_threshold = config.settings["near_dup"]["group_threshold"]
    ledger.leakage = leakage(index, decisions.crossing, decisions.splits, group_threshold)
    return publish(config, inventory, known, ledger, index, buckets, base, strict, report, progress, notes)


def first_pass(
    config: BuildConfig,
    inventory: Inventory,
    known: dict[str, Any] | None,
    ledger: Ledger,
    index: Index,
    spool: Spool,
    engine: Engine,
    progress: Progress,
    setup: Setup,
) -> None:
    """Stages 1-3 and the dedup keys; valid records go to the spool, rejects to the ledger."""
    read_settings = replace(
        ReadSettings.from_settings(config.settings["ingest"]),
        sources=tuple(known["entries"] if known else ()),
    )
    with progress.stage("read, clean, validate", total=sum(f.size for f in inventory.files)) as advance:
        for prepared in engine.prepared(inventory.files, read_settings, setup, advance):
            account(prepared, spool, index, ledger)


def account(prepared: Prepared, spool: Spool, index: Index, ledger: Ledger) -> None:
    """Enter one batch of pass 1 in the spool's table, the index and the ledger."""
    spool.add_batch(prepared.batch, len(prepared.ids))
    index.add(prepared)
    ledger.read += len(prepared.ids) + len(prepared.rejected)
    ledger.records_per_file.update(prov[0] for prov in prepared.provenance)
    ledger.records_per_file.update(r.raw_path for r in prepared.rejected)
    ledger.boilerplate.update(prepared.removed)
    ledger.encodings.update(prov[4] for prov in prepared.provenance)
    ledger.encodings.update(r.raw_encoding or "" for r in prepared.rejected)
    ledger.rejects.extend(prepared.rejected)
    ledger.unspooled.extend(prepared.rejected)


def reject_duplicate_ids(index: Index, ledger: Ledger) -> np.ndarray:
    """A source id used twice: the later record is rejected, naming the first."""
    alive = np.ones(len(index.ids), dtype=bool)
    owner = -1
    for row in sorted(range(len(index.ids)), key=index.ids.__getitem__):  # stable: first read first
        if owner >= 0 and index.ids[row] == index.ids[owner]:
            alive[row] = False
            detail = f"id {index.ids[row]!r} is already used by {index.locator(owner)}"
            ledger.rejects.append(index.rejection(row, "duplicate-id", detail))
        else:
            owner = row
    return alive


def apply_decisions(
    config: BuildConfig, index: Index, ledger: Ledger, spool: Spool, decisions: Decisions, ranks: np.ndarray
) -> None:
    """Enter the global steps' decisions in the index and the ledger."""
    for row, of in decisions.exact:
        ledger.duplicates.append(index.duplicate(row, of, "exact", 1.0))
    for near in decisions.near:
        ledger.duplicates.append(index.duplicate(near.index, near.representative, "near", near.similarity))
    ledger.moves = decisions.moves
    ledger.groups = decisions.groups
    stats = decisions.near_stats
    if stats is None:
        return
    ledger.near_examples = near_examples(
        index, spool, lowest_similarity(decisions.near, ranks, NEAR_EXAMPLES)
    )
    settings = NearDupSettings.from_settings(config.settings["near_dup"])
    n_bands, rows = settings.lsh_shape
    ledger.near_dup = {
        "enabled": True,
        "bands": n_bands,
        "rows": rows,
        "detection_probability": {
            f"{s:.1f}": round(detection_probability(s, n_bands, rows), 4) for s in S_CURVE
        },
        "compared": stats.compared,
        "too_short": stats.too_short,
        "candidate_pairs": stats.candidates,
        "pairs_at_or_above": stats.at_or_above,
        "removed": len(decisions.near),
        "clusters": len({d.representative for d in decisions.near}),
        "similarity_histogram": {
            "edges": [round(edge, 2) for edge in similarity_edges(settings.report_threshold).tolist()],
            "pairs": stats.histogram,
        },
    }


def near_examples(index: Index, spool: Spool, examples: list[NearDuplicate]) -> list[dict[str, Any]]:
    """Dropped near-duplicates beside their representatives, where the two texts differ."""
    texts = dict(
        spool.take(
            np.array([r for d in examples for r in (d.index, d.representative)], dtype=np.int64), "text"
        )
    )
    return [
        {
            "id": index.ids[d.index],
            "duplicate_of": index.ids[d.representative],
            "similarity": d.similarity,
            "segments": difference_excerpt(texts[d.representative], texts[d.index]),
        }
        for d in examples
    ]


def second_pass(
    config: BuildConfig,
    index: Index,
    ledger: Ledger,
    spool: Spool,
    splits: dict[int, str],
    ranks: np.ndarray,
    work: Path,
    engine: Engine,
    progress: Progress,
    setup: Setup,
) -> SplitBuckets:
    """Stage 5 and routing, on the engine: language tags (and the allow-list) and personal
    information (redacted if `pii.redact`); each kept record goes to its split's bucket for
    its id range. The order rows pass through here does not matter: buckets are sorted."""
    rows = np.array(sorted(splits), dtype=np.int64)
    bucket_count = max(1, -(-len(rows) // config.settings["publish"]["shard_rows"]))
    bucket_of = np.zeros(len(index.ids), dtype=np.int64)
    bucket_of[rows[np.argsort(ranks[rows])]] = np.arange(len(rows)) * bucket_count // max(len(rows), 1)
    buckets = SplitBuckets(work, record_schema(), bucket_count)
    pending: deque[list[int]] = deque()

    def tasks() -> Iterator[AnnotateTask]:
        for number, first in enumerate(spool.starts):
            batch_rows = [row for row in range(first, first + spool.size(number)) if row in splits]
            if batch_rows:
                pending.append(batch_rows)
                routes = [(splits[row], int(bucket_of[row])) for row in batch_rows]
                yield spool.names[number], [row - first for row in batch_rows], routes

    with progress.stage("detect languages", total=len(rows)) as advance:
        for result in engine.annotated(tasks(), setup):
            batch_rows = pending.popleft()
            advance(len(batch_rows))
            for row, (language, found, kinds, kept) in zip(batch_rows, result.outcomes, strict=True):
                if not kept:
                    allow = sorted(config.settings["langid"]["allow"])
                    detail = f"language {language!r} is not in langid.allow {allow}"
                    ledger.rejects.append(index.rejection(row, "language", detail))
                    continue
                split = splits[row]
                index.fate[row] = f"split:{split}"
                ledger.rows[split] += 1
                ledger.languages[split][language] += 1
                if found:
                    index.pii[row] = found
                    for item in found.split(";"):
                        kind, count = item.split("=")
                        ledger.pii[kind] += int(count)
                    ledger.pii_records.update(kinds)
            buckets.add(result.kept, result.routes)
            ledger.missing.update(result.missing)
            for split, profile in result.profiles.items():
                ledger.profiles[split].merge(profile)
    buckets.close()
    return buckets


def leakage(
    index: Index, crossing: list[tuple[int, int, float]], splits: dict[int, str], group_threshold: float
) -> list[dict[str, Any]]:
    """Similar pairs (at or above the report threshold) whose records ended in different splits."""
    found = []
    for a, b, similarity in crossing:
        if index.fate[a].startswith("split:") and index.fate[b].startswith("split:"):
            if similarity >= group_threshold:
                raise BuildError(
                    f"internal error: {index.ids[a]} and {index.ids[b]} ({similarity:.3f}) cross splits"
                )
            (first, s1), (second, s2) = sorted([(index.ids[a], splits[a]), (index.ids[b], splits[b])])
            found.append(
                {"id": first, "other": second, "split": s1, "other_split": s2, "similarity": similarity}
            )
    return sorted(found, key=lambda row: (row["id"], row["other"]))


def publish(
    config: BuildConfig,
    inventory: Inventory,
    known: dict[str, Any] | None,
    ledger: Ledger,
    index: Index,
    buckets: SplitBuckets,
    base: dict[str, Any] | None,
    strict: bool,
    report: bool,
    progress: Progress,
    notes: list[str],
) -> Release:
    counts = ledger.counts()
    if counts["read"] != counts["kept"] + counts["rejected"] + counts["duplicates"]:
        raise BuildError(f"internal error: records unaccounted for: {counts}")
    if strict and ledger.rejects:
        raise BuildError(f"--strict: {len(ledger.rejects)} record(s) rejected; nothing published")
    if not counts["kept"]:
        raise BuildError(f"no record survived the build ({counts}); nothing to publish")

    manifest = make_manifest(config, inventory, known, ledger, base)
    answers = datasheet.read_answers(config.datasheet)
    warnings = notes + base_warnings(config, base)
    if missing := datasheet.unanswered(manifest, answers):
        warnings.append(
            f"{config.datasheet.name}: {len(missing)} datasheet question(s) unanswered "
            "(listed at the end of the release's DATASHEET.md)"
        )
    shards = config.settings["publish"]
    changes: diff.Changes | None = None  # since the previous version: for the datasheet and the report

    def render_docs(m: dict[str, Any], files: list[dict[str, Any]], folder: Path) -> dict[str, str]:
        nonlocal changes
        changes = previous_changes(config, m, folder)
        return {
            "README.md": card.render(m),
            "DATASHEET.md": datasheet.render(m, answers, diff.summary(changes) if changes else []),
            "croissant.json": croissant.render(
                m, answers, [f for f in files if f["path"].startswith("data/")]
            ),
        }

    with progress.stage("publish", total=None):
        published: Published = publish_release(
            config.out_dir / config.name / config.version,
            manifest,
            lambda folder: {
                **write_splits(buckets, ledger.rows, folder, shards["shard_rows"], shards["row_group_rows"]),
                **write_audit(
                    ledger.rejects,
                    ledger.duplicates,
                    ledger.leakage,
                    ledger.near_examples,
                    lineage(config, index, ledger),
                    folder,
                ),
            },
            render_docs,
            (lambda folder: write_report(folder, changes)) if report else lambda folder: None,
        )
    rejects = sorted(ledger.rejects, key=lambda r: (r.raw_path, r.raw_line))
    return Release(published.path, published.manifest, published.unchanged, rejects, warnings)


def lineage(config: BuildConfig, index: Index, ledger: Ledger) -> pa.Table:
    """One row per record read: provenance, id, fate (`split:`, `rejected:`, `duplicate:`),
    the personal information found in a kept text and whether it was redacted."""
    redacted = config.settings["pii"]["redact"]
    rows = [
        (*prov, record_id, fate, index.pii.get(row), redacted and row in index.pii)
        for row, (prov, record_id, fate) in enumerate(
            zip(index.provenance, index.ids, index.fate, strict=True)
        )
    ]
    rows += [
        (*(getattr(r, k) for k in PROVENANCE), r.id, f"rejected:{r.reason}", None, False)
        for r in ledger.unspooled
    ]
    columns = zip(*rows, strict=True) if rows else [[] for _ in LINEAGE_SCHEMA.names]
    return pa.table(dict(zip(LINEAGE_SCHEMA.names, map(list, columns), strict=True)), schema=LINEAGE_SCHEMA)


def load_base(config: BuildConfig) -> dict[str, Any] | None:
    """The split of every record of the release named by `split.base`, from its lineage."""
    version = config.settings["split"].get("base")
    if not version:
        return None
    release = config.out_dir / config.name / version
    try:
        manifest = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
        rows = pq.read_table(release / "lineage.parquet", columns=["id", "fate"]).to_pylist()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"split.base = {version!r}: cannot read the release at {release} ({exc})") from None
    splits = {
        row["id"]: row["fate"].removeprefix("split:") for row in rows if row["fate"].startswith("split:")
    }
    return {"version": version, "fingerprint": manifest.get("fingerprint"), "splits": splits}


def base_warnings(config: BuildConfig, base: dict[str, Any] | None) -> list[str]:
    """Without a base, a growing corpus can move records between splits: say so."""
    previous = previous_version(config)
    if base is not None or previous is None:
        return []
    return [
        f"{config.name} {previous} is published in {config.out_dir / config.name}; set split.base = "
        f'"{previous}" in the config to keep its records in their splits'
    ]


def previous_version(config: BuildConfig) -> str | None:
    """The highest version below this one already published in the same output folder."""
    folder = config.out_dir / config.name
    current = version_key(config.version)
    older = [
        p.name
        for p in folder.glob("*")
        if (p / MANIFEST).is_file() and () < version_key(p.name) < current  # () is not a version
    ]
    return max(older, key=version_key, default=None)


def previous_changes(config: BuildConfig, manifest: dict[str, Any], folder: Path) -> diff.Changes | None:
    """What changed since the previous version in the output folder (None: no previous)."""
    previous = manifest["previous"]
    if previous is None:
        return None
    before = config.out_dir / config.name / previous["version"]
    return diff.compare(before, folder, (previous["version"], config.version))


def previous_release(config: BuildConfig) -> dict[str, str] | None:
    """The version the changelog compares with, and its fingerprint: an input like any other."""
    version = previous_version(config)
    if version is None:
        return None
    manifest = json.loads((config.out_dir / config.name / version / MANIFEST).read_text(encoding="utf-8"))
    return {"version": version, "fingerprint": manifest["fingerprint"]}


def version_key(version: str) -> tuple[int, ...]:
    core = version.split("-")[0].split(".")
    return tuple(int(part) for part in core) if all(p.isdigit() for p in core) else ()


def make_manifest(
    config: BuildConfig,
    inventory: Inventory,
    known: dict[str, Any] | None,
    ledger: Ledger,
    base: dict[str, Any] | None,
) -> dict[str, Any]:
    """Everything the release says about itself, without the file list and fingerprint."""
    return {
        "name": config.name,
        "version": config.version,
        "counts": ledger.counts(),
        "rejected_by_reason": dict(sorted(Counter(r.reason for r in ledger.rejects).items())),
        "duplicates_by_kind": dict(sorted(Counter(d.kind for d in ledger.duplicates).items())),
        "boilerplate_lines_removed": dict(sorted(ledger.boilerplate.items())),
        "encodings": dict(sorted(ledger.encodings.items())),
        "near_duplicates": ledger.near_dup or {"enabled": False},
        "groups": ledger.groups,
        "leakage": {
            "pairs": len(ledger.leakage),
            "max_similarity": max((row["similarity"] for row in ledger.leakage), default=None),
        },
        "split_base": {"version": base["version"], "fingerprint": base["fingerprint"]} if base else None,
        "previous": previous_release(config),
        "moved": [asdict(move) for move in ledger.moves],
        "splits": {split: ledger.rows[split] for split in SPLITS},
        "languages": {split: dict(sorted(ledger.languages[split].items())) for split in SPLITS},
        "missing_values": {f: ledger.missing[f] for f in METADATA_FIELDS},
        "profile": profile_summary(ledger.profiles),
        "pii": {
            "found": {kind: ledger.pii[kind] for kind in PII_KINDS},
            "records": {kind: ledger.pii_records[kind] for kind in PII_KINDS},
            "redacted": config.settings["pii"]["redact"],
        },
        "inputs": [
            {
                "path": f.rel,
                "sha256": file_sha256(f.path),
                "bytes": f.size,
                "records": ledger.records_per_file[f.rel],
            }
            for f in inventory.files
        ],
        "skipped": [{"path": s.rel, "reason": s.reason} for s in inventory.skipped],
        "sources": known,
        "config": config.recorded(),
        "versions": versions(),
        "command": config.rebuild_command(),
    }


def versions() -> dict[str, str]:
    found = {"python": f"{platform.python_implementation()} {sys.version.split()[0]}"}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
