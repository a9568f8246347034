"""What a release says about itself (`manifest.json`, without its file list and fingerprint,
which `publish` adds): counts, decisions, inputs, config and the versions that made it."""

from __future__ import annotations

import platform
import sys
from collections import Counter
from dataclasses import asdict
from importlib import metadata
from typing import Any

from dataset_builder.config import SPLITS, BuildConfig, IngestSettings
from dataset_builder.ledger import Ledger, decontamination
from dataset_builder.records import METADATA_FIELDS, RELEASE_FORMAT
from dataset_builder.release.history import Base, PublishedVersion
from dataset_builder.stages.ingest import Inventory, file_digest, modified
from dataset_builder.stages.pii import KINDS as PII_KINDS
from dataset_builder.stages.profile import profile_summary

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
"""The packages whose versions can change a release's bytes; the manifest records them."""


def make_manifest(
    config: BuildConfig,
    inventory: Inventory,
    sources: dict[str, Any] | None,
    ledger: Ledger,
    base: Base | None,
    previous: PublishedVersion | None,
) -> dict[str, Any]:
    """Everything the release says about itself, without the file list and fingerprint.
    `decontamination` is there only when evaluation sets were checked."""
    manifest = {
        "release_format": RELEASE_FORMAT,
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
        "split_base": {"version": base.version, "fingerprint": base.fingerprint} if base else None,
        "previous": {"version": previous.version, "fingerprint": previous.fingerprint} if previous else None,
        "moved": [asdict(move) for move in ledger.moves],
        "splits": {split: ledger.rows[split] for split in SPLITS},
        "languages": {split: dict(sorted(ledger.languages[split].items())) for split in SPLITS},
        "missing_values": {f: ledger.missing[f] for f in METADATA_FIELDS},
        "profile": profile_summary(ledger.profiles),
        "quality": ledger.quality_summary,
        "pii": {
            "found": {kind: ledger.pii[kind] for kind in PII_KINDS},
            "records": {kind: ledger.pii_records[kind] for kind in PII_KINDS},
            "redacted": config.settings.pii.redact,
        },
        "inputs": inputs(inventory, ledger),
        "skipped": [{"path": s.rel, "reason": s.reason} for s in inventory.skipped],
        "input_keys": input_keys(config.settings.ingest, ledger),
        "sources": sources,
        "config": config.recorded(),
        "versions": versions(),
        "command": config.rebuild_command(),
    }
    if config.settings.decontaminate:
        manifest["decontamination"] = decontamination(ledger)
    if config.settings.boilerplate.learn:
        manifest["boilerplate_learned"] = {
            "publishers": ledger.learned,
            "lines": sum(len(found) for found in ledger.learned.values()),
            "removed": sum(line["articles"] for found in ledger.learned.values() for line in found),
        }
    return manifest


def inputs(inventory: Inventory, ledger: Ledger) -> list[dict[str, Any]]:
    """Each input file's path, SHA-256 and byte count (both from one read, so of one state
    even if the file changes meanwhile; discovery's count if it cannot be read) and records."""
    entries = []
    for f in inventory.files:
        sha256, size = file_digest(f) or (None, f.size)
        entries.append(
            {"path": f.rel, "sha256": sha256, "bytes": size, "records": ledger.records_per_file[f.rel]}
        )
    return entries


def changed_inputs(inventory: Inventory, manifest: dict[str, Any]) -> list[str]:
    """A warning for each input that changed during the build: its size when hashed for the
    manifest is not the size discovery listed, or its size or modification time now are not
    those listed (a rewrite that keeps the size). Its records may then come from neither
    state, and a rebuild from raw/ will not match until it is left alone."""
    hashed = {entry["path"]: entry["bytes"] for entry in manifest["inputs"]}
    warnings = []
    for f in inventory.files:
        if hashed[f.rel] != f.size:
            change = f"{f.size:,} bytes when listed, {hashed[f.rel]:,} when hashed"
        elif (now := modified(f)) is None:
            change = "gone, or unreadable, when the build ended"
        elif now != (f.size, f.mtime_ns):
            change = "written again after it was listed"
        else:
            continue
        warnings.append(
            f"{f.rel}: changed during the build ({change}); its records and the manifest's "
            "SHA-256 may describe different states: build again once it is complete"
        )
    return warnings


def input_keys(ingest: IngestSettings, ledger: Ledger) -> dict[str, Any]:
    """What became of the keys of the input objects (JSON, tables): `objects` read, each key
    that is kept (as a record field or a declared column) with the objects that had it,
    each `dropped` one likewise, and the mapped keys that no object had (`not_found`)."""
    kept = set(ingest.fields.values()) | {c.key for c in ingest.columns}
    return {
        "objects": ledger.objects,
        "kept": {k: n for k, n in sorted(ledger.keys.items()) if k in kept},
        "dropped": {k: n for k, n in sorted(ledger.keys.items()) if k not in kept},
        "not_found": sorted(k for k in kept if not ledger.keys[k]) if ledger.objects else [],
    }


def versions() -> dict[str, str]:
    found = {"python": f"{platform.python_implementation()} {sys.version.split()[0]}"}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
