"""The build's bookkeeping: where every record went, and what each step removed or decided.

`Index` knows each spooled record by its row (id, provenance, fate); `Ledger` counts and
collects what the manifest, the audit files and the report say. The functions below enter
each step's results in both; none of them decides anything.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dataset_builder.config import SPLITS
from dataset_builder.decide.dedup import NearDuplicate, NearDupSettings, difference_excerpt, lowest_similarity
from dataset_builder.decide.minhash import detection_probability
from dataset_builder.decide.split import Move
from dataset_builder.decide.steps import Decisions, similarity_edges
from dataset_builder.engines.passes import Annotated, Prepared
from dataset_builder.errors import BuildError
from dataset_builder.index import Index
from dataset_builder.records import LINEAGE_SCHEMA, SIGNALS, Duplicate, Provenance, Rejection
from dataset_builder.spool import Spool
from dataset_builder.stages.decontaminate import EvalIndex, EvalSet
from dataset_builder.stages.profile import Profile

S_CURVE = (0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
NEAR_EXAMPLES = 6
CONTAMINATION_EXAMPLES = 3  # per evaluation set, in the manifest, datasheet and report


@dataclass
class Scores:
    """Every scored record's signals, one compact column per signal, and its language."""

    rows: array = field(default_factory=lambda: array("q"))
    languages: list[str] = field(default_factory=list)
    values: dict[str, array] = field(default_factory=lambda: {name: array("d") for name in SIGNALS})
    rejected: Counter[str] = field(default_factory=Counter)  # quality rejects, by signal broken

    def extend(
        self, rows: list[int], languages: list[str], values: list[dict[str, Any]], failed: list[list[str]]
    ) -> None:
        """The records `rows` (a batch of pass 2): their languages, signals and the bounds
        each broke, one column at a time."""
        self.rows.extend(rows)
        self.languages.extend(languages)
        for name in SIGNALS:
            self.values[name].extend([math.nan if v[name] is None else float(v[name]) for v in values])
        for broken in failed:
            self.rejected.update({text.split(" ", 1)[0] for text in broken})


@dataclass
class Ledger:
    """Where every record went, and what each stage removed or decided."""

    read: int = 0
    rejects: list[Rejection] = field(default_factory=list)
    unspooled: list[Rejection] = field(default_factory=list)  # rejected before the spool
    duplicates: list[Duplicate] = field(default_factory=list)
    boilerplate: Counter[str] = field(default_factory=Counter)
    records_per_file: Counter[str] = field(default_factory=Counter)
    encodings: Counter[str] = field(default_factory=Counter)  # records read, by encoding ("" = undecodable)
    rows: Counter[str] = field(default_factory=Counter)  # kept, per split
    languages: dict[str, Counter[str]] = field(default_factory=lambda: {s: Counter() for s in SPLITS})
    missing: Counter[str] = field(default_factory=Counter)
    pii: Counter[str] = field(default_factory=Counter)  # occurrences in kept texts, by kind
    profiles: dict[str, Profile] = field(default_factory=lambda: {s: Profile() for s in SPLITS})
    pii_records: Counter[str] = field(default_factory=Counter)  # kept records holding each kind
    near_dup: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    leakage: list[dict[str, Any]] = field(default_factory=list)
    near_examples: list[dict[str, Any]] = field(default_factory=list)  # for the report
    moves: list[Move] = field(default_factory=list)
    keys: Counter[str] = field(default_factory=Counter)  # input key -> objects that had it
    objects: int = 0  # records read from objects (JSON, tables), which have keys
    evalsets: list[dict[str, Any]] = field(default_factory=list)  # what was checked, for the manifest
    contamination: list[dict[str, Any]] = field(default_factory=list)  # every match, audit rows
    to_test: set[str] = field(default_factory=set)  # ids `split` decontamination sends to test
    quality: Scores = field(default_factory=Scores)  # every scored record's signals
    lines: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)  # per spool row, with
    # boilerplate.learn: publisher and line hashes
    learned: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per publisher, lines removed
    quality_summary: dict[str, Any] = field(default_factory=dict)  # the manifest's `quality`
    cache_warnings: list[str] = field(default_factory=list)  # cache entries found corrupt

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "rejected": len(self.rejects),
            "duplicates": len(self.duplicates),
            "kept": sum(self.rows.values()),
        }


def account(prepared: Prepared, spool: Spool, index: Index, ledger: Ledger) -> None:
    """Enter one batch of pass 1 in the spool's table, the index and the ledger."""
    spool.add_batch(prepared.batch, len(prepared.ids))
    index.add(prepared.ids, prepared.provenance)
    ledger.read += len(prepared.ids) + len(prepared.rejected)
    ledger.records_per_file.update(prov[0] for prov in prepared.provenance)
    ledger.records_per_file.update(r.raw_path for r in prepared.rejected)
    ledger.boilerplate.update(prepared.removed)
    ledger.keys.update(prepared.keys)
    ledger.objects += prepared.objects
    ledger.encodings.update(prov[4] for prov in prepared.provenance)
    ledger.encodings.update(r.raw_encoding or "" for r in prepared.rejected)
    ledger.rejects.extend(prepared.rejected)
    ledger.unspooled.extend(prepared.rejected)
    ledger.lines.extend(prepared.lines)
    ledger.contamination.extend(prepared.contamination)
    ledger.to_test.update(prepared.to_test)
    ledger.cache_warnings.extend(prepared.warnings)


def evalset_summaries(evalsets: list[EvalSet], indexes: list[EvalIndex], merged: Any) -> list[dict[str, Any]]:
    """What the manifest says of each evaluation set checked: its path as the config
    writes it (never this machine's), hash, size and settings."""
    return [
        {
            "name": evalset.settings.name,
            "path": entry["path"],
            "kind": evalset.kind,
            "sha256": evalset.sha256,
            "items": len(evalset.items),
            "items_too_short": index.too_short,
            "ngram": index.n,
            "action": index.action,
        }
        for evalset, index, entry in zip(evalsets, indexes, merged.get("decontaminate", []), strict=True)
    ]


def decontamination(ledger: Ledger) -> dict[str, Any]:
    """The manifest's account of decontamination: per evaluation set, the records that
    matched it and the first few of them (in provenance order), by the set's name."""
    rows = sorted(ledger.contamination, key=lambda r: (r["raw_path"], r["raw_line"]))
    summaries = {}
    for evalset in ledger.evalsets:
        found = [r for r in rows if r["evalset"] == evalset["name"]]
        examples = [
            {key: r[key] for key in ("id", "item", "tokens", "span")} for r in found[:CONTAMINATION_EXAMPLES]
        ]
        summaries[evalset["name"]] = {**evalset, "records_matched": len(found), "examples": examples}
    return {"evaluation_sets": summaries, "records_matched": len({r["id"] for r in rows})}


def reject_duplicate_ids(index: Index, ledger: Ledger) -> np.ndarray:
    """A source id used twice: the later record is rejected, naming the first."""
    alive = np.ones(len(index), dtype=bool)
    order = pc.sort_indices(index.ids)  # stable: of equal ids, the first read comes first
    ordered = index.ids.take(order)
    repeat = np.r_[False, pc.equal(ordered[1:], ordered[:-1]).to_numpy(zero_copy_only=False)]
    first = np.maximum.accumulate(np.where(repeat, 0, np.arange(len(repeat))))  # of each run
    order = order.to_numpy()
    for place in np.flatnonzero(repeat).tolist():
        row, owner = int(order[place]), int(order[first[place]])
        alive[row] = False
        detail = f"id {index.id(row)!r} is already used by {index.locator(owner)}"
        ledger.rejects.append(index.rejection(row, "duplicate-id", detail))
    return alive


def apply_decisions(
    index: Index, ledger: Ledger, spool: Spool, decisions: Decisions, ranks: np.ndarray, near: NearDupSettings
) -> None:
    """Enter the global steps' decisions in the index and the ledger."""
    for row, of in decisions.exact:
        ledger.duplicates.append(index.duplicate(row, of, "exact", 1.0))
    for found in decisions.near:
        ledger.duplicates.append(index.duplicate(found.index, found.representative, "near", found.similarity))
    ledger.moves = decisions.moves
    ledger.groups = decisions.groups
    stats = decisions.near_stats
    if stats is None:
        return
    ledger.near_examples = near_examples(
        index, spool, lowest_similarity(decisions.near, ranks, NEAR_EXAMPLES)
    )
    n_bands, rows = near.lsh_shape
    ledger.near_dup = {
        "enabled": True,
        "bands": n_bands,
        "rows": rows,
        "detection_probability": {
            f"{s:.1f}": round(detection_probability(s, n_bands, rows), 4) for s in S_CURVE
        },
        "compared": stats.compared,
        "too_short": stats.too_short,
        "scripts": stats.scripts,
        "candidate_pairs": stats.candidates,
        "pairs_at_or_above": stats.at_or_above,
        "removed": len(decisions.near),
        "clusters": len({d.representative for d in decisions.near}),
        "similarity_histogram": {
            "edges": [round(edge, 2) for edge in similarity_edges(near.report_threshold).tolist()],
            "pairs": stats.histogram,
        },
    }


def near_examples(index: Index, spool: Spool, examples: list[NearDuplicate]) -> list[dict[str, Any]]:
    """Dropped near-duplicates beside their representatives, where the two texts differ."""
    rows = np.array([r for d in examples for r in (d.index, d.representative)], dtype=np.int64)
    texts = dict(spool.take(rows, "text"))
    return [
        {
            "id": index.id(d.index),
            "duplicate_of": index.id(d.representative),
            "similarity": d.similarity,
            "segments": difference_excerpt(texts[d.representative], texts[d.index]),
        }
        for d in examples
    ]


def account_annotated(
    result: Annotated,
    rows: list[int],
    splits: np.ndarray,
    index: Index,
    ledger: Ledger,
    allow: tuple[str, ...],
) -> None:
    """Enter one batch of pass 2: each row is rejected by the allow-list or by `[quality]`,
    or kept in its split."""
    scored = [i for i, values in enumerate(result.signals) if values is not None]
    ledger.quality.extend(
        [rows[i] for i in scored],
        [result.outcomes[i][0] for i in scored],
        [result.signals[i] for i in scored],
        [result.failed[i] for i in scored],
    )
    for i, (row, (language, found, kinds, kept)) in enumerate(zip(rows, result.outcomes, strict=True)):
        if not kept and result.failed[i]:
            ledger.rejects.append(index.rejection(row, "quality", "; ".join(result.failed[i])))
            continue
        if not kept:
            detail = f"language {language!r} is not in langid.allow {list(allow)}"
            ledger.rejects.append(index.rejection(row, "language", detail))
            continue
        split = SPLITS[splits[row]]
        index.place(row, split)
        ledger.rows[split] += 1
        ledger.languages[split][language] += 1
        if found:
            index.pii[row] = found
            for item in found.split(";"):
                kind, count = item.split("=")
                ledger.pii[kind] += int(count)
            ledger.pii_records.update(kinds)
    ledger.missing.update(result.missing)
    ledger.cache_warnings.extend(result.warnings)
    for split, profile in result.profiles.items():
        ledger.profiles[split].merge(profile)


def leakage(
    index: Index, crossing: list[tuple[int, int, float]], splits: np.ndarray, group_threshold: float
) -> list[dict[str, Any]]:
    """Similar pairs (at or above the report threshold) whose records ended in different splits."""
    found = []
    for a, b, similarity in crossing:
        if index.in_split(a) and index.in_split(b):
            if similarity >= group_threshold:
                raise BuildError(
                    f"internal error: {index.id(a)} and {index.id(b)} ({similarity:.3f}) cross splits"
                )
            (first, s1), (second, s2) = sorted(
                [(index.id(a), SPLITS[splits[a]]), (index.id(b), SPLITS[splits[b]])]
            )
            found.append(
                {"id": first, "other": second, "split": s1, "other_split": s2, "similarity": similarity}
            )
    return sorted(found, key=lambda row: (row["id"], row["other"]))


def lineage(index: Index, ledger: Ledger, redacted: bool) -> pa.Table:
    """One row per record read: provenance, id, fate (`split:`, `rejected:`, `duplicate:`),
    the personal information found in a kept text and whether it was redacted."""
    found = [None] * len(index)
    for row, kinds in index.pii.items():
        found[row] = kinds
    spooled = pa.table(
        {
            **index.columns(),
            "pii": pa.array(found, pa.string()),
            "redacted": pa.array([redacted and kinds is not None for kinds in found], pa.bool_()),
        },
        schema=LINEAGE_SCHEMA,
    )
    rows = [(*Provenance.values(r), r.id, f"rejected:{r.reason}", None, False) for r in ledger.unspooled]
    columns = zip(*rows, strict=True) if rows else [[] for _ in LINEAGE_SCHEMA.names]
    unspooled = pa.table(
        dict(zip(LINEAGE_SCHEMA.names, map(list, columns), strict=True)), schema=LINEAGE_SCHEMA
    )
    return pa.concat_tables([spooled, unspooled]).combine_chunks()
