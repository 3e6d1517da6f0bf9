"""Where and whether a mark is drawn, in polars alone: axis scales and ticks, intervals wide
enough to see, a claim's marker at its stated end when open-ended, hollow markers for figures no
source stated, thinning of dense series, and truce bands clipped to the drawn dates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from analysis.charts.texts import converted, date_text
from analysis.dataset import Conflict

VISIBLE_SHARE = 0.01  # an interval narrower than this share of the axis is not drawn (the point covers it)


def scale_options(kind: str, values: Sequence[pl.Series], what: str, **kwargs) -> dict:
    """An axis scale's options: a log scale needs positive values and gets an explicit domain."""
    if kind not in ("linear", "log"):
        raise ValueError(f"{what}: scale must be 'linear' or 'log', got {kind!r}")
    if kind == "log":
        present = [s.drop_nulls() for s in values if s.drop_nulls().len()]
        smallest = min((s.min() for s in present), default=None)
        if smallest is not None and smallest <= 0:
            raise ValueError(f"{what}: a log scale needs positive values; the smallest is {smallest}")
        if present:  # an explicit domain, so default and VegaFusion rendering agree; room for markers
            kwargs.setdefault("domain", [smallest / 1.6, max(s.max() for s in present) * 1.6])
        kwargs.setdefault("nice", False)
        kwargs.pop("padding", None)
    return {"type": kind, **kwargs}


def log_ticks(values: pl.Series) -> list[float]:
    """Ticks of a log axis at 1, 2 and 5 times powers of ten only."""
    present = values.drop_nulls()
    low, high = present.min() / 2, present.max() * 2
    return [
        m * 10**k
        for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        for m in (1, 2, 5)
        if low <= m * 10**k <= high
    ]


def date_format(*dates: pl.Series) -> tuple[str, int]:
    """A date axis' label format and tick count: months and years over long spans, days over short ones."""
    values = pl.concat([d.cast(pl.Date).drop_nulls() for d in dates])
    span = (values.max() - values.min()).days if values.len() else 0
    return ("%b %Y", 8) if span > 180 else ("%-d %b %Y", 5)


def visible(frame: pl.DataFrame, low: str, high: str, positions: Sequence[str], log: bool = False) -> pl.Expr:
    """Both ends stated, and wide enough to see (else the point alone says it; the tooltip has it)."""
    values = pl.concat([frame[c].cast(pl.Float64) for c in (low, high, *positions)]).drop_nulls()
    lo, hi = (values.min(), values.max()) if values.len() else (0.0, 0.0)
    both = pl.col(low).is_not_null() & pl.col(high).is_not_null()
    if log and lo and lo > 0:
        span = math.log(hi / lo) or 1.0
        width = (pl.col(high) / pl.col(low)).log()
    else:
        span = (hi - min(lo, 0.0)) or 1.0
        width = pl.col(high) - pl.col(low)
    return both & (width > VISIBLE_SHARE * span)


def thin(frame: pl.DataFrame, group: str, date: str, max_points: int) -> pl.DataFrame:
    """At most ~max_points real rows per group, spread evenly in time: the first row and the last
    row of each of max_points equal time buckets. Groups that small are kept whole."""
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    first = pl.col(date).min().over(group)
    span = (pl.col(date).max().over(group) - first).dt.total_days() + 1
    ranked = frame.sort(group, date).with_columns(
        _n=pl.len().over(group),
        _row=pl.int_range(pl.len()).over(group),
        _bucket=((pl.col(date) - first).dt.total_days() * max_points) // span,
    )
    keep = (
        (pl.col("_n") <= max_points)
        | (pl.col("_row") == 0)
        | (pl.col("_row") == pl.col("_row").max().over(group, "_bucket"))
    )
    return ranked.filter(keep).drop("_n", "_row", "_bucket")


def drawn_at() -> pl.Expr:
    """Where a claim's marker goes: its central value, but an open-ended figure at its stated
    end (the triangle beside it points on), as the text says it: 'more than 7,143' at 7,143, not
    at the middle of a conversion range it does not have."""
    low, high = pl.col("value_low"), pl.col("value_high")
    return (
        pl.when(high.is_null() & low.is_not_null())
        .then(low)
        .when(low.is_null() & high.is_not_null())
        .then(high)
        .otherwise(pl.col("value_central"))
    )


def with_open_end(frame: pl.DataFrame, low: str, high: str) -> pl.DataFrame:
    return frame.with_columns(
        is_open_above=(pl.col(high).is_null() & pl.col(low).is_not_null()),
        is_open_below=(pl.col(low).is_null() & pl.col(high).is_not_null()),
    )


def stated_end(name: str) -> pl.Expr:
    """Where a `{name}_` interval is drawn: its floor when open above, its ceiling when open below,
    else its central value (needs `with_open_end` first)."""
    low, high, central = (pl.col(f"{name}_{part}") for part in ("low", "high", "central"))
    return (
        pl.when(pl.col("is_open_above"))
        .then(low)
        .when(pl.col("is_open_below"))
        .then(high)
        .otherwise(pl.coalesce(central, low, high))
    )


def hollow(frame: pl.DataFrame) -> pl.Expr:
    """A marker that is no figure a source stated: the middle of a range stated without a central
    figure, or a figure read from another metric."""
    midpoint = pl.col("value").is_null() & pl.col("value_low").is_not_null() & pl.col("value_high").is_not_null()
    return midpoint | converted(frame)


def truce_bands(conflict: Conflict, x_field: str, *dates: pl.Series) -> pl.DataFrame:
    """Each truce the drawn dates reach, clipped to them (a truce never stretches the axis)."""
    values = pl.concat([d.cast(pl.Date).drop_nulls() for d in dates])
    if conflict.truces.is_empty() or not values.len():
        return pl.DataFrame()
    first, last = values.min(), values.max()
    return (
        conflict.truces.with_columns(pl.col("end_date").fill_null(pl.lit(last)))
        .filter(pl.col("start_date") <= last, pl.col("end_date") >= first)
        .select(
            pl.max_horizontal("start_date", pl.lit(first)).alias(x_field),
            pl.min_horizontal("end_date", pl.lit(last)).alias("truce_end"),
            pl.col("name").alias("truce"),
            pl.concat_str(
                date_text("start_date"),
                pl.lit(" to "),
                pl.when(pl.col("end_date") >= last).then(pl.lit("the latest data")).otherwise(date_text("end_date")),
            ).alias("truce_dates"),
        )
    )
