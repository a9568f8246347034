"""Shared helpers: tests build tiny raw/ folders in tmp_path and look at the release."""

from __future__ import annotations

import os

# Before `datasets` is imported anywhere: never try the network.
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import settings

from dataset_builder.config import BuildConfig, load_config
from dataset_builder.pipeline import Release, build

# The same examples on every run, so CI is deterministic; explore with
# `pytest --hypothesis-profile=explore` (a new random seed each run). No deadline: an
# example's time says how busy the machine is, not whether the code is right.
settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, max_examples=500, deadline=None)
settings.load_profile("default")

REPO = Path(__file__).resolve().parent.parent
SHARED_CORPORA = REPO.parent / "shared" / "corpora"


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def make_config(tmp_path: Path, raw: Path, **settings: Any) -> BuildConfig:
    """A config for `raw`, writing to tmp_path/dist; keyword args are TOML keys."""
    overrides = {
        "raw": str(raw),
        "out": str(tmp_path / "dist"),
        "name": "test",
        "version": "1.0.0",
        **settings,
    }
    return load_config(None, overrides=overrides, base_dir=tmp_path)


def release_bytes(release: Release) -> dict[str, bytes]:
    """Every file of a published release (report.html too), by its path in the release."""
    return {
        p.relative_to(release.path).as_posix(): p.read_bytes() for p in release.path.rglob("*") if p.is_file()
    }


def set_aside(release: Release) -> dict[str, bytes]:
    """The release's bytes, its folder removed: the next build from the same inputs and
    cache cannot copy it (`release.reuse`), so it runs its passes from the cache."""
    content = release_bytes(release)
    shutil.rmtree(release.path)
    return content


def run_build(tmp_path: Path, files: dict[str, str | bytes], **settings: Any) -> Release:
    raw = write_files(tmp_path / "raw", files)
    return build(make_config(tmp_path, raw, **settings))


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m dataset_builder ARGS` in a fresh process, as a user runs it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dataset_builder", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


ENGLISH = (
    "the of and to in is that for it as was with be by on not he this are or his from at which but have an "
    "they you were her she there been one all we their has would when if so no will more about can said up "
    "out who them some could what time people into only new very year other than then now first well also "
    "after over before government policy report market country city school water family money question "
    "problem service system program company world state group number night point home life child story"
)
SPANISH = (
    "el la de que y a en un ser se no haber por con su para como estar tener le lo todo pero más hacer o "
    "poder decir este ir otro ese si me ya ver porque dar cuando él muy sin vez mucho saber qué sobre mi "
    "alguno mismo yo también hasta año dos querer entre así primero desde grande eso ni nos llegar pasar "
    "tiempo ella sí día uno bien poco deber entonces poner cosa tanto hombre parecer nuestro tan donde "
    "ahora parte después vida quedar siempre creer hablar llevar dejar nada cada seguir menos nuevo encontrar"
)
WORDS = {"en": ENGLISH.split(), "es": SPANISH.split()}


def article_text(seed: int, language: str = "en", words: int = 120) -> str:
    """A deterministic article of random common words: real enough for langdetect, and two
    seeds practically never share a 5-word shingle, so they are not near-duplicates."""
    rng = random.Random(f"{language}:{seed}")
    vocab = WORDS[language]
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        sentence = " ".join(rng.choice(vocab) for _ in range(rng.randint(8, 16)))
        sentences.append(sentence.capitalize() + ".")
    return " ".join(sentences)
