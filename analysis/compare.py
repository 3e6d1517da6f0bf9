"""Comparisons of claimants with honest intervals: ratios and gaps of figures paired in time,
the nearest figure where no pair is close enough, floor coverage, wounded:killed, and where each
claimant's count stands (latest_claims, figures_at).

This is the compare step's entry point (`from analysis.compare import ...`, README): it also
re-exports the implied daily rates of one claimant's series (analysis.rates) and the parts of the
dead against the whole (analysis.shares), so callers need not know the split.

Every function takes and returns polars frames, never mutates its inputs and never writes files.
Intervals follow analysis.intervals: `<name>_low`, `<name>_high` (null = open),
`<name>_is_low_exclusive`, `<name>_central`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis import arguments, intervals
from analysis.align import (
    DEFAULT_STALE_AFTER_DAYS,
    DEFAULT_TOLERANCE_DAYS,
    PAIR_FIELDS,
    PAIRED_COLUMNS,
    TRUCE_COLUMNS,
    align,
    flag_stale,
)
from analysis.arguments import refusing
from analysis.harmonise import cumulative
from analysis.rates import implied_daily_rates, merge_consecutive_rates
from analysis.shares import claimed_against_implied, share_of_total

__all__ = [
    "claimed_against_implied",
    "figures_at",
    "floor_coverage",
    "implied_daily_rates",
    "independent_groups",
    "latest_claims",
    "merge_consecutive_rates",
    "nearest_comparison",
    "ratio_over_time",
    "ratio_summary",
    "share_of_total",
    "wounded_to_killed",
]

FLOOR_METHODS = ("named_list", "verified_count")
ESTIMATE_METHODS = ("estimate", "model")
_ROW = "_row"  # a row number, for gathering the wide columns once after working on a few


@refusing
def ratio_over_time(
    numerator: pl.DataFrame,
    denominator: pl.DataFrame,
    *,
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
    end_date: dt.date | None = None,
    truces: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Numerator / denominator and numerator - denominator for every aligned pair of claims
    (align: nearest in as-of date within `tolerance_days`, or both final tolls after `end_date`).

    Typical use: opposing / official (Kyiv's claims about Russian losses over Moscow's own).
    Adds `ratio_*` and `gap_*` intervals and `assumption` (both sides' assumptions, if any).
    `tolerance_days` None pairs however far apart (nearest_comparison names such pairs).
    """
    tolerance_days = arguments.days("tolerance_days", tolerance_days, allow_none=True)
    _frames(numerator=numerator, denominator=denominator)
    stale_after_days, end_date = _pairing_arguments(stale_after_days, end_date, truces)
    pairs = align(
        numerator,
        denominator,
        tolerance_days=tolerance_days,
        stale_after_days=stale_after_days,
        end_date=end_date,
        truces=truces,
    )
    # The working intervals are named apart from the pair's own columns: intervals.cols("num")
    # would be num_low, ..., num_is_low_exclusive, and drop the numerator's own flag with them.
    pairs = pairs.lazy().with_columns(*intervals.from_claim("num_", "_num"), *intervals.from_claim("den_", "_den"))
    return (
        pairs.with_columns(intervals.divide("_num", "_den", "ratio") + intervals.subtract("_num", "_den", "gap"))
        .with_columns(
            assumption=pl.concat_str(
                [pl.col("num_assumption"), pl.col("den_assumption")], separator="; ", ignore_nulls=True
            ).replace("", None),
        )
        .drop(intervals.cols("_num") + intervals.cols("_den"))
        .collect()
    )


def _frames(**frames: pl.DataFrame) -> None:
    for name, frame in frames.items():
        arguments.frame(name, frame, PAIRED_COLUMNS)


def _pairing_arguments(stale_after_days, end_date, truces) -> tuple[int, dt.date | None]:
    """The arguments every comparison hands to align, checked where the caller gave them."""
    arguments.optional_frame("truces", truces, TRUCE_COLUMNS)
    return arguments.days("stale_after_days", stale_after_days), arguments.date("end_date", end_date)


@refusing
def nearest_comparison(
    numerator: pl.DataFrame,
    denominator: pl.DataFrame,
    *,
    tolerance_days: int,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
    end_date: dt.date | None = None,
    truces: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Each numerator claim against each denominator claimant's figure nearest in as-of date,
    however far apart, with `is_comparable`: within `tolerance_days` and the same phase of
    fighting or truce (align), or both final tolls after `end_date`. Beyond that the pair only
    names the nearest figure and its gap: its `ratio_*` and `gap_*` are null, so no ratio is ever
    printed or drawn between figures years apart or on two sides of a truce's start or end."""
    tolerance_days = arguments.days("tolerance_days", tolerance_days)
    _frames(numerator=numerator, denominator=denominator)
    stale_after_days, end_date = _pairing_arguments(stale_after_days, end_date, truces)
    nearest = ratio_over_time(
        numerator, denominator, tolerance_days=None, stale_after_days=stale_after_days, end_date=end_date, truces=truces
    )
    if truces is not None and not truces.is_empty():
        # The nearest figure of the same phase within the tolerance where there is one; otherwise
        # the nearest however far, named but not compared.
        paired = ratio_over_time(
            numerator,
            denominator,
            tolerance_days=tolerance_days,
            stale_after_days=stale_after_days,
            end_date=end_date,
            truces=truces,
        )
        nearest = pl.concat(
            [
                paired,
                nearest.join(
                    paired.select("num_claim_id", "den_claimant_id"), on=["num_claim_id", "den_claimant_id"], how="anti"
                ),
            ],
            how="vertical_relaxed",
        ).sort("num_as_of_date", "num_claimant_id", "den_claimant_id", maintain_order=True)
    comparable = pl.col("is_final_tolls") | ((pl.col("staleness_days") <= tolerance_days) & ~pl.col("is_across_truce"))
    measured = intervals.cols("ratio") + intervals.cols("gap")
    return nearest.with_columns(is_comparable=comparable).with_columns(
        pl.when(pl.col("is_comparable")).then(pl.col(c)).otherwise(None).alias(c) for c in measured
    )


@refusing
def wounded_to_killed(claims: pl.DataFrame, references: pl.DataFrame | None = None) -> pl.DataFrame:
    """Wounded ÷ killed of one claimant's briefing: both figures as of, and stated on, the same
    dates (3,825 / 1,351 = 2.83 on 25 Mar 2022), even when outlets reported them separately.

    Adds `references`: the published ratios of the same population it is read against (a frame of
    analysis.references.wounded_to_killed_references), null where there are none.
    """
    key = ["claimant_id", "statement_date", "subject_side", "population", "as_of_date"]
    arguments.frame("claims", claims, key)
    arguments.optional_frame("references", references, ("population", "description", "ratio_low", "ratio_high"))
    used = [
        *key,
        "period_type",
        "metric",
        "claim_id",
        "value",
        "qualifier",
        "stated_low",
        "stated_high",
        "value_low",
        "value_high",
        "is_low_exclusive",
        "value_central",
        "claimant_short_name",
        "role",
        "url",
        "outlet",
    ]
    base = claims.lazy().select(used).filter(pl.col("period_type") == "cumulative")  # one query, few columns
    killed = base.filter(pl.col("metric") == "killed").select(
        *key,
        pl.col("claim_id").alias("killed_claim_id"),
        pl.col("value").alias("killed_value"),
        pl.col("qualifier").alias("killed_qualifier"),
        pl.col("stated_low").alias("killed_value_low"),
        pl.col("stated_high").alias("killed_value_high"),
        *intervals.from_claim(name="killed"),
    )
    wounded = base.filter(pl.col("metric") == "wounded").select(
        *key,
        "claimant_short_name",
        "role",
        "url",
        "outlet",
        pl.col("claim_id").alias("wounded_claim_id"),
        pl.col("value").alias("wounded_value"),
        pl.col("qualifier").alias("wounded_qualifier"),
        pl.col("stated_low").alias("wounded_value_low"),
        pl.col("stated_high").alias("wounded_value_high"),
        *intervals.from_claim(name="wounded"),
    )
    out = (
        wounded.join(killed, on=key, how="inner")
        .with_columns(intervals.divide("wounded", "killed", "ratio"))
        .drop(intervals.cols("killed") + intervals.cols("wounded"))
    )
    # The published ratios of the same population only: a study of soldiers says nothing of civilians.
    texts = (
        {}
        if references is None
        else {
            population: "; ".join(
                f"{r['description']} {r['ratio_low']:g}"
                + ("" if r["ratio_low"] == r["ratio_high"] else f"–{r['ratio_high']:g}")
                for r in rows.iter_rows(named=True)
            )
            for (population,), rows in references.group_by("population", maintain_order=True)
        }
    )
    return (
        out.with_columns(references=pl.col("population").replace_strict(texts, default=None, return_dtype=pl.String))
        .sort("as_of_date", "claimant_id")
        .collect()
    )


@refusing
def floor_coverage(
    claims: pl.DataFrame,
    *,
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS,
    end_date: dt.date | None = None,
    truces: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Named or verified count ÷ statistical estimate of the same quantity, as of the same date.

    The count is taken as the exact number of names on the list (that is what it counts), so
    122,883 names against a 189,000–273,000 estimate is 45–65% coverage.
    """
    arguments.frame("claims", claims, ("period_type", "subject_side", "population", "metric", "method", "value"))
    tolerance_days = arguments.days("tolerance_days", tolerance_days)
    _, end_date = _pairing_arguments(DEFAULT_STALE_AFTER_DAYS, end_date, truces)
    # Grouped and matched on a few key columns; each group's rows are then taken once, with only
    # the columns a pair carries (align.PAIR_FIELDS), not every text column of the claims.
    fields = claims.select(c for c in claims.columns if c in PAIR_FIELDS)
    keys = cumulative(
        claims.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW),
            "period_type",
            "subject_side",
            "population",
            "metric",
            "method",
        )
    )
    floor_keys = keys.filter(pl.col("method").is_in(FLOOR_METHODS))
    estimate_keys = keys.filter(pl.col("method").is_in(ESTIMATE_METHODS))
    pieces = []
    for (side, population, metric), group in floor_keys.partition_by(
        "subject_side", "population", "metric", as_dict=True
    ).items():
        matching = estimate_keys.filter(
            pl.col("subject_side") == side, pl.col("population") == population, pl.col("metric") == metric
        )
        if matching.is_empty():
            continue
        floors = fields[group[_ROW]].with_columns(
            value_low=pl.col("value").cast(pl.Float64),
            value_high=pl.col("value").cast(pl.Float64),
            is_low_exclusive=pl.lit(False),
            value_central=pl.col("value").cast(pl.Float64),
        )
        estimates = fields[matching[_ROW]]
        pieces.append(
            ratio_over_time(floors, estimates, tolerance_days=tolerance_days, end_date=end_date, truces=truces).rename(
                lambda c: c.replace("ratio_", "coverage_")
            )
        )
    if not pieces:
        return pl.DataFrame()
    return pl.concat(pieces, how="vertical_relaxed")


@refusing
def latest_claims(
    claims: pl.DataFrame,
    end: dt.date,
    *,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
    reference_date: dt.date | None = None,
) -> pl.DataFrame:
    """Each claimant's latest cumulative claim per metric up to `end`, with its age and staleness
    on `reference_date` (default `end`; reports pass the conflict's data date, so a figure has
    one age in every report)."""
    key = ["claimant_id", "subject_side", "population", "metric"]
    arguments.frame("claims", claims, [*key, "period_type", "as_of_date", "claim_id"])
    end = arguments.date("end", end, allow_none=False)
    stale_after_days = arguments.days("stale_after_days", stale_after_days)
    reference_date = arguments.date("reference_date", reference_date)
    # The last row of each group, found on the sort keys alone, then gathered with all columns.
    last_rows = (
        claims.lazy()
        .select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW),
            *dict.fromkeys(["period_type", *key, "as_of_date", "claim_id"]),
        )
        .filter(pl.col("period_type") == "cumulative", pl.col("as_of_date") <= pl.lit(end).cast(pl.Date))
        .sort("as_of_date", "claim_id")
        .group_by(key, maintain_order=True)
        .agg(pl.col(_ROW).last())
        .collect()
    )
    latest = claims[last_rows[_ROW]].select(*key, pl.all().exclude(key))
    return flag_stale(latest, reference_date or end, stale_after_days=stale_after_days).sort(
        "role", "claimant_id", "metric"
    )


def ratio_summary(ratios: pl.DataFrame) -> pl.DataFrame:
    """The latest, the lowest and the highest ratio (by central value) of a ratio_over_time frame."""
    if ratios.is_empty():
        return ratios.with_columns(which=pl.lit(None, pl.String))
    # The three rows are chosen on their sort keys, then taken from the (wide) frame once.
    ordered = (
        ratios.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW), "ratio_central", "num_as_of_date", "num_claim_id"
        )
        .filter(pl.col("ratio_central").is_not_null())
        .sort("num_as_of_date", "num_claim_id")
    )
    if ordered.is_empty():
        return ratios.clear().with_columns(which=pl.lit(None, pl.String))
    by_ratio = ordered.sort("ratio_central", "num_as_of_date")[_ROW]
    rows = pl.Series(_ROW, [ordered[_ROW][-1], by_ratio[0], by_ratio[-1]], dtype=pl.UInt32)
    return ratios[rows].with_columns(which=pl.Series(["latest", "lowest", "highest"], dtype=pl.String))


def independent_groups(claims: pl.DataFrame) -> list[str]:
    """Independence groups that corroborate a set of claims: derived claims never count."""
    return sorted(claims.filter(~pl.col("is_dependent"))["independence_group"].unique().to_list())


@refusing
def figures_at(claims: pl.DataFrame, dates: pl.DataFrame) -> pl.DataFrame:
    """Each claimant's latest cumulative figure on or before each date of `dates` (columns
    `date` and `label`, e.g. the starts of truces): 'when the ceasefire took effect the count
    stood at ...'. One row per date and claimant (and metric), with `days_before`."""
    if arguments.frame("claims", claims).height:  # an empty frame (pl.DataFrame()) has no figures
        arguments.frame("claims", claims, ("period_type", "as_of_date", "claim_id", "claimant_id", "metric"))
    if arguments.frame("dates", dates).height:
        arguments.frame("dates", dates, ("date", "label"))
    if claims.is_empty() or dates.is_empty():
        return pl.DataFrame()
    counted = cumulative(claims).sort("as_of_date", "claim_id")
    rows = []
    for date, label in dates.select("date", "label").iter_rows():
        upto = counted.filter(pl.col("as_of_date") <= date)
        if upto.is_empty():
            continue
        rows.append(
            upto.group_by("claimant_id", "metric", maintain_order=True)
            .last()
            .with_columns(
                at_date=pl.lit(date),
                at_label=pl.lit(label),
                days_before=(pl.lit(date) - pl.col("as_of_date")).dt.total_days(),
            )
        )
    return pl.concat(rows, how="vertical_relaxed") if rows else pl.DataFrame()
