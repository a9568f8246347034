"""Build configuration: one TOML file the user can read, validated like the data.

A project's `dataset.toml` is validated against `schema/config.schema.json` on its own
(so an unknown key is reported where the user wrote it), then merged over the packaged
`defaults.toml`. The merged result is what every release records; `Settings.resolve` turns it, once,
into the typed sections every stage receives.
"""

from __future__ import annotations

import codecs
import copy
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from dataset_builder.errors import ConfigError

SPLITS = ("train", "validation", "test")
MACHINE_KEYS = ("raw", "out", "datasheet", "cache")  # config a release does not record


@dataclass(frozen=True)
class Rule:
    """A boilerplate rule: a regex that must match a whole line."""

    name: str
    pattern: str
    action: str  # "drop-line" or "cut-rest"


@dataclass(frozen=True)
class TableFormat:
    """How to read a CSV/TSV file (`[[ingest.tables]]`, matched by glob on its path)."""

    pattern: str
    delimiter: str = ","
    quote: str = '"'
    header: bool = True
    columns: tuple[str, ...] = ()  # the column names when the file has no header


COLUMN_TYPES = ("string", "integer", "float", "boolean", "date", "list[string]", "label")


@dataclass(frozen=True)
class Column:
    """A declared column (`[ingest.columns]`): an input key kept in the release, typed.

    A label's `values` are its ClassLabel names, in index order; `aliases` map other spellings
    in the input (e.g. "1") to one of them."""

    name: str
    type: str
    key: str
    values: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()


def parse_columns(table: Mapping[str, Any]) -> tuple[Column, ...]:
    """`[ingest.columns]` (a type name, or a table with `type`, `key`, `values`, `aliases`) as
    `Column`s, sorted by name: from the merged config, or from a manifest's recorded one."""
    columns = []
    for name, spec in sorted(table.items()):
        spec = {"type": spec} if isinstance(spec, str) else spec
        columns.append(
            Column(
                name,
                spec["type"],
                spec.get("key", name),
                tuple(spec.get("values", ())),
                tuple(sorted(spec.get("aliases", {}).items())),
            )
        )
    return tuple(columns)


@dataclass(frozen=True)
class IngestSettings:
    """`[ingest]`, as the readers use it, with raw/sources.toml's entries once the build has
    read them (`sources`). `user_fields` are the record fields dataset.toml maps itself (a
    key of theirs that no record has is a mistake worth a warning; a default's is not)."""

    fields: Mapping[str, str]
    max_file_bytes: int
    max_record_bytes: int
    max_html_bytes: int
    max_decompressed_bytes: int
    max_records_per_file: int
    fallback_encoding: str | None
    replace_undecodable: bool
    tables: tuple[TableFormat, ...] = ()
    sources: tuple[Mapping[str, Any], ...] = ()
    columns: tuple[Column, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    user_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class CleanSettings:
    unicode_form: str
    assume_timezone: str | None  # None: a time without a zone is recorded as its date
    rules: tuple[Rule, ...]  # `rules` then `extra_rules`


@dataclass(frozen=True)
class NearDupConfig:
    """`[near_dup]` as written; `decide.dedup.NearDupSettings` adds what follows from it."""

    enabled: bool
    num_perm: int
    shingle_words: int
    shingle_chars: int
    seed: int
    threshold: float
    group_threshold: float
    report_threshold: float
    recall: float


@dataclass(frozen=True)
class LangidSettings:
    seed: int
    min_chars: int
    allow: tuple[str, ...]  # sorted; empty keeps every language


@dataclass(frozen=True)
class PiiSettings:
    redact: bool
    phone_region: str | None  # None: international numbers only


@dataclass(frozen=True)
class BoilerplateSettings:
    """`[boilerplate]`: whether each publisher's own repeated lines are learned and removed."""

    learn: bool
    min_articles: int
    min_share: float
    max_publishers: int


@dataclass(frozen=True)
class Bound:
    """A quality signal's bounds: a record outside them fails (None: no bound that side)."""

    signal: str
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True)
class QualitySettings:
    """`[quality]`: whether records are filtered on their signals, and within which bounds."""

    filter: bool
    bounds: tuple[Bound, ...]  # for a language without a table of its own
    languages: Mapping[str, tuple[Bound, ...]]  # base language code -> its bounds

    def bounds_for(self, language: str) -> tuple[Bound, ...]:
        return self.languages.get(language.split("-")[0], self.bounds)

    @classmethod
    def resolve(cls, quality: Mapping[str, Any]) -> QualitySettings:
        def bounds(table: Mapping[str, Any]) -> tuple[Bound, ...]:
            low = {**quality["min"], **table.get("min", {})}
            high = {**quality["max"], **table.get("max", {})}
            off = set(quality["off"]) | set(table.get("off", ()))
            return tuple(
                Bound(name, low.get(name), high.get(name)) for name in sorted((low | high).keys() - off)
            )

        languages = quality.get("language", {})
        per_language = {name: bounds(languages[name]) for name in sorted(languages)}
        return cls(quality["filter"], bounds({}), per_language)


@dataclass(frozen=True)
class SplitSettings:
    ratios: Mapping[str, float]
    salt: str
    group_by: tuple[str, ...]
    base: str | None  # the published version whose records keep their splits


@dataclass(frozen=True)
class PublishSettings:
    shard_rows: int
    row_group_rows: int


DECONTAMINATION_ACTIONS = ("reject", "split", "report")
NGRAM_DEFAULT = 13  # tokens; measured in bench/decontamination.py (README, "Decontamination")


@dataclass(frozen=True)
class EvalSetSettings:
    """A `[[decontaminate]]` entry: an evaluation set on this machine whose items must not
    hide in the release. `path` is absolute here; the manifest records it as written."""

    name: str
    path: Path
    text_fields: tuple[str, ...]
    id_field: str
    action: str  # one of DECONTAMINATION_ACTIONS
    ngram: int
    split: str | None  # in a dataset folder, read only this split's files
    sha256: str | None  # when set, the file must still have this hash


@dataclass(frozen=True)
class CacheSettings:
    """The build cache (`dataset_builder.cache`): where, and how big. Not part of what a
    release records: a build with and without it publishes the same bytes."""

    enabled: bool
    folder: Path | None  # None: OUT/NAME/.cache
    max_bytes: int


@dataclass(frozen=True)
class Settings:
    """The merged configuration, resolved once into one typed section per table: what stages,
    engines and workers receive (never the TOML's dicts)."""

    ingest: IngestSettings
    clean: CleanSettings
    near_dup: NearDupConfig
    langid: LangidSettings
    pii: PiiSettings
    split: SplitSettings
    publish: PublishSettings
    decontaminate: tuple[EvalSetSettings, ...] = ()
    quality: QualitySettings = QualitySettings(False, (), {})
    boilerplate: BoilerplateSettings = BoilerplateSettings(False, 5, 0.15, 3)
    cache: CacheSettings = CacheSettings(False, None, 0)

    @classmethod
    def resolve(
        cls, merged: dict[str, Any], user_fields: tuple[str, ...] = (), base: Path | None = None
    ) -> Settings:
        """The typed sections; `user_fields` are the record fields the user's dataset.toml
        maps (only those warn when no input has them), `base` is the folder evaluation-set
        paths are relative to."""
        folder = Path.cwd() if base is None else base
        ingest, clean, split = merged["ingest"], merged["clean"], merged["split"]
        return cls(
            ingest=IngestSettings(
                fields=dict(ingest["fields"]),
                max_file_bytes=ingest["max_file_bytes"],
                max_record_bytes=ingest["max_record_bytes"],
                max_html_bytes=ingest["max_html_bytes"],
                max_decompressed_bytes=ingest["max_decompressed_bytes"],
                max_records_per_file=ingest["max_records_per_file"],
                fallback_encoding=ingest["fallback_encoding"] or None,
                replace_undecodable=ingest["on_decode_error"] == "replace",
                tables=tuple(
                    TableFormat(**{**t, "columns": tuple(t.get("columns", ()))})
                    for t in ingest.get("tables", [])
                ),
                columns=parse_columns(ingest.get("columns", {})),
                include=tuple(ingest["include"]),
                exclude=tuple(ingest["exclude"]),
                user_fields=tuple(sorted(user_fields)),
            ),
            clean=CleanSettings(
                unicode_form=clean["unicode_form"],
                assume_timezone=clean.get("assume_timezone"),
                rules=tuple(Rule(**r) for r in clean["rules"] + clean.get("extra_rules", [])),
            ),
            near_dup=NearDupConfig(**merged["near_dup"]),
            langid=LangidSettings(
                merged["langid"]["seed"],
                merged["langid"]["min_chars"],
                tuple(sorted(merged["langid"]["allow"])),
            ),
            pii=PiiSettings(merged["pii"]["redact"], merged["pii"]["phone_region"] or None),
            split=SplitSettings(
                ratios=dict(split["ratios"]),
                salt=split["salt"],
                group_by=tuple(split["group_by"]),
                base=split.get("base") or None,
            ),
            publish=PublishSettings(**merged["publish"]),
            quality=QualitySettings.resolve(merged["quality"]),
            boilerplate=BoilerplateSettings(**merged["boilerplate"]),
            cache=CacheSettings(
                merged["cache"]["enabled"],
                (folder / merged["cache"]["folder"]).resolve() if merged["cache"]["folder"] else None,
                merged["cache"]["max_bytes"],
            ),
            decontaminate=tuple(
                EvalSetSettings(
                    name=entry["name"],
                    path=(folder / entry["path"]).resolve(),
                    text_fields=tuple(entry["text_fields"]),
                    id_field=entry["id_field"],
                    action=entry["action"],
                    ngram=entry["ngram"],
                    split=entry.get("split"),
                    sha256=entry.get("sha256"),
                )
                for entry in merged.get("decontaminate", [])
            ),
        )


@dataclass(frozen=True)
class BuildConfig:
    """Everything a build needs. Paths are absolute; `settings` is typed, `merged` is the
    merged TOML that the manifest records."""

    name: str
    version: str
    raw_dir: Path
    out_dir: Path
    datasheet: Path
    settings: Settings
    merged: Mapping[str, Any]
    source: str | None = None  # the config file's name, for the rebuild command

    @property
    def releases(self) -> Path:
        """The folder that holds every version of this dataset: OUT/NAME."""
        return self.out_dir / self.name

    def rebuild_command(self) -> str:
        config = f" --config {self.source}" if self.source else ""
        return f"python -m dataset_builder build{config} --name {self.name} --version {self.version}"

    def recorded(self) -> dict[str, Any]:
        """The settings that decide a release's content, without machine paths (nor the
        cache, which decides none of it)."""
        return {k: copy.deepcopy(v) for k, v in self.merged.items() if k not in MACHINE_KEYS}


def schema_path(name: str) -> Path:
    """`schema/` is copied into the wheel; in a source checkout it sits beside the package."""
    installed = resources.files("dataset_builder").joinpath("schema").joinpath(name)
    if installed.is_file():
        return Path(str(installed))
    return Path(__file__).resolve().parent.parent / "schema" / name


@cache
def load_schema(name: str) -> dict[str, Any]:
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


def load_config(
    path: Path | None,
    *,
    overrides: dict[str, Any] | None = None,
    base_dir: Path | None = None,
) -> BuildConfig:
    """Read, validate and merge a config file; `overrides` are CLI flags (None = unset).

    With no file, the defaults apply and relative paths resolve against `base_dir`
    (the working directory)."""
    base = Path.cwd() if base_dir is None else base_dir
    user: dict[str, Any] = {}
    label = "defaults"
    if path is not None:
        label = str(path)
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        base = path.resolve().parent
    for key, value in (overrides or {}).items():
        if value is not None:
            user[key] = value
    check_against_schema(user, label)

    defaults = tomllib.loads(resources.files("dataset_builder").joinpath("defaults.toml").read_text("utf-8"))
    settings = merge(defaults, user)
    if "decontaminate" in settings:  # written out, so that the manifest records them
        settings["decontaminate"] = [
            {"action": "reject", "ngram": NGRAM_DEFAULT, **entry} for entry in settings["decontaminate"]
        ]
    check_semantics(settings, label)
    return BuildConfig(
        name=settings["name"],
        version=settings["version"],
        raw_dir=(base / settings["raw"]).resolve(),
        out_dir=(base / settings["out"]).resolve(),
        datasheet=(base / settings["datasheet"]).resolve(),
        settings=Settings.resolve(settings, tuple(user.get("ingest", {}).get("fields", {})), base),
        merged=settings,
        source=path.name if path is not None else None,
    )


def check_against_schema(user: dict[str, Any], label: str) -> None:
    validator = jsonschema.Draft202012Validator(load_schema("config.schema.json"))
    errors = sorted(validator.iter_errors(user), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError("\n".join(f"{label}: {describe_config_error(e)}" for e in errors))


def describe_config_error(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - known)
        keys = ", ".join(repr(f"{where}.{k}" if where else k) for k in unknown)
        return f"unknown key {keys}" + (f" (known: {', '.join(sorted(known))})" if known else "")
    if error.context:  # oneOf/anyOf: the alternative of the value's own kind says what is wrong
        deeper = [e for e in error.context if e.validator not in ("type", "enum") or len(e.schema_path) > 2]
        return describe_config_error(jsonschema.exceptions.best_match(deeper or error.context))
    return f"{where or '(top level)'}: {error.message}"


def check_semantics(settings: dict[str, Any], label: str) -> None:
    """What JSON Schema cannot say: ratios sum to one, thresholds are ordered, patterns compile."""
    near = settings["near_dup"]
    if not near["report_threshold"] <= near["group_threshold"] <= near["threshold"]:
        raise ConfigError(
            f"{label}: near_dup thresholds must satisfy report_threshold <= group_threshold <= threshold "
            f"(got {near['report_threshold']}, {near['group_threshold']}, {near['threshold']})"
        )
    fallback = settings["ingest"]["fallback_encoding"]
    if fallback:
        try:
            codecs.lookup(fallback)
        except LookupError:
            raise ConfigError(f"{label}: ingest.fallback_encoding: unknown encoding {fallback!r}") from None
    ratios = settings["split"]["ratios"]
    if abs(sum(ratios.values()) - 1.0) > 1e-9:
        raise ConfigError(f"{label}: split.ratios must sum to 1, not {sum(ratios.values())}")
    check_columns(settings["ingest"], label)
    names = [entry["name"] for entry in settings.get("decontaminate", [])]
    if len(set(names)) < len(names):
        raise ConfigError(f"{label}: decontaminate: two entries are named alike ({sorted(names)})")
    for i, entry in enumerate(settings.get("decontaminate", [])):
        if entry["action"] == "split" and ratios["test"] <= 0:
            raise ConfigError(
                f"{label}: decontaminate[{i}] ({entry['name']}): action 'split' moves records to test, "
                "but split.ratios.test is 0"
            )
    clean = settings["clean"]
    for key in ("rules", "extra_rules"):
        for i, rule in enumerate(clean.get(key, [])):
            try:
                re.compile(rule["pattern"])
            except re.error as exc:
                raise ConfigError(f"{label}: clean.{key}[{i}] ({rule['name']}): bad pattern: {exc}") from None


def check_columns(ingest: dict[str, Any], label: str) -> None:
    """A declared column is not a record field, reads a key no field maps, and a label's
    values and aliases are consistent."""
    record_fields = set(load_schema("article.schema.json")["properties"])
    mapped = set(ingest["fields"].values())
    for column in parse_columns(ingest.get("columns", {})):
        where = f"{label}: ingest.columns.{column.name}"
        if column.name in record_fields:
            raise ConfigError(f"{where}: {column.name!r} is a record field; name the column otherwise")
        if column.key in mapped:
            raise ConfigError(f"{where}: the key {column.key!r} is already mapped in ingest.fields")
        if column.type == "label" and not column.values:
            raise ConfigError(f"{where}: a label needs its values (values = [...])")
        if column.type != "label" and (column.values or column.aliases):
            raise ConfigError(f'{where}: values and aliases are for type = "label" only')
        for alias, value in column.aliases:
            if value not in column.values:
                raise ConfigError(
                    f"{where}: alias {alias!r} names {value!r}, not one of {list(column.values)}"
                )


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value replaces the default."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
