"""The `claims` command (also `python -m analysis`): validate data, import series, build reports."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from analysis.errors import problem_lines
from analysis.importers import IMPORTER_OPTIONS, IMPORTERS
from analysis.project import CATALOG_FILE, DATA_DIR_ENV, NoDataDir, catalog_data_dir, default_data_dir, find_project

EXIT_DATA_ERROR = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="casualty-claims")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help=f"The project folder (holding {CATALOG_FILE}) for validate and build; default: the nearest "
    f"folder upwards from here that holds one.",
)
@click.pass_context
def main(ctx: click.Context, project: Path | None) -> None:
    """Compare casualty claims: validate the sourced data and build the reports.

    The data folder: validate's DATA_DIR or --project's catalog when given, else the
    CLAIMS_DATA_DIR environment variable, else the data_dir of the nearest reports.yml upwards
    from the working directory (default data/raw beside it).
    """
    if project is not None and not (project / CATALOG_FILE).is_file():
        _fail(f"--project {project}: no {CATALOG_FILE} there (`claims init {project}` makes a project)")
    ctx.obj = project


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_DATA_ERROR)


def _data_dir(project: Path | None) -> Path:
    """--project's data folder, else CLAIMS_DATA_DIR, else the project found upwards; one error line."""
    if project is not None:
        return catalog_data_dir(project / CATALOG_FILE)
    try:
        return default_data_dir()
    except NoDataDir as exc:
        _fail(str(exc))


@main.command()
@click.argument("data_dir", required=False, type=click.Path(path_type=Path))
@click.pass_obj
def validate(project: Path | None, data_dir: Path | None) -> None:
    """Check every rule on DATA_DIR (default: the project's data folder, see `claims --help`).

    Exit 0 with a one-line summary when valid; otherwise list the problems as
    file:line: column: value: rule (the first 200 in file and line order, then how many
    more) and exit 2.
    """
    from analysis.validate import validate_data_dir

    data_dir = data_dir or _data_dir(project)
    summary, problems = validate_data_dir(data_dir)
    if problems:
        for line in problem_lines(problems):
            click.echo(line, err=True)
        click.echo(f"invalid: {len(problems)} problem(s) in {data_dir}", err=True)
        sys.exit(EXIT_DATA_ERROR)
    click.echo(summary.line())


def _option_help(name: str) -> str:
    owners = [importer for importer, options in IMPORTER_OPTIONS.items() if name in options]
    values = dict.fromkeys(value for importer in owners for value in IMPORTER_OPTIONS[importer][name])
    return f"Required by {', '.join(owners)} (and refused by the others): one of {', '.join(values)}."


def importer_options_problem(importer: str, given: dict[str, str]) -> str | None:
    """Why the options given do not fit the importer (one line), or None when they do."""
    accepted = IMPORTER_OPTIONS.get(importer, {})
    extra = [name for name in given if name not in accepted]
    if extra:
        owners = [other for other, options in IMPORTER_OPTIONS.items() if set(extra) & set(options)]
        return (
            f"importer {importer} takes no {' or '.join(f'--{name}' for name in extra)} "
            f"(option{'s' if len(extra) > 1 else ''} of {', '.join(owners)} only)"
        )
    missing = [name for name in accepted if name not in given]
    if missing:
        return f"importer {importer} needs " + " and ".join(
            f"--{name} (one of {', '.join(accepted[name])})" for name in missing
        )
    return None


@main.command("import-series")
@click.argument("importer", type=click.Choice(list(IMPORTERS)))
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--channel", default=None, metavar="NAME", help="Who reported the figure. " + _option_help("channel"))
@click.option("--figure", default=None, metavar="FIELD", help="The source's field to import. " + _option_help("figure"))
def import_series(importer: str, source: Path, out: Path, channel: str | None, figure: str | None) -> None:
    """Convert a bulk SOURCE file into a series CSV at OUT (never overwrites; OUT's folder must exist).

    Importers: ivaniuk (Petro Ivaniuk's russia_losses_personnel.json); techforpalestine (Tech For
    Palestine's casualties_daily.json: one --channel's reported --figure, e.g. `--channel mohtel
    --figure killed_cum`; days of other channels, days without a report and the dataset's
    computed ext_* fields are never imported).

    Refuses (exit 2, nothing written, the error naming SOURCE) a record with a bad or duplicate
    date or value, an OUT that exists, or an OUT folder that does not; and (exit 2) an option the
    importer does not take or a missing one it needs.

    Then describe the series in the conflict's conflict.yml (origin, licence, sha256 printed
    here) and run `claims validate`.
    """
    from analysis.importers import check_output, write_series
    from analysis.report.fingerprint import sha256_file

    options = {name: value for name, value in (("channel", channel), ("figure", figure)) if value is not None}
    problem = importer_options_problem(importer, options)
    if problem is not None:
        click.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_DATA_ERROR)
    try:
        check_output(out, source)  # before reading a large source
        rows = IMPORTERS[importer](source, **options)
        if not rows:
            raise ValueError(f"{source}: no records to import")
        write_series(rows, out, source)
    except (ValueError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_DATA_ERROR)
    click.echo(
        f"wrote {out}: {len(rows):,} records, {rows[0]['date']} to {rows[-1]['date']}; "
        f"source sha256 {sha256_file(source)}"
    )


@main.command()
@click.option("--only", "only", multiple=True, metavar="SLUG", help="Build only these reports (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Parallel jobs (default: one per core).")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option(
    "--catalog",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The catalog (default: reports.yml of the project); its data_dir is used as written.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: reports/ beside the catalog).",
)
@click.option("--no-wait", is_flag=True, help="Refuse (exit 3) instead of waiting when another build runs.")
@click.option(
    "--fresh-kernels", is_flag=True, help="Start every kernel from scratch instead of forking it from a warm parent."
)
@click.option(
    "--progress",
    type=click.Choice(["auto", "rich", "plain", "none"]),
    default="auto",
    help="Progress display (default: bars on a terminal, one line per report otherwise).",
)
@click.pass_obj
def build(
    project: Path | None,
    only: tuple[str, ...],
    jobs: int | None,
    force: bool,
    catalog: Path | None,
    out: Path | None,
    no_wait: bool,
    fresh_kernels: bool,
    progress: str,
) -> None:
    """Build the reports of the catalog: check everything first, then run the stale ones.

    Checks the catalog, the data and every report's parameters before running anything; then runs
    each stale report's notebook through papermill in its own fresh kernel, in parallel, and writes
    reports/<slug>.html (one self-contained offline file), reports/<slug>/ (executed notebook,
    charts as PNG and SVG, tables as CSV), reports/index.html and reports/manifest.json.
    A report is stale when its notebook, parameters, data, the analysis code or the lock changed.

    Exit 0 when every report is built or up to date; 1 when a report failed (the others are still
    built; the last good HTML stays); 2 when the catalog, a parameter or the data is invalid
    (nothing runs); 3 when another build holds the lock and --no-wait is given; 130 when
    interrupted.
    """
    from analysis.report.runner import Options
    from analysis.report.runner import build as run_build

    data_dir = None  # explicit (--catalog, --project): the catalog's data_dir as written
    if catalog is None:
        found = project or find_project()
        if found is None:  # CLAIMS_DATA_DIR names data, not the reports to build
            _fail(
                f"no project: no {CATALOG_FILE} in {Path.cwd()} or any parent (use --project DIR, "
                f"or `claims init DIR` to make one)"
            )
        catalog = found / CATALOG_FILE
        if project is None and os.environ.get(DATA_DIR_ENV):
            data_dir = Path(os.environ[DATA_DIR_ENV])
    options = Options(
        catalog=catalog,
        out=out or catalog.parent / "reports",
        only=only,
        data_dir=data_dir,
        jobs=jobs,
        force=force,
        wait=not no_wait,
        warm_kernels=not fresh_kernels,
        progress=progress,
    )
    sys.exit(run_build(options))


@main.command("run", context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_notebook(args: tuple[str, ...]) -> None:
    """papermill NOTEBOOK OUTPUT [its options], ending a failed cell with one line.

    The papermill command prints its own Python traceback above a failed cell's error (it catches
    only a dead kernel); this runs the same command (`claims run --help` is papermill's help) and
    prints `error: NOTEBOOK cell N: ParameterError: ...` instead, exit 1.
    """
    from papermill.cli import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.main(list(args), prog_name="claims run", standalone_mode=False)
    except PapermillExecutionError as exc:
        notebook = next((arg for arg in args if arg.endswith(".ipynb")), "notebook")
        click.echo(f"error: {notebook} cell {exc.exec_count}: {exc.ename}: {exc.evalue}", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)


SKELETON = "skeleton"  # package data: the files of a new project (analysis/skeleton/)
SKIPPED = {"__pycache__", ".ipynb_checkpoints"}


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Make a new project in DIRECTORY (created; refused unless missing or empty).

    It holds reports.yml (a catalog of two example reports), notebooks/ (this package's two
    notebooks), data/raw/ with the data dictionary, an empty CHANGELOG.md, the published
    wounded:killed references and one FICTIONAL example conflict (elbonia-krakozhia), and a
    README. Then `claims validate` and `claims build` work in it.
    """
    from importlib.resources import files

    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        _fail(f"{directory} is not an empty folder; `claims init` writes only into a new or empty one")
    source = files("analysis").joinpath(SKELETON)
    if not source.is_dir():
        _fail(f"this installation of casualty-claims lacks its project files (analysis/{SKELETON})")
    directory.mkdir(parents=True, exist_ok=True)
    count = _copy_tree(source, directory)
    click.echo(f"created {directory}: {count} files; next: cd {directory} && claims validate && claims build")


def _copy_tree(source, target: Path) -> int:
    """Copy a package-data folder (importlib.resources Traversable: wheels, zips, checkouts alike)."""
    count = 0
    for item in sorted(source.iterdir(), key=lambda t: t.name):
        if item.name in SKIPPED:
            continue
        if item.is_dir():
            (target / item.name).mkdir()
            count += _copy_tree(item, target / item.name)
        else:
            (target / item.name).write_bytes(item.read_bytes())
            count += 1
    return count
