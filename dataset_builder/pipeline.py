"""The build: run the stages in order and publish a release.

    ingest -> clean -> validate -> exact dedup -> language -> split -> publish
    (per file)  (per record, in workers)  (global)  (per record)  (global)

Per-record stages are pure functions run through `parallel.map_ordered`; the global
steps (the dedup index, the split assignment) are explicit here. Every record read ends
in exactly one place — a split, the rejects or the duplicates — and the build checks
`read == kept + rejected + duplicates` before it publishes anything.
"""

from __future__ import annotations

import contextlib
import platform
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from dataset_builder import card, datasheet
from dataset_builder.clean import Cleaner, clean_record
from dataset_builder.config import SPLITS, BuildConfig
from dataset_builder.dedup import content_key, exact_duplicates
from dataset_builder.errors import BuildError
from dataset_builder.ingest import Inventory, discover, file_sha256, read_file
from dataset_builder.langid import LanguageTag, LanguageTagger
from dataset_builder.parallel import batched, map_ordered
from dataset_builder.publish import Published, publish_release, write_audit, write_splits
from dataset_builder.records import Duplicate, Record, Rejection, locator, provenance
from dataset_builder.split import split_of
from dataset_builder.validate import article_validator, validate_record

BATCH_SIZE = 64
DEPENDENCIES = ("dataset_builder", "pyarrow", "datasets", "langdetect", "jsonschema", "xxhash")


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
class Ledger:
    """Where every record went, and what each stage removed."""

    read: int = 0
    kept: dict[str, list[Record]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    rejects: list[Rejection] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    boilerplate: Counter[str] = field(default_factory=Counter)
    records_per_file: Counter[str] = field(default_factory=Counter)

    def reject(self, rejection: Rejection) -> None:
        self.rejects.append(rejection)
        self.lineage.append(
            {**provenance(asdict(rejection)), "id": rejection.id, "fate": f"rejected:{rejection.reason}"}
        )

    def duplicate(self, record: Record, of: str) -> None:
        self.duplicates.append(
            Duplicate(id=record["id"], duplicate_of=of, kind="exact", **provenance(record))
        )
        self.lineage.append({**provenance(record), "id": record["id"], "fate": f"duplicate:{of}"})

    def keep(self, record: Record, split: str) -> None:
        self.kept[split].append(record)
        self.lineage.append({**provenance(record), "id": record["id"], "fate": f"split:{split}"})

    def counts(self) -> dict[str, int]:
        kept = sum(len(rows) for rows in self.kept.values())
        return {
            "read": self.read,
            "rejected": len(self.rejects),
            "duplicates": len(self.duplicates),
            "kept": kept,
        }


# Per-process stage settings, made once in each worker by `init_worker`.
_stages: dict[str, Any] = {}


def init_worker(settings: dict[str, Any], rules: tuple[Any, ...], with_tagger: bool) -> None:
    _stages["cleaner"] = Cleaner.from_settings(rules, settings["clean"])
    _stages["validator"] = article_validator()
    if with_tagger:
        langid = settings["langid"]
        _stages["tagger"] = LanguageTagger(langid["seed"], langid["min_chars"])


def clean_and_validate(batch: list[Record]) -> list[tuple[Record | Rejection, Counter[str], str | None]]:
    """Per record: cleaned and valid record (with its dedup key) or a rejection."""
    results = []
    for raw in batch:
        cleaned, removed = clean_record(raw, _stages["cleaner"])
        checked = validate_record(cleaned, _stages["validator"])
        key = content_key(checked["text"]) if isinstance(checked, dict) else None
        results.append((checked, removed, key))
    return results


def tag_languages(texts: list[str]) -> list[LanguageTag]:
    return [_stages["tagger"].tag(text) for text in texts]


def build(
    config: BuildConfig,
    *,
    workers: int = 1,
    progress: Progress | None = None,
    strict: bool = False,
) -> Release:
    """Build and publish one release. Raises BuildError (or ConfigError) with a message."""
    progress = progress or Silent()
    inventory = discover(config.raw_dir)
    ledger = Ledger()
    setup = (config.settings, config.rules)

    valid = read_clean_validate(config, inventory, ledger, workers, progress, setup)
    survivors = drop_exact_duplicates(valid, ledger)
    tag_and_split(config, survivors, ledger, workers, progress, setup)

    counts = ledger.counts()
    if counts["read"] != counts["kept"] + counts["rejected"] + counts["duplicates"]:
        raise BuildError(f"internal error: records unaccounted for: {counts}")
    if strict and ledger.rejects:
        raise BuildError(f"--strict: {len(ledger.rejects)} record(s) rejected; nothing published")
    if not counts["kept"]:
        raise BuildError(f"no record survived the build ({counts}); nothing to publish")

    manifest = make_manifest(config, inventory, ledger)
    answers = datasheet.read_answers(config.datasheet)
    warnings = (
        [
            f"{config.datasheet.name}: {len(missing)} datasheet question(s) unanswered "
            "(listed at the end of the release's DATASHEET.md)"
        ]
        if (missing := datasheet.unanswered(manifest, answers))
        else []
    )
    publish_settings = config.settings["publish"]
    with progress.stage("publish", total=None):
        published: Published = publish_release(
            config.out_dir / config.name / config.version,
            manifest,
            lambda folder: {
                **write_splits(
                    ledger.kept, folder, publish_settings["shard_rows"], publish_settings["row_group_rows"]
                ),
                **write_audit(ledger.rejects, ledger.duplicates, ledger.lineage, folder),
            },
            lambda m: {"README.md": card.render(m), "DATASHEET.md": datasheet.render(m, answers)},
        )
    rejects = sorted(ledger.rejects, key=lambda r: (r.raw_path, r.raw_line))
    return Release(published.path, published.manifest, published.unchanged, rejects, warnings)


def read_clean_validate(
    config: BuildConfig,
    inventory: Inventory,
    ledger: Ledger,
    workers: int,
    progress: Progress,
    setup: tuple[Any, ...],
) -> list[tuple[Record, str]]:
    """Stages 1-3. Returns valid records with their dedup keys; rejects go to the ledger."""
    valid: list[tuple[Record, str]] = []
    seen_ids: dict[str, str] = {}

    def raw_records(advance: Callable[[int], None]) -> Iterator[Record]:
        for file in inventory.files:
            for item in read_file(file, config.fields):
                ledger.read += 1
                ledger.records_per_file[file.rel] += 1
                if isinstance(item, Rejection):
                    ledger.reject(item)
                else:
                    yield item
            advance(file.size)

    with progress.stage("read, clean, validate", total=sum(f.size for f in inventory.files)) as advance:
        batches = map_ordered(
            clean_and_validate,
            batched(raw_records(advance), BATCH_SIZE),
            workers=workers,
            initializer=init_worker,
            initargs=(*setup, False),
        )
        for batch in batches:
            for item, removed, key in batch:
                ledger.boilerplate.update(removed)
                if isinstance(item, Rejection):
                    ledger.reject(item)
                elif item["id"] in seen_ids:
                    ledger.reject(
                        Rejection.of(
                            item,
                            "duplicate-id",
                            f"id {item['id']!r} is already used by {seen_ids[item['id']]}",
                        )
                    )
                else:
                    seen_ids[item["id"]] = locator(item)
                    valid.append((item, key))
    return valid


def drop_exact_duplicates(valid: list[tuple[Record, str]], ledger: Ledger) -> list[Record]:
    """Stage 4 (global): keep the smallest id of each group of identical texts."""
    duplicate_of = exact_duplicates((record["id"], key) for record, key in valid)
    survivors = []
    for record, _ in valid:
        if record["id"] in duplicate_of:
            ledger.duplicate(record, duplicate_of[record["id"]])
        else:
            survivors.append(record)
    return survivors


def tag_and_split(
    config: BuildConfig,
    records: list[Record],
    ledger: Ledger,
    workers: int,
    progress: Progress,
    setup: tuple[Any, ...],
) -> None:
    """Stages 5-6: language tags (and the allow-list), then the split of each record."""
    allow = set(config.settings["langid"]["allow"])
    ratios, salt = config.settings["split"]["ratios"], config.settings["split"]["salt"]
    with progress.stage("detect languages", total=len(records)) as advance:
        tags = map_ordered(
            tag_languages,
            batched((r["text"] for r in records), BATCH_SIZE),
            workers=workers,
            initializer=init_worker,
            initargs=(*setup, True),
        )
        tagged = (tag for batch in tags for tag in batch)
        for record, tag in zip(records, tagged, strict=True):
            advance(1)
            record = {**record, "language": tag.language, "language_score": tag.score}
            if allow and tag.language not in allow:
                ledger.reject(
                    Rejection.of(
                        record,
                        "language",
                        f"language {tag.language!r} is not in langid.allow {sorted(allow)}",
                    )
                )
                continue
            ledger.keep(record, split_of(record["id"], ratios, salt))


def make_manifest(config: BuildConfig, inventory: Inventory, ledger: Ledger) -> dict[str, Any]:
    """Everything the release says about itself, without the file list and fingerprint."""
    kept = [record for split in SPLITS for record in ledger.kept[split]]
    return {
        "name": config.name,
        "version": config.version,
        "counts": ledger.counts(),
        "rejected_by_reason": dict(sorted(Counter(r.reason for r in ledger.rejects).items())),
        "duplicates_by_kind": dict(sorted(Counter(d.kind for d in ledger.duplicates).items())),
        "boilerplate_lines_removed": dict(sorted(ledger.boilerplate.items())),
        "splits": {split: len(ledger.kept[split]) for split in SPLITS},
        "languages": {
            split: dict(sorted(Counter(r["language"] for r in ledger.kept[split]).items()))
            for split in SPLITS
        },
        "missing_values": missing_values(kept),
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
        "config": config.recorded(),
        "versions": versions(),
        "command": config.rebuild_command(),
    }


def missing_values(records: list[Record]) -> dict[str, int]:
    """How many kept records have no value (None or empty list) for each metadata field."""
    fields = ("title", "url", "source", "published", "authors", "keywords")
    return {f: sum(1 for r in records if r.get(f) in (None, [])) for f in fields}


def versions() -> dict[str, str]:
    found = {"python": f"{platform.python_implementation()} {sys.version.split()[0]}"}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
