"""The precomputed langdetect arrays: stored once, read back as computed, never stale."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from dataset_builder.stages import langprofiles
from dataset_builder.stages.langprofiles import gauss_table, load_profiles, sources_key


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty cache folder, and no arrays remembered by this process."""
    monkeypatch.setenv("DATASET_BUILDER_CACHE", str(tmp_path / "cache"))
    for function in (load_profiles, gauss_table, sources_key):
        function.cache_clear()
    yield tmp_path / "cache"
    for function in (load_profiles, gauss_table, sources_key):
        function.cache_clear()


def test_arrays_are_stored_once_and_read_back_as_computed(fresh: Path) -> None:
    computed = langprofiles._compute_profiles()
    stored = load_profiles()
    (folder,) = fresh.iterdir()
    assert folder.name == f"langdetect-{sources_key()}"
    load_profiles.cache_clear()
    loaded = load_profiles()  # from the folder this time: memory-mapped
    assert isinstance(loaded.matrix.base, np.memmap)
    for arrays in (stored, loaded):
        assert arrays.langs == computed.langs
        for name in langprofiles.ARRAYS:
            assert np.array_equal(getattr(arrays, name), getattr(computed, name)), name


def test_a_changed_profile_file_is_a_new_folder(
    fresh: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = langprofiles._langdetect_dir()
    copy = tmp_path / "langdetect"
    shutil.copytree(original.parent, copy)
    monkeypatch.setattr(langprofiles, "_langdetect_dir", lambda: copy / "profiles")
    before = sources_key()
    sources_key.cache_clear()
    assert sources_key() == before  # the same bytes, elsewhere: the same arrays
    profile = copy / "profiles" / "de"
    changed = profile.read_text(encoding="utf-8").replace('"n_words"', '"n_words" ')  # the same JSON
    profile.write_text(changed, encoding="utf-8")
    sources_key.cache_clear()
    assert sources_key() != before


def test_an_unwritable_cache_computes_in_memory(fresh: Path) -> None:
    fresh.parent.mkdir(exist_ok=True)
    fresh.write_text("a file where the cache folder would be")
    arrays = load_profiles()
    assert not isinstance(arrays.matrix.base, np.memmap)
    assert len(arrays.langs) == 55 and arrays.matrix.shape[1] == 55
    stream, _ = gauss_table(0, 64)
    rng = random.Random(0)
    assert stream.tolist() == [rng.getrandbits(32) for _ in range(64)]
    assert not fresh.is_dir()


def test_gauss_table_is_what_random_gauss_makes_at_every_position(fresh: Path) -> None:
    """Each position's pair is random.gauss's, for a Random whose stream starts there."""
    words = 4096
    stream, gauss = gauss_table(7, words)
    rng = random.Random(7)
    assert stream.tolist() == [rng.getrandbits(32) for _ in range(words)]
    state = random.Random(7).getstate()
    for pos in range(0, words - 3, 97):
        rng = random.Random()
        version, internal, _ = state
        rng.setstate((version, internal, None))
        for _ in range(pos):
            rng.getrandbits(32)
        assert (rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)) == (gauss[0, pos], gauss[1, pos]), pos
