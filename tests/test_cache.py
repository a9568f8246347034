"""The build cache: a build that reuses pass 1's results publishes the same bytes as one
that reads everything, reads only what changed, and never trusts a damaged entry."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataset_builder.cache import Store
from dataset_builder.decide.minhash import Shingling
from dataset_builder.engines import local, passes
from dataset_builder.errors import BuildError
from dataset_builder.pipeline import Release, build
from tests.conftest import article_text, jsonl, make_config, release_bytes, run_cli, set_aside, write_files


def corpus() -> dict[str, str | bytes]:
    """Every kind of input, several files of more than one part (a JSON Lines file of three
    line ranges, a JSON array of two chunks), rejects and duplicates."""
    feed = [{"title": f"Feed {i}", "text": article_text(100 + i)} for i in range(150)]
    return {
        **{f"news/doc{i:03d}.txt": f"Story {i}\n\n{article_text(i)}" for i in range(12)},
        "news/contact.txt": f"Contact\n\n{article_text(40)} Write to jane.doe@example.org today.",
        "news/copy.txt": f"Story 3\n\n{article_text(3)}",
        "news/near.txt": f"Story 4\n\n{article_text(4)} Share this article with a friend today.",
        "feed.jsonl": jsonl(*feed) + "{not json\n",
        "array.json": json.dumps(
            [{"text": article_text(300 + i), "url": f"https://x.org/{i}"} for i in range(70)]
        ),
        "table.csv": "title,text\n"
        + "".join(f"Row {i},{article_text(400 + i, words=60)}\n" for i in range(5)),
        "old.jsonl.gz": gzip.compress(
            jsonl(*({"text": article_text(500 + i)} for i in range(3))).encode(), mtime=0
        ),
        "empty.txt": "",
    }


def built(root: Path, raw: Path, cache: Path | None, **settings: object) -> Release:
    """A build of `raw` into `root`, with the cache at `cache` (None: without a cache)."""
    chosen = {"cache": {"folder": str(cache)}} if cache else {"cache": {"enabled": False}}
    return build(make_config(root, raw, **chosen, **settings), report=False)


def test_a_build_from_the_cache_publishes_the_same_bytes_and_reads_no_file(tmp_path):
    raw = write_files(tmp_path / "raw", corpus())
    cold = built(tmp_path / "cold", raw, None)
    first = built(tmp_path / "first", raw, tmp_path / "cache")
    first_bytes = set_aside(first)
    second = built(tmp_path / "second", raw, tmp_path / "cache")
    assert cold.cache is None and second.cache and not second.cache.not_built
    assert first.cache and (first.cache.files_reused, first.cache.files_read) == (0, 20)
    assert second.cache and (second.cache.files_reused, second.cache.files_read) == (20, 0)
    assert (
        first.cache.records_recalled == 0 and second.cache.records_recalled >= cold.manifest["counts"]["kept"]
    )
    assert first_bytes == release_bytes(cold) == release_bytes(second)
    assert cold.manifest["pii"]["found"]["email"] == 1
    counts = cold.manifest["counts"]
    assert counts["rejected"] >= 2 and counts["duplicates"] >= 2  # the corpus exercises both


def test_candidates_shingle_sets_come_from_the_cache_and_change_nothing(tmp_path, monkeypatch):
    """The texts a near-duplicate check compares are shingled once: a build from the cache
    looks their sets up by the text's hash (here shingling would fail) and publishes the
    bytes a cold build does; a text that is new is shingled."""
    raw = write_files(tmp_path / "raw", corpus())
    cold = built(tmp_path / "cold", raw, None)
    set_aside(built(tmp_path / "first", raw, tmp_path / "cache"))
    shingled: list[str] = []
    real = local.shingle_set

    def counted(text: str, shingling: Shingling) -> np.ndarray:
        shingled.append(text)
        return real(text, shingling)

    monkeypatch.setattr(local, "shingle_set", counted)
    again = built(tmp_path / "again", raw, tmp_path / "cache")
    assert shingled == []
    assert cold.manifest["near_duplicates"]["candidate_pairs"] >= 1
    assert release_bytes(again) == release_bytes(cold)
    added = f"Story 5\n\n{article_text(5)} Share it with a friend."  # a near copy of doc005
    write_files(raw, {"news/near2.txt": added})
    grown = built(tmp_path / "grown", raw, tmp_path / "cache")
    assert any(t.endswith("Share it with a friend.") for t in shingled)
    assert len(shingled) <= 2  # it and maybe doc005: no earlier candidate again
    assert release_bytes(grown) == release_bytes(built(tmp_path / "grown-cold", raw, None))


def test_pass_2_puts_a_batch_it_has_seen_together_from_the_cache(tmp_path, monkeypatch):
    """A spool batch whose records, surviving rows, splits and publishers' names are a past
    build's is not tagged again (the batches tagged are counted), a batch a new file brings
    is, and the release is a cold build's."""
    raw = write_files(tmp_path / "raw", corpus())
    cache = tmp_path / "cache"
    set_aside(built(tmp_path / "first", raw, cache))
    tagged: list[int] = []
    real = passes.tag_rows

    def counted(table, *args):
        tagged.append(table.num_rows)
        return real(table, *args)

    monkeypatch.setattr(passes, "tag_rows", counted)
    again = built(tmp_path / "again", raw, cache)
    assert tagged == [] and again.cache and again.cache.records_recalled == again.manifest["counts"]["kept"]
    assert set_aside(again) == release_bytes(built(tmp_path / "cold", raw, None))
    tagged.clear()  # (the cold build tagged every batch)
    write_files(raw, {"zz/new.txt": article_text(91)})  # listed last: it joins the last batch
    grown = built(tmp_path / "grown", raw, cache)
    assert (
        len(tagged) == 1
        and grown.cache
        and grown.cache.records_recalled == grown.manifest["counts"]["kept"] - 1
    )
    assert release_bytes(grown) == release_bytes(built(tmp_path / "grown-cold", raw, None))


def test_a_batch_seen_before_is_tagged_again_when_its_publishers_name_changes(tmp_path):
    """A publisher's canonical spelling is the one most records use, so a new file can
    rename the publisher of records in a batch that did not change: that batch's stored
    result must not be used."""

    def records(first: int, spellings: list[str]) -> str:
        return jsonl(
            *(
                {
                    "text": article_text(first + i),
                    "source": name,
                    "url": f"https://eluniversal.com.mx/{first + i}",
                }
                for i, name in enumerate(spellings)
            )
        )

    raw = write_files(
        tmp_path / "raw", {"a.jsonl": records(0, ["EL UNIVERSAL"] * 40 + ["El Universal"] * 24)}
    )
    cache = tmp_path / "cache"
    first = built(tmp_path / "first", raw, cache)
    assert first.manifest["profile"]["publishers"]["top"] == {"EL UNIVERSAL": 64}
    write_files(raw, {"b.jsonl": records(64, ["El Universal"] * 30)})  # a batch of its own
    grown = built(tmp_path / "grown", raw, cache)
    assert grown.manifest["profile"]["publishers"]["top"] == {"El Universal": 94}
    assert release_bytes(grown) == release_bytes(built(tmp_path / "cold", raw, None))


def test_redacted_and_filtered_builds_from_the_cache_are_cold_builds(tmp_path):
    """Pass 2's memo keeps findings and signals, not their use: redaction, the quality
    filter and the allow-list are applied afresh, so changing them reuses the memo."""
    raw = write_files(tmp_path / "raw", corpus())
    cache = tmp_path / "cache"
    built(tmp_path / "warm", raw, cache)
    for n, chosen in enumerate(
        [{"pii": {"redact": True}}, {"quality": {"filter": True}}, {"langid": {"allow": ["en"]}}]
    ):
        again = built(tmp_path / f"again{n}", raw, cache, **chosen)
        assert again.cache and again.cache.records_recalled > 0
        assert release_bytes(again) == release_bytes(built(tmp_path / f"cold{n}", raw, None, **chosen))


def test_only_changed_files_are_read_and_the_result_is_a_cold_build(tmp_path):
    raw = write_files(tmp_path / "raw", corpus())
    cache = tmp_path / "cache"
    built(tmp_path / "warm", raw, cache)
    write_files(
        raw, {"news/doc005.txt": f"Story 5, corrected\n\n{article_text(5)}", "news/new.txt": article_text(77)}
    )
    (raw / "news" / "doc007.txt").unlink()
    grown = built(tmp_path / "grown", raw, cache)
    assert grown.cache and (grown.cache.files_reused, grown.cache.files_read) == (18, 2)
    assert release_bytes(grown) == release_bytes(built(tmp_path / "cold", raw, None))


def test_split_ratios_reuse_every_file_and_a_clean_rule_reads_every_file(tmp_path):
    raw = write_files(tmp_path / "raw", corpus())
    cache = tmp_path / "cache"
    built(tmp_path / "warm", raw, cache)
    ratios = {"split": {"ratios": {"train": 0.6, "validation": 0.2, "test": 0.2}}}
    moved = built(tmp_path / "ratios", raw, cache, **ratios)
    assert moved.cache and moved.cache.files_read == 0
    assert release_bytes(moved) == release_bytes(built(tmp_path / "cold-ratios", raw, None, **ratios))
    rule = {
        "clean": {
            "extra_rules": [{"name": "friend", "pattern": "Share this article.*", "action": "drop-line"}]
        }
    }
    cleaned = built(tmp_path / "rule", raw, cache, **rule)
    assert cleaned.cache and cleaned.cache.files_reused == 0
    assert release_bytes(cleaned) == release_bytes(built(tmp_path / "cold-rule", raw, None, **rule))


def test_a_corrupt_or_truncated_entry_is_reported_and_recomputed_never_used(tmp_path):
    raw = write_files(tmp_path / "raw", corpus())
    cache = tmp_path / "cache"
    cold = built(tmp_path / "cold", raw, cache)
    cold_bytes = set_aside(cold)
    entries = sorted(e.path for e in Store(cache).entries())
    flipped, truncated = Path(entries[3]), Path(entries[11])
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x01
    flipped.write_bytes(bytes(data))
    truncated.write_bytes(truncated.read_bytes()[:-7])
    again = built(tmp_path / "again", raw, cache)
    named = {w.split()[2] for w in again.warnings if "corrupt" in w}
    # Each is reported when read; one may instead be rewritten unread (a part of a file
    # whose listing was the other), which is as safe.
    assert named and named <= {str(flipped), str(truncated)}
    assert release_bytes(again) == cold_bytes
    set_aside(again)
    for damaged in (flipped, truncated):
        assert Store(cache).get(damaged.name.removesuffix(".entry")) is not None  # whole again
    third = built(tmp_path / "third", raw, cache)  # the recomputed entries were stored again
    assert third.cache and third.cache.files_read == 0 and not [w for w in third.warnings if "corrupt" in w]


def test_the_cache_is_bounded_and_the_least_recently_used_entries_go_first(tmp_path):
    store = Store(tmp_path / "cache")
    for name in "abcdef":
        store.put(name * 8, b"x" * 1000)
    for age, name in enumerate("abcdef"):  # a is the oldest use
        os.utime(store.path(name * 8), ns=(age * 10**9, age * 10**9))
    assert store.get("bbbbbbbb") == b"x" * 1000  # a use: b is now the newest
    size = store.info().bytes // 6
    assert store.evict(3 * size) == 3
    assert [name for name in "abcdef" if store.has(name * 8)] == ["b", "e", "f"]
    stale, fresh = store.path("stale").parent / ".stale.tmp", store.path("fresh").parent / ".fresh.tmp"
    for temporary in (stale, fresh):  # what writers killed mid-write leave
        temporary.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(b"half")
    os.utime(stale, (0, 0))
    store.evict(10**9)
    assert not stale.exists() and fresh.exists()
    assert store.clear().entries == 3 and store.info().entries == 0


def test_the_cache_setting_bounds_it_after_a_build(tmp_path):
    raw = write_files(tmp_path / "raw", corpus())
    release = build(make_config(tmp_path, raw, cache={"max_bytes": 100_000}), report=False)
    assert release.cache and 0 < release.cache.bytes <= 100_000
    assert release.cache.folder == tmp_path / "dist" / "test" / ".cache"


def write_one(args: tuple[str, int]) -> bool:
    folder, n = args
    store = Store(Path(folder))
    for _ in range(20):
        store.put("shared-key", [n] * 5000)
        value = store.get("shared-key")
        if value is not None and len(set(value)) != 1:
            return False
    return True


def test_builds_sharing_a_cache_never_see_half_an_entry(tmp_path):
    with multiprocessing.get_context("fork").Pool(4) as pool:
        assert all(pool.map(write_one, [(str(tmp_path), n) for n in range(8)]))
    assert [p.name for p in (tmp_path / "entries").rglob("*")] == [
        "sh",
        "shared-key.entry",
    ]  # no temporaries left


def test_the_cli_builds_without_the_cache_and_shows_and_clears_it(tmp_path):
    write_files(tmp_path / "raw", corpus())
    (tmp_path / "dataset.toml").write_text('name = "c"\nversion = "1.0.0"\n')
    first = run_cli("build", "--no-report", cwd=tmp_path)
    assert first.returncode == 0 and "0 file(s) reused, 20 read" in first.stdout
    info = run_cli("cache", "info", cwd=tmp_path)
    assert info.returncode == 0 and "dist/c/.cache: " in info.stdout and " 0 entries" not in info.stdout
    plain = run_cli("build", "--no-report", "--no-cache", "--version", "1.0.1", cwd=tmp_path)
    assert plain.returncode == 0 and "cache" not in plain.stdout
    cleared = run_cli("cache", "clear", cwd=tmp_path)
    assert cleared.returncode == 0 and "deleted" in cleared.stdout
    assert "0 entries" in run_cli("cache", "info", cwd=tmp_path).stdout


CHANGES = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 30)),
        st.tuples(st.just("edit"), st.integers(0, 30)),
        st.tuples(st.just("remove"), st.integers(0, 30)),
        st.tuples(st.just("rule"), st.booleans()),
        st.tuples(st.just("ratios"), st.booleans()),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES)
def test_any_sequence_of_changes_builds_what_a_cold_build_does(tmp_path_factory, changes):
    root = tmp_path_factory.mktemp("changes")
    raw = write_files(root / "raw", {f"d{i:02d}.txt": article_text(i) for i in range(8)})
    cache = root / "cache"
    chosen: dict[str, object] = {}
    built(root / "start", raw, cache)
    for step, (kind, value) in enumerate(changes):
        if kind == "add":
            write_files(raw, {f"d{value:02d}.txt": article_text(1000 + step)})
        elif kind == "edit" and (raw / f"d{value % 8:02d}.txt").exists():
            write_files(raw, {f"d{value % 8:02d}.txt": article_text(value % 8) + " Edited."})
        elif kind == "remove" and len(list(raw.iterdir())) > 2:
            (sorted(raw.iterdir())[value % len(list(raw.iterdir()))]).unlink()
        elif kind == "rule":
            chosen["clean"] = {"unicode_form": "NFKC" if value else "NFC"}
        elif kind == "ratios":
            if value:
                chosen["split"] = {"ratios": {"train": 0.5, "validation": 0.25, "test": 0.25}}
            else:
                chosen.pop("split", None)
        warm = built(root / f"warm{step}", raw, cache, **chosen)
        cold = built(root / f"cold{step}", raw, None, **chosen)
        assert release_bytes(warm) == release_bytes(cold)
    shutil.rmtree(root)


def test_a_published_version_whose_inputs_did_not_change_is_not_built_again(tmp_path):
    """As `make` or DVC: the same inputs, config, code and datasheet answers as the build
    that published the version, and the release intact, give that release at once."""
    raw = write_files(tmp_path / "raw", corpus())
    first = build(make_config(tmp_path, raw), report=False)
    again = build(make_config(tmp_path, raw), report=False)
    assert again.unchanged and again.cache and again.cache.not_built
    assert again.manifest == first.manifest and again.rejects == first.rejects and first.rejects
    datasheet = tmp_path / "DATASHEET.md"  # the maintainers' answers are an input too
    datasheet.write_text(
        "# Datasheet\n\n## Motivation\n\n### For what purpose was the dataset created?\n\nTests.\n"
    )
    with pytest.raises(BuildError, match="already published with different content"):
        build(make_config(tmp_path, raw, datasheet=str(datasheet)), report=False)
    datasheet.unlink()
    write_files(raw, {"notes.docx": "not an article"})  # a skipped file is in the manifest too
    with pytest.raises(BuildError, match="already published with different content"):
        build(make_config(tmp_path, raw), report=False)
    (raw / "notes.docx").unlink()
    data = next((first.path / "data").rglob("*.parquet"))
    data.write_bytes(data.read_bytes() + b"x")  # a damaged release is never taken as built
    damaged = build(make_config(tmp_path, raw), report=False)
    assert damaged.cache and not damaged.cache.not_built
    write_files(raw, {"news/doc000.txt": "Story 0, corrected\n\n" + article_text(0)})
    with pytest.raises(BuildError, match="already published with different content"):
        build(make_config(tmp_path, raw), report=False)


def test_an_unchanged_corpus_built_into_a_new_folder_is_a_checked_copy_of_its_release(tmp_path):
    """The same inputs built into another output folder: the release an earlier build
    published from them is checked and copied, byte for byte what a cold build writes
    there (report.html too); a damaged one is passed over for the next remembered, and
    with none left intact the release is built."""
    raw = write_files(tmp_path / "raw", corpus())

    def into(folder: str, cache: bool = True, report: bool = True) -> Release:
        chosen = {"folder": str(tmp_path / "cache")} if cache else {"enabled": False}
        return build(make_config(tmp_path / folder, raw, cache=chosen), report=report)

    first = into("first")
    copied = into("copied")
    cold = into("cold", cache=False)
    assert copied.cache and copied.cache.copied_from == first.path.resolve() and not copied.unchanged
    assert release_bytes(copied) == release_bytes(cold) and (copied.path / "report.html").is_file()
    assert copied.rejects == cold.rejects and copied.manifest == cold.manifest
    bare = into("bare", report=False)
    assert bare.cache and bare.cache.copied_from and not (bare.path / "report.html").exists()
    assert release_bytes(bare) == release_bytes(into("bare-cold", cache=False, report=False))
    for damaged in (first, copied, bare):
        data = next((damaged.path / "data").rglob("*.parquet"))
        data.write_bytes(data.read_bytes()[:-1])
        again = into(f"after-{damaged.path.parts[-4]}")
        assert again.cache and again.cache.copied_from != damaged.path.resolve()
        assert release_bytes(again) == release_bytes(cold)
        set_aside(again)
    assert again.cache and again.cache.copied_from is None and not again.cache.not_built


def test_a_release_that_cannot_be_copied_is_built_instead(tmp_path, monkeypatch):
    """A remembered release whose copy fails (its folder removed mid-copy, a full disk) is
    not a failed build: nothing is left half-copied and the release is built."""
    raw = write_files(tmp_path / "raw", corpus())
    first = built(tmp_path / "first", raw, tmp_path / "cache")

    def vanished(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", str(first.path / "data"))

    monkeypatch.setattr(shutil, "copytree", vanished)
    again = built(tmp_path / "again", raw, tmp_path / "cache")
    assert again.cache and again.cache.copied_from is None and not again.cache.not_built
    assert release_bytes(again) == release_bytes(first)
    assert not list(again.path.parent.glob(".*.partial-*"))


def test_a_cache_that_cannot_be_written_costs_only_speed(tmp_path):
    """A full disk or a read-only folder under the cache: the build reads every file and
    publishes the same bytes, and says nothing is reused."""
    raw = write_files(tmp_path / "raw", corpus())
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    cold = built(tmp_path / "cold", raw, None)
    for n in range(2):
        release = built(tmp_path / f"blocked{n}", raw, blocked)
        assert release.cache and (release.cache.files_reused, release.cache.entries) == (0, 0)
        assert release_bytes(release) == release_bytes(cold)


def test_the_shingle_memo_keeps_the_texts_first_in_hash_order_within_its_budget():
    sets = {row: np.arange(row + 1, dtype=np.uint64) for row in range(4)}  # 8, 16, 24, 32 bytes
    hashes = {0: b"d" * 16, 1: b"b" * 16, 2: b"a" * 16, 3: b"c" * 16}
    kept = local.memo_pairs(sets, hashes, budget=24 + 16)  # rows 2 (a) and 1 (b) fit, 3 (c) not
    assert kept == [(b"a" * 16, sets[2].tobytes()), (b"b" * 16, sets[1].tobytes())]
    assert len(local.memo_pairs(sets, hashes, budget=10**6)) == 4
