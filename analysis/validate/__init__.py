"""Validate a data directory: every rule, every problem at once, each with file, line and column.

Per-table rules are polars expressions. All of them are first evaluated in one vectorised query;
only when one fails does the table go through a pandera schema built from the same expressions,
whose lazy mode collects every failing cell (with its row, for the line number) instead of
stopping at the first. Rules that span files (references, dates against the statement) are
ordinary column checks over helper columns joined in beforehand. conflict.yml is small and
nested, so it is checked in plain Python with line numbers from the YAML parser.

The package, in the order its modules import each other:
- rules.py: a rule and a column's rules; the rules the column dictionary (analysis.columns)
  declares for each raw column; check_table, which runs a table's rules.
- helper_columns.py: the columns a claim takes from other files for the rules that span them.
- tables.py: statements.csv, claims.csv and a series' records: their columns from the
  dictionary, with their own rules across cells, rows and files.
- meta.py: conflict.yml.
- here: a conflict, and a data directory of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis.errors import Problem
from analysis.load import CONFLICT_FILE, RawConflict, conflict_dirs, read_conflict
from analysis.validate.helper_columns import (
    HELPER_COLUMNS,
    SeriesRecords,
    claim_helpers,
    series_claim_id,
    series_records,
)
from analysis.validate.meta import check_meta, dicts, parse_date, text_ids
from analysis.validate.rules import DATE_PATTERN, ID_PATTERN, INT_PATTERN, Column, check_table
from analysis.validate.tables import claim_columns, series_columns, statement_columns

__all__ = [
    "DATE_PATTERN",
    "HELPER_COLUMNS",
    "ID_PATTERN",
    "INT_PATTERN",
    "Column",
    "ConflictSummary",
    "DataSummary",
    "SeriesRecords",
    "check_meta",
    "check_table",
    "claim_columns",
    "series_claim_id",
    "series_columns",
    "statement_columns",
    "validate_conflict",
    "validate_data_dir",
]


@dataclass
class ConflictSummary:
    conflict_id: str
    claimants: int
    statements: int
    claims: int
    series_claims: int


def validate_conflict(raw: RawConflict) -> tuple[ConflictSummary, list[Problem]]:
    problems = list(raw.problems)
    if raw.meta is None:
        # Without conflict.yml there is nothing to check references against: report the reason
        # once instead of a cascade of false problems in every row.
        return ConflictSummary(raw.rel, 0, 0, 0, 0), problems
    meta = raw.meta
    problems += check_meta(raw)
    start = parse_date(meta.get("start_date"))
    sides = text_ids(meta.get("sides"), "side_id")
    claimants = text_ids(meta.get("claimants"), "claimant_id")
    series_entries = {str(e.get("series_id")): e for e in dicts(meta.get("series"))}

    # Ids stay polars Series (see rules.values).
    series_claim_ids = pl.Series([], dtype=pl.String)
    unreadable_series: list[str] = [
        sid for sid in series_entries if sid not in raw.series or raw.series[sid].frame is None
    ]
    for series_id, table in raw.series.items():
        problems += check_table(table, series_columns(start))
        if table.frame is not None and "date" in table.frame.columns:
            series_claim_ids.append(series_claim_id(series_id, table.frame["date"].drop_nulls()))

    statement_ids = pl.Series([], dtype=pl.String)
    statement_frame = raw.statements.frame
    if statement_frame is not None:
        problems += check_table(raw.statements, statement_columns(claimants, start))
        statement_ids = statement_frame.get_column("statement_id", default=statement_ids).drop_nulls()

    claim_count = 0
    claims_frame = raw.claims.frame
    if claims_frame is not None:
        claim_count = claims_frame.height
        helpers = claim_helpers(claims_frame, statement_frame, series_records(raw, series_entries))
        known_ids = claims_frame.get_column("claim_id", default=pl.Series([], dtype=pl.String)).drop_nulls()
        problems += check_table(
            raw.claims,
            claim_columns(
                sides,
                start,
                pl.concat([known_ids, series_claim_ids]),
                series_claim_ids,
                statement_ids,
                unreadable_series,
            ),
            helpers,
        )
    summary = ConflictSummary(
        str(meta.get("conflict_id", raw.rel)), len(claimants), len(statement_ids), claim_count, len(series_claim_ids)
    )
    return summary, problems


@dataclass
class DataSummary:
    conflicts: list[ConflictSummary]

    def line(self) -> str:
        c = self.conflicts
        return (
            f"valid: {len(c)} conflict(s), {sum(x.claimants for x in c)} claimants, "
            f"{sum(x.statements for x in c)} statements, "
            f"{sum(x.claims for x in c):,} claims + {sum(x.series_claims for x in c):,} series claims"
        )


def validate_data_dir(data_dir: Path) -> tuple[DataSummary, list[Problem]]:
    """Validate every conflict under data_dir; an empty directory is itself a problem."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return DataSummary([]), [Problem(str(data_dir), None, None, None, "data directory does not exist")]
    dirs = conflict_dirs(data_dir)
    if not dirs:
        return DataSummary([]), [
            Problem(str(data_dir), None, None, None, f"no conflict found: expected <conflict-id>/{CONFLICT_FILE}")
        ]
    summaries, problems = [], []
    for conflict_dir in dirs:
        summary, found = validate_conflict(read_conflict(conflict_dir, data_dir))
        summaries.append(summary)
        problems += found
    return DataSummary(summaries), problems
