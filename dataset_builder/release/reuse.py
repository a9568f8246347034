"""A release published before from the very same inputs, found again.

The build cache remembers, under each release key (every input's bytes, the config, the
code, the datasheet's answers, the neighbouring versions: `engines.cached.release_key`),
the fingerprint that build published and the folders it published it in. A later build
with that key takes the release from there instead of building it: in its own folder,
checked file by file; in another folder (an unchanged corpus built into a new output
folder), copied — what DVC's run-cache does for a stage whose inputs ran before. A
release holds no machine path (it is byte for byte the same built from any folder), so
the copy is what a build would have written; it is checked file by file where it lands,
before it is renamed into place, so a half-made or damaged copy is never published.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dataset_builder.errors import BuildError
from dataset_builder.processes import published, raise_if_stopped, stops_held
from dataset_builder.release import verify
from dataset_builder.release.publish import MANIFEST, REPORT, current_umask, read_manifest

PLACES = 4  # folders remembered per key: the latest builds' (older ones may be gone)


@dataclass(frozen=True)
class Known:
    """What the cache holds under a release key."""

    fingerprint: str
    warnings: tuple[str, ...]  # what that build said of the release (said again when reused)
    places: tuple[str, ...]  # where it was published, latest first

    def seen_at(self, folder: Path) -> Known:
        """The same release, published (also) at `folder`."""
        here = str(folder.resolve())
        places = (here, *(p for p in self.places if p != here))[:PLACES]
        return Known(self.fingerprint, self.warnings, places)


def claims(folder: Path, fingerprint: str, report: bool) -> bool:
    """`folder`'s manifest names the release with `fingerprint` (and report.html is there when
    one is wanted); its files are not read. A folder that cannot be read does not."""
    if not (folder / MANIFEST).is_file() or (report and not (folder / REPORT).is_file()):
        return False
    try:
        return read_manifest(folder).get("fingerprint") == fingerprint
    except (BuildError, OSError):
        return False


def intact(folder: Path, fingerprint: str, report: bool) -> bool:
    """`folder` holds the release with `fingerprint`, every file as its manifest says."""
    try:
        return claims(folder, fingerprint, report) and verify.check_files(folder).ok
    except OSError:
        return False


def copied(known: Known, target: Path, report: bool) -> Path | None:
    """Copy the release from the first remembered folder that still holds it into `target`
    (absent); returns the folder it came from, or None when none does. Each file is hashed
    once, in the copy: a damaged folder's copy fails its check and the next is tried."""
    here = target.resolve()
    for place in map(Path, known.places):
        if place != here and claims(place, known.fingerprint, report) and copy(place, target, report):
            return place
    return None


def copy(source: Path, target: Path, report: bool) -> bool:
    """Copy a release aside, check the copy, rename it to `target`; False (and nothing left
    behind) when the copy is not the release its manifest lists, or could not be made (the
    source gone mid-copy, a full disk: the build then runs, and says what it meets)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        skip = shutil.ignore_patterns() if report else shutil.ignore_patterns(REPORT)
        try:
            shutil.copytree(source, staging, ignore=skip, copy_function=shutil.copyfile, dirs_exist_ok=True)
            staging.chmod(0o777 & ~current_umask())
            whole = verify.check_files(staging).ok
        except (BuildError, OSError):
            whole = False
        if not whole:
            shutil.rmtree(staging)
            return False
        with stops_held():  # a stop comes before the rename or after it, never in between
            raise_if_stopped()
            staging.rename(target)
            published.append(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True
