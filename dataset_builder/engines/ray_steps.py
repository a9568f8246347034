"""The global steps on Ray Data: `decide.steps.decide`'s decisions, made by grouping operations.

    records          pass 1's dedup keys, one row per spooled record (row, rank, id, key, ...)
    exact dedup      group by content key          -> dedup.exact_duplicates in each group
    LSH candidates   group by band key             -> minhash.collisions per band
                     group by pair                 -> each candidate pair once
    confirmation     batches of candidates         -> dedup.similar_pairs (exact Jaccard)
    clusters         connected components          -> large-star / small-star rounds
    split groups     similar pairs, shared values  -> components -> split.assign_splits
    publisher names  group by site and folded name -> publishers.publisher_names in each group

Band keys, candidate pairs and similar pairs stay in Ray's object store, partitioned over
the cluster. The building process receives only what it writes down (the duplicates, each
surviving record's split, counts) and reads the similar pairs as a stream. Each grouping
is a hash shuffle into `parts` partitions, and each partition runs the function the local
engine runs on whole arrays. Nodes are ranks (places in id order), so every choice — the
copy that stays, a cluster's representative, a group's split — is the local engine's,
however the rows were partitioned.

Connected components use large-star / small-star (Kiveris et al., "Connected Components
in MapReduce and Beyond", SoCC 2014; GraphFrames uses it too): each round groups the edge
list by node twice, edges only move towards smaller nodes, and the rounds stop when every
component is a star around its smallest node, which is its label. It needs no join and
O(log² n) rounds.

The module is one unit over ~400 lines: `Steps` chains the groupings, and the table
functions below it are the per-partition halves of those same steps, read side by side.
"""

from __future__ import annotations

import functools
import pickle
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from dataset_builder.decide.dedup import (
    NearDuplicate,
    NearDupSettings,
    ShingleSets,
    exact_duplicates,
    similar_pairs,
)
from dataset_builder.decide.minhash import Shingling, collisions
from dataset_builder.decide.publishers import Renames, fold, publisher_names
from dataset_builder.decide.split import Move, assign_splits
from dataset_builder.decide.steps import (
    Corpus,
    Decisions,
    DedupKeys,
    crossing_pairs,
    group_sizes,
    near_stats,
    script_counts,
    split_column,
)
from dataset_builder.engines.passes import Prepared
from dataset_builder.hashing import fmix64
from dataset_builder.spool import Spool

PARTS_PER_WORKER = 4
PAIRS_PER_TASK = 4096  # candidate pairs per Jaccard batch
Dataset = Any  # ray.data.Dataset; Ray is an optional dependency
Table = pa.Table
Partitioner = Callable[[Table], np.ndarray]


@dataclass(frozen=True)
class Shared:
    """What tasks look up, put in Ray's object store once per build."""

    starts: dict[str, int]  # spool batch name -> its first row
    ranks: np.ndarray  # row -> place in id order
    by_rank: np.ndarray  # place in id order -> row
    alive: np.ndarray  # row -> not rejected before dedup
    spool: Spool
    base: dict[str, str] | None  # id -> split in the `split.base` release
    to_test: frozenset[str]  # ids whose group goes to test (decontamination)


def decide(results: Dataset, corpus: Corpus, workers: int) -> Decisions:
    """The global steps over pass 1's `results`: rows of pickled (Prepared, DedupKeys)."""
    import ray

    spool = corpus.spool
    shared = ray.put(
        Shared(
            dict(zip(spool.names, spool.starts, strict=True)),
            corpus.ranks,
            np.argsort(corpus.ranks),
            corpus.alive,
            spool,
            corpus.base,
            corpus.to_test,
        )
    )
    records = results.map_batches(
        functools.partial(record_rows, shared=[shared], group_by=list(corpus.settings.split.group_by)),
        batch_format="pyarrow",
    )
    return Steps([shared], PARTS_PER_WORKER * workers, corpus).run(records)


@dataclass(frozen=True)
class Steps:
    shared: list[Any]  # [ObjectRef of Shared]: in a list, so Ray hands tasks the ref, not a copy
    parts: int
    corpus: Corpus

    def run(self, records: Dataset) -> Decisions:
        settings = self.corpus.settings
        records = regroup(records, by_key, exact_part, self.parts).materialize()
        exact = [
            (r["row"], r["of"]) for r in rows_of(where(records, lambda t: pc.not_equal(t["of"], t["row"])))
        ]
        survivors = where(records, lambda t: pc.equal(t["of"], t["row"])).materialize()
        near: list[NearDuplicate] = []
        stats = None
        similar = None
        if settings.near_dup.enabled:
            near_settings = NearDupSettings.from_settings(settings.near_dup)
            compared = where(survivors, lambda t: t["words"]).materialize()
            candidates = self.candidates(compared).materialize()
            similar = candidates.map_batches(
                functools.partial(confirm, shared=self.shared, settings=near_settings),
                batch_size=PAIRS_PER_TASK,
                batch_format="pyarrow",
            ).materialize()
            near = self.near_duplicates(similar, near_settings)
            dropped = pa.array(sorted(d.index for d in near), pa.int64())
            survivors = where(survivors, lambda t: pc.invert(pc.is_in(t["row"], dropped))).materialize()
            scripts = script_counts(
                (
                    row
                    for b in batches(compared, ["row", "script", "few"])
                    for row in zip(b["row"], b["script"], b["few"], strict=True)
                ),
                near,
            )
            stats = near_stats(
                (np.asarray(b["similarity"]) for b in batches(similar, ["similarity"])),
                near_settings,
                compared.count(),
                where(survivors, lambda t: pc.invert(t["words"])).count(),
                candidates.count(),
                scripts,
            )
        splits, moves, labels = self.splits(survivors, similar)
        crossing = []
        for batch in batches(similar, ["a", "b", "similarity"]) if similar is not None else ():
            pairs = np.column_stack([batch["a"], batch["b"]])
            crossing += crossing_pairs(pairs, np.asarray(batch["similarity"], dtype=np.float64), splits)
        renames = self.publishers(survivors)
        return Decisions(exact, near, stats, splits, moves, group_sizes(labels), crossing, renames)

    def candidates(self, compared: Dataset) -> Dataset:
        """Each pair of rows that shares a band key, once: (a, b) with a < b."""
        bands = compared.map_batches(band_rows, batch_format="pyarrow")
        found = regroup(
            bands, by_column("bkey"), functools.partial(colliding, n=len(self.corpus.ids)), self.parts
        )
        return regroup(found, by_pair, distinct_pairs, self.parts)

    def near_duplicates(self, similar: Dataset, settings: NearDupSettings) -> list[NearDuplicate]:
        """Clusters of pairs at or above the threshold: every member but the smallest id,
        with its similarity to that representative (measured: a member may reach it only
        through other members)."""
        edges = rank_edges(where(similar, at_least(settings.threshold)), self.shared)
        members = components(edges, self.parts)
        if members is None:
            return []
        measured = members.map_batches(
            functools.partial(similarity_to_label, shared=self.shared, shingling=settings.minhash.shingling),
            batch_size=PAIRS_PER_TASK,
            batch_format="pyarrow",
        )
        return [NearDuplicate(r["row"], r["representative"], r["similarity"]) for r in rows_of(measured)]

    def publishers(self, survivors: Dataset) -> Renames:
        """The survivors' spellings of one name on one site (`publishers.fold`) meet in one
        partition, which names them as the local engine does."""
        named = where(survivors, lambda t: pc.is_valid(t["spelling"])).select_columns(["site", "spelling"])
        found = regroup(named, by_folded_name, renamed_part, self.parts)
        return {(r["site"], r["spelling"]): r["canonical"] for r in rows_of(found)}

    def splits(self, survivors: Dataset, similar: Dataset | None) -> tuple[np.ndarray, list[Move], list[int]]:
        """Split groups — similar pairs at or above the group threshold, records sharing a
        `group_by` value — and each group's split: each survivor's split, the moves from
        the base release, and each survivor's group label."""
        settings = self.corpus.settings
        edges = []
        if similar is not None:
            group_threshold = settings.near_dup.group_threshold
            edges.append(rank_edges(where(similar, at_least(group_threshold)), self.shared))
        for name in settings.split.group_by:
            column = f"group:{name}"
            valued = where(survivors, lambda t, column=column: pc.is_valid(t[column]))
            values = valued.select_columns([column, "rank"]).rename_columns({column: "value"})
            edges.append(regroup(values, by_value, chain, self.parts))
        labels = components(union(edges), self.parts) if edges else None
        nodes = survivors.select_columns(["rank", "row", "id"]).map_batches(
            unlabelled, batch_format="pyarrow"
        )
        if labels is not None:
            nodes = nodes.union(labels.map_batches(label_rows, batch_format="pyarrow"))
        labelled = regroup(nodes, by_column("rank"), own_label, self.parts)
        split = settings.split
        assign = functools.partial(split_part, ratios=split.ratios, salt=split.salt, shared=self.shared)
        rows, assigned, moves, group_labels = [], [], [], []
        for batch in batches(
            regroup(labelled, by_column("label"), assign, self.parts), list(SPLIT_SCHEMA.names)
        ):
            rows += batch["row"]
            assigned += batch["split"]
            group_labels += batch["label"]
            for row, after, before, group in zip(
                batch["row"], batch["split"], batch["before"], batch["group"], strict=True
            ):
                if before is not None:
                    moves.append(Move(self.corpus.ids[row].as_py(), before, after, group))
        splits = split_column(len(self.corpus.ids), rows, assigned)
        return splits, sorted(moves, key=lambda m: m.id), group_labels


# --- dataset plumbing ---------------------------------------------------------------


def regroup(ds: Dataset, partition: Partitioner, fn: Callable[[Table], Table], parts: int) -> Dataset:
    """Hash-shuffle `ds` into `parts` partitions by `partition(table)` and run `fn` once on
    each whole partition: rows with equal partitioning values meet in one call."""

    def with_part(table: Table) -> Table:
        return table.append_column("part", pa.array(partition(table) % np.uint64(parts), pa.uint64()))

    def without_part(table: Table) -> Table:
        return fn(table.drop_columns(["part"]))

    return (
        ds.map_batches(with_part, batch_format="pyarrow")
        .groupby("part", num_partitions=parts)
        .map_groups(without_part, batch_format="pyarrow")
    )


def union(datasets: list[Dataset]) -> Dataset:
    return datasets[0].union(*datasets[1:]) if len(datasets) > 1 else datasets[0]


def where(ds: Dataset, predicate: Callable[[Table], Any]) -> Dataset:
    return ds.map_batches(lambda table: table.filter(predicate(table)), batch_format="pyarrow")


def at_least(threshold: float) -> Callable[[Table], Any]:
    return lambda table: pc.greater_equal(table["similarity"], threshold)


def rows_of(ds: Dataset) -> Iterator[dict[str, Any]]:
    for batch in ds.iter_batches(batch_format="pyarrow"):
        yield from batch.to_pylist()


def batches(ds: Dataset, columns: list[str]) -> Iterator[dict[str, list[Any]]]:
    """The columns of `ds` as Python lists, a batch at a time."""
    for batch in ds.select_columns(columns).iter_batches(batch_format="pyarrow"):
        yield {name: batch.column(name).to_pylist() for name in columns}


def shared_of(shared: list[Any]) -> Shared:
    import ray

    return ray.get(shared[0])


def by_key(table: Table) -> np.ndarray:
    """The first 8 bytes of each 16-byte content key."""
    keys = np.array(table["key"].to_pylist(), dtype="S16")
    return keys.view(np.uint64)[::2].copy() if len(keys) else np.zeros(0, np.uint64)


def by_column(name: str) -> Partitioner:
    return lambda table: fmix64(table[name].to_numpy().astype(np.uint64))


def by_pair(table: Table) -> np.ndarray:
    return fmix64(fmix64(table["a"].to_numpy().astype(np.uint64)) ^ table["b"].to_numpy().astype(np.uint64))


def by_folded_name(table: Table) -> np.ndarray:
    pairs = zip(table["site"].to_pylist(), table["spelling"].to_pylist(), strict=True)
    return np.array(
        [xxhash.xxh3_64_intdigest(f"{site}\0{fold(name)}".encode()) for site, name in pairs], np.uint64
    )


def by_value(table: Table) -> np.ndarray:
    return np.array(
        [xxhash.xxh3_64_intdigest(v.encode("utf-8")) for v in table["value"].to_pylist()], np.uint64
    )


# --- per-partition functions ------------------------------------------------------


def record_rows(results: Table, shared: list[Any], group_by: list[str]) -> Table:
    """One row per spooled record not rejected yet: its row, rank, id and dedup keys."""
    info = shared_of(shared)
    columns: dict[str, list[Any]] = {"row": [], "id": [], "key": [], "words": [], "script": [], "few": []}
    columns |= {"site": [], "spelling": []}
    columns |= {f"group:{name}": [] for name in group_by}
    bands = []
    for cell, keys_cell in zip(results["prepared"].to_pylist(), results["keys"].to_pylist(), strict=True):
        prepared: Prepared = pickle.loads(cell)
        keys: DedupKeys = pickle.loads(keys_cell)
        rows = info.starts[prepared.batch] + np.arange(len(prepared.ids), dtype=np.int64)
        keep = info.alive[rows]
        columns["row"] += rows[keep].tolist()
        columns["id"] += [i for i, k in zip(prepared.ids, keep, strict=True) if k]
        columns["key"] += [key for key, k in zip(keys.keys, keep, strict=True) if k]
        columns["words"] += keys.words[keep].tolist()
        columns["script"] += [script for script, k in zip(keys.scripts, keep, strict=True) if k]
        columns["few"] += keys.few[keep].tolist()
        for code in keys.publisher[keep].tolist():
            site, spelling = keys.publishers[code] if code >= 0 else (None, None)
            columns["site"].append(site)
            columns["spelling"].append(spelling)
        for name in group_by:
            columns[f"group:{name}"] += [v for v, k in zip(keys.groups[name], keep, strict=True) if k]
        bands.append(keys.bands[keep])
    table = pa.table(
        {
            **columns,
            "row": pa.array(columns["row"], pa.int64()),
            "rank": pa.array(info.ranks[np.array(columns["row"], np.int64)], pa.int64()),
            "key": pa.array(columns["key"], pa.binary(16)),
            "words": pa.array(columns["words"], pa.bool_()),
            "script": pa.array(columns["script"], pa.string()),
            "few": pa.array(columns["few"], pa.bool_()),
            "site": pa.array(columns["site"], pa.string()),
            "spelling": pa.array(columns["spelling"], pa.string()),
            **{f"group:{name}": pa.array(columns[f"group:{name}"], pa.string()) for name in group_by},
        }
    )
    matrix = np.concatenate(bands) if bands else np.zeros((0, 0), np.uint64)
    if not matrix.shape[1]:  # near dedup is off
        return table
    flat = pa.array(matrix.ravel(), pa.uint64())
    return table.append_column("bands", pa.FixedSizeListArray.from_arrays(flat, matrix.shape[1]))


RENAMED = pa.schema([("site", pa.string()), ("spelling", pa.string()), ("canonical", pa.string())])


def renamed_part(table: Table) -> Table:
    """`publishers.publisher_names` over this partition's (site, spelling) rows."""
    counts = Counter(zip(table["site"].to_pylist(), table["spelling"].to_pylist(), strict=True))
    renames = publisher_names((site, name, n) for (site, name), n in counts.items())
    sites, names = [site for site, _ in renames], [name for _, name in renames]
    return pa.table({"site": sites, "spelling": names, "canonical": list(renames.values())}, schema=RENAMED)


def exact_part(table: Table) -> Table:
    """Each record's representative ("of"): the smallest id with the same content key."""
    keys = np.array(table["key"].to_pylist(), dtype="S16")
    rows = table["row"].to_numpy()
    return table.append_column(
        "of", pa.array(rows[exact_duplicates(keys, table["rank"].to_numpy())], pa.int64())
    )


def band_rows(table: Table) -> Table:
    """One row per (record, band): band number, band key, record row."""
    n = len(table)
    matrix = table["bands"].combine_chunks().flatten().to_numpy().reshape(n, -1)
    count = matrix.shape[1]
    return pa.table(
        {
            "band": np.tile(np.arange(count, dtype=np.int64), n),
            "bkey": matrix.ravel(),
            "row": np.repeat(table["row"].to_numpy(), count),
        }
    )


def colliding(table: Table, n: int) -> Table:
    """Candidate pairs from the band keys in this partition, band by band."""
    band, keys, rows = (table[c].to_numpy() for c in ("band", "bkey", "row"))
    codes = [collisions(keys[band == b], rows[band == b], n) for b in np.unique(band)]
    found = np.concatenate(codes) if codes else np.zeros(0, np.int64)
    return pa.table({"a": found // n, "b": found % n})


def distinct_pairs(table: Table) -> Table:
    pairs = np.unique(np.stack([table["a"].to_numpy(), table["b"].to_numpy()], axis=1), axis=0)
    return pa.table({"a": pairs[:, 0], "b": pairs[:, 1]})


def confirm(table: Table, shared: list[Any], settings: NearDupSettings) -> Table:
    """Candidates confirmed by exact Jaccard, if at or above the report threshold."""
    info = shared_of(shared)
    candidates = np.stack([table["a"].to_numpy(), table["b"].to_numpy()], axis=1)
    shingles = ShingleSets.of_texts(info.spool.take(candidates.ravel(), "text"), settings.minhash.shingling)
    found = similar_pairs(candidates, shingles, 0, settings.report_threshold)
    return pa.table(
        {
            "a": pa.array(found.pairs[:, 0], pa.int64()),
            "b": pa.array(found.pairs[:, 1], pa.int64()),
            "similarity": pa.array(found.similarity, pa.float64()),
        }
    )


def rank_edges(pairs: Dataset, shared: list[Any]) -> Dataset:
    """Pairs of rows as edges (u < v) between their ranks."""

    def ranked(table: Table) -> Table:
        ranks = shared_of(shared).ranks
        a, b = ranks[table["a"].to_numpy()], ranks[table["b"].to_numpy()]
        return pa.table({"u": np.minimum(a, b), "v": np.maximum(a, b)})

    return pairs.map_batches(ranked, batch_format="pyarrow")


def similarity_to_label(table: Table, shared: list[Any], shingling: Shingling) -> Table:
    """Each cluster member's Jaccard with its representative (its label)."""
    info = shared_of(shared)
    rows = info.by_rank[table["node"].to_numpy()]
    representatives = info.by_rank[table["label"].to_numpy()]
    shingles = ShingleSets.of_texts(info.spool.take(np.r_[rows, representatives], "text"), shingling)
    return pa.table(
        {
            "row": rows,
            "representative": representatives,
            "similarity": [
                shingles.similarity(int(a), int(b)) for a, b in zip(rows, representatives, strict=True)
            ],
        }
    )


def chain(table: Table) -> Table:
    """Edges (u < v) chaining the ranks that share a value."""
    values = np.array(table["value"].to_pylist(), dtype=object)
    ranks = table["rank"].to_numpy()
    order = sorted(range(len(ranks)), key=lambda i: (values[i], ranks[i]))
    values, ranks = values[order], ranks[order]
    same = np.flatnonzero(values[1:] == values[:-1])
    return pa.table({"u": pa.array(ranks[same], pa.int64()), "v": pa.array(ranks[same + 1], pa.int64())})


LABELLED = pa.schema([("rank", pa.int64()), ("row", pa.int64()), ("id", pa.string()), ("label", pa.int64())])


def unlabelled(table: Table) -> Table:
    return pa.table(
        {
            "rank": table["rank"],
            "row": table["row"],
            "id": table["id"],
            "label": pa.nulls(len(table), pa.int64()),
        },
        schema=LABELLED,
    )


def label_rows(table: Table) -> Table:
    n = len(table)
    return pa.table(
        {
            "rank": table["node"],
            "row": pa.nulls(n, pa.int64()),
            "id": pa.nulls(n, pa.string()),
            "label": table["label"],
        },
        schema=LABELLED,
    )


def own_label(table: Table) -> Table:
    """Each record with its component's label, or its own rank when it is in no edge."""
    labels = {r["rank"]: r["label"] for r in table.filter(pc.is_null(table["row"])).to_pylist()}
    records = table.filter(pc.is_valid(table["row"]))
    ranks = records["rank"].to_pylist()
    return records.set_column(3, "label", pa.array([labels.get(r, r) for r in ranks], pa.int64()))


SPLIT_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("split", pa.string()),
        ("label", pa.int64()),
        ("before", pa.string()),
        ("group", pa.string()),
    ]
)


def split_part(table: Table, ratios: dict[str, float], salt: str, shared: list[Any]) -> Table:
    """`split.assign_splits` for the groups of this partition; a moved record also gets its
    split in the base release and its group's smallest id."""
    ids, labels = table["id"].to_pylist(), table["label"].to_pylist()
    common = shared_of(shared)
    splits, moves = assign_splits(ids, labels, ratios, salt, common.base, common.to_test)
    moved = {m.id: m for m in moves}
    return pa.table(
        {
            "row": table["row"],
            "split": splits,
            "label": labels,
            "before": [moved[i].before if i in moved else None for i in ids],
            "group": [moved[i].group if i in moved else None for i in ids],
        },
        schema=SPLIT_SCHEMA,
    )


# --- connected components -----------------------------------------------------------


def components(edges: Dataset, parts: int) -> Dataset | None:
    """(node, label) for every node of the edges (u, v) that is not its component's
    smallest node, labelled with that; None if there are no edges."""
    edges = edges.materialize()
    if edges.count() == 0:
        return None
    while True:
        changed = 0
        for large in (True, False):
            adjacency = edges.map_batches(both_ways, batch_format="pyarrow")
            stepped = regroup(
                adjacency, by_column("u"), functools.partial(star, large=large), parts
            ).materialize()
            changed += sum(
                pc.sum(b["changed"]).as_py() or 0 for b in stepped.iter_batches(batch_format="pyarrow")
            )
            edges = stepped.drop_columns(["changed"])
        if changed == 0:
            return edges.map_batches(
                lambda t: pa.table({"node": t["v"], "label": t["u"]}), batch_format="pyarrow"
            )


def both_ways(table: Table) -> Table:
    u, v = table["u"].to_numpy(), table["v"].to_numpy()
    return pa.table({"u": np.r_[u, v], "v": np.r_[v, u]})


def star(table: Table, large: bool) -> Table:
    """One large-star (or small-star) step on the adjacency rows (u, v) of this partition's
    nodes u. With m(u) the smallest of u and its neighbours, large-star links each larger
    neighbour of u to m(u); small-star links each smaller neighbour, and u, to m(u). An
    edge is counted as changed when the step replaced it."""
    pairs = np.unique(np.stack([table["u"].to_numpy(), table["v"].to_numpy()], axis=1), axis=0)
    u, v = pairs[:, 0], pairs[:, 1]  # sorted by u, then v: each node's first row has its smallest neighbour
    first = np.r_[True, u[1:] != u[:-1]]
    lowest = np.minimum(u, v[first][np.cumsum(first) - 1])  # m(u) on every row of u
    if large:
        pick = v > u
        ends, changed = v[pick], lowest[pick] != u[pick]
        others = lowest[pick]
    else:
        pick = v < u
        ends, others, changed = v[pick], lowest[pick], v[pick] != lowest[pick]
        centre = first & (lowest < u)  # u itself joins m(u), once
        ends, others = np.r_[ends, u[centre]], np.r_[others, lowest[centre]]
        changed = np.r_[changed, np.zeros(centre.sum(), bool)]
    keep = ends != others
    return pa.table(
        {
            "u": np.minimum(ends, others)[keep],
            "v": np.maximum(ends, others)[keep],
            "changed": changed[keep].astype(np.int64),
        }
    )
