"""dataset_builder: raw articles in, a reproducible, versioned dataset release out.

    from dataset_builder import build, load_config

    release = build(load_config(Path("dataset.toml")), workers=2)
    print(release.path, release.manifest["fingerprint"])

The names are loaded on first use, so that importing one stage (as a worker does) does
not import the whole pipeline.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dataset_builder.config import BuildConfig, load_config
    from dataset_builder.errors import BuildError, ConfigError
    from dataset_builder.pipeline import Release, build, rebuild_release

_EXPORTS = {
    "build": "dataset_builder.pipeline",
    "rebuild_release": "dataset_builder.pipeline",
    "Release": "dataset_builder.pipeline",
    "load_config": "dataset_builder.config",
    "BuildConfig": "dataset_builder.config",
    "BuildError": "dataset_builder.errors",
    "ConfigError": "dataset_builder.errors",
}
__all__ = ["BuildConfig", "BuildError", "ConfigError", "Release", "build", "load_config", "rebuild_release"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dataset_builder' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
