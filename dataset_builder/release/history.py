"""The versions already published beside a release: which one came before, and the splits
of the one `split.base` names. Both are inputs of a build, like its raw files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.release.publish import MANIFEST, read_manifest


@dataclass(frozen=True)
class PublishedVersion:
    """A version published in OUT/NAME, as another version's build sees it."""

    version: str
    fingerprint: str
    path: Path


@dataclass(frozen=True)
class Base:
    """The release `split.base` names: each of its kept records' split, by id."""

    version: str
    fingerprint: str | None
    splits: dict[str, str]


def version_key(version: str) -> tuple[int, ...]:
    """(1, 2, 0) for "1.2.0" and "1.2.0-rc1"; () for what is not a version number."""
    core = version.split("-")[0].split(".")
    return tuple(int(part) for part in core) if all(p.isdigit() for p in core) else ()


def previous_version(releases: Path, version: str) -> PublishedVersion | None:
    """The highest version below `version` already published in `releases` (OUT/NAME)."""
    current = version_key(version)
    older = [
        p
        for p in releases.glob("*")
        if (p / MANIFEST).is_file() and () < version_key(p.name) < current  # () is not a version
    ]
    path = max(older, key=lambda p: version_key(p.name), default=None)
    if path is None:
        return None
    manifest = read_manifest(path)  # a garbage manifest is a BuildError naming it
    return PublishedVersion(path.name, manifest["fingerprint"], path)


def load_base(releases: Path, version: str | None) -> Base | None:
    """The split of every record of the release `version` (`split.base`), from its lineage."""
    if not version:
        return None
    release = releases / version
    try:
        manifest = read_manifest(release)
        rows = pq.read_table(release / "lineage.parquet", columns=["id", "fate"]).to_pylist()
    except (OSError, ValueError, BuildError) as exc:
        raise ConfigError(f"split.base = {version!r}: cannot read the release at {release} ({exc})") from None
    splits = {
        row["id"]: row["fate"].removeprefix("split:") for row in rows if row["fate"].startswith("split:")
    }
    return Base(version, manifest.get("fingerprint"), splits)
