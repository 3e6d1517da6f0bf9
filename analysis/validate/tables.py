"""The rules of the raw CSV tables: statements.csv, claims.csv and a series' records. Each column's
type, form, values, uniqueness and presence come from the column dictionary (rules.dictionary_columns);
written here are only the rules that relate a cell to other cells of its row, to other rows, to
other files (over the helper columns, analysis.validate.helper_columns) or to the conflict's start."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis import vocabulary as vocab
from analysis.load import LINE
from analysis.validate.rules import (
    DETAIL,
    ID_PATTERN,
    SERIES_QUALIFIERS,
    Column,
    Rule,
    dictionary_columns,
    not_before,
    parsed_date,
    pattern,
    values,
    whole_number,
)

SPAN_RULE = (
    "is required for qualifier range; for at_least, more_than and up_to, value_low and value_high "
    "come together (a stated range with an open end, 'at least 7,000-8,000') or not at all; empty for "
    "other qualifiers (their bounds are derived)"
)
PERCENT_RULE = "a civilian_share_pct is a percentage: at most 100"
QUOTE_RULE = "is required: copy the source's own words that give the number (every number carries its quote)"


def statement_columns(claimant_ids: list[str], start: dt.date | None) -> list[Column]:
    return dictionary_columns(
        "statements.csv",
        {"claimant": claimant_ids},
        {
            "statement_date": not_before("statement_date", start),
            "url": [_one_row_per_document()],
            "speaks_for": _speaks_for_rules(claimant_ids),
        },
    )


def _speaks_for_rules(claimant_ids: list[str]) -> list[Rule]:
    """A joint briefing names the other bodies it speaks for: claimant ids, separated by ';'."""
    named = pl.col("speaks_for").str.split(";")
    return [
        pattern(
            "speaks_for",
            rf"{ID_PATTERN[:-1]}(;{ID_PATTERN[1:-1]})*$",
            "must be claimant ids separated by ';' (no spaces), e.g. ua_general_staff;ua_president",
        ),
        (
            named.list.eval(pl.element().is_in(claimant_ids)).list.all(),
            f"must name claimants in conflict.yml: {', '.join(claimant_ids[:12])}"
            f"{', ...' if len(claimant_ids) > 12 else ''}",
        ),
        (
            ~named.list.contains(pl.col("claimant_id")),
            "must not name the statement's own claimant_id (it already speaks for it)",
        ),
        (named.list.n_unique() == named.list.len(), "must not name a claimant twice"),
    ]


def _one_row_per_document() -> Rule:
    """A second row of one claimant for the same source document (same url, same statement_date)
    splits one statement in two: its claims then look like two statements' worth of evidence.
    A document that reports two claimants' figures (an article quoting an estimate and the named
    count it cites) holds two statements, one per claimant."""
    document = ["url", "statement_date", "claimant_id"]
    earlier = pl.concat_str(
        [
            pl.col("statement_id").first().over(document).fill_null("(no id)"),
            pl.lit(" at line "),
            pl.col(LINE).first().over(document).cast(pl.String),
        ]
    )
    return (
        pl.struct(document).is_first_distinct() | pl.col("url").is_null() | pl.col("statement_date").is_null(),
        f"one row per claimant and source document: an earlier line has the same url, statement_date "
        f"and claimant_id; "
        f"merge into statement {DETAIL}",
        earlier,
    )


def claim_columns(
    sides: list[str],
    start: dt.date | None,
    known_claim_ids: list[str] | pl.Series,
    series_claim_ids: list[str] | pl.Series,
    statement_ids: list[str] | pl.Series,
    unreadable_series: list[str] = (),
) -> list[Column]:
    is_range = pl.col("qualifier") == "range"
    may_span = pl.col("qualifier").is_in(["range", *vocab.OPEN_RANGE_QUALIFIERS])
    has_span = pl.col("value_low").is_not_null() & pl.col("value_high").is_not_null()
    dated = pl.col("period_type").is_in(["period", "incident"])
    duplicate_key = [
        "_claimant_id",
        "subject_side",
        "population",
        "metric",
        "period_type",
        "period_start_date",
        "as_of_date",
        "qualifier",
        "value",
        "value_low",
        "value_high",
    ]
    own_rules = {
        "claim_id": [
            (~pl.col("claim_id").is_in(values(series_claim_ids)), "must not reuse the id of a series claim"),
            (
                pl.struct(duplicate_key).is_first_distinct(),
                "duplicate claim: an earlier line has the same claimant, subject, population, metric, "
                "period, as-of date and value",
            ),
            (
                pl.col("_series_record").is_null(),
                f"repeats the series record {DETAIL} (same claimant, subject, population, metric, as-of date, "
                "qualifier and value): a figure is counted once, so delete this row or the record",
                pl.col("_series_record"),
            ),
        ],
        "value": [
            (
                is_range | (may_span & has_span) | pl.col("value").is_not_null(),
                "is required unless the qualifier is range or an open-ended range gives value_low and value_high",
            ),
            (
                (whole_number("value_low") <= whole_number("value"))
                & (whole_number("value") <= whole_number("value_high")),
                "must lie between value_low and value_high",
            ),
            ((pl.col("metric") != "civilian_share_pct") | (whole_number("value") <= 100), PERCENT_RULE),
        ],
        "value_low": [
            (
                pl.when(is_range)
                .then(pl.col("value_low").is_not_null())
                .when(may_span)
                .then(pl.col("value_low").is_null() | pl.col("value_high").is_not_null())
                .otherwise(pl.col("value_low").is_null()),
                SPAN_RULE,
            ),
        ],
        "value_high": [
            (
                pl.when(is_range)
                .then(pl.col("value_high").is_not_null())
                .when(may_span)
                .then(pl.col("value_high").is_null() | pl.col("value_low").is_not_null())
                .otherwise(pl.col("value_high").is_null()),
                SPAN_RULE,
            ),
            (whole_number("value_low") <= whole_number("value_high"), "must not be below value_low"),
            ((pl.col("metric") != "civilian_share_pct") | (whole_number("value_high") <= 100), PERCENT_RULE),
        ],
        "period_start_date": [
            (
                pl.when(dated)
                .then(pl.col("period_start_date").is_not_null())
                .otherwise(pl.col("period_start_date").is_null()),
                "is required for period and incident claims and must be empty for cumulative and snapshot ones",
            ),
            (parsed_date("period_start_date") <= parsed_date("as_of_date"), "must not be after as_of_date"),
        ],
        "as_of_date": [
            (
                parsed_date("as_of_date") <= pl.col("_statement_date"),
                f"must not be after the statement's statement_date {DETAIL} "
                "(a claim cannot count beyond the day it was made)",
                pl.col("_statement_date").dt.to_string("%Y-%m-%d"),
            ),
            *not_before("as_of_date", start),
        ],
        "derived_from": _derived_from_rules(known_claim_ids, unreadable_series),
        "source_term": [
            (
                pl.col("quote").str.to_lowercase().str.contains(pl.col("source_term").str.to_lowercase(), literal=True),
                "must be the source's own words, as they appear in the claim's quote (case aside)",
            ),
        ],
        "quote": [(pl.col("quote").str.contains(r"\S"), "must hold the source's own words, not only spaces")],
    }
    return dictionary_columns(
        "claims.csv", {"side": sides, "statement": statement_ids}, own_rules, required_rules={"quote": QUOTE_RULE}
    )


def _derived_from_rules(known_claim_ids: list[str] | pl.Series, unreadable_series: list[str]) -> list[Rule]:
    """derived_from names a claim of this conflict (a curated claim or a series record) other than
    itself, about the same subject side and the same population or everyone."""
    return [
        # a reference into a series that could not be read is not checked (its problem is reported)
        (
            pl.col("derived_from").is_null()
            | pl.col("derived_from").is_in(values(known_claim_ids))
            | pl.any_horizontal(
                [pl.col("derived_from").str.starts_with(f"{sid}.") for sid in unreadable_series] or [pl.lit(False)]
            ),
            "must be one of the claim ids of this conflict (claims.csv or a series)",
        ),
        (pl.col("derived_from") != pl.col("claim_id"), "must not name the claim itself"),
        (
            (pl.col("_derived_side") == pl.col("subject_side"))
            & ((pl.col("_derived_population") == pl.col("population")) | (pl.col("_derived_population") == "all")),
            f"must point to a claim about the same subject side and the same population or everyone "
            f"(population all: a part read from a total) ({DETAIL})",
            pl.concat_str(
                [
                    pl.col("derived_from"),
                    pl.lit(" is about "),
                    pl.col("_derived_side").fill_null("?"),
                    pl.lit(" "),
                    pl.col("_derived_population").fill_null("?"),
                    pl.lit(", this claim about "),
                    pl.col("subject_side").fill_null("?"),
                    pl.lit(" "),
                    pl.col("population").fill_null("?"),
                ]
            ),
        ),
    ]


def series_columns(start: dt.date | None) -> list[Column]:
    return dictionary_columns(
        "series",
        {"series_qualifier": SERIES_QUALIFIERS},
        {
            "date": [
                *not_before("date", start),
                (_in_date_order("date"), "is out of date order (a series runs from oldest to newest)"),
            ]
        },
    )


def _in_date_order(name: str) -> pl.Expr:
    """False on the record that is out of place. At each descent (a date before its predecessor)
    blame the predecessor when this record still follows the one before it (2022-02-17 between
    -05 and -10 is the typo, not -10), otherwise blame this record."""
    # The dates are parsed once and the comparisons run on the parsed column: written as one
    # expression, every shift of it would parse the column again (16 times).
    return parsed_date(name).map_batches(_dates_in_order, return_dtype=pl.Boolean)


def _dates_in_order(dates: pl.Series) -> pl.Series:
    d = pl.col("date")
    p, pp, n = d.shift(1), d.shift(2), d.shift(-1)
    descent = (d < p).fill_null(False)
    fits_earlier = pl.when(pp.is_null()).then((p > n).fill_null(False)).otherwise(d >= pp)
    blame_previous = descent & fits_earlier
    blame_self = descent & ~blame_previous
    in_order = ~(blame_self | blame_previous.shift(-1).fill_null(False))
    return dates.to_frame("date").select(in_order).to_series().alias(dates.name)
