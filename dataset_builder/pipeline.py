"""The build: run the stages in order and publish a release.

    ingest -> clean -> validate -> exact dedup -> near dedup -> language -> split -> publish
    (per file)  (per record, in workers)   (global)      (global)   (per record)  (global)

Per-record stages are pure functions run through `parallel.map_ordered`; the global
steps (the dedup indexes, the split groups) are explicit here. Every record read ends in
exactly one place — a split, the rejects or the duplicates — and the build checks
`read == kept + rejected + duplicates` before it publishes anything.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import platform
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow.parquet as pq

from dataset_builder import card, datasheet
from dataset_builder.clean import Cleaner, clean_record
from dataset_builder.config import SPLITS, BuildConfig
from dataset_builder.dedup import (
    NearDupSettings,
    ShingleSets,
    SimilarPairs,
    content_key,
    exact_duplicates,
    near_duplicates,
    similar_pairs,
)
from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.graph import connected_components
from dataset_builder.ingest import Inventory, discover, file_sha256, read_file
from dataset_builder.langid import LanguageTag, LanguageTagger
from dataset_builder.minhash import TokenHasher, detection_probability, signatures
from dataset_builder.parallel import batched, map_ordered
from dataset_builder.publish import MANIFEST, Published, publish_release, write_audit, write_splits
from dataset_builder.records import Duplicate, Record, Rejection, locator, provenance
from dataset_builder.split import Move, assign_splits
from dataset_builder.validate import article_validator, validate_record

BATCH_SIZE = 64
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


@dataclass(frozen=True)
class Candidate:
    """A valid record on its way to a split, with what dedup needs to know about it."""

    record: Record
    key: str  # exact-dedup content key
    signature: np.ndarray | None  # MinHash, None when near-dup is off or the text has no words


@dataclass
class Ledger:
    """Where every record went, and what each stage removed or decided."""

    read: int = 0
    kept: dict[str, list[Record]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    rejects: list[Rejection] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    boilerplate: Counter[str] = field(default_factory=Counter)
    records_per_file: Counter[str] = field(default_factory=Counter)
    near_dup: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    leakage: list[dict[str, Any]] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)

    def reject(self, rejection: Rejection) -> None:
        self.rejects.append(rejection)
        self.lineage.append(
            {**provenance(asdict(rejection)), "id": rejection.id, "fate": f"rejected:{rejection.reason}"}
        )

    def duplicate(self, record: Record, of: str, kind: str, similarity: float) -> None:
        self.duplicates.append(
            Duplicate(
                id=record["id"], duplicate_of=of, kind=kind, similarity=similarity, **provenance(record)
            )
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
    near = settings["near_dup"]
    _stages["minhash"] = NearDupSettings.from_settings(near).minhash if near["enabled"] else None
    _stages["hasher"] = TokenHasher()
    if with_tagger:
        langid = settings["langid"]
        _stages["tagger"] = LanguageTagger(langid["seed"], langid["min_chars"])


def clean_and_validate(
    batch: list[Record],
) -> list[tuple[Record | Rejection, Counter[str], Candidate | None]]:
    """Per record: the boilerplate it lost and either a rejection or a dedup candidate."""
    checked = []
    for raw in batch:
        cleaned, removed = clean_record(raw, _stages["cleaner"])
        checked.append((validate_record(cleaned, _stages["validator"]), removed))
    valid = [item for item, _ in checked if isinstance(item, dict)]
    minhash = _stages["minhash"]
    sigs = iter(
        signatures([r["text"] for r in valid], minhash, _stages["hasher"]) if minhash else [None] * len(valid)
    )
    return [
        (
            item,
            removed,
            Candidate(item, content_key(item["text"]), next(sigs)) if isinstance(item, dict) else None,
        )
        for item, removed in checked
    ]


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
    base = load_base(config)
    ledger = Ledger()
    setup = (config.settings, config.rules)

    valid = read_clean_validate(config, inventory, ledger, workers, progress, setup)
    candidates = drop_exact_duplicates(valid, ledger)
    survivors, pairs = drop_near_duplicates(config, candidates, ledger, progress)
    tagged = detect_languages(config, survivors, ledger, workers, progress, setup)
    split_records(config, candidates, pairs, tagged, base, ledger)

    counts = ledger.counts()
    if counts["read"] != counts["kept"] + counts["rejected"] + counts["duplicates"]:
        raise BuildError(f"internal error: records unaccounted for: {counts}")
    if strict and ledger.rejects:
        raise BuildError(f"--strict: {len(ledger.rejects)} record(s) rejected; nothing published")
    if not counts["kept"]:
        raise BuildError(f"no record survived the build ({counts}); nothing to publish")

    manifest = make_manifest(config, inventory, ledger, base)
    answers = datasheet.read_answers(config.datasheet)
    warnings = base_warnings(config, base)
    if missing := datasheet.unanswered(manifest, answers):
        warnings.append(
            f"{config.datasheet.name}: {len(missing)} datasheet question(s) unanswered "
            "(listed at the end of the release's DATASHEET.md)"
        )
    publish = config.settings["publish"]
    with progress.stage("publish", total=None):
        published: Published = publish_release(
            config.out_dir / config.name / config.version,
            manifest,
            lambda folder: {
                **write_splits(ledger.kept, folder, publish["shard_rows"], publish["row_group_rows"]),
                **write_audit(ledger.rejects, ledger.duplicates, ledger.leakage, ledger.lineage, folder),
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
) -> list[Candidate]:
    """Stages 1-3, and each valid record's dedup key and signature; rejects go to the ledger."""
    valid: list[Candidate] = []
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
            for item, removed, candidate in batch:
                ledger.boilerplate.update(removed)
                if candidate is None:
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
                    valid.append(candidate)
    return valid


def drop_exact_duplicates(valid: list[Candidate], ledger: Ledger) -> list[Candidate]:
    """Stage 4a (global): keep the smallest id of each group of identical texts."""
    duplicate_of = exact_duplicates((c.record["id"], c.key) for c in valid)
    survivors = []
    for candidate in valid:
        record = candidate.record
        if record["id"] in duplicate_of:
            ledger.duplicate(record, duplicate_of[record["id"]], "exact", 1.0)
        else:
            survivors.append(candidate)
    return survivors


def drop_near_duplicates(
    config: BuildConfig, candidates: list[Candidate], ledger: Ledger, progress: Progress
) -> tuple[list[Record], SimilarPairs | None]:
    """Stage 4b (global): MinHash/LSH candidates, confirmed by exact Jaccard, clustered.

    Returns the remaining records and the confirmed similar pairs (indices into
    `candidates`), which the split stage needs to keep similar records together."""
    records = [c.record for c in candidates]
    near = config.settings["near_dup"]
    if not near["enabled"]:
        ledger.near_dup = {"enabled": False}
        return records, None
    settings = NearDupSettings.from_settings(near)
    with progress.stage("near-duplicates", total=None):
        shingles = ShingleSets([r["text"] for r in records], settings.minhash.shingle_words)
        pairs = similar_pairs([c.signature for c in candidates], shingles, settings)
        dropped = near_duplicates([r["id"] for r in records], pairs, shingles, settings.threshold)
    removed = set()
    for duplicate in dropped:
        removed.add(duplicate.index)
        ledger.duplicate(
            records[duplicate.index], records[duplicate.representative]["id"], "near", duplicate.similarity
        )
    bands, rows = settings.lsh_shape
    ledger.near_dup = {
        "enabled": True,
        "bands": bands,
        "rows": rows,
        "detection_probability": {
            f"{s:.1f}": round(detection_probability(s, bands, rows), 4) for s in S_CURVE
        },
        "compared": pairs.compared,
        "too_short": len(records) - pairs.compared,
        "candidate_pairs": pairs.candidates,
        "pairs_at_or_above": {
            "report_threshold": len(pairs.pairs),
            "group_threshold": int((pairs.similarity >= settings.group_threshold).sum()),
            "threshold": int((pairs.similarity >= settings.threshold).sum()),
        },
        "removed": len(dropped),
        "clusters": len({d.representative for d in dropped}),
    }
    return [r for i, r in enumerate(records) if i not in removed], pairs


def detect_languages(
    config: BuildConfig,
    records: list[Record],
    ledger: Ledger,
    workers: int,
    progress: Progress,
    setup: tuple[Any, ...],
) -> list[Record]:
    """Stage 5: language tags; records outside `langid.allow` are rejected."""
    allow = set(config.settings["langid"]["allow"])
    tagged = []
    with progress.stage("detect languages", total=len(records)) as advance:
        tags = map_ordered(
            tag_languages,
            batched((r["text"] for r in records), BATCH_SIZE),
            workers=workers,
            initializer=init_worker,
            initargs=(*setup, True),
        )
        for record, tag in zip(records, (tag for batch in tags for tag in batch), strict=True):
            advance(1)
            record = {**record, "language": tag.language, "language_score": tag.score}
            if allow and tag.language not in allow:
                detail = f"language {tag.language!r} is not in langid.allow {sorted(allow)}"
                ledger.reject(Rejection.of(record, "language", detail))
            else:
                tagged.append(record)
    return tagged


def split_records(
    config: BuildConfig,
    candidates: list[Candidate],
    pairs: SimilarPairs | None,
    kept: list[Record],
    base: dict[str, Any] | None,
    ledger: Ledger,
) -> None:
    """Stage 6 (global): group similar records and records sharing a `group_by` value,
    give each group one split, then report similar pairs that still cross splits."""
    split = config.settings["split"]
    group_threshold = config.settings["near_dup"]["group_threshold"]
    records = [c.record for c in candidates]
    links = [pairs.at_least(group_threshold)] if pairs is not None else []
    for name in split["group_by"]:
        links.append(shared_value_links(records, name))
    labels = connected_components(
        len(records), np.concatenate(links) if links else np.zeros((0, 2), np.int64)
    )

    index = {r["id"]: i for i, r in enumerate(records)}
    groups = [int(labels[index[r["id"]]]) for r in kept]
    base_splits = base["splits"] if base else None
    assigned, ledger.moves = assign_splits(
        [r["id"] for r in kept], groups, split["ratios"], split["salt"], base_splits
    )
    split_of = {}
    for record, name in zip(kept, assigned, strict=True):
        ledger.keep(record, name)
        split_of[record["id"]] = name
    sizes = Counter(groups)
    ledger.groups = {
        "groups_of_several": sum(1 for n in sizes.values() if n > 1),
        "records_in_them": sum(n for n in sizes.values() if n > 1),
        "largest": max(sizes.values(), default=0),
    }
    if pairs is not None:
        ledger.leakage = leakage(records, pairs, split_of, group_threshold)


def shared_value_links(records: list[Record], name: str) -> np.ndarray:
    """Edges chaining the records that share a non-empty value of field `name`."""
    by_value: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        if record.get(name):
            by_value.setdefault(record[name], []).append(i)
    edges = [(a, b) for members in by_value.values() for a, b in itertools.pairwise(members)]
    return np.array(edges, dtype=np.int64).reshape(-1, 2)


def leakage(
    records: list[Record], pairs: SimilarPairs, split_of: dict[str, str], group_threshold: float
) -> list[dict[str, Any]]:
    """Similar pairs (at or above the report threshold) whose records ended in different splits."""
    crossing = []
    for (a, b), similarity in zip(pairs.pairs, pairs.similarity, strict=True):
        id_a, id_b = records[a]["id"], records[b]["id"]
        if id_a in split_of and id_b in split_of and split_of[id_a] != split_of[id_b]:
            if similarity >= group_threshold:
                raise BuildError(
                    f"internal error: {id_a} and {id_b} ({similarity:.3f}) are in different splits"
                )
            first, second = sorted([id_a, id_b])
            crossing.append(
                {
                    "id": first,
                    "other": second,
                    "split": split_of[first],
                    "other_split": split_of[second],
                    "similarity": float(similarity),
                }
            )
    return sorted(crossing, key=lambda row: (row["id"], row["other"]))


def load_base(config: BuildConfig) -> dict[str, Any] | None:
    """The split of every record of the release named by `split.base`, from its lineage."""
    version = config.settings["split"].get("base")
    if not version:
        return None
    release = config.out_dir / config.name / version
    try:
        manifest = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
        lineage = pq.read_table(release / "lineage.parquet", columns=["id", "fate"]).to_pylist()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"split.base = {version!r}: cannot read the release at {release} ({exc})") from None
    splits = {
        row["id"]: row["fate"].removeprefix("split:") for row in lineage if row["fate"].startswith("split:")
    }
    return {"version": version, "fingerprint": manifest.get("fingerprint"), "splits": splits}


def base_warnings(config: BuildConfig, base: dict[str, Any] | None) -> list[str]:
    """Without a base, a growing corpus can move records between splits: say so."""
    if base is not None:
        return []
    folder = config.out_dir / config.name
    older = (
        sorted(
            (
                p.name
                for p in folder.glob("*")
                if (p / MANIFEST).is_file() and version_key(p.name) < version_key(config.version)
            ),
            key=version_key,
        )
        if folder.is_dir()
        else []
    )
    if not older:
        return []
    return [
        f'{config.name} {older[-1]} is published in {folder}; set split.base = "{older[-1]}" in the config '
        "to keep its records in their splits"
    ]


def version_key(version: str) -> tuple[int, ...]:
    core = version.split("-")[0].split(".")
    return tuple(int(part) for part in core) if all(p.isdigit() for p in core) else ()


def make_manifest(
    config: BuildConfig, inventory: Inventory, ledger: Ledger, base: dict[str, Any] | None
) -> dict[str, Any]:
    """Everything the release says about itself, without the file list and fingerprint."""
    kept = [record for split in SPLITS for record in ledger.kept[split]]
    return {
        "name": config.name,
        "version": config.version,
        "counts": ledger.counts(),
        "rejected_by_reason": dict(sorted(Counter(r.reason for r in ledger.rejects).items())),
        "duplicates_by_kind": dict(sorted(Counter(d.kind for d in ledger.duplicates).items())),
        "boilerplate_lines_removed": dict(sorted(ledger.boilerplate.items())),
        "near_duplicates": ledger.near_dup,
        "groups": ledger.groups,
        "leakage": {
            "pairs": len(ledger.leakage),
            "max_similarity": max((row["similarity"] for row in ledger.leakage), default=None),
        },
        "split_base": {"version": base["version"], "fingerprint": base["fingerprint"]} if base else None,
        "moved": [asdict(move) for move in ledger.moves],
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
