"""Qualifiers as bounds (DESIGN.md §2): every claim becomes an interval, open ends stay open.

- exact X      -> [X, X]
- about X      -> [X - h, X + h], h = half a unit of X's last non-zero digit: the interval of
                  numbers that round to X at the precision X was given (16,100 -> 16,050..16,150;
                  9,000 -> 8,500..9,500; 1,000,000 -> 500,000..1,500,000). One rule, no judgement.
- at_least X   -> [X, open)
- more_than X  -> (X, open)   (is_low_exclusive)
- up_to X      -> (open, X]
- range X..Y   -> [X, Y], central value if the source gave one
"""

from __future__ import annotations

import polars as pl

ABOUT_RULE = ("'about X' is read as X rounded at its last non-zero digit: "
              "X ± half a unit of that digit (16,100 → 16,050–16,150)")


def about_half_width(value: pl.Expr) -> pl.Expr:
    """Half a unit of the last non-zero digit of a non-negative integer expression.

    The trailing zeros are counted arithmetically (divisible by 10, by 100, ...; an Int64 has at
    most 18): the same count as in the written number, without writing a million numbers out."""
    whole = value.cast(pl.Int64)
    trailing_zeros = sum((whole % 10**k == 0).cast(pl.UInt32) for k in range(1, 19))
    return pl.when(value == 0).then(0.0).otherwise(pl.lit(10.0).pow(trailing_zeros) / 2)


_HALF_WIDTH = "_about_half_width"


def apply_bounds(claims: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Replace stated value_low/value_high (ranges only) by each claim's interval.

    Input: `qualifier`, `value` and, for ranges, `value_low`/`value_high` (integers).
    Output: Float64 `value_low`, `value_high` (null = open), `is_low_exclusive`, and
    `value_central` (the stated value, or a range's midpoint) for plotting and sorting.
    """
    q = pl.col("qualifier")
    v = pl.col("value").cast(pl.Float64)
    h = pl.col(_HALF_WIDTH)  # computed once below, for both ends
    low = (pl.when(q.is_in(["exact", "at_least", "more_than"])).then(v)
           .when(q == "about").then(v - h)
           .when(q == "range").then(pl.col("value_low").cast(pl.Float64))
           .otherwise(None))
    high = (pl.when(q == "exact").then(v)
            .when(q == "about").then(v + h)
            .when(q == "up_to").then(v)
            .when(q == "range").then(pl.col("value_high").cast(pl.Float64))
            .otherwise(None))
    central = pl.coalesce(v, (pl.col("value_low") + pl.col("value_high")).cast(pl.Float64) / 2)
    return claims.lazy().with_columns(about_half_width(pl.col("value")).alias(_HALF_WIDTH)).with_columns(
        value=pl.col("value").cast(pl.Int64),
        value_low=low,
        value_high=high,
        is_low_exclusive=q == "more_than",
        value_central=central,
    ).drop(_HALF_WIDTH)
