"""Stage 7: write the release folder `OUT/NAME/VERSION/`.

Layout (Hugging Face conventions, so `load_dataset(path)` needs no arguments):

    data/{split}-{i:05d}-of-{n:05d}.parquet   the rows, sorted by id
    audit/rejects.jsonl, audit/duplicates.jsonl, audit/leakage.jsonl
    lineage.parquet                            one row per input record and its fate
    README.md                                  dataset card (YAML: configs, dataset_info)
    DATASHEET.md                               datasheet after Gebru et al.
    manifest.json                              counts, files and hashes, config, versions

Reproducibility: Parquet bytes depend on how the Arrow table is chunked, on its
metadata and on the pyarrow version (written into the footer), so tables are built in
one chunk from Python rows with a fixed schema and fixed row-group size, and the
versions go into the manifest. Nothing written depends on the clock or the machine.

Immutability: everything is written into a hidden folder beside the target and renamed
into place only when complete; an existing version is never overwritten.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dataset_builder.config import SPLITS
from dataset_builder.errors import BuildError
from dataset_builder.hashing import sha256_file
from dataset_builder.processes import held_in_parent_only, published, raise_if_stopped, stops_held
from dataset_builder.records import Duplicate, Rejection
from dataset_builder.spool import SplitBuckets

MANIFEST = "manifest.json"
REPORT = "report.html"  # a view of the release: in neither the manifest nor the fingerprint


@dataclass(frozen=True)
class Published:
    path: Path
    manifest: dict[str, Any]
    unchanged: bool  # True when an identical release was already there


def write_parquet(table: pa.Table, path: Path, row_group_rows: int) -> None:
    """One chunk per column and a fixed row-group size: the bytes depend only on the rows."""
    pq.write_table(table.combine_chunks(), path, compression="zstd", row_group_size=row_group_rows)


def write_splits(
    buckets: SplitBuckets, rows: dict[str, int], folder: Path, shard_rows: int, row_group_rows: int
) -> dict[str, int]:
    """Write each split as shards of `shard_rows` rows (the last may be shorter), sorted by
    id; returns rows per file. Shard boundaries depend only on the rows, never on batching.

    A split without rows gets no file: `datasets` cannot load an empty split from files
    ("corresponds to no data"), so the card leaves it out too."""
    (folder / "data").mkdir()
    rows_per_file: dict[str, int] = {}
    for split in SPLITS:
        shards = -(-rows[split] // shard_rows)
        for index, shard in enumerate(rechunk(buckets.sorted_tables(split), shard_rows)):
            rel = f"data/{split}-{index:05d}-of-{shards:05d}.parquet"
            write_parquet(shard, folder / rel, row_group_rows)
            rows_per_file[rel] = shard.num_rows
    return rows_per_file


def rechunk(tables: Iterable[pa.Table], size: int) -> Iterator[pa.Table]:
    """The rows of `tables`, in order, as tables of exactly `size` rows (the last may be shorter)."""
    pending: list[pa.Table] = []
    count = 0
    for table in tables:
        pending.append(table)
        count += table.num_rows
        while count >= size:
            combined = pa.concat_tables(pending)
            yield combined.slice(0, size)
            pending, count = [combined.slice(size)], count - size
    if count:
        yield pa.concat_tables(pending)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of an audit file `write_audit` wrote (one JSON object per line)."""
    with path.open(encoding="utf-8") as lines:
        yield from (json.loads(line) for line in lines)


def write_audit(
    rejects: list[Rejection],
    duplicates: list[Duplicate],
    leakage: list[dict[str, Any]],
    near_examples: list[dict[str, Any]],
    lineage: pa.Table,
    folder: Path,
    contamination: list[dict[str, Any]] | None = None,
) -> dict[str, int]:
    """Rejects, duplicates, cross-split similar pairs, the near-duplicate examples the
    report shows and (when evaluation sets are checked) every match with one of them as
    JSON Lines (easy to grep), lineage as Parquet."""
    (folder / "audit").mkdir()
    audit = {
        "audit/rejects.jsonl": sorted((asdict(r) for r in rejects), key=provenance_order),
        "audit/duplicates.jsonl": sorted((asdict(d) for d in duplicates), key=provenance_order),
        "audit/leakage.jsonl": leakage,
        "audit/near_duplicate_examples.jsonl": near_examples,
    }
    if contamination is not None:
        audit["audit/contamination.jsonl"] = sorted(contamination, key=provenance_order)
    for rel, rows in audit.items():
        with (folder / rel).open("w", encoding="utf-8", newline="\n") as fh:
            fh.writelines(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
    lineage = lineage.take(pc.sort_indices(lineage, [("raw_path", "ascending"), ("raw_line", "ascending")]))
    write_parquet(lineage, folder / "lineage.parquet", 100_000)
    return {**{rel: len(rows) for rel, rows in audit.items()}, "lineage.parquet": lineage.num_rows}


def provenance_order(row: dict[str, Any]) -> tuple[str, int]:
    return row["raw_path"], row["raw_line"]


def describe_files(folder: Path, rows: dict[str, int], skip: set[str] = frozenset()) -> list[dict[str, Any]]:
    """path, sha256, bytes (and rows, for tables) of every file but the manifest and `skip`."""
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        if path.relative_to(folder).as_posix() in skip:
            continue
        rel = path.relative_to(folder).as_posix()
        entry: dict[str, Any] = {"path": rel, "sha256": sha256_file(path), "bytes": path.stat().st_size}
        if rel in rows:
            entry["rows"] = rows[rel]
        files.append(entry)
    return files


def fingerprint(manifest: dict[str, Any]) -> str:
    """SHA-256 of the manifest's canonical JSON without its fingerprint: it covers every
    file (by hash), the counts, the config and the versions."""
    body = {k: v for k, v in manifest.items() if k != "fingerprint"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class ReleaseContent(Protocol):
    """What goes into a release folder, in the order `publish_release` asks for it."""

    def write_content(self, folder: Path) -> dict[str, int]:
        """Write the data and audit files into `folder`; rows per file."""
        ...

    def render_docs(
        self, manifest: dict[str, Any], files: list[dict[str, Any]], folder: Path
    ) -> dict[str, str]:
        """The card, datasheet and Croissant file ({name: text}), from the manifest and the
        written files' descriptions, so every number in them comes from one of the two."""
        ...

    def render_views(self, folder: Path) -> None:
        """Pages drawn from the finished folder (the report): in neither list nor fingerprint."""
        ...


def publish_release(target: Path, manifest: dict[str, Any], content: ReleaseContent) -> Published:
    """Write a release aside, then rename it to `target`; never overwrite a published one.
    The manifest gets the file list and the fingerprint before the views are drawn."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        staging.chmod(0o777 & ~current_umask())  # mkdtemp makes it 0700: colleagues could not read it
        rows = content.write_content(staging)
        files = describe_files(staging, rows)
        for name, text in content.render_docs(manifest, files, staging).items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        docs = describe_files(staging, rows, skip={f["path"] for f in files})
        manifest = {**manifest, "files": sorted(files + docs, key=lambda f: f["path"])}
        manifest["fingerprint"] = fingerprint(manifest)
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        existing = read_manifest(target) if target.exists() else None
        if existing is not None:
            if existing.get("fingerprint") != manifest["fingerprint"]:
                raise BuildError(
                    f"{target} is already published with different content "
                    f"(fingerprint {str(existing.get('fingerprint'))[:12]}, this build "
                    f"{manifest['fingerprint'][:12]}). Releases are immutable: "
                    "set a new version (--version or `version` in the config)."
                )
            shutil.rmtree(staging)
            return Published(target, existing, unchanged=True)
        content.render_views(staging)
        with stops_held():  # a stop comes before the rename or after it, never in between
            raise_if_stopped()  # a Ctrl-C Python ignored (in an at-fork hook) still stops it here
            os.rename(staging, target)
            published.append(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Published(target, manifest, unchanged=False)


def current_umask() -> int:
    """The process's umask (reading it means setting it: put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def release_lock(folder: Path, version: str) -> Iterator[list[str]]:
    """Hold OUT/NAME/.VERSION.lock for a whole build, so two builds never write one version.

    The kernel releases an flock when its process dies, even by SIGKILL, so a lock is never
    stale; forked workers do not inherit it (`processes.held_in_parent_only`), so it is
    the building process that holds it, not a worker that outlived it. Holding it, the
    build removes what interrupted builds left behind; it yields notes saying what it
    removed."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f".{version}.lock").open("a") as handle, held_in_parent_only(handle.fileno()):
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(
                f"another build is writing {folder.name} {version} right now (it holds "
                f"{folder / f'.{version}.lock'}); wait for it to finish"
            ) from None
        yield remove_leftovers(folder, version)


def remove_leftovers(folder: Path, version: str) -> list[str]:
    """Remove the hidden work and staging folders of builds that died, and say so. Another
    version's leftovers are only touched when no build of that version is running."""
    notes = []
    for path in sorted(folder.glob(".*.partial-*")) + sorted(folder.glob(".*.work-*")):
        owner = re.sub(r"\.(partial|work)-[^/]*$", "", path.name[1:])
        if owner != version:
            with (folder / f".{owner}.lock").open("a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # that version is being built now
                shutil.rmtree(path, ignore_errors=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
        notes.append(f"removed {path}, left by an interrupted build of version {owner}")
    return notes


def read_manifest(release: Path) -> dict[str, Any]:
    """A release's manifest, or a BuildError saying why it is none: unreadable, not JSON,
    or without the keys every release's manifest has (what `verify`, `diff`, the report
    and the next version's build read)."""
    try:
        manifest = json.loads((release / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BuildError(f"{release} exists but is not a readable release ({exc}); move it away") from None
    if problem := manifest_problem(manifest):
        raise BuildError(f"{release / MANIFEST} is not a release manifest ({problem}); move the folder away")
    return manifest


MANIFEST_KEYS = {
    "name": str,
    "version": str,
    "fingerprint": str,
    "files": list,
    "inputs": list,
    "counts": dict,
    "config": dict,
    "versions": dict,
    "command": str,
}
FILE_KEYS = {"path": str, "sha256": str, "bytes": int}


def manifest_problem(manifest: Any) -> str | None:
    """What is wrong with the shape of a manifest, or None."""
    if not isinstance(manifest, dict):
        return f"a JSON {type(manifest).__name__}, not an object"
    for key, kind in MANIFEST_KEYS.items():
        if not isinstance(manifest.get(key), kind):
            return f"{key!r} is missing or not a {kind.__name__}"
    for number, entry in enumerate(manifest["files"], start=1):
        if not isinstance(entry, dict) or any(not isinstance(entry.get(k), t) for k, t in FILE_KEYS.items()):
            return f"files entry {number} lacks a path, sha256 or byte count"
        if entry["path"].startswith("/") or ".." in entry["path"].split("/"):
            return f"files entry {number} points outside the release: {entry['path']!r}"
    return None
