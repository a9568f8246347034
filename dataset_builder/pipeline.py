"""The build: run the stages in order and publish a release.

    pass 1   ingest -> clean -> validate -> dedup keys, MinHash band keys     (per record, engine)
    global   duplicate ids, exact dedup, near dedup, split groups,            (arrays, engine)
             publisher names
    pass 2   language -> allow-list -> PII -> publisher names -> split buckets (per record, engine)
    publish  buckets sorted by id -> Parquet shards, audit, card, datasheet, report

Records stream: the first pass spools every valid record to disk and keeps only what the
global steps need per record (id, content key, band keys, provenance); the second pass
reads the spool back. Per-record stages are the pure functions of `engines.passes`, run by
an engine (local processes or Ray) that returns results in input order, so the result is
the same for any engine and number of workers. `Build` is one build in progress: what each
step reads and writes; `ledger` keeps the books, and `records.balanced` checks them before
anything is published.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dataset_builder import ledger as books
from dataset_builder.cache import Store
from dataset_builder.config import SPLITS, BuildConfig, IngestSettings
from dataset_builder.decide.dedup import NearDupSettings, id_ranks
from dataset_builder.decide.steps import NOT_KEPT, Corpus, Decisions
from dataset_builder.engines.base import Engine, open_engine
from dataset_builder.engines.cached import BuildCache, pass1_context, pass2_context
from dataset_builder.engines.passes import AnnotateTask, WorkerSetup
from dataset_builder.errors import BuildError
from dataset_builder.hashing import sha256_file
from dataset_builder.index import Index
from dataset_builder.ledger import Ledger
from dataset_builder.processes import raise_if_stopped
from dataset_builder.records import Rejection, balanced, record_schema
from dataset_builder.release import card, croissant, datasheet, diff, quality, reuse, verify
from dataset_builder.release.history import Base, PublishedVersion, load_base, previous_version
from dataset_builder.release.manifest import changed_inputs, make_manifest
from dataset_builder.release.publish import (
    Published,
    publish_release,
    read_jsonl,
    read_manifest,
    release_lock,
    write_audit,
    write_splits,
)
from dataset_builder.release.reuse import Known
from dataset_builder.report.page import write as write_report
from dataset_builder.spool import SplitBuckets, Spool
from dataset_builder.stages.decontaminate import EvalIndex, build_indexes
from dataset_builder.stages.ingest import Inventory, discover
from dataset_builder.stages.sources import NAME as SOURCES
from dataset_builder.stages.sources import load_sources


class Progress(Protocol):
    """Where long stages report progress; the CLI draws bars, the API default is silent."""

    def stage(self, description: str, total: int | None) -> AbstractContextManager[Callable[[int], None]]: ...


class Silent:
    @contextlib.contextmanager
    def stage(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        yield lambda advance: None


@dataclass(frozen=True)
class CacheUse:
    """What the build cache did in one build (the summary says it; the release does not)."""

    folder: Path
    files_reused: int  # input files not read: every part's result came from the cache
    files_read: int  # new or changed files (or settings), read and cached
    records_recalled: int  # pass 2: records whose language, signals and findings came from the cache
    entries: int  # in the cache after the build (and its eviction)
    bytes: int
    not_built: bool = False  # nothing changed since the build that published this version
    copied_from: Path | None = None  # not built: copied from where an earlier build published it


@dataclass(frozen=True)
class Release:
    """A published (or already published, `unchanged`) release, as `build` returns it."""

    path: Path
    manifest: dict[str, Any]
    unchanged: bool
    rejects: list[Rejection]
    warnings: list[str]
    cache: CacheUse | None = None  # None: built without the cache


@dataclass
class Build:
    """One build in progress: its inputs, where it works, who runs the passes, and the books."""

    config: BuildConfig
    inventory: Inventory
    sources: dict[str, Any] | None  # raw/sources.toml as the manifest records it
    base: Base | None  # the release `split.base` names
    previous: PublishedVersion | None  # the version the changelog compares with
    work: Path  # the spool and split buckets, removed after the build
    engine: Engine
    progress: Progress
    evalsets: list[EvalIndex] = field(default_factory=list)  # `[[decontaminate]]` indexes
    read: IngestSettings | None = None  # how pass 1 reads files (raw/sources.toml included)
    cache: BuildCache | None = None  # the build cache, for pass 1
    spool: Spool = field(init=False)
    index: Index = field(default_factory=Index)
    ledger: Ledger = field(default_factory=Ledger)

    def __post_init__(self) -> None:
        self.spool = Spool(self.work / "spool")
        self.spool.folder.mkdir()

    def stage(self, description: str, total: int | None) -> AbstractContextManager[Callable[[int], None]]:
        """A stage of the build, begun only if no stop signal arrived."""
        raise_if_stopped()
        return self.progress.stage(description, total)

    @property
    def setup(self) -> WorkerSetup:
        cache = self.cache.store.folder if self.cache else None
        return WorkerSetup(self.config.settings, self.spool.folder, tuple(self.evalsets), self.read, cache)


def build(
    config: BuildConfig,
    *,
    workers: int = 1,
    progress: Progress | None = None,
    strict: bool = False,
    report: bool = True,
    engine: str = "local",
    ray_address: str | None = None,
    cache: bool = True,
) -> Release:
    """Build and publish one release, with report.html unless `report` is false, running the
    per-record passes on `engine` ("local" or "ray"; the release is the same) and, unless
    `cache` is false or `cache.enabled` is, reusing pass 1's results for unchanged files
    (the release is the same). Raises BuildError (or ConfigError) with a message; a write
    that fails (a full disk) is one too, and leaves nothing behind but what was already
    published."""
    try:
        return build_release(config, workers, progress, strict, report, engine, ray_address, cache)
    except OSError as exc:
        raise BuildError(write_failure(exc, config.releases)) from exc


def write_failure(exc: OSError, releases: Path) -> str:
    """What a failed write says: the file, the system's reason, and for a full disk what
    to free (the spool of every record lives beside the releases)."""
    reason = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.filename else ""
    message = f"cannot write{where}: {reason}; nothing was published"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left" in str(exc):
        message += f". The disk is full: free space where {releases} is (the build spools records there)"
    return message


def build_release(
    config: BuildConfig,
    workers: int,
    progress: Progress | None,
    strict: bool,
    report: bool,
    engine: str,
    ray_address: str | None,
    use_cache: bool,
) -> Release:
    ingest = config.settings.ingest
    inventory = discover(config.raw_dir, ingest.include, ingest.exclude)
    entries, sources_sha = load_sources(config.raw_dir)
    sources = {"path": SOURCES, "sha256": sources_sha, "entries": entries} if sources_sha else None
    read = replace(ingest, sources=tuple(entries if sources_sha else ()))
    base = load_base(config.releases, config.settings.split.base)
    previous = previous_version(config.releases, config.version)
    evalsets, indexes = build_indexes(config.settings.decontaminate)
    summaries = books.evalset_summaries(evalsets, indexes, config.merged)
    use_cache = use_cache and config.settings.cache.enabled
    pass1 = open_cache(config, read, summaries) if use_cache else None
    with release_lock(config.releases, config.version) as notes:
        key = None
        if pass1:
            neighbours = [(v.version, v.fingerprint) for v in (base, previous) if v is not None]
            answers = sha256_file(config.datasheet) if config.datasheet.is_file() else None
            key = pass1.release_key(
                inventory.files,
                [(skipped.rel, skipped.reason) for skipped in inventory.skipped],  # listed in the manifest
                config.recorded(),
                config.rebuild_command(),
                config.name,
                config.version,
                answers,
                neighbours,
                sources_sha,
                strict,
            )
            if done := already_published(config, pass1, key, report, notes):
                return done
        with open_engine(engine, workers, ray_address, pass1) as runner:
            work = Path(tempfile.mkdtemp(prefix=f".{config.version}.work-", dir=config.releases))
            try:
                run = Build(
                    config,
                    inventory,
                    sources,
                    base,
                    previous,
                    work,
                    runner,
                    progress or Silent(),
                    indexes,
                    read,
                    pass1,
                )
                run.ledger.evalsets = summaries
                buckets = run_passes(run)
                release = publish(run, buckets, strict=strict, report=report, notes=notes)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    if pass1 and key:  # what this build published, where, and what it had to say of it
        said = tuple(warning for warning in release.warnings if warning not in notes)
        pass1.store.put(key, Known(release.manifest["fingerprint"], said, ()).seen_at(release.path))
    return replace(release, cache=cache_use(pass1, config)) if pass1 else release


def already_published(
    config: BuildConfig, pass1: BuildCache, key: str, report: bool, notes: list[str]
) -> Release | None:
    """The release an earlier build with this very key (the same inputs, config, code,
    datasheet answers and neighbouring versions) published, when it is still intact (every
    file's hash checked): in the version's folder, or copied there from another folder the
    cache remembers (`release.reuse`); else None, and the build runs. What `make` or DVC do
    for a target whose inputs did not change."""
    target = config.releases / config.version
    known: Known | None = pass1.store.recall(key, pass1.warnings)
    if known is None:
        return None
    source = None
    if target.exists():
        if not reuse.intact(target, known.fingerprint, report):
            return None
    elif source := reuse.copied(known, target, report):
        pass1.store.put(key, known.seen_at(target))
    else:
        return None
    manifest = read_manifest(target)
    rejects = [Rejection(**row) for row in read_jsonl(target / "audit" / "rejects.jsonl")]
    pass1.files_reused = len(manifest["inputs"])
    used = replace(cache_use(pass1, config), not_built=True, copied_from=source)
    said = notes + list(known.warnings) + pass1.warnings
    return Release(target, manifest, source is None, rejects, said, used)


def open_cache(config: BuildConfig, read: IngestSettings, evalsets: list[dict[str, Any]]) -> BuildCache:
    """The build cache at `cache.folder` (default OUT/NAME/.cache), keyed for this build."""
    folder = config.settings.cache.folder or config.releases / ".cache"
    settings = config.settings
    return BuildCache(Store(folder), pass1_context(settings, read, evalsets), pass2_context(settings))


def cache_use(pass1: BuildCache, config: BuildConfig) -> CacheUse:
    """Bound the cache to `cache.max_bytes` (least recently used entries go) and say what
    it did."""
    pass1.store.evict(config.settings.cache.max_bytes)
    info = pass1.store.info()
    return CacheUse(
        info.folder, pass1.files_reused, pass1.files_read, pass1.records_recalled, info.entries, info.bytes
    )


def run_passes(run: Build) -> SplitBuckets:
    """The two passes and the global steps between them; returns the filled split buckets."""
    first_pass(run)
    if run.config.settings.boilerplate.learn:
        with run.stage("learned boilerplate", total=None):
            run.ledger.learned = run.engine.stripped(run.spool, run.ledger.lines, run.config.settings)
    alive = books.reject_duplicate_ids(run.index, run.ledger)
    ranks = id_ranks(run.index.ids)
    base_splits = run.base.splits if run.base else None
    corpus = Corpus(
        run.index.ids,
        ranks,
        alive,
        run.spool,
        run.config.settings,
        base_splits,
        frozenset(run.ledger.to_test),
    )
    with run.stage("dedup, split groups", total=None):
        decisions = run.engine.decided(corpus)
    near = NearDupSettings.from_settings(run.config.settings.near_dup)
    books.apply_decisions(run.index, run.ledger, run.spool, decisions, ranks, near)
    buckets = second_pass(run, decisions, ranks)
    settings = run.config.settings
    run.ledger.quality_summary = quality.summary(
        run.ledger.quality, settings.quality, run.spool, run.index.ids, settings.pii
    )
    run.ledger.leakage = books.leakage(run.index, decisions.crossing, decisions.splits, near.group_threshold)
    return buckets


def first_pass(run: Build) -> None:
    """Stages 1-3 and the dedup keys; valid records go to the spool, rejects to the ledger."""
    files = run.inventory.files
    read = run.read or run.config.settings.ingest
    with run.stage("read, clean, validate", total=sum(f.size for f in files)) as advance:
        for prepared in run.engine.prepared(files, read, run.setup, advance):
            books.account(prepared, run.spool, run.index, run.ledger)


def second_pass(run: Build, decisions: Decisions, ranks: np.ndarray) -> SplitBuckets:
    """Stage 5 and routing, on the engine: language tags (and the allow-list), personal
    information (redacted if `pii.redact`) and publishers named once; each kept record goes
    to its split's bucket for its id range. The order rows pass through here does not
    matter: buckets are sorted."""
    splits = decisions.splits
    rows = np.flatnonzero(splits != NOT_KEPT)
    bucket_count = max(1, -(-len(rows) // run.config.settings.publish.shard_rows))
    bucket_of = np.zeros(len(run.index.ids), dtype=np.int64)
    bucket_of[rows[np.argsort(ranks[rows])]] = np.arange(len(rows)) * bucket_count // max(len(rows), 1)
    buckets = SplitBuckets(run.work, record_schema(run.config.settings.ingest.columns), bucket_count)
    pending: deque[list[int]] = deque()

    def tasks() -> Iterator[AnnotateTask]:
        for number, first in enumerate(run.spool.starts):
            batch_rows = (
                np.flatnonzero(splits[first : first + run.spool.size(number)] != NOT_KEPT) + first
            ).tolist()
            if batch_rows:
                pending.append(batch_rows)
                routes = [(SPLITS[splits[row]], int(bucket_of[row])) for row in batch_rows]
                yield run.spool.names[number], [row - first for row in batch_rows], routes

    allow = run.config.settings.langid.allow
    memo = run.cache.memo() if run.cache else None
    remembered: list[tuple[bytes, bytes]] = []
    recalled = 0
    with run.stage("detect languages", total=len(rows)) as advance:
        batches = run.cache.batch_context(run.config.settings) if run.cache else None
        setup = replace(run.setup, memo=memo, publishers=decisions.publishers, batch_context=batches)
        for result in run.engine.annotated(tasks(), setup, buckets):
            batch_rows = pending.popleft()
            advance(len(batch_rows))
            books.account_annotated(result, batch_rows, splits, run.index, run.ledger, allow)
            buckets.expect(result.routes)  # checked against what the buckets hold when published
            remembered += result.memo
            recalled += result.recalled
    buckets.close()
    if run.cache:
        run.cache.records_recalled = recalled
        run.cache.keep_memo(remembered)
    return buckets


def publish(run: Build, buckets: SplitBuckets, *, strict: bool, report: bool, notes: list[str]) -> Release:
    """Check the books, then write the release (see `release.publish`)."""
    config, ledger = run.config, run.ledger
    counts = ledger.counts()
    if not balanced(counts):
        raise BuildError(f"internal error: records unaccounted for: {counts}")
    manifest = make_manifest(config, run.inventory, run.sources, ledger, run.base, run.previous)
    mistakes = key_warnings(config.settings.ingest, manifest["input_keys"])
    if strict and mistakes:
        raise BuildError("--strict: " + "; ".join(mistakes) + "; nothing published")
    if strict and ledger.rejects:
        raise BuildError(f"--strict: {len(ledger.rejects)} record(s) rejected; nothing published")
    if not counts["kept"]:
        raise BuildError(nothing_survived(run, mistakes))
    failed = failure_folder(config)
    if failed.exists():  # what an earlier failed build of this version left for the user
        shutil.rmtree(failed)
        notes.append(f"removed {failed}, the audit of an earlier failed build of this version")
    answers = datasheet.read_answers(config.datasheet)
    cached = (run.cache.warnings if run.cache else []) + ledger.cache_warnings
    warnings = notes + mistakes + base_warnings(run) + changed_inputs(run.inventory, manifest) + cached
    if missing := datasheet.unanswered(manifest, answers):
        warnings.append(
            f"{config.datasheet.name}: {len(missing)} datasheet question(s) unanswered "
            "(listed at the end of the release's DATASHEET.md)"
        )
    with run.stage("publish", total=None):
        content = ReleaseFiles(run, buckets, answers, report)
        published: Published = publish_release(config.releases / config.version, manifest, content)
    rejects = sorted(ledger.rejects, key=lambda r: (r.raw_path, r.raw_line))
    return Release(published.path, published.manifest, published.unchanged, rejects, warnings)


@dataclass
class ReleaseFiles:
    """The files of one build's release, for `publish_release`. The changes since the
    previous version are computed once, from the written data, for the datasheet's
    changelog and the report."""

    run: Build
    buckets: SplitBuckets
    answers: datasheet.Answers
    report: bool
    changes: diff.Changes | None = None

    def write_content(self, folder: Path) -> dict[str, int]:
        ledger, publish = self.run.ledger, self.run.config.settings.publish
        redacted = self.run.config.settings.pii.redact
        rows = {
            **write_splits(self.buckets, ledger.rows, folder, publish.shard_rows, publish.row_group_rows),
            **write_audit(
                ledger.rejects,
                ledger.duplicates,
                ledger.leakage,
                ledger.near_examples,
                books.lineage(self.run.index, ledger, redacted),
                folder,
                ledger.contamination if self.run.config.settings.decontaminate else None,
            ),
        }
        previous = self.run.previous
        if previous is not None:
            self.changes = diff.compare(previous.path, folder, (previous.version, self.run.config.version))
        return rows

    def render_docs(
        self, manifest: dict[str, Any], files: list[dict[str, Any]], folder: Path
    ) -> dict[str, str]:
        changelog = diff.summary(self.changes) if self.changes else []
        return {
            "README.md": card.render(manifest),
            "DATASHEET.md": datasheet.render(manifest, self.answers, changelog),
            "croissant.json": croissant.render(
                manifest, self.answers, [f for f in files if f["path"].startswith("data/")]
            ),
        }

    def render_views(self, folder: Path) -> None:
        if self.report:
            write_report(folder, self.changes)


def key_warnings(ingest: IngestSettings, input_keys: dict[str, Any]) -> list[str]:
    """A key that dataset.toml maps (a field or a declared column) and that no input object
    has: most likely a typo, so name it beside the keys that were seen."""
    missing = set(input_keys["not_found"])
    mapped = [(f"ingest.fields.{f}", ingest.fields[f]) for f in ingest.user_fields if f in ingest.fields]
    mapped += [(f"ingest.columns.{c.name}", c.key) for c in ingest.columns]
    seen = ", ".join(sorted([*input_keys["kept"], *input_keys["dropped"]])) or "none"
    return [
        f"{setting} = {key!r}: no input object has the key {key!r} (keys seen: {seen})"
        for setting, key in mapped
        if key in missing
    ]


def failure_folder(config: BuildConfig) -> Path:
    """Where a build that publishes nothing leaves its audit: OUT/NAME/VERSION.failed."""
    return config.releases / f"{config.version}.failed"


def nothing_survived(run: Build, mistakes: list[str], reasons: int = 3, examples: int = 2) -> str:
    """The error of a build where every record was rejected or a duplicate: the top reasons
    with examples, the key mistakes, and where the rejects and lineage were written."""
    ledger, folder = run.ledger, failure_folder(run.config)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    lineage = books.lineage(run.index, ledger, run.config.settings.pii.redact)
    write_audit(ledger.rejects, ledger.duplicates, ledger.leakage, [], lineage, folder)
    counts = ledger.counts()
    lines = [
        f"no record survived the build (read {counts['read']}: rejected {counts['rejected']}, "
        f"duplicates {counts['duplicates']}); nothing published"
    ]
    by_reason: dict[str, list[Rejection]] = {}
    for rejection in sorted(ledger.rejects, key=lambda r: (r.raw_path, r.raw_line)):
        by_reason.setdefault(rejection.reason, []).append(rejection)
    for reason, found in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0]))[:reasons]:
        lines.append(f"  {len(found)} rejected ({reason}), e.g.:")
        lines += [f"    {r.locator}: {r.detail}" for r in found[:examples]]
    lines += [f"  {mistake}" for mistake in mistakes]
    lines.append(
        f"every reject is in {folder / 'audit' / 'rejects.jsonl'}, every record's fate in "
        f"{folder / 'lineage.parquet'}"
    )
    return "\n".join(lines)


def base_warnings(run: Build) -> list[str]:
    """Without a base, a growing corpus can move records between splits: say so."""
    if run.base is not None or run.previous is None:
        return []
    config = run.config
    return [
        f"{config.name} {run.previous.version} is published in {config.releases}; set split.base = "
        f'"{run.previous.version}" in the config to keep its records in their splits'
    ]


def rebuild_release(
    release: Path, raw_dir: Path, datasheet_path: Path | None = None, workers: int = 1
) -> verify.Report:
    """Build `release` again, from `raw_dir` and its recorded config, into a temporary
    folder, and compare the two file by file (`verify --rebuild`).

    The versions published beside it are inputs too (the changelog compares with the
    previous one, `split.base` keeps another's splits): the temporary folder links to each,
    by absolute path, so the rebuild sees what the build saw from any working directory.
    The maintainers' DATASHEET.md defaults to the one beside `raw_dir`."""
    release, raw_dir = release.resolve(), raw_dir.resolve()
    datasheet_path = (datasheet_path or raw_dir.parent / "DATASHEET.md").resolve()
    report = verify.check_files(release)
    manifest = read_manifest(release)
    report.warnings += [f"input {line}" for line in verify.input_drift(manifest, raw_dir)]
    with tempfile.TemporaryDirectory(prefix="dataset-builder-verify-") as tmp:
        out = Path(tmp)
        (out / manifest["name"]).mkdir()
        for sibling in sorted(release.parent.iterdir()):
            if sibling.is_dir() and not sibling.name.startswith(".") and sibling.name != release.name:
                (out / manifest["name"] / sibling.name).symlink_to(sibling)
        config = verify.rebuild_config(manifest, raw_dir, datasheet_path, out)
        rebuilt = build(config, workers=workers, report=False, cache=False)  # from the raw files alone
        verify.compare_rebuild(manifest, rebuilt.manifest, report)
    return report
