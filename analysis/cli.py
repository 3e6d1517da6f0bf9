"""The `claims` command (also `python -m analysis`): validate data, import series, build reports."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from analysis.errors import sort_key
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

    Exit 0 with a one-line summary when valid; otherwise list every problem as
    file:line: column: value: rule and exit 2.
    """
    from analysis.validate import validate_data_dir

    summary, problems = validate_data_dir(data_dir or default_data_dir())
    if problems:
        for problem in sorted(problems, key=sort_key):
            click.echo(str(problem), err=True)
        click.echo(f"invalid: {len(problems)} problem(s) in {data_dir or default_data_dir()}", err=True)
        sys.exit(EXIT_DATA_ERROR)
    click.echo(summary.line())


@main.command("import-series")
@click.argument("importer", type=click.Choice(["ivaniuk"]))
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def import_series(importer: str, source: Path, out: Path) -> None:
    """Convert a bulk SOURCE file into a series CSV at OUT (never overwrites).

    Then describe the series in the conflict's conflict.yml (origin, licence, sha256 printed
    here) and run `claims validate`.
    """
    from analysis.importers import IMPORTERS, sha256_of, write_series

    try:
        rows = IMPORTERS[importer](source)
        if not rows:
            raise ValueError(f"{source}: no records to import")
        write_series(rows, out)
    except (ValueError, FileExistsError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_DATA_ERROR)
    click.echo(f"wrote {out}: {len(rows):,} records, {rows[0]['date']} to {rows[-1]['date']}; "
               f"source sha256 {sha256_of(source)}")


@main.command()
@click.option("--only", "only", multiple=True, metavar="SLUG", help="Build only these reports.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Parallel jobs (default: one per core).")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
def build(only: tuple[str, ...], jobs: int | None, force: bool) -> None:
    """Validate the data, then build the reports of the catalog.

    The report runner is not written yet (issue #5): for now this validates the data and
    lists the conflicts that reports would be built from.
    """
    from analysis.dataset import list_conflicts
    from analysis.validate import validate_data_dir

    summary, problems = validate_data_dir(default_data_dir())
    if problems:
        for problem in sorted(problems, key=sort_key):
            click.echo(str(problem), err=True)
        sys.exit(EXIT_DATA_ERROR)
    click.echo(summary.line())
    click.echo("report build not implemented yet (issue #5); would build reports for: "
               + ", ".join(list_conflicts()))
