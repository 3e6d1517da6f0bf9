"""Published wounded:killed ratios that a claimant's own ratio is compared against.

They live in data (data/raw/wounded_to_killed_references.csv), each with its source and the
quoted passage that carries the number, and per population: a military ratio says nothing about
civilians. This module reads and checks that file; it never rewrites it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import polars as pl

from analysis import arguments
from analysis import vocabulary as vocab
from analysis.arguments import refusing
from analysis.columns import RAW_TABLES
from analysis.errors import DataValidationError, Problem
from analysis.load import LINE, default_data_dir, read_csv_text

REFERENCES_FILE = "wounded_to_killed_references.csv"
TABLE = RAW_TABLES[REFERENCES_FILE]  # its columns, in file order (analysis.columns)
COLUMNS = tuple(TABLE)
REQUIRED = tuple(name for name, field in TABLE.items() if field.required)
RATIO_COLUMNS = tuple(name for name, field in TABLE.items() if field.type == "number")

# The same forms the claims' validation accepts: one rule for ids and URLs (analysis.vocabulary).
ID_PATTERN = re.compile(vocab.ID_PATTERN)
DECIMAL_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)?$")


@refusing
def wounded_to_killed_references(data_dir: Path | None = None) -> pl.DataFrame:
    """The reference ratios of a data directory (default: the project's data/raw), checked.

    Raises DataValidationError listing every broken rule (file, line, column, value), so a report
    never compares against a ratio without a source. Cached per data directory: report kernels
    call this for every comparison; call `wounded_to_killed_references.cache_clear()` after
    editing the file in a running process.
    """
    return _load((arguments.directory("data_dir", data_dir) or Path(default_data_dir())).resolve())


@functools.lru_cache(maxsize=8)
def _load(data_dir: Path) -> pl.DataFrame:
    if not (data_dir / REFERENCES_FILE).exists():
        # Optional data: a data dir without the file (a new user's own conflicts) has no
        # reference ratios, and reports say so; a file that exists must be right.
        return pl.DataFrame(schema={c: pl.Float64 if c in RATIO_COLUMNS else pl.String for c in COLUMNS})
    problems: list[Problem] = []
    table = read_csv_text(data_dir / REFERENCES_FILE, data_dir, problems)
    if table.frame is not None:
        problems += _header_problems(table.rel, table.header)
    if problems or table.frame is None:  # unreadable or misshapen: its cells cannot be checked
        raise DataValidationError(problems)
    frame = table.frame
    position = {name: number for number, name in enumerate(table.header, start=1)}
    seen: set[str] = set()
    for row in frame.iter_rows(named=True):
        problems += _row_problems(table.rel, row, position, seen)
    if problems:
        raise DataValidationError(problems)
    return frame.sort(LINE).select([pl.col(c).cast(pl.Float64) if c in RATIO_COLUMNS else pl.col(c) for c in COLUMNS])


wounded_to_killed_references.cache_clear = _load.cache_clear  # type: ignore[attr-defined]


def _header_problems(rel: str, header: list[str]) -> list[Problem]:
    """Every column exactly once, and nothing else: a misspelt column would silently drop data."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        if name in seen:
            problems.append(Problem(rel, 1, name, None, "column appears twice in the header", number))
        elif name not in COLUMNS:
            problems.append(Problem(rel, 1, name, None, f"unknown column; expected: {', '.join(COLUMNS)}", number))
        seen.add(name)
    for name in COLUMNS:
        if name not in seen:
            problems.append(Problem(rel, 1, name, None, "required column is missing from the header"))
    return problems


def _row_problems(rel: str, row: dict, position: dict[str, int], seen: set[str]) -> list[Problem]:
    """One record's broken rules, each at its line and column, quoting the value as written."""
    line = row[LINE]
    problems: list[Problem] = []

    def problem(column: str, rule: str) -> None:
        problems.append(Problem(rel, line, column, row[column], rule, position[column]))

    for column in REQUIRED:
        if row[column] is None or not row[column].strip():
            problem(column, "is required")

    reference_id = row["reference_id"]
    if reference_id is not None:
        if not ID_PATTERN.match(reference_id):
            problem("reference_id", vocab.ID_RULE)
        elif reference_id in seen:
            problem("reference_id", "must be unique (an earlier line has it)")
        seen.add(reference_id)

    if row["population"] is not None and row["population"] not in vocab.POPULATION:
        problem("population", f"must be one of the populations: {', '.join(vocab.POPULATION)}")

    ratios: dict[str, float] = {}
    for column in RATIO_COLUMNS:
        text = row[column]
        if text is None:
            continue
        if not DECIMAL_PATTERN.match(text):
            problem(column, "must be a decimal number written with digits and a point (3.0, 2.48)")
        elif float(text) <= 0:
            problem(column, "must be greater than zero")
        else:
            ratios[column] = float(text)
    if len(ratios) == 2 and ratios["ratio_low"] > ratios["ratio_high"]:
        problem("ratio_low", f"must not exceed ratio_high ({row['ratio_high']})")

    if row["source_url"] is not None and not vocab.is_url(row["source_url"]):
        problem("source_url", vocab.URL_RULE)
    return problems
