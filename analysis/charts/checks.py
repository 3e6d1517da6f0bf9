"""The checks every chart builder makes of its input before drawing, in polars alone: the columns
it reads are there, one quantity per axis, a stale flag that agrees with its threshold, cumulative
claims only, and no falling count drawn as a negative rate. Each failure names the builder.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from analysis.harmonise import LikeForLikeError

CLAIM_COLUMNS_NEEDED = (
    "claimant_id",
    "qualifier",
    "value",
    "value_low",
    "value_high",
    "value_central",
    "as_of_date",
    "statement_date",
    "quote",
    "outlet",
    "url",
)


def require(frame: pl.DataFrame, columns: Sequence[str], what: str) -> None:
    """The columns a builder reads are there, and there is something to draw."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {missing}; the frame has {frame.columns}")
    if frame.is_empty():
        raise ValueError(f"{what}: nothing to chart, the frame is empty")


def one_quantity(frame: pl.DataFrame, what: str, prefix: str = "") -> dict[str, str | None]:
    """One subject side, population and metric per chart: an axis shows one quantity."""
    found = {}
    for column in ("subject_side", "population", "metric"):
        name = prefix + column
        values = sorted(v for v in frame[name].unique().to_list() if v is not None) if name in frame.columns else []
        if len(values) > 1:
            if column == "metric":
                raise LikeForLikeError(
                    f"{what} shows one metric per chart; got {values}. Select one metric, "
                    f"or convert explicitly with harmonise.convert_metric"
                )
            raise ValueError(f"{what} shows one {column} per chart; got {values}")
        found[column] = values[0] if values else None
    return found


def check_stale(frame: pl.DataFrame, days: str, stale_after_days: int, what: str) -> None:
    """is_stale must be what `stale_after_days` says, or the key would describe another threshold."""
    disagree = frame.filter(pl.col("is_stale") != (pl.col(days) > stale_after_days))
    if disagree.height:
        ids = sorted({c for c in ("claimant_id", "num_claimant_id") if c in frame.columns})
        who = sorted(set(disagree[ids[0]])) if ids else disagree.height
        raise ValueError(
            f"{what}: is_stale disagrees with stale_after_days={stale_after_days} for {who}; "
            f"pass the threshold the comparison used"
        )


def check_cumulative_only(claims: pl.DataFrame, what: str) -> None:
    """A cumulative chart refuses counts at one moment and incident tallies mixed into its claims."""
    if "period_type" in claims.columns:
        other = sorted(set(claims["period_type"].drop_nulls().to_list()) - {"cumulative"})
        if other:
            raise ValueError(
                f"{what} shows cumulative claims only; got period_type {other} "
                f"(select_claims keeps only cumulative claims)"
            )


def check_rates_rise(rates: pl.DataFrame, what: str) -> None:
    """A cumulative count cannot fall: revisions downwards and negative rates are said in words."""
    falls = rates.filter(pl.col("is_revision_down")) if "is_revision_down" in rates.columns else rates.clear()
    negative = rates.filter((pl.col("rate_low") < 0) | (pl.col("rate_central") < 0))
    if falls.height or negative.height or rates["rate_central"].is_null().any():
        raise ValueError(
            f"{what}: a cumulative count cannot fall; drop revisions downwards "
            f"(is_revision_down) and pass compare.implied_daily_rates output "
            f"({falls.height + negative.height} falling segment(s) given)"
        )
