"""What a release says about the evaluation sets it was checked against, in words: the
datasheet's Composition and Uses answers, and through them Croissant's RAI fields.

Only a build with `[[decontaminate]]` entries has a `decontamination` section in its
manifest; without one these answers are absent, so the datasheet says nothing it did not
check.
"""

from __future__ import annotations

from typing import Any

from dataset_builder.release.markdown import cell, code, text, visible

ACTIONS = {
    "reject": "rejected (reason `contaminated`)",
    "split": "kept, in the test split with their split group",
    "report": "kept where the split hashing put them, and only listed",
}


def checked(m: dict[str, Any]) -> str | None:
    """Which evaluation sets were checked, how, with what result: a table and examples."""
    found = m.get("decontamination")
    if not found:
        return None
    sets = list(found["evaluation_sets"].values())
    rows = [
        f"| {cell(text(s['name']))} | {cell(code(s['path']))} ({s['kind']}) | `{s['sha256']}` | {s['items']} "
        f"({s['items_too_short']} too short) | {s['ngram']} | {s['action']} | {s['records_matched']} |"
        for s in sets
    ]
    out = [
        f"Checked for overlap with {len(sets)} evaluation set(s): a record matches an item when they "
        "share a run of n tokens (NFKC-normalised, case-folded words; single characters of Han, kana, "
        "Hangul and Thai; punctuation and whitespace ignored), each match confirmed against the text. "
        "Items with fewer than n tokens cannot be checked and are counted as too short.",
        "",
        "| evaluation set | file | SHA-256 | items | n | action | records matched |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "Matched records were: "
        + "; ".join(f"{s['name']}: {ACTIONS[s['action']]}" for s in sets)
        + ". Every match, with the item and the span the record shares, is in audit/contamination.jsonl.",
    ]
    examples = [(s["name"], e) for s in sets for e in s["examples"]]
    if examples:
        out += ["", "Examples:", ""]
        out += [
            f"- {code(e['id'])} shares {e['tokens']} tokens with item {code(str(e['item']))} "
            f"of {text(name)}: “{visible(e['span'])}”"
            for name, e in examples
        ]
    return "\n".join(out)


def kept_overlap(m: dict[str, Any]) -> str | None:
    """For Composition: how many of the matched records are still in the release."""
    found = m.get("decontamination")
    if not found:
        return None
    kept = [s for s in found["evaluation_sets"].values() if s["action"] != "reject" and s["records_matched"]]
    if not kept:
        return (
            "No record that overlaps a checked evaluation set was kept "
            f"({', '.join(found['evaluation_sets'])}; see Uses)."
        )
    return (
        "Records kept although they overlap an evaluation set: "
        + ", ".join(f"{s['records_matched']} matching {s['name']} ({ACTIONS[s['action']]})" for s in kept)
        + " (see Uses)."
    )
