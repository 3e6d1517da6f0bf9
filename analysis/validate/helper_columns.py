"""Columns a claim takes from other files, joined in before its rules run, for the rules that span
files (analysis.validate.tables): its statement's date and claimant, the subject and population of
the claim it is derived from, and the series record it repeats."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from analysis.load import LINE, RawConflict, RawTable
from analysis.validate.rules import parsed_date, whole_number


def series_claim_id(series_id: str, dates: pl.Series) -> pl.Series:
    """Claim ids of a series' records: `<series_id>.<date>`, stable so others can cite them."""
    return f"{series_id}." + dates


HELPER_COLUMNS = {
    "_statement_date": pl.Date,
    "_claimant_id": pl.String,
    "_derived_side": pl.String,
    "_derived_population": pl.String,
    "_series_record": pl.String,
}


@dataclass
class SeriesRecords:
    """The readable series of a conflict, for rules about the claims that name or repeat their
    records. Each record stands for the claim `<series_id>.<date>` of the entry's claimant,
    subject_side, population and metric, as of its date, with its qualifier and value."""

    tables: list[tuple[str, dict, RawTable]] = field(default_factory=list)  # (series_id, entry, table)

    def claimants(self) -> list[str]:
        return list(dict.fromkeys(str(e["claimant_id"]) for _, e, _ in self.tables if e.get("claimant_id") is not None))

    def targets(self) -> list[pl.LazyFrame]:
        """(_target_id, subject_side, population) of every record."""
        return [
            table.frame.lazy().select(
                pl.concat_str([pl.lit(f"{series_id}."), pl.col("date")]).alias("_target_id"),
                *[pl.lit(_text(entry.get(key)), pl.String).alias(key) for key in ("subject_side", "population")],
            )
            for series_id, entry, table in self.tables
        ]

    def repeated(self, candidates: pl.LazyFrame, key: list[str]) -> pl.LazyFrame:
        """(_row, _series_record) of the candidate claims (_row, *key, as_of_date, _value) equal to
        a record, the first record when several are; the record named with where it is written."""
        frames = [pl.LazyFrame(schema={"_row": pl.UInt32, "_series_record": pl.String})]
        for series_id, entry, table in self.tables:
            constants = {
                "_claimant_id": entry.get("claimant_id"),
                "subject_side": entry.get("subject_side"),
                "population": entry.get("population"),
                "metric": entry.get("metric"),
            }
            records = table.frame.lazy().select(
                pl.col("date").alias("as_of_date"),
                whole_number("value").alias("_value"),
                pl.col("qualifier").alias("_qualifier"),
                LINE,
            )
            frames.append(
                candidates.filter(*(pl.col(k) == _text(v) for k, v in constants.items()))
                .join(records, on=["as_of_date", "_value"], how="inner", maintain_order="left_right")
                .filter(pl.col("qualifier") == pl.col("_qualifier"))
                .select(
                    "_row",
                    pl.concat_str(
                        [
                            pl.lit(f"{series_id}."),
                            pl.col("as_of_date"),
                            pl.lit(f" at {table.rel}:"),
                            pl.col(LINE).cast(pl.String),
                        ]
                    ).alias("_series_record"),
                )
            )
        return pl.concat(frames).unique("_row", keep="first", maintain_order=True)


def _text(value) -> str | None:
    return None if value is None else str(value)


def series_records(raw: RawConflict, entries: dict[str, dict]) -> SeriesRecords:
    """Every readable series (in conflict.yml, with date, value and qualifier columns)."""
    return SeriesRecords(
        [
            (series_id, entries[series_id], table)
            for series_id, table in raw.series.items()
            if series_id in entries
            and table.frame is not None
            and {"date", "value", "qualifier"} <= set(table.frame.columns)
        ]
    )


def claim_helpers(
    claims: pl.DataFrame, statements: pl.DataFrame | None, series: SeriesRecords | None = None
) -> pl.LazyFrame:
    """Per-claim columns from the claim's statement, the claim it is derived from and the series
    record it repeats, for rules that span files: HELPER_COLUMNS, one row per claim in its order,
    as a query not yet run (check_table runs it in the one query of every rule).

    Each lookup takes only the few columns it needs, and only the rows that can match (claims
    with a derived_from and the claims or records they name; cumulative claims of a series'
    claimant, matched on date and value first, few records share both), then joins back on the
    row number; a lookup that cannot match is not made (its column is empty). On a million claims
    joining the wide frame on seven text keys cost more than every other rule together."""
    series = series or SeriesRecords()

    def column(name: str) -> pl.Expr:
        return pl.col(name) if name in claims.columns else pl.lit(None, pl.String).alias(name)

    rows = claims.lazy().select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), column("statement_id"))
    if statements is None or "statement_id" not in statements.columns:
        statements = pl.DataFrame(schema={"statement_id": pl.String})
    lookup = (
        statements.lazy()
        .select(
            pl.col("statement_id"),
            parsed_date("statement_date").alias("_statement_date")
            if "statement_date" in statements.columns
            else pl.lit(None, pl.Date).alias("_statement_date"),
            (pl.col("claimant_id") if "claimant_id" in statements.columns else pl.lit(None, pl.String)).alias(
                "_claimant_id"
            ),
        )
        .unique("statement_id", keep="first")
    )
    helpers = rows.join(lookup, on="statement_id", how="left", maintain_order="left")

    # the claim named in derived_from (a curated claim or a series record): only the rows naming one
    if "derived_from" in claims.columns and claims["derived_from"].null_count() < claims.height:
        naming = (
            claims.lazy()
            .select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "derived_from")
            .filter(pl.col("derived_from").is_not_null())
        )
        targets = (
            pl.concat(
                [
                    claims.lazy().select(
                        column("claim_id").alias("_target_id"), column("subject_side"), column("population")
                    ),
                    *series.targets(),
                ]
            )
            .join(naming, left_on="_target_id", right_on="derived_from", how="semi", maintain_order="left")
            .unique("_target_id", keep="first")
        )
        found = naming.join(targets, left_on="derived_from", right_on="_target_id", how="inner")
        helpers = helpers.join(
            found.select(
                "_row", pl.col("subject_side").alias("_derived_side"), pl.col("population").alias("_derived_population")
            ),
            on="_row",
            how="left",
            maintain_order="left",
        )
    else:
        helpers = helpers.with_columns(
            pl.lit(None, pl.String).alias("_derived_side"), pl.lit(None, pl.String).alias("_derived_population")
        )

    # the series record a cumulative claim repeats: only claims of a claimant that has a series
    series_claimants = series.claimants()
    if series_claimants:
        key = ["_claimant_id", "subject_side", "population", "metric", "qualifier"]
        candidates = (
            claims.lazy()
            .select(
                pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
                column("statement_id"),
                *map(column, key[1:]),
                column("as_of_date"),
                whole_number("value").alias("_value")
                if "value" in claims.columns
                else pl.lit(None, pl.Int64).alias("_value"),
                column("period_type"),
            )
            .filter(pl.col("period_type") == "cumulative")
            .join(lookup.filter(pl.col("_claimant_id").is_in(series_claimants)), on="statement_id", how="inner")
        )
        helpers = helpers.join(series.repeated(candidates, key), on="_row", how="left", maintain_order="left")
    else:
        helpers = helpers.with_columns(pl.lit(None, pl.String).alias("_series_record"))
    return helpers.select(list(HELPER_COLUMNS))
