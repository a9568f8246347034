"""Publish a release to the Hugging Face Hub, tagged with its version.

After `publish RELEASE --repo ORG/NAME`, `load_dataset("ORG/NAME", revision="vX.Y.Z")` loads
exactly this release. The upload is planned first (which files, the commit message, the
tag) and checked (the release verifies, a token exists, the Hub is reachable in
principle) before anything is sent, so a failure says why without a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, get_token

from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.release.publish import MANIFEST, REPORT, read_manifest
from dataset_builder.release.verify import check_files


@dataclass(frozen=True)
class Upload:
    release: Path
    repo: str
    files: tuple[str, ...]  # paths inside the release, all of it
    tag: str
    message: str


def plan(release: Path, repo: str) -> Upload:
    """What publishing `release` to `repo` sends, once the release verifies."""
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise ConfigError(f"--repo {repo!r}: expected ORG/NAME")
    report = check_files(release)
    if not report.ok:
        raise BuildError(f"{release} does not verify, nothing uploaded: " + "; ".join(report.problems))
    manifest = read_manifest(release)
    views = [REPORT] if (release / REPORT).is_file() else []
    files = tuple(sorted([*(f["path"] for f in manifest["files"]), MANIFEST, *views]))
    return Upload(
        release,
        repo,
        files,
        tag=f"v{manifest['version']}",
        message=f"{manifest['name']} {manifest['version']} (fingerprint {manifest['fingerprint'][:16]})",
    )


def send(upload: Upload, token: str | None = None, api: Any = None) -> str:
    """Create the dataset repo if needed, upload the release as one commit, tag it; returns
    the commit's URL. `api` is an HfApi (tests pass a recorder)."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        raise BuildError("HF_HUB_OFFLINE is set: the Hub cannot be reached; unset it to publish")
    token = token or get_token()
    if not token:
        raise ConfigError("no Hugging Face token: pass --token, set HF_TOKEN or run `hf auth login`")
    api = api or HfApi(token=token)
    try:
        api.create_repo(upload.repo, repo_type="dataset", exist_ok=True)
        commit = api.upload_folder(
            repo_id=upload.repo,
            repo_type="dataset",
            folder_path=str(upload.release),
            allow_patterns=list(upload.files),
            commit_message=upload.message,
        )
        api.create_tag(upload.repo, repo_type="dataset", tag=upload.tag, revision=commit.oid)
    except Exception as exc:  # the network boundary: any failure is reported, not a traceback
        raise BuildError(f"upload to {upload.repo} failed: {type(exc).__name__}: {exc}") from None
    return commit.commit_url
