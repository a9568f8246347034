"""What the release says about its quality signals: per signal, where the records fall.

A threshold is judged by looking at what sits either side of it, so the manifest keeps, per
signal, a histogram of every scored record (kept, or rejected by `[quality]`: the records
the allow-list let through), the default cut, how many records pass and fail their
language's bound, and the records closest to the cut on each side with an excerpt. The
datasheet and report.html draw from it; nothing here decides anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from dataset_builder.config import Bound, PiiSettings, QualitySettings
from dataset_builder.ledger import Scores
from dataset_builder.records import SIGNALS
from dataset_builder.spool import Spool
from dataset_builder.stages.pii import find_pii, redact

BINS = 30
EXAMPLES = 3  # per side of a cut
EXCERPT = 240  # characters


def cut(bounds: tuple[Bound, ...], signal: str) -> tuple[str, float] | None:
    """The bound a histogram shows: the minimum when there is one (a maximum of words is
    far from any article), else the maximum."""
    for bound in bounds:
        if bound.signal == signal:
            if bound.minimum is not None:
                return "min", float(bound.minimum)
            if bound.maximum is not None:
                return "max", float(bound.maximum)
    return None


def failures(values: np.ndarray, bounds: tuple[Bound, ...], signal: str) -> np.ndarray:
    """Which of one language's values fail its bound on `signal` (the first one that names
    it, as `stages.quality.failures` applies them); an unknown value (NaN) fails none."""
    for bound in bounds:
        if bound.signal == signal:
            low = values < bound.minimum if bound.minimum is not None else np.zeros(len(values), bool)
            high = values > bound.maximum if bound.maximum is not None else np.zeros(len(values), bool)
            return low | high  # comparisons with NaN are false
    return np.zeros(len(values), bool)


def summary(
    scores: Scores, settings: QualitySettings, spool: Spool, ids: pa.Array, pii: PiiSettings
) -> dict[str, Any]:
    """The manifest's `quality`: filter on or off, rejects per signal, and per signal its
    histogram, default cut, counts each side and the records nearest the cut on each side
    (`failing`, `passing` the default cut) (their
    excerpts redacted as the release's texts are, with `pii.redact`)."""
    wanted: dict[str, list[tuple[int, float]]] = {}
    signals: dict[str, dict[str, Any]] = {}
    rows = np.frombuffer(scores.rows, dtype=np.int64) if len(scores.rows) else np.zeros(0, np.int64)
    languages, language_of = np.unique(np.array(scores.languages, dtype=str), return_inverse=True)
    for name in SIGNALS:
        values = np.frombuffer(scores.values[name], dtype=np.float64) if len(rows) else np.zeros(0)
        known = ~np.isnan(values)
        shown = cut(settings.bounds, name)
        failing = sum(
            int(failures(values[language_of == n], settings.bounds_for(str(language)), name).sum())
            for n, language in enumerate(languages)
        )
        entry: dict[str, Any] = {
            "scored": int(known.sum()),
            "fail": int(failing),
            "pass": int(known.sum() - failing),
            "cut": {"bound": shown[0], "value": shown[1]} if shown else None,
        }
        if known.any():
            data = values[known]
            low, high = float(data.min()), float(np.quantile(data, 0.99))
            if shown:
                low, high = min(low, shown[1]), max(high, shown[1])
            high = high if high > low else low + 1
            counts, edges = np.histogram(np.clip(data, low, high), bins=BINS, range=(low, high))
            entry["edges"] = [float(f"{e:.6g}") for e in edges.tolist()]
            entry["counts"] = counts.tolist()
            if shown:
                order = np.lexsort((rows[known], np.abs(data - shown[1])))
                failing = data[order] < shown[1] if shown[0] == "min" else data[order] > shown[1]
                sides = [order[failing][:EXAMPLES], order[~failing][:EXAMPLES]]
                wanted[name] = [(int(rows[known][i]), float(data[i])) for side in sides for i in side]
                entry["failing"], entry["passing"] = len(sides[0]), len(sides[1])
        signals[name] = entry
    shown_rows = sorted({row for found in wanted.values() for row, _ in found})
    texts = dict(spool.take(np.array(shown_rows, dtype=np.int64), "text"))
    if pii.redact:
        texts = {row: redact(text, find_pii(text, pii.phone_region)) for row, text in texts.items()}
    for name, found in wanted.items():
        entry = signals[name]
        examples = [{"id": ids[r].as_py(), "value": v, "excerpt": excerpt(texts[r])} for r, v in found]
        entry["failing"], entry["passing"] = examples[: entry["failing"]], examples[entry["failing"] :]
    return {"filter": settings.filter, "rejected": dict(sorted(scores.rejected.items())), "signals": signals}


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"
