"""How fast one claimant's count rose: implied average daily rates between its consecutive
cumulative claims, never below zero (a fall is a revision downwards, said in words), never across a
truce's start or end, and a daily series merged into a few longer averages for the chart.

Split from analysis.compare (which re-exports both functions, its entry point): the rates are
differences within one claimant's series, while compare pairs two claimants' figures.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis import arguments, intervals
from analysis.align import TRUCE_COLUMNS, phase, truce_name
from analysis.arguments import refusing
from analysis.harmonise import FACTOR_CENTRAL, FACTOR_HIGH, FACTOR_LOW, UNCONVERTED, cumulative

_ROW = "_row"  # a row number, for gathering the wide columns once after working on a few
_SERIES = "_series"  # a number for each series of claims (implied_daily_rates)


@refusing
def implied_daily_rates(
    claims: pl.DataFrame, *, end_date: dt.date | None = None, truces: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Average daily increase between consecutive cumulative claims of one claimant and metric.

    Never differences across claimants, metrics or methods (a named count and a statistical
    estimate are different series); period and incident claims are excluded.
    498 killed (2 Mar 2022) -> 1,351 (25 Mar 2022) over 23 days is 37.1 a day.

    A cumulative count cannot fall: a rate's lower end is never below zero. Where a claimant's
    later figure is certainly below its earlier one (the whole increase interval below zero), the
    source revised its count downwards: `is_revision_down`, with the (negative) `increase_*` kept
    for the text and no rate. Rates stop at the conflict's `end_date`: a segment that ends after
    it (a final toll given later) is no rate of fighting and is left out. With `truces`, a segment
    never averages across a truce's start or end: one that crosses a boundary keeps its increase,
    is flagged `is_across_truce` and has no rate; `phase` numbers the stretches (align.phase) and
    `truce` names the truce a segment lies in.
    """
    arguments.frame(
        "claims",
        claims,
        (
            "claimant_id",
            "subject_side",
            "population",
            "metric",
            "method",
            "period_type",
            "as_of_date",
            "claim_id",
            "qualifier",
            "value",
        ),
    )
    end_date = arguments.date("end_date", end_date)
    arguments.optional_frame("truces", truces, TRUCE_COLUMNS)
    key = ["claimant_id", "subject_side", "population", "metric", "method"]
    if "original_metric" in claims.columns:  # a converted figure is a different series from a stated one
        key.append("original_metric")
    converted = FACTOR_LOW in claims.columns
    if converted:  # one conversion per series: the difference is taken before converting
        key += [FACTOR_LOW, FACTOR_HIGH, FACTOR_CENTRAL]
    interval = [
        "value_low",
        "value_high",
        "is_low_exclusive",
        "value_central",
        *(intervals.cols(UNCONVERTED) if converted else []),
    ]
    # Sorted and differenced on the columns it needs only; the claims' other (text) columns are
    # gathered once, for the rows that have a predecessor.
    narrow = claims.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW),
        "period_type",
        *dict.fromkeys([*key, "as_of_date", "claim_id", "qualifier", "value", *interval]),
    )
    # Each series (claimant, subject, population, metric, method) gets a number in the order of
    # its key, so rows sort on integers rather than on six text columns. Sorted so, each series'
    # rows are contiguous: the last claim of a day is the row whose successor is another day or
    # series, and a claim's predecessor is the row before it if that is the same series (what
    # unique(keep="last") and shift().over(key) give, without hashing the text keys again).
    cumulative_rows = cumulative(narrow).lazy()
    series = cumulative_rows.select(key).unique().sort(key).with_row_index(_SERIES)
    same_series = pl.col(_SERIES) == pl.col(_SERIES).shift(1)
    previous = {
        c: pl.when(same_series).then(pl.col(c).shift(1))
        for c in ("claim_id", "as_of_date", "qualifier", "value", *interval)
    }
    days = (pl.col("as_of_date") - pl.col("previous_as_of_date")).dt.total_days()
    added = (
        cumulative_rows.join(series, on=key, how="left", nulls_equal=True, maintain_order="left")
        .sort(_SERIES, "as_of_date", "claim_id")
        .filter(~_same_as_neighbour([_SERIES, "as_of_date"], -1))
        .with_columns(
            previous_claim_id=previous["claim_id"],
            previous_as_of_date=previous["as_of_date"],
            previous_qualifier=previous["qualifier"],
            previous_value=previous["value"],
            prev_low=previous["value_low"],
            prev_high=previous["value_high"],
            prev_is_low_exclusive=previous["is_low_exclusive"],
            prev_central=previous["value_central"],
            **{f"previous_{c}": previous[c] for c in (intervals.cols(UNCONVERTED) if converted else [])},
        )
        .filter(pl.col("previous_claim_id").is_not_null())
        .with_columns(days=days)
        .pipe(_rates_from_ends, converted)
        .collect()
    )
    if end_date is not None:
        added = added.filter(pl.col("as_of_date") <= end_date)
    here, before = phase(pl.col("as_of_date"), truces), phase(pl.col("previous_as_of_date"), truces)
    added = added.with_columns(phase=here, is_across_truce=here != before).with_columns(
        truce=pl.when(~pl.col("is_across_truce")).then(truce_name(pl.col("phase"), truces)),
        **{
            c: pl.when(pl.col("is_across_truce")).then(None).otherwise(pl.col(c))
            for c in ("rate_low", "rate_high", "rate_central")
        },
    )
    new_columns = [c for c in added.columns if c not in narrow.columns and c != _SERIES]
    return claims[added[_ROW]].with_columns(added.select(new_columns).get_columns())


def _rates_from_ends(frame: pl.LazyFrame, converted: bool) -> pl.LazyFrame:
    """increase_* and rate_* of segments with the later claim's interval (value_*), the earlier
    one's (prev_*) and, for converted series, both stated intervals (unconverted_*,
    previous_unconverted_*) and the factor: one rule for single and merged segments."""
    return (
        frame.with_columns(intervals.from_claim(name="cur"))
        .with_columns(
            intervals.subtract(UNCONVERTED, f"previous_{UNCONVERTED}", "stated_increase") if converted else []
        )
        .with_columns(_increase(converted))
        .with_columns(_never_falling("increase"))
        .with_columns(intervals.divide_by_days("increase", pl.col("days"), "rate"))
        .with_columns(_no_rate_where_revised())
        .drop(*intervals.cols("cur"), *(intervals.cols("stated_increase") if converted else []))
    )


def _increase(converted: bool) -> list[pl.Expr]:
    """cur - prev, as the interval `increase`. Two claims read through the same conversion (a
    wounded:killed range) are differenced as stated and the difference is converted: the unknown
    ratio is one ratio, not a different one at each end. Widening each end first and then
    subtracting gave 'killed' rates of -3,000 to +3,000 a day between personnel-loss figures
    that rose by 100-400 a day."""
    plain = intervals.subtract("cur", "prev", "increase")
    if not converted:
        return plain
    read_as = intervals.scale_by_columns(
        "stated_increase", pl.col(FACTOR_LOW), pl.col(FACTOR_HIGH), pl.col(FACTOR_CENTRAL), "increase"
    )
    was_converted = pl.col(FACTOR_LOW).is_not_null()
    return [
        pl.when(was_converted).then(conv).otherwise(direct).alias(direct.meta.output_name())
        for conv, direct in zip(read_as, plain, strict=True)
    ]


def _never_falling(name: str) -> list[pl.Expr]:
    """An increase of a cumulative count: its lower end and central value are at least zero,
    unless the whole interval lies below zero (a revision downwards, flagged and kept as stated)."""
    low, high, central = (pl.col(f"{name}_{part}") for part in ("low", "high", "central"))
    revised = high.is_not_null() & (high < 0)
    return [
        pl.when(revised).then(low).otherwise(pl.max_horizontal(low, pl.lit(0.0))).alias(f"{name}_low"),
        pl.when(revised).then(central).otherwise(pl.max_horizontal(central, pl.lit(0.0))).alias(f"{name}_central"),
        revised.alias("is_revision_down"),
    ]


def _no_rate_where_revised() -> list[pl.Expr]:
    """A revision downwards is said in words, never drawn as negative deaths a day."""
    return [
        pl.when(pl.col("is_revision_down")).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("rate_low", "rate_high", "rate_central")
    ]


@refusing
def merge_consecutive_rates(rates: pl.DataFrame, max_segments: int) -> pl.DataFrame:
    """Consecutive segments of a claimant with more than max_segments merged into ~max_segments,
    so a daily series reads as a few longer averages (revisions downwards are kept apart).

    A merged segment runs from its first segment's earlier claim to its last segment's claim, and
    its increase and rate are computed from those two claims by the rule of implied_daily_rates
    (the same function): what it gives for those two claims. Adds `merged_segments` (how many
    segments each row stands for).
    """
    arguments.frame("rates", rates, ("claimant_id", "as_of_date", "previous_as_of_date", "is_revision_down"))
    max_segments = arguments.whole("max_segments", max_segments, minimum=2)
    ordered = rates.sort("claimant_id", "as_of_date").with_columns(merged_segments=pl.lit(1, pl.UInt32))
    if "phase" not in ordered.columns:  # rates from before truces were known: one phase
        ordered = ordered.with_columns(phase=pl.lit(0, pl.Int32), is_across_truce=pl.lit(False))
    dense = (pl.len().over("claimant_id") > max_segments) & ~pl.col("is_revision_down") & ~pl.col("is_across_truce")
    keep, heavy = ordered.filter(~dense), ordered.filter(dense)
    if heavy.is_empty():
        return ordered
    converted = FACTOR_LOW in rates.columns
    first = pl.col("previous_as_of_date").min().over("claimant_id")
    span = (pl.col("as_of_date").max().over("claimant_id") - first).dt.total_days() + 1
    heavy = heavy.with_columns(_bucket=((pl.col("as_of_date") - first).dt.total_days() * max_segments) // span)
    group = ["claimant_id", "phase", "_bucket"]  # a merged segment never spans a truce's start or end
    start_columns = [c for c in heavy.columns if c.startswith(("previous_", "prev_"))]
    starts = heavy.group_by(group).agg(
        pl.col(start_columns).sort_by("as_of_date").first(),
        pl.col("days").sum(),
        pl.len().cast(pl.UInt32).alias("merged_segments"),
    )
    ends = heavy.sort("as_of_date").group_by(group).last().drop(start_columns, "days", "merged_segments")
    merged = _rates_from_ends(ends.join(starts, on=group).lazy(), converted).collect()
    return pl.concat([keep, merged.select(keep.columns)], how="vertical_relaxed").sort("claimant_id", "as_of_date")


def _same_as_neighbour(columns: list[str], offset: int) -> pl.Expr:
    """True where a row equals the row `offset` away in every column (nulls equal; False where
    there is no such row)."""
    exists = pl.int_range(pl.len()).shift(offset).is_not_null()
    return pl.all_horizontal(exists, *(pl.col(c).eq_missing(pl.col(c).shift(offset)) for c in columns))
