"""The release's DATASHEET.md, after Gebru et al., "Datasheets for Datasets" (CACM 2021).

The project's top-level DATASHEET.md holds the human answers: `## Section` headings and
`### Question` headings with the answer below each. The release's datasheet merges them
with what the build measured (counts, rejects, duplicates, languages, input hashes,
preprocessing parameters, versions), taken from the manifest. A question with neither
is listed as unanswered, and the build warns about it.

It is longer than the project's other modules because it quotes Gebru et al.'s 50
questions verbatim, one per line: they are the datasheet's table of contents.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from dataset_builder.config import parse_columns
from dataset_builder.release import decontamination, learned
from dataset_builder.release.markdown import cell, code, text, visible

SECTIONS: dict[str, tuple[str, ...]] = {
    "Motivation": (
        "For what purpose was the dataset created?",
        "Who created the dataset and on behalf of which entity?",
        "Who funded the creation of the dataset?",
    ),
    "Composition": (
        "What do the instances that comprise the dataset represent?",
        "How many instances are there in total?",
        "Does the dataset contain all possible instances or is it a sample?",
        "What data does each instance consist of?",
        "Is there a label or target associated with each instance?",
        "Is any information missing from individual instances?",
        "Are relationships between individual instances made explicit?",
        "Are there recommended data splits?",
        "Are there any errors, sources of noise, or redundancies in the dataset?",
        "Is the dataset self-contained, or does it link to or otherwise rely on external resources?",
        "Does the dataset contain data that might be considered confidential?",
        "Does the dataset contain data that, if viewed directly, might be offensive, insulting, threatening, or might otherwise cause anxiety?",
        "Does the dataset identify any subpopulations?",
        "Is it possible to identify individuals, either directly or indirectly?",
        "Does the dataset contain data that might be considered sensitive in any way?",
    ),
    "Collection process": (
        "How was the data associated with each instance acquired?",
        "What mechanisms or procedures were used to collect the data?",
        "If the dataset is a sample from a larger set, what was the sampling strategy?",
        "Who was involved in the data collection process and how were they compensated?",
        "Over what timeframe was the data collected?",
        "Were any ethical review processes conducted?",
        "Did you collect the data from the individuals in question directly, or obtain it via third parties or other sources?",
        "Were the individuals in question notified about the data collection?",
        "Did the individuals in question consent to the collection and use of their data?",
        "If consent was obtained, were the consenting individuals provided with a mechanism to revoke their consent?",
        "Has an analysis of the potential impact of the dataset and its use on data subjects been conducted?",
    ),
    "Preprocessing/cleaning/labeling": (
        "Was any preprocessing/cleaning/labeling of the data done?",
        "Was the raw data saved in addition to the preprocessed/cleaned/labeled data?",
        "Is the software that was used to preprocess/clean/label the data available?",
    ),
    "Uses": (
        "Has the dataset been used for any tasks already?",
        "Is there a repository that links to any or all papers or systems that use the dataset?",
        "What (other) tasks could the dataset be used for?",
        "Is there anything about the composition of the dataset or the way it was collected and preprocessed/cleaned/labeled that might impact future uses?",
        "Are there tasks for which the dataset should not be used?",
    ),
    "Distribution": (
        "Will the dataset be distributed to third parties outside of the entity on behalf of which the dataset was created?",
        "How will the dataset be distributed?",
        "When will the dataset be distributed?",
        "Will the dataset be distributed under a copyright or other intellectual property license, and/or under applicable terms of use?",
        "Have any third parties imposed IP-based or other restrictions on the data associated with the instances?",
        "Do any export controls or other regulatory restrictions apply to the dataset or to individual instances?",
    ),
    "Maintenance": (
        "Who will be supporting/hosting/maintaining the dataset?",
        "How can the owner/curator/manager of the dataset be contacted?",
        "Is there an erratum?",
        "Will the dataset be updated?",
        "If the dataset relates to people, are there applicable limits on the retention of the data associated with the instances?",
        "Will older versions of the dataset continue to be supported/hosted/maintained?",
        "If others want to extend/augment/build on/contribute to the dataset, is there a mechanism for them to do so?",
    ),
}

Answers = dict[tuple[str, str], str]


def key(text: str) -> str:
    """Headings compare without case, punctuation or spacing differences."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def read_answers(path: Path) -> Answers:
    """Human answers by (section, question), from `## Section` / `### Question` headings."""
    if not path.is_file():
        return {}
    sections = {key(s): s for s in SECTIONS}
    answers: Answers = {}
    section: str | None = None
    question: str | None = None
    lines: list[str] = []

    def flush() -> None:
        if section and question and "\n".join(lines).strip():
            answers[(section, question)] = "\n".join(lines).strip()

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## ") or line.startswith("### "):
            flush()
            lines = []
            title = line.lstrip("#").strip()
            if line.startswith("## "):
                section, question = sections.get(key(title), title), None
            else:
                known = {key(q): q for q in SECTIONS.get(section or "", ())}
                question = known.get(key(title), title)
        else:
            lines.append(line)
    flush()
    return answers


def unanswered(manifest: dict[str, Any], answers: Answers) -> list[tuple[str, str]]:
    measured = measured_answers(manifest)
    return [
        (section, question)
        for section, questions in SECTIONS.items()
        for question in questions
        if (section, question) not in answers and (section, question) not in measured
    ]


def render(manifest: dict[str, Any], answers: Answers, changelog: list[str] | None = None) -> str:
    measured = measured_answers(manifest)
    config = manifest["config"]
    out = [
        f"# Datasheet: {text(config.get('pretty_name', manifest['name']))} {manifest['version']}",
        "",
        'Structured after Gebru et al., "Datasheets for Datasets" (Communications of the ACM, 2021). '
        "Paragraphs headed *Measured by this build* were computed from the data by dataset_builder "
        f"{manifest['versions']['dataset_builder']}; the others were written by the maintainers.",
    ]
    for section, questions in SECTIONS.items():
        out += ["", f"## {section}"]
        extra = [q for (s, q) in answers if s == section and q not in questions]
        for question in (*questions, *extra):
            human = answers.get((section, question))
            machine = measured.get((section, question))
            out += ["", f"### {question}", ""]
            if human:
                out.append(human)
            if machine:
                out += ([""] if human else []) + ["*Measured by this build:*", "", machine]
            if not human and not machine:
                out.append("*Unanswered.*")
    if changelog:
        previous = manifest["previous"]
        out += [
            "",
            "## Changelog",
            "",
            f"Against {previous['version']} (fingerprint {previous['fingerprint'][:16]}), "
            "published in the same output folder.",
            "",
            *changelog,
        ]
    missing = unanswered(manifest, answers)
    out += ["", "## Unanswered questions", ""]
    out += [f"- {s}: {q}" for s, q in missing] or ["None."]
    out += ["", *build_facts(manifest)]
    return "\n".join(out) + "\n"


def measured_answers(m: dict[str, Any]) -> Answers:
    """The answers the build can give from the manifest (questions it cannot answer left out)."""
    return {question: text for question, text in facts(m).items() if text}


def facts(m: dict[str, Any]) -> dict[tuple[str, str], str | None]:
    counts, splits, config = m["counts"], m["splits"], m["config"]
    c, p = "Composition", "Preprocessing/cleaning/labeling"
    languages: dict[str, int] = {}
    for per_split in m["languages"].values():
        for lang, n in per_split.items():
            languages[lang] = languages.get(lang, 0) + n
    return {
        (c, "How many instances are there in total?"): "\n\n".join(
            [
                f"{counts['kept']} records: " + ", ".join(f"{n} {s}" for s, n in splits.items()) + ".",
                f"{counts['read']} records were read; {counts['rejected']} rejected and "
                f"{counts['duplicates']} dropped as duplicates (read = kept + rejected + duplicates).",
                "Languages (langdetect): "
                + ", ".join(f"{lang} {n}" for lang, n in sorted(languages.items()))
                + ".",
                *filter(None, [declared_languages(m)]),
            ]
        ),
        (c, "What data does each instance consist of?"): (
            "One article per row: `id`, `source_id` (the input's own id), `title`, `text` (cleaned "
            "body), `url`, `source` (publisher), `published` (UTC timestamp), `authors`, `keywords`, "
            "`language`, `language_score`, `declared_language` (the language a web page declares, "
            "beside the detected one), and provenance: "
            "`raw_path` (input file), `raw_line` (line, or element number in a JSON array), "
            "`raw_sha256` (hash of the record's raw bytes), `raw_format`.\n\n"
            + "Quality signals of each record's text, as `quality_*` columns (definitions and the papers "
            'they come from: the project README, "Quality signals").\n\n'
            + user_columns(config)
            + input_keys(m)
            + publisher_origins(m)
            + merged_publishers(m)
        ),
        (c, "Is any information missing from individual instances?"): table(
            ["field", "records without a value"], [[f, n] for f, n in m["missing_values"].items()]
        ),
        (c, "Are relationships between individual instances made explicit?"): relationships(m),
        (c, "Are there recommended data splits?"): recommended_splits(m),
        (c, "Are there any errors, sources of noise, or redundancies in the dataset?"): "\n\n".join(
            [
                duplicates(m),
                f"Records rejected: {counts['rejected']}"
                + (
                    " (" + ", ".join(f"{r}: {n}" for r, n in m["rejected_by_reason"].items()) + ")"
                    if counts["rejected"]
                    else ""
                )
                + "; each with its file, line and reason in audit/rejects.jsonl.",
                "Boilerplate lines removed, by rule:\n\n"
                + table(["rule", "lines"], [[r, n] for r, n in m["boilerplate_lines_removed"].items()]),
                *filter(None, [decontamination.kept_overlap(m), quality_rejects(m), learned_lines(m)]),
            ]
        ),
        (
            "Uses",
            "Is there anything about the composition of the dataset or the way it was collected and preprocessed/cleaned/labeled that might impact future uses?",
        ): decontamination.checked(m),
        (c, "Is it possible to identify individuals, either directly or indirectly?"): personal_information(
            m
        ),
        ("Collection process", "How was the data associated with each instance acquired?"): (
            f"Read from {len(m['inputs'])} input file(s) (SHA-256 of each below, under Build facts)"
            + (
                f"; {len(m['skipped'])} file(s) skipped: "
                + "; ".join(f"{code(s['path'])} ({text(s['reason'])})" for s in m["skipped"])
                if m["skipped"]
                else ""
            )
            + ". "
            + encodings(m["encodings"])
            + source_manifest(m["sources"])
        ),
        ("Collection process", "Over what timeframe was the data collected?"): retrieval_dates(m),
        (
            "Distribution",
            "Will the dataset be distributed under a copyright or other intellectual property license, and/or under applicable terms of use?",
        ): licences(m),
        (p, "Was any preprocessing/cleaning/labeling of the data done?"): preprocessing(config),
        (p, "Was the raw data saved in addition to the preprocessed/cleaned/labeled data?"): (
            "The release does not contain the raw files; it records the SHA-256 of each (Build facts) "
            "and of each record's raw bytes (`raw_sha256`), and lineage.parquet gives the fate of every "
            "record read."
        ),
        (p, "Is the software that was used to preprocess/clean/label the data available?"): (
            f"dataset_builder {m['versions']['dataset_builder']}. Rebuild with {code(m['command'])} "
            "from the project folder, with the versions listed under Build facts."
        ),
    }


def relationships(m: dict[str, Any]) -> str:
    groups, near = m["groups"], m["config"]["near_dup"]
    by = m["config"]["split"]["group_by"]
    linked = [f"Jaccard similarity of at least {near['group_threshold']:g}"] if near["enabled"] else []
    linked += [f"the same {code(name)}" for name in by]
    if not linked:
        return "No: near-duplicate detection is off and no `split.group_by` field is set."
    return (
        f"Records with {' or '.join(linked)} form a group that stays in one split: "
        f"{groups['groups_of_several']} groups of several records ({groups['records_in_them']} records; "
        f"the largest has {groups['largest']}). Groups are not stored as a column."
    )


def recommended_splits(m: dict[str, Any]) -> str:
    split = m["config"]["split"]
    text = (
        "Yes: "
        + ", ".join(f"{s} {split['ratios'][s]:g}" for s in m["splits"])
        + ". A record's split comes from SHA-256 of the salt "
        f"({split['salt']!r}) and the smallest id of its group (see the previous answer): no random state, "
        "and a record keeps its split when unrelated records are added or removed."
    )
    if m["split_base"]:
        base = m["split_base"]
        text += (
            f" Records of version {base['version']} (fingerprint {base['fingerprint'][:16]}) kept their split"
            + (
                f", except {len(m['moved'])} whose group now spans old splits: "
                + "; ".join(f"{code(mv['id'])} {mv['before']} → {mv['after']}" for mv in m["moved"])
                if m["moved"]
                else ""
            )
            + "."
        )
    leak = m["leakage"]
    if m["config"]["near_dup"]["enabled"]:
        text += (
            f" Similar pairs across splits (Jaccard {m['config']['near_dup']['report_threshold']:g} or more, "
            f"listed in audit/leakage.jsonl): {leak['pairs']}"
            + (f", the closest at {leak['max_similarity']:.3f}" if leak["pairs"] else "")
            + f"; by construction none reaches {m['config']['near_dup']['group_threshold']:g}."
        )
    return text


def duplicates(m: dict[str, Any]) -> str:
    kinds, near = m["duplicates_by_kind"], m["near_duplicates"]
    text = (
        f"Exact duplicates removed: {kinds.get('exact', 0)} (texts equal after NFKC, case folding and "
        "whitespace collapsing; in Chinese, Japanese and Thai text also ignoring spaces beside their "
        "characters and punctuation variants such as 「」 and “”). "
    )
    if not near["enabled"]:
        return text + "Near-duplicate detection was off."
    settings = m["config"]["near_dup"]
    curve = near["detection_probability"]
    return (
        text
        + f"Near duplicates removed: {kinds.get('near', 0)} in {near['clusters']} clusters. Texts are compared "
        f"as sets of shingles: MinHash ({settings['num_perm']} permutations, "
        f"seed {settings['seed']}) with LSH ({near['bands']} bands of {near['rows']} rows) proposed "
        f"{near['candidate_pairs']} candidate pairs among {near['compared']} texts, each confirmed by its exact "
        f"Jaccard similarity; pairs at {settings['threshold']:g} or more are duplicates, their connected "
        "components clusters, and the smallest id of each cluster is kept. Every removed record is listed "
        "in audit/duplicates.jsonl with the id it duplicates and their similarity."
        + (f" {near['too_short']} texts had no words to compare." if near["too_short"] else "")
        + "\n\nChance that LSH proposes a pair, by its similarity:\n\n"
        + table(["Jaccard", *curve], [["detected", *(f"{p:.3f}" for p in curve.values())]])
        + "\n\n"
        + by_script(near.get("scripts", {}), settings["shingle_words"], settings["shingle_chars"])
    )


def by_script(scripts: dict[str, dict[str, int]], words: int, chars: int) -> str:
    """Per script, what was compared: words are tokens in scripts written with spaces,
    characters in those written without (Han, Kana, Hangul, Thai, Lao, Khmer, Myanmar)."""
    return (
        f"By script (shingles are {words} words, or {chars} characters in Chinese, Japanese, Korean, Thai, "
        "Lao, Khmer and Myanmar text; a text with a single shingle is too short to judge: any edit makes it "
        "look unrelated):\n\n"
        + table(
            ["script", "compared", "near-duplicates removed", "too few shingles to judge"],
            [
                [name, c["compared"], c["near_duplicates"], c["too_few_shingles"]]
                for name, c in scripts.items()
            ],
        )
    )


def publisher_origins(m: dict[str, Any]) -> str:
    origin = m["profile"]["publishers"]["origin"]
    return (
        f"Publisher (`source`) of the kept records: {origin['name']} named by the record itself (the page, "
        f"the file's field or raw/sources.toml; copyright notices cut to the organisation, software "
        f"vendors dropped), {origin['domain']} only the host name of its URL, {origin['none']} none."
    )


def merged_publishers(m: dict[str, Any]) -> str:
    """The spellings of one publisher's name that the build wrote as one (decide/publishers.py)."""
    found = m["profile"]["publishers"]["variants"]
    rule = (
        "Spellings of a publisher's name that differ only in case, accents or spacing, on the same site "
        "(registrable domain of the URL; the records without a URL are one site), are one publisher, "
        "written as the spelling most of its records "
        "used (a tie: the one not in capitals, then the first in code-point order)"
    )
    if not found:
        return f"\n\n{rule}: no name was written two ways."
    rows = [
        [publisher, "; ".join(f"{spelling} ({n})" for spelling, n in spellings.items())]
        for publisher, spellings in found.items()
    ]
    return f"\n\n{rule}. Merged:\n\n" + table(["publisher", "spellings seen (kept records)"], rows)


def declared_languages(m: dict[str, Any]) -> str | None:
    """How the languages web pages declare compare with the detected ones (counted, not resolved)."""
    found = m["profile"]["declared_languages"]
    if not found["records"]:
        return None
    pairs = [[d["declared"], d["detected"], d["records"]] for d in found["disagree"]]
    return (
        f"Declared languages (`declared_language`: `<html lang>`, else Content-Language or og:locale, as "
        f"its primary subtag): {found['records']} kept record(s) declare one; langdetect agrees with "
        f"{found['agree']} (primary subtags compared: zh-Hans, zh-TW and langdetect's zh-cn and zh-tw are "
        f"all zh; nb and nn are its no), finds {found['undetermined']} too short to judge (und) and "
        f"disagrees with {sum(d['records'] for d in found['disagree'])}. The `language` column keeps "
        "the detected language"
        + (":\n\n" + table(["declared", "detected", "records"], pairs) if pairs else ".")
    )


def source_manifest(known: dict[str, Any] | None) -> str:
    if not known:
        return " No raw/sources.toml: URLs, licences and retrieval dates come only from the records."
    lines = [
        f"- {code(e['files'])}: " + "; ".join(f"{k} {visible(str(v))}" for k, v in e.items() if k != "files")
        for e in known["entries"]
    ]
    return f"\n\nraw/sources.toml (SHA-256 `{known['sha256']}`) says of the inputs:\n\n" + "\n".join(lines)


def retrieval_dates(m: dict[str, Any]) -> str | None:
    """The kept records' publication dates (UTC days of their `published` timestamps) and
    the retrieval dates raw/sources.toml gives."""
    answer = []
    published = m["profile"]["published"]
    if published.get("earliest"):
        answer.append(
            f"Publication dates (UTC) from {published['earliest']} to {published['latest']}; "
            f"{m['missing_values']['published']} kept record(s) have none."
        )
    dates = sorted({e["retrieved"] for e in (m["sources"] or {}).get("entries", []) if "retrieved" in e})
    if dates:
        answer.append(
            f"Retrieval dates in raw/sources.toml: {', '.join(dates)}; "
            f"{m['missing_values']['retrieved']} kept record(s) have none."
        )
    return " ".join(answer) or None


def licences(m: dict[str, Any]) -> str:
    given = [
        f"{code(e['files'])}: {visible(e['license'])}"
        for e in (m["sources"] or {}).get("entries", [])
        if "license" in e
    ]
    missing = m["missing_values"]["license"]
    return (
        "Licences in raw/sources.toml: " + "; ".join(given) + ". " if given else ""
    ) + f"{missing} of {m['counts']['kept']} kept record(s) have no licence recorded (`license` is empty)."


def encodings(counts: dict[str, int]) -> str:
    """How the records' bytes were decoded (dataset_builder/decode.py), from the manifest."""
    decoded = ", ".join(f"{name} {n}" for name, n in counts.items() if name)
    text = f"Records by the encoding their bytes were decoded with: {decoded or 'none'}."
    if counts.get(""):
        text += f" {counts['']} record(s) could not be decoded and were rejected (audit/rejects.jsonl)."
    return text


def personal_information(m: dict[str, Any]) -> str:
    pii = m["pii"]
    names = {"email": "e-mail addresses", "phone": "phone numbers", "ip": "IP addresses"}
    found = [f"{names[k]}: {n} in {pii['records'][k]} record(s)" for k, n in pii["found"].items() if n]
    if not found:
        return "No e-mail address, phone number or IP address was found in the kept texts."
    action = (
        "They were replaced with <EMAIL>, <PHONE> and <IP> in the published texts."
        if pii["redacted"]
        else "They were left in the texts (set pii.redact = true to replace them)."
    )
    return (
        "Found in the kept texts (e-mail and IP by pattern, phone numbers by libphonenumber): "
        + "; ".join(found)
        + f". {action} lineage.parquet lists them per record (column `pii`)."
    )


def user_columns(config: dict[str, Any]) -> str:
    """The columns the maintainers declared, with their types (a label's values in index order)."""
    columns = parse_columns(config["ingest"].get("columns", {}))
    if not columns:
        return ""
    described = [
        f"{code(c.name)} ({c.type}"
        + (f" {', '.join(f'{i} = {text(v)}' for i, v in enumerate(c.values))}" if c.values else "")
        + (f", from the key {code(c.key)}" if c.key != c.name else "")
        + ")"
        for c in columns
    ]
    return "Declared columns (`[ingest.columns]`): " + "; ".join(described) + ".\n\n"


def input_keys(m: dict[str, Any]) -> str:
    """Keys of the input objects that the release does not keep, by name and count."""
    keys = m.get("input_keys")
    if not keys or not keys["objects"]:
        return ""
    dropped = keys["dropped"]
    if not dropped:
        return f"Every key of the {keys['objects']} input objects is kept.\n\n"
    listed = ", ".join(f"{code(k)} ({n} objects)" for k, n in dropped.items())
    return (
        f"Keys of the {keys['objects']} input objects that are not kept (not declared in "
        f"`[ingest.columns]`): {listed}.\n\n"
    )


def preprocessing(config: dict[str, Any]) -> str:
    clean, langid = config["clean"], config["langid"]
    rules = clean["rules"] + clean.get("extra_rules", [])
    steps = [
        f"1. Unicode {clean['unicode_form']}, one kind of line break, runs of spaces collapsed, "
        "invisible control and format characters removed, at most one blank line between paragraphs.",
        "2. Boilerplate lines removed by these rules (whole-line, case-insensitive regular expressions; "
        "cut-rest also removes what follows, once body text has been seen):\n\n"
        + table(
            ["rule", "action", "pattern"], [[r["name"], r["action"], f"`{r['pattern']}`"] for r in rules]
        ),
        "3. Plain-text files: title, keyword line, byline (authors, publisher, date) read from the header "
        "lines and removed from the text; site navigation above the title removed.",
        "4. Each record validated against schema/article.schema.json (JSON Schema 2020-12, formats enforced).",
        "5. Exact and near duplicates removed (see Composition for the method and parameters).",
        f"6. Language tagged with langdetect seeded with {langid['seed']}; fewer than {langid['min_chars']} "
        "letters gives `und`" + (f"; only {', '.join(langid['allow'])} kept." if langid["allow"] else "."),
        quality_step(config.get("quality")),
    ]
    return "\n".join(steps)


def quality_step(quality: dict[str, Any] | None) -> str:
    if not quality or not quality["filter"]:
        return "7. Quality signals computed and published; no record filtered on them (`quality.filter = false`)."
    bounds = [
        [name, quality["min"].get(name, ""), quality["max"].get(name, "")]
        for name in sorted(quality["min"].keys() | quality["max"].keys())
        if name not in quality["off"]
    ]
    languages = "; ".join(
        f"{lang}: not filtered on {', '.join(t.get('off', []))}"
        for lang, t in sorted(quality["language"].items())
    )
    return (
        "7. Records with a quality signal outside these bounds rejected (reason `quality`), except per "
        f"language ({languages or 'no exceptions'}):\n\n" + table(["signal", "min", "max"], bounds)
    )


def learned_lines(m: dict[str, Any]) -> str | None:
    """Each publisher's learned boilerplate lines and the articles each was removed from."""
    if "boilerplate_learned" not in m:
        return None
    found = learned.rows(m)
    return (
        "Boilerplate learned per publisher (lines in at least "
        f"{m['config']['boilerplate']['min_articles']} and {m['config']['boilerplate']['min_share']:.0%} "
        "of one publisher's articles, shared by fewer than "
        f"{m['config']['boilerplate']['max_publishers']} publishers), removed before deduplication"
        + (":\n\n" + table(["publisher", "line", "articles"], found) if found else ": none.")
    )


def quality_rejects(m: dict[str, Any]) -> str | None:
    """Per signal, how many records the quality filter rejected for it."""
    rejected = m.get("quality", {}).get("rejected")
    if not rejected:
        return None
    return (
        "Records rejected by the quality filter, by signal broken (a record can break several):\n\n"
        + table(["signal", "records"], [[name, n] for name, n in rejected.items()])
    )


def build_facts(m: dict[str, Any]) -> list[str]:
    return [
        "## Build facts",
        "",
        f"Rebuild: {code(m['command'])}",
        "",
        "### Input files",
        "",
        table(
            ["file", "bytes", "records", "sha256"],
            [[code(i["path"]), i["bytes"], i["records"], f"`{i['sha256']}`"] for i in m["inputs"]],
        ),
        "",
        "### Software versions",
        "",
        table(["package", "version"], [[k, v] for k, v in m["versions"].items()]),
        "",
        "### Configuration",
        "",
        "```json",
        json.dumps(m["config"], ensure_ascii=False, indent=2, sort_keys=True),
        "```",
    ]


def table(header: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "(none)"
    cells = [header, ["---"] * len(header), *[[cell(str(c)) for c in row] for row in rows]]
    return "\n".join("| " + " | ".join(row) + " |" for row in cells)
