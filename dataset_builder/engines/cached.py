"""Pass 1 with the build cache (`dataset_builder.cache`): which parts of which input files
need reading, and which the cache already answers.

For each input file the building process hashes its bytes and looks up the file's listing
(the record count of each of its parts, `stages.ingest.file_chunks`). When the listing and
every part's entry are there, the file is not read at all: its parts go to the workers as
keys, and the workers load their results. Otherwise the file is read as without a cache,
and the workers store each part's result; the listing is written once the file has been
handed out. Keys cover everything pass 1 reads (`pass1_context`), so the results are the
same, byte for byte, as those of a build without the cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dataset_builder import cache
from dataset_builder.cache import Memo, Store
from dataset_builder.config import IngestSettings, Settings, load_schema
from dataset_builder.decide.minhash import Shingling
from dataset_builder.engines.passes import BATCH_SIZE, Part
from dataset_builder.stages.ingest import InputFile, chunk_weight, file_chunks, file_sha256


def pass1_context(settings: Settings, read: IngestSettings, evalsets: list[dict[str, Any]]) -> str:
    """A key over everything besides a file's bytes that can change what pass 1 makes of
    it: how files are read (raw/sources.toml included), the clean rules, the record schema,
    what the dedup keys are computed with, the evaluation sets (by their hashes), this
    package's code and every installed version. Split ratios, language, PII and quality
    settings are not in it: pass 1 does not read them."""
    return cache.key(
        "pass 1",
        cache.code_version(),
        json.dumps(load_schema("article.schema.json"), sort_keys=True),
        read,
        settings.clean,
        settings.near_dup,
        settings.split.group_by,
        settings.boilerplate.learn,
        settings.decontaminate,
        json.dumps(evalsets, sort_keys=True, default=str),
        BATCH_SIZE,
    )


def plain_parts(file: InputFile, read: IngestSettings) -> Iterator[Part]:
    """A file's parts without a cache."""
    for number, units in enumerate(file_chunks(file, read, BATCH_SIZE)):
        yield Part(file, number, None, units, chunk_weight(units))


def pass2_context(settings: Settings) -> str:
    """The key of pass 2's memo: what a text's language, signals and personal information
    depend on besides the text (the allow-list, quality bounds and redaction are applied
    to them afresh in every build)."""
    return cache.key(
        "pass 2",
        cache.code_version(),
        settings.langid.seed,
        settings.langid.min_chars,
        settings.pii.phone_region,
    )


def shingles_context(shingling: Shingling) -> str:
    """The key of the memo of shingle sets: a text's set depends on the text, the shingle
    widths and this package's code."""
    return cache.key("shingle sets", cache.code_version(), shingling)


@dataclass
class BuildCache:
    """The cache as the building process sees it in one build: where it is, the keys of
    this build's pass-1 and pass-2 settings, and how much it answered."""

    store: Store
    context: str  # pass 1's settings (`pass1_context`)
    memo_key: str  # pass 2's memo (`pass2_context`)
    files_reused: int = 0
    files_read: int = 0
    records_recalled: int = 0  # pass 2: records whose results came from the memo
    warnings: list[str] = field(default_factory=list)
    hashes: dict[str, str | None] = field(default_factory=dict)  # input file -> its SHA-256, once a build

    def sha256(self, file: InputFile) -> str | None:
        if file.rel not in self.hashes:
            self.hashes[file.rel] = file_sha256(file)
        return self.hashes[file.rel]

    def release_key(self, files: list[InputFile], *context: object) -> str:
        """A key over everything a release's bytes depend on: every input file's bytes,
        pass 1's and pass 2's keys, and `context` (the recorded config, name and version,
        the datasheet's answers, the published versions it is compared with)."""
        return cache.key(
            "release", self.context, self.memo_key, [(f.rel, self.sha256(f)) for f in files], *context
        )

    def batch_context(self, settings: Settings) -> str:
        """The key of pass 2's settings for a whole spool batch: the memo's, and what a build
        does with a text's results (the allow-list, `[quality]`, `[pii]`, the declared
        columns)."""
        return cache.key(
            "pass 2 batches",
            self.memo_key,
            settings.langid.allow,
            settings.quality,
            settings.pii,
            settings.ingest.columns,
        )

    def memo(self) -> Memo:
        """Pass 2's results of the last build with these settings, by text."""
        return self.stored_memo(self.memo_key)

    def keep_memo(self, pairs: list[tuple[bytes, bytes]]) -> None:
        """This build's pass-2 results, for the next build (the texts it no longer has go)."""
        self.store.put(self.memo_key, Memo.of(pairs))

    def shingle_memo(self, shingling: Shingling) -> Memo:
        """The shingle sets the last build with this shingling confirmed candidates with, by
        text: a grown or unchanged corpus proposes mostly the same candidates again."""
        return self.stored_memo(shingles_context(shingling))

    def keep_shingles(self, shingling: Shingling, pairs: list[tuple[bytes, memoryview]]) -> None:
        """This build's candidates' shingle sets (uint64 bytes), for the next build."""
        self.store.put(shingles_context(shingling), Memo.of(pairs))

    def stored_memo(self, key: str) -> Memo:
        """The memo under `key`; an empty one when there is none, or when it was corrupt
        (reported in the build's warnings and recomputed)."""
        return self.store.recall(key, self.warnings) or Memo.of([])

    def parts(self, file: InputFile, read: IngestSettings) -> Iterator[Part]:
        """The file's parts: keys only, when the cache holds every one; else read."""
        listing, cached = self.lookup(file)
        yield from cached if cached is not None else read_parts(file, read, self.store, listing)

    def lookup(self, file: InputFile) -> tuple[str | None, list[Part] | None]:
        """The file's listing key (None: the file cannot be read, nothing to cache) and,
        when the cache holds every part of it, those parts (as keys); else None."""
        sha = self.sha256(file)
        if sha is None:  # unreadable: its rejection is not worth keeping
            self.files_read += 1
            return None, None
        listing = cache.key(self.context, file.rel, sha)
        weights: list[int] | None = self.store.recall(listing, self.warnings)
        keys = [cache.key(listing, number) for number in range(len(weights or ()))]
        if weights is None or not all(self.store.has(key) for key in keys):
            self.files_read += 1
            return listing, None
        self.files_reused += 1
        return listing, [
            Part(file, n, key, None, weight)
            for n, (key, weight) in enumerate(zip(keys, weights, strict=True))
        ]


def read_parts(
    file: InputFile, read: IngestSettings, store: Store | None, listing: str | None
) -> Iterator[Part]:
    """A file's parts, read, each with its cache key (when there is a `listing`); once all
    are handed out, the listing (each part's weight) is stored, for the next build."""
    if store is None or listing is None:
        yield from plain_parts(file, read)
        return
    found: list[int] = []
    for part in plain_parts(file, read):
        found.append(part.weight)
        yield Part(file, part.number, cache.key(listing, part.number), part.units, part.weight)
    store.put(listing, found)
