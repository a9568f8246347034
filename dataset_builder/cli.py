"""`python -m dataset_builder`: turns flags into a config, calls the API, prints a summary.

Exit codes: 0 success, 1 the build failed (bad inputs, refused release), 2 usage or
configuration error.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dataset_builder.cache import Store
from dataset_builder.config import SPLITS, load_config
from dataset_builder.engines.base import ENGINES
from dataset_builder.errors import BuildError, ConfigError
from dataset_builder.pipeline import Release, build, rebuild_release
from dataset_builder.processes import Terminated, published, stop_on_signals
from dataset_builder.records import balanced
from dataset_builder.release import diff, verify
from dataset_builder.release.publish import read_manifest
from dataset_builder.report import page as report
from dataset_builder.stages.ingest import READERS

DEFAULT_CONFIG = Path("dataset.toml")
SHOWN_REJECTS = 20
INPUT_FORMATS = sorted(READERS)  # what --help lists: every extension a reader is registered for

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


class RichProgress:
    """Progress bars on stderr when it is a terminal; otherwise one line per stage, for logs."""

    def __init__(self) -> None:
        self.bars = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not err.is_terminal,
            transient=False,
        )

    @contextlib.contextmanager
    def stage(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        if not err.is_terminal:
            err.print(f"▸ {description}", markup=False)
        with self.bars:
            task = self.bars.add_task(description, total=total)
            yield lambda advance: self.bars.advance(task, advance)
            self.bars.update(task, completed=total or 1, total=total or 1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dataset-builder")
def main() -> None:
    """Package a folder of raw articles into a versioned, reproducible dataset release.

    Run `python -m dataset_builder build` in a project folder that has dataset.toml and
    raw/; the release appears in dist/NAME/VERSION/ and loads with
    datasets.load_dataset("dist/NAME/VERSION").
    """


@main.command("build")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Build configuration (TOML). Default: ./dataset.toml when it exists, else built-in defaults.",
)
@click.option(
    "--raw",
    type=click.Path(path_type=Path, file_okay=False),
    help=f"Folder of input files ({', '.join(INPUT_FORMATS)}, each also .gz, .bz2, .xz or .zst), "
    "read recursively; ingest.include/exclude choose among them. Overrides `raw`.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where releases go: OUT/NAME/VERSION. Overrides `out` (default dist/).",
)
@click.option("--name", help="Dataset name. Overrides `name`.")
@click.option("--version", "version", help="Release version X.Y.Z. Overrides `version`.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes (or Ray actors) for the per-record stages. Default: all cores. "
    "Output is the same for any value.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="local",
    show_default=True,
    help="What runs the per-record stages: local processes, or Ray Data (pip install '.[ray]'). "
    "The release is the same, byte for byte.",
)
@click.option(
    "--ray-address",
    help="Ray cluster to join (with --engine ray), e.g. ray://head:10001 or auto. Default: a local "
    "Ray with --workers CPUs. Workers must see the output folder, where the build spools records.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail (exit 1) and publish nothing if any record is rejected, or if a key that dataset.toml "
    "maps is in no input object.",
)
@click.option(
    "--no-report",
    is_flag=True,
    help="Do not draw report.html (a view of the release; the data and fingerprint are the same).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read every file again instead of reusing the build cache's results for unchanged ones "
    "(OUT/NAME/.cache, see `cache info`); the release is the same, byte for byte.",
)
def build_command(
    config_path: Path | None,
    raw: Path | None,
    out: Path | None,
    name: str | None,
    version: str | None,
    workers: int | None,
    engine: str,
    ray_address: str | None,
    strict: bool,
    no_report: bool,
    no_cache: bool,
) -> None:
    """Build a release from raw/: ingest, clean, validate, dedupe, tag languages, split, publish.

    Every record read ends in a split, in audit/rejects.jsonl (with a reason) or in
    audit/duplicates.jsonl (with the id it duplicates). A version that is already published
    is never overwritten: rebuilding identical content is a no-op, different content is refused.
    """
    if config_path is None and DEFAULT_CONFIG.is_file():
        config_path = DEFAULT_CONFIG
    overrides = {
        "raw": str(raw.resolve()) if raw else None,
        "out": str(out.resolve()) if out else None,
        "name": name,
        "version": version,
    }
    stop_on_signals()  # SIGTERM ends the build like Ctrl-C: work and staging folders removed
    if engine == "local" and _whole_process:
        skip_unneeded_imports()
    try:
        config = load_config(config_path, overrides=overrides)
        with stopped_cleanly():
            release = build(
                config,
                workers=workers or available_cores(),
                progress=RichProgress(),
                strict=strict,
                report=not no_report,
                engine=engine,
                ray_address=ray_address,
                cache=not no_cache,
            )
    except ConfigError as exc:
        fail(str(exc), code=2)
    except BuildError as exc:
        fail(str(exc), code=1)
    print_summary(release)


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# A local build needs neither, and its dependencies import them only to look: pyarrow imports
# pandas (~0.2 s) the first time it converts Python lists, to ask whether they are a
# DataFrame; numba imports scipy.linalg (~0.2 s) for linear algebra no kernel here does.
# Both do without a module that cannot be imported. (Ray Data needs pandas.)
UNNEEDED_IN_A_LOCAL_BUILD = ("pandas", "scipy")
_whole_process = False  # set by `run`: the process ends with the command


class Unneeded(importlib.abc.MetaPathFinder):
    """Refuses to find `UNNEEDED_IN_A_LOCAL_BUILD`, as if they were not installed."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in UNNEEDED_IN_A_LOCAL_BUILD:
            raise ModuleNotFoundError(f"{name} is not needed by a local build", name=name)


def skip_unneeded_imports() -> None:
    """Make `UNNEEDED_IN_A_LOCAL_BUILD` unimportable for the rest of this process. Only where
    the process ends with the command: pyarrow, having failed once, would never try pandas
    again (`to_pandas` in a program that called the build would fail)."""
    if not any(isinstance(finder, Unneeded) for finder in sys.meta_path):
        sys.meta_path.insert(0, Unneeded())


def run(prog_name: str | None = None) -> None:
    """The program (`python -m dataset_builder`, `dataset-builder`): one command, then the
    process ends. Calling `main` from Python (click's test runner, a notebook) does not skip
    imports."""
    global _whole_process
    _whole_process = True
    main(prog_name=prog_name)


def fail(message: str, code: int) -> None:
    """Print `message` as it is (escaped: text in square brackets is not Rich markup) and exit."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, markup=True)
    sys.exit(code)


@contextlib.contextmanager
def stopped_cleanly() -> Iterator[None]:
    """Ctrl-C and SIGTERM as one line each instead of a traceback."""
    published.clear()  # what this command publishes, not an earlier one in the same process
    try:
        yield
    except KeyboardInterrupt:
        fail(f"interrupted (Ctrl-C); {what_was_published()}", code=130)
    except Terminated:
        fail(f"terminated (SIGTERM); {what_was_published()}", code=143)


def what_was_published() -> str:
    """What a stop leaves: nothing, or a whole release (one renamed into place just before)."""
    if not published:
        return "nothing was published"
    return f"{published[-1]} was published, whole, before the stop"


def print_summary(release: Release) -> None:
    for skipped in release.manifest["skipped"]:
        err.print(f"skipped {skipped['path']} ({skipped['reason']})", soft_wrap=True, markup=False)
    for rejection in release.rejects[:SHOWN_REJECTS]:
        err.print(
            f"rejected {rejection.locator} ({rejection.reason}): {rejection.detail}",
            soft_wrap=True,
            markup=False,
        )
    if len(release.rejects) > SHOWN_REJECTS:
        err.print(f"... and {len(release.rejects) - SHOWN_REJECTS} more, listed in audit/rejects.jsonl")
    for move in release.manifest["moved"]:
        err.print(
            f"[yellow]moved[/] {escape(move['id'])} from {move['before']} to {move['after']}: its group "
            f"(smallest id {escape(move['group'])}) now holds records of several splits",
            soft_wrap=True,
        )
    for warning in release.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    out.print(summary_table(release))


def summary_table(release: Release) -> Table:
    m = release.manifest
    counts = m["counts"]
    table = Table(title=escape(f"{m['name']} {m['version']}"), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("files", f"{len(m['inputs'])} read, {len(m['skipped'])} skipped")
    if dropped := m["input_keys"]["dropped"]:
        listed = ", ".join(f"{key} {n}" for key, n in dropped.items())
        table.add_row("dropped keys", f"{listed} (declare them in [ingest.columns] to keep them)")
    table.add_row("read", str(counts["read"]))
    table.add_row("rejected", str(counts["rejected"]))
    for reason, n in m["rejected_by_reason"].items():
        table.add_row(f"  {reason}", str(n))
    table.add_row("duplicates", str(counts["duplicates"]))
    for kind, n in m["duplicates_by_kind"].items():
        table.add_row(f"  {kind}", str(n))
    table.add_row("kept", str(counts["kept"]))
    for split in SPLITS:
        langs = ", ".join(f"{lang} {n}" for lang, n in m["languages"][split].items())
        table.add_row(f"  {split}", f"{m['splits'][split]}" + (f"  ({langs})" if langs else ""))
    if m["near_duplicates"].get("enabled"):
        near = m["config"]["near_dup"]
        table.add_row(
            "similar pairs",
            f"{m['leakage']['pairs']} across splits (Jaccard ≥ {near['report_threshold']:g}; "
            f"none ≥ {near['group_threshold']:g})",
        )
    for name, checked in m.get("decontamination", {}).get("evaluation_sets", {}).items():
        table.add_row(
            f"eval set {name}",
            f"{checked['records_matched']} record(s) matched ({checked['action']})",
        )
    table.add_row(
        "check",
        f"read {counts['read']} = kept {counts['kept']} + rejected {counts['rejected']} "
        f"+ duplicates {counts['duplicates']}" + (" ✓" if balanced(counts) else " ✗"),
    )
    if release.cache:
        used = release.cache
        done = (
            f"nothing changed since a build published it in {escape(display_path(used.copied_from))}: "
            "copied from there, not built again"
            if used.copied_from
            else "nothing changed since the build that published it: not built again"
            if used.not_built
            else f"{used.files_reused} file(s) reused, {used.files_read} read; "
            f"{used.records_recalled} record(s) of pass 2 recalled"
        )
        where = f"{used.entries} entries, {used.bytes / 1e6:.1f} MB in {escape(display_path(used.folder))}"
        table.add_row("cache", f"{done}; {where}")
    status = "unchanged, already published" if release.unchanged else "published"
    table.add_row("release", f"{escape(display_path(release.path))} ({status})")
    table.add_row("fingerprint", m["fingerprint"][:16])
    if (release.path / report.NAME).is_file():
        table.add_row("report", escape(display_path(release.path / report.NAME)))
    return table


def display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@main.group("cache")
def cache_group() -> None:
    """The build cache: pass 1's results per input file, reused by the next build for files
    whose bytes and settings are unchanged (never part of a release). Where it is:
    `cache.folder` in dataset.toml, default OUT/NAME/.cache."""


def cache_store(config_path: Path | None, out: Path | None, name: str | None) -> Store:
    if config_path is None and DEFAULT_CONFIG.is_file():
        config_path = DEFAULT_CONFIG
    try:
        config = load_config(
            config_path, overrides={"out": str(out.resolve()) if out else None, "name": name}
        )
    except ConfigError as exc:
        fail(str(exc), code=2)
    return Store(config.settings.cache.folder or config.releases / ".cache")


CACHE_OPTIONS = (
    click.option(
        "--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="As for build."
    ),
    click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="As for build."),
    click.option("--name", help="As for build."),
)


def cache_options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(CACHE_OPTIONS):
        command = option(command)
    return command


@cache_group.command("info")
@cache_options
def cache_info_command(config_path: Path | None, out: Path | None, name: str | None) -> None:
    """Where the cache is, its entries and its size."""
    info = cache_store(config_path, out, name).info()
    out_line = f"{display_path(info.folder)}: {info.entries} entries, {info.bytes / 1e6:.1f} MB"
    click.echo(out_line)


@cache_group.command("clear")
@cache_options
def cache_clear_command(config_path: Path | None, out: Path | None, name: str | None) -> None:
    """Delete every entry (the next build reads every file)."""
    info = cache_store(config_path, out, name).clear()
    click.echo(f"{display_path(info.folder)}: deleted {info.entries} entries, {info.bytes / 1e6:.1f} MB")


@main.command("verify")
@click.argument("release", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--rebuild", is_flag=True, help="Also build it again from the raw files and compare, file by file."
)
@click.option(
    "--raw",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("raw"),
    show_default=True,
    help="The raw files to rebuild from.",
)
@click.option(
    "--datasheet",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The maintainers' DATASHEET.md to rebuild with. Default: the one beside the raw folder.",
)
@click.option(
    "--fingerprint",
    "pinned",
    callback=lambda _context, _option, value: check_pin(value),
    help="The fingerprint you expect (its first 16 hex digits or more): fail unless the release has it. "
    "Without it, verify only proves the release agrees with its own manifest.",
)
def verify_command(
    release: Path, rebuild: bool, raw: Path, datasheet: Path | None, pinned: str | None
) -> None:
    """Check RELEASE against its manifest: every file's SHA-256 and size, no extra file, the
    fingerprint. With --rebuild, build it again into a temporary folder and compare. With
    --fingerprint, also check it is the release that fingerprint names: anyone who edits a
    file can recompute the manifest's hashes and fingerprint, so only a pinned fingerprint
    proves you have the release you meant.

    Exit code 0 when it verifies, 1 when anything differs."""
    try:
        manifest = read_manifest(release)
        report = rebuild_release(release, raw, datasheet) if rebuild else verify.check_files(release)
        report.problems[:0] = verify.pinned_problems(manifest, pinned) if pinned else []
    except ConfigError as exc:
        fail(str(exc), code=2)
    except BuildError as exc:
        fail(str(exc), code=1)
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    for problem in report.problems:
        err.print(f"[bold red]differs:[/] {escape(problem)}", soft_wrap=True)
    if not report.ok:
        sys.exit(1)
    done = f"{display_path(release)}: verified" + (" and rebuilt byte for byte" if rebuild else "")
    done += f", fingerprint {manifest['fingerprint'][:16]}" + (" as pinned" if pinned else " (not pinned)")
    out.print(done, markup=False, soft_wrap=True)


def check_pin(value: str | None) -> str | None:
    """A --fingerprint value: 16 to 64 hex digits, any case."""
    if value is not None and not verify.PIN.fullmatch(value.strip().lower()):
        raise click.BadParameter(
            f"{value!r}: expected the fingerprint's first 16 hex digits or more (up to all 64)"
        )
    return value.strip().lower() if value is not None else None


@main.command("diff")
@click.argument("old", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("new", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(min=0), help="Records listed per kind."
)
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON, for scripts and CI.")
def diff_command(old: Path, new: Path, limit: int, as_json: bool) -> None:
    """Records added, removed and changed per split between two releases, records that moved
    split, and language and publisher shifts; the first --limit records of each kind by id,
    with their titles."""
    try:
        labels = (read_manifest(old)["version"], read_manifest(new)["version"])
        changes = diff.compare(old, new, labels)
    except BuildError as exc:
        fail(str(exc), code=1)
    if as_json:
        click.echo(json.dumps(diff.as_json(changes, limit), ensure_ascii=False, indent=2))
    else:
        out.print("\n".join(diff.summary(changes, limit)), markup=False, soft_wrap=True)


@main.command("report")
@click.argument("release", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the page. Default: RELEASE/report.html.",
)
def report_command(release: Path, output: Path | None) -> None:
    """Draw RELEASE's report.html again from its manifest and audit files: the funnel,
    languages, lengths, near-duplicates, sources, personal information, sample rejects and
    pairs, and the changes since the previous version beside it. `build` draws it too."""
    try:
        release = release.resolve()  # `report .` in the release folder: its parent holds the others
        written = report.write(release, report.changes_since_previous(release), output)
    except BuildError as exc:
        fail(str(exc), code=1)
    out.print(f"wrote {display_path(written)}", markup=False)


@main.command("rules")
@click.argument("release", type=click.Path(path_type=Path, file_okay=False, exists=True))
def rules_command(release: Path) -> None:
    """Print the boilerplate RELEASE's build learned per publisher ([boilerplate] learn = true)
    as ready-to-paste clean.extra_rules for dataset.toml."""
    from dataset_builder.release import learned

    try:
        manifest = read_manifest(release.resolve())
    except BuildError as exc:
        fail(str(exc), code=1)
    if "boilerplate_learned" not in manifest:
        fail(f"{release}: its build did not learn boilerplate (set learn = true under [boilerplate])", code=2)
    click.echo(learned.extra_rules(manifest), nl=False)


@main.command("publish")
@click.argument("release", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--repo", required=True, help="Hugging Face dataset repository, ORG/NAME.")
@click.option("--token", help="Hugging Face token. Default: HF_TOKEN or the one saved by `hf auth login`.")
def publish_command(release: Path, repo: str, token: str | None) -> None:
    """Upload a verified RELEASE to the Hugging Face Hub as one commit tagged vVERSION, so that
    load_dataset("ORG/NAME", revision="vVERSION") loads exactly it."""
    from dataset_builder.release import hub  # imports huggingface_hub (~0.3 s): only to publish

    try:
        upload = hub.plan(release, repo)
        url = hub.send(upload, token)
    except ConfigError as exc:
        fail(str(exc), code=2)
    except BuildError as exc:
        fail(str(exc), code=1)
    out.print(f"published {len(upload.files)} files to {repo}, tag {upload.tag}: {url}", markup=False)
