"""Check a release against its manifest, and rebuild it to check it is reproducible.

`check_files` recomputes every file's SHA-256 and size and the fingerprint: one changed
byte anywhere is found, unless whoever changed it also rewrote the manifest's hashes and
fingerprint. That is self-consistency, not authenticity: `pinned_problems` compares the
fingerprint with one the user got from the publisher (`verify --fingerprint`).

`pipeline.rebuild_release` builds again from the raw files, the recorded config and the
maintainers' DATASHEET.md into a temporary folder, and compares the two releases file by
file (`compare_rebuild`); it first says which inputs differ from the recorded hashes, and
which installed versions differ from the recorded ones, since either changes the bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dataset_builder.config import BuildConfig, load_config
from dataset_builder.hashing import sha256_file
from dataset_builder.release.manifest import versions
from dataset_builder.release.publish import MANIFEST, REPORT, fingerprint, read_manifest
from dataset_builder.stages.ingest import discover, file_sha256


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_files(release: Path) -> Report:
    """Every file the manifest lists is there with its size and SHA-256, nothing else is (but
    report.html, a view drawn from them), and the fingerprint is the manifest's own."""
    report = Report()
    manifest = read_manifest(release)
    listed = {entry["path"]: entry for entry in manifest["files"]}
    for rel, entry in sorted(listed.items()):
        path = release / rel
        if not path.is_file():
            report.problems.append(f"{rel}: missing")
        elif path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
            report.problems.append(
                f"{rel}: content differs from the manifest (sha256 {entry['sha256'][:12]}…)"
            )
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        rel = path.relative_to(release).as_posix()
        if rel not in (MANIFEST, REPORT) and rel not in listed:
            report.problems.append(f"{rel}: not in the manifest")
    if fingerprint(manifest) != manifest.get("fingerprint"):
        report.problems.append("manifest.json: its fingerprint does not match its content")
    report.warnings += version_drift(manifest)
    return report


PIN = re.compile(r"[0-9a-f]{16,64}")
"""A pinned fingerprint: its first 16 hex digits (what the build prints) or more, up to all 64."""


def pinned_problems(manifest: dict[str, Any], pinned: str) -> list[str]:
    """The release's fingerprint is not the `pinned` one (a prefix of at least 16 hex digits).

    `check_files` proves a release agrees with its own manifest, which anyone who edits a
    file can make true again by recomputing the hashes and the fingerprint; only a
    fingerprint obtained from the publisher, and compared here, proves it is their release."""
    recorded = str(manifest.get("fingerprint", ""))
    if recorded.startswith(pinned.lower()):
        return []
    return [
        f"fingerprint: the release has {recorded[: len(pinned)]}, not the pinned {pinned.lower()}: "
        "it is not the release you pinned"
    ]


def version_drift(manifest: dict[str, Any]) -> list[str]:
    installed = versions()
    return [
        f"{name} {recorded} made this release, {installed.get(name, 'not installed')} is installed: "
        "a rebuild may differ"
        for name, recorded in manifest["versions"].items()
        if installed.get(name) != recorded
    ]


def input_drift(manifest: dict[str, Any], raw_dir: Path) -> list[str]:
    """Input files missing, changed or added since the release was built."""
    recorded = {entry["path"]: entry["sha256"] for entry in manifest["inputs"]}
    ingest = manifest["config"]["ingest"]
    chosen = discover(raw_dir, tuple(ingest.get("include", ())), tuple(ingest.get("exclude", ())))
    found = {f.rel: file_sha256(f) for f in chosen.files}
    drift = [f"{p}: missing" for p in sorted(recorded.keys() - found.keys())]
    drift += [f"{p}: changed" for p in sorted(recorded.keys() & found.keys()) if recorded[p] != found[p]]
    drift += [f"{p}: not in the release's inputs" for p in sorted(found.keys() - recorded.keys())]
    return drift


def rebuild_config(manifest: dict[str, Any], raw_dir: Path, datasheet: Path, out_dir: Path) -> BuildConfig:
    """The recorded settings, with the machine's own paths; the rebuild command names the
    same config file, as it is part of the datasheet."""
    config_file = re.search(r"--config (\S+)", manifest["command"])
    settings = {**manifest["config"], "raw": str(raw_dir), "out": str(out_dir), "datasheet": str(datasheet)}
    return replace(
        load_config(None, overrides=settings), source=config_file.group(1) if config_file else None
    )


def compare_rebuild(manifest: dict[str, Any], rebuilt: dict[str, Any], report: Report) -> None:
    """Enter in `report` every file, and the fingerprint, on which a rebuild's manifest
    (`rebuilt`) differs from the release's."""
    theirs = {entry["path"]: entry["sha256"] for entry in rebuilt["files"]}
    ours = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    for rel in sorted(ours.keys() | theirs.keys()):
        if ours.get(rel) != theirs.get(rel):
            report.problems.append(
                f"{rel}: the rebuild differs"
                if rel in ours and rel in theirs
                else f"{rel}: only in the {'release' if rel in ours else 'rebuild'}"
            )
    recorded, again = manifest["fingerprint"], rebuilt["fingerprint"]
    if recorded != again:
        report.problems.append(f"fingerprint: release {recorded[:16]}, rebuild {again[:16]}")
