"""The `claims` command (also `python -m analysis`): validate data, import series, build reports."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from analysis.errors import problem_lines
from analysis.importers import IMPORTER_OPTIONS, IMPORTERS
from analysis.load import default_data_dir

EXIT_DATA_ERROR = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="casualty-claims")
def main() -> None:
    """Compare casualty claims: validate the sourced data and build the reports."""


@main.command()
@click.argument("data_dir", required=False, type=click.Path(path_type=Path))
def validate(data_dir: Path | None) -> None:
    """Check every rule on DATA_DIR (default: the project's data/raw).

    Exit 0 with a one-line summary when valid; otherwise list the problems as
    file:line: column: value: rule (the first 200 in file and line order, then how many
    more) and exit 2.
    """
    from analysis.validate import validate_data_dir

    summary, problems = validate_data_dir(data_dir or default_data_dir())
    if problems:
        for line in problem_lines(problems):
            click.echo(line, err=True)
        click.echo(f"invalid: {len(problems)} problem(s) in {data_dir or default_data_dir()}", err=True)
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
        return (f"importer {importer} takes no {' or '.join(f'--{name}' for name in extra)} "
                f"(option{'s' if len(extra) > 1 else ''} of {', '.join(owners)} only)")
    missing = [name for name in accepted if name not in given]
    if missing:
        return (f"importer {importer} needs " + " and ".join(
            f"--{name} (one of {', '.join(accepted[name])})" for name in missing))
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
    from analysis.load import sha256_file

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
    click.echo(f"wrote {out}: {len(rows):,} records, {rows[0]['date']} to {rows[-1]['date']}; "
               f"source sha256 {sha256_file(source)}")


@main.command()
@click.option("--only", "only", multiple=True, metavar="SLUG", help="Build only these reports (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Parallel jobs (default: one per core).")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("--catalog", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The catalog (default: reports.yml of the project).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: reports/ of the project).")
@click.option("--no-wait", is_flag=True, help="Refuse (exit 3) instead of waiting when another build runs.")
@click.option("--fresh-kernels", is_flag=True,
              help="Start every kernel from scratch instead of forking it from a warm parent.")
@click.option("--progress", type=click.Choice(["auto", "rich", "plain", "none"]), default="auto",
              help="Progress display (default: bars on a terminal, one line per report otherwise).")
def build(only: tuple[str, ...], jobs: int | None, force: bool, catalog: Path | None, out: Path | None,
          no_wait: bool, fresh_kernels: bool, progress: str) -> None:
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
    from analysis.report.runner import DEFAULT_CATALOG, DEFAULT_OUT, Options, build as run_build

    options = Options(catalog=catalog or DEFAULT_CATALOG, out=out or DEFAULT_OUT, only=only, jobs=jobs,
                      force=force, wait=not no_wait, warm_kernels=not fresh_kernels, progress=progress)
    sys.exit(run_build(options))
