"""Comparisons with honest intervals: ratios, gaps, implied rates, wounded:killed, floor coverage.

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
    align,
    flag_stale,
    phase,
    truce_name,
)
from analysis.arguments import refusing
from analysis.harmonise import FACTOR_CENTRAL, FACTOR_HIGH, FACTOR_LOW, UNCONVERTED, cumulative

FLOOR_METHODS = ("named_list", "verified_count")
ESTIMATE_METHODS = ("estimate", "model")
TRUCE_COLUMNS = ("start_date", "end_date", "name")  # a Conflict.truces frame
_ROW = "_row"  # a row number, for gathering the wide columns once after working on a few
_SERIES = "_series"  # a number for each series of claims (implied_daily_rates)


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
def share_of_total(
    parts: pl.DataFrame,
    totals: pl.DataFrame,
    *,
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
    end_date: dt.date | None = None,
    truces: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """A count of some of the dead (population military or civilian) as a share of a count of
    all of them (population all) of the same side and metric: Israel's claimed fighters killed
    over the Gaza ministry's toll. Paired by the one time rule (align: nearest, within the
    tolerance and one phase), never divided as a like-for-like ratio.

    Adds `share_*` (part / total, an interval) and, for a military part, `implied_ratio_*`: the
    non-combatants per combatant the two counts imply, total / part - 1 (it treats every death in
    the total that is not in the part as a civilian's, which holds only if the total counts
    everyone and the part is inside it). Columns of each side carry `part_` and `total_`.
    """
    for name, frame in (("parts", parts), ("totals", totals)):  # an empty frame (pl.DataFrame()) shares nothing
        arguments.frame(name, frame, () if arguments.frame(name, frame).is_empty() else ("population",))
    tolerance_days = arguments.days("tolerance_days", tolerance_days)
    stale_after_days, end_date = _pairing_arguments(stale_after_days, end_date, truces)
    if parts.is_empty() or totals.is_empty():
        return pl.DataFrame()
    part_populations = parts["population"].unique().to_list()
    if len(part_populations) != 1 or part_populations[0] == "all" or set(totals["population"].unique()) != {"all"}:
        raise ValueError(
            f"share_of_total needs one part population (military or civilian) and totals of population "
            f"'all'; got {part_populations} and {totals['population'].unique().to_list()}"
        )
    as_total = parts.with_columns(population=pl.lit("all"))  # paired as one population; the share says which part
    pairs = align(
        as_total,
        totals,
        tolerance_days=tolerance_days,
        stale_after_days=stale_after_days,
        prefixes=("part_", "total_"),
        end_date=end_date,
        truces=truces,
    )
    if pairs.is_empty():
        return pl.DataFrame()
    pairs = pairs.with_columns(*intervals.from_claim("part_", "_part"), *intervals.from_claim("total_", "_total"))
    ratio = intervals.divide("_total", "_part", "_whole")
    return (
        pairs.with_columns(intervals.divide("_part", "_total", "share") + ratio)
        .with_columns(
            part_population=pl.lit(part_populations[0]),
            **{
                f"implied_ratio_{p}": (pl.col(f"_whole_{p}") - 1)
                if p in ("low", "high", "central")
                else pl.col(f"_whole_{p}")
                for p in intervals.PARTS
            },
        )
        .with_columns(
            **{
                f"implied_ratio_{p}": pl.when(pl.col("part_population") == "military").then(
                    pl.col(f"implied_ratio_{p}")
                )
                for p in intervals.PARTS
            }
        )
        .drop(intervals.cols("_part") + intervals.cols("_total") + intervals.cols("_whole"))
    )


@refusing
def claimed_against_implied(
    claimed: pl.DataFrame, shares: pl.DataFrame, *, tolerance_days: int, truces: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Each claimed ratio or share among the dead (vocabulary.RATIO_METRICS) beside what counts
    of the same dates imply (share_of_total of a military part): 'two civilians for every
    combatant' against the claimant side's own count of combatants over the total.

    One row per claim and counted part claimant nearest in date (within the tolerance and one
    phase). `implied_*` is in the claim's own unit: civilians per combatant, or the percentage of
    civilians among the dead (100 - the combatants' share)."""
    arguments.frame("claimed", claimed, ("as_of_date", "metric", "claim_id"))
    arguments.frame("shares", shares)
    tolerance_days = arguments.days("tolerance_days", tolerance_days)
    arguments.optional_frame("truces", truces, TRUCE_COLUMNS)
    military = shares.filter(pl.col("part_population") == "military") if shares.height else shares
    if claimed.is_empty() or military.is_empty():
        return pl.DataFrame()
    when = pl.max_horizontal("part_as_of_date", "total_as_of_date").alias("_implied_date")
    counted = military.with_columns(when, phase(when, truces).alias("_phase")).sort("_implied_date")
    pieces = []
    for part_claimant in counted["part_claimant_id"].unique(maintain_order=True).to_list():
        one = counted.filter(pl.col("part_claimant_id") == part_claimant)
        pieces.append(
            claimed.with_columns(phase(pl.col("as_of_date"), truces).alias("_phase"))
            .sort("as_of_date")
            .join_asof(
                one,
                left_on="as_of_date",
                right_on="_implied_date",
                by="_phase",
                strategy="nearest",
                tolerance=dt.timedelta(days=tolerance_days),
                check_sortedness=False,
            )
            .filter(pl.col("part_claim_id").is_not_null())
        )
    if not pieces:
        return pl.DataFrame()
    paired = pl.concat(pieces, how="vertical_relaxed")
    is_ratio = pl.col("metric") == "civilians_per_combatant"
    # the civilians' percentage falls as the combatants' share rises: its ends swap
    implied = {
        "low": pl.when(is_ratio).then(pl.col("implied_ratio_low")).otherwise(100 * (1 - pl.col("share_high"))),
        "high": pl.when(is_ratio).then(pl.col("implied_ratio_high")).otherwise(100 * (1 - pl.col("share_low"))),
        "central": pl.when(is_ratio)
        .then(pl.col("implied_ratio_central"))
        .otherwise(100 * (1 - pl.col("share_central"))),
    }
    return (
        paired.with_columns(
            **{f"implied_{k}": v for k, v in implied.items()},
            days_apart=(pl.col("_implied_date") - pl.col("as_of_date")).dt.total_days().abs(),
        )
        .drop("_phase", "_implied_date")
        .sort("as_of_date", "claim_id", "part_claimant_id")
    )


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
