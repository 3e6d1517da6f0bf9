"""Parts of the dead against the whole: a count of fighters or civilians as a share of a count of
all the dead (share_of_total), and a claimed ratio or share among the dead beside what such
counts imply (claimed_against_implied).

Split from analysis.compare (which re-exports both functions, its entry point): a part and its
total are paired by the same time rule, but never divided as a like-for-like ratio.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis import arguments, intervals
from analysis.align import DEFAULT_STALE_AFTER_DAYS, DEFAULT_TOLERANCE_DAYS, TRUCE_COLUMNS, align, phase
from analysis.arguments import refusing


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
    arguments.optional_frame("truces", truces, TRUCE_COLUMNS)
    stale_after_days = arguments.days("stale_after_days", stale_after_days)
    end_date = arguments.date("end_date", end_date)
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
