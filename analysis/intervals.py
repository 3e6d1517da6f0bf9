"""Interval arithmetic over polars columns, with open ends that stay open.

An interval named `x` is four columns: `x_low`, `x_high` (Float64; null = open: no stated floor,
or no ceiling), `x_is_low_exclusive` (a 'more than' floor) and `x_central` (the stated or
middle value, for plotting). All quantities here are non-negative counts, except gaps.

Rules (a result end is open whenever an input end it depends on is open):
- sum:        [a.low + b.low, a.high + b.high]
- difference: [a.low - b.high, a.high - b.low]
- ratio:      [a.low / b.high, a.high / b.low]   (b.low = 0 leaves the high end open)
- scale by a factor range [k_low, k_high] > 0: [a.low * k_low, a.high * k_high] for ends >= 0
  (an end below zero takes the other factor end)
"""

from __future__ import annotations

import polars as pl

PARTS = ("low", "high", "is_low_exclusive", "central")


def cols(name: str) -> list[str]:
    return [f"{name}_{part}" for part in PARTS]


def from_claim(prefix: str = "", name: str = "value") -> list[pl.Expr]:
    """The interval of a loaded claim (`value_low`, `value_high`, ...) under a new name."""
    return [
        pl.col(f"{prefix}value_low").alias(f"{name}_low"),
        pl.col(f"{prefix}value_high").alias(f"{name}_high"),
        pl.col(f"{prefix}is_low_exclusive").alias(f"{name}_is_low_exclusive"),
        pl.col(f"{prefix}value_central").alias(f"{name}_central"),
    ]


def _parts(name: str) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    return tuple(pl.col(c) for c in cols(name))  # type: ignore[return-value]


def add(a: str, b: str, out: str) -> list[pl.Expr]:
    a_low, a_high, a_ex, a_mid = _parts(a)
    b_low, b_high, b_ex, b_mid = _parts(b)
    return [
        (a_low + b_low).alias(f"{out}_low"),
        (a_high + b_high).alias(f"{out}_high"),
        (a_ex | b_ex).alias(f"{out}_is_low_exclusive"),
        (a_mid + b_mid).alias(f"{out}_central"),
    ]


def subtract(a: str, b: str, out: str) -> list[pl.Expr]:
    a_low, a_high, a_ex, a_mid = _parts(a)
    b_low, b_high, b_ex, b_mid = _parts(b)
    return [
        (a_low - b_high).alias(f"{out}_low"),
        (a_high - b_low).alias(f"{out}_high"),
        a_ex.alias(f"{out}_is_low_exclusive"),
        (a_mid - b_mid).alias(f"{out}_central"),
    ]


def divide(a: str, b: str, out: str) -> list[pl.Expr]:
    a_low, a_high, a_ex, a_mid = _parts(a)
    b_low, b_high, _, b_mid = _parts(b)
    high = pl.when(b_low > 0).then(a_high / b_low).otherwise(None)
    central = pl.when(b_mid > 0).then(a_mid / b_mid).otherwise(None)
    return [
        (a_low / b_high).alias(f"{out}_low"),
        high.alias(f"{out}_high"),
        a_ex.fill_null(False).alias(f"{out}_is_low_exclusive"),
        central.alias(f"{out}_central"),
    ]


def divide_by_days(a: str, days: pl.Expr, out: str) -> list[pl.Expr]:
    a_low, a_high, a_ex, a_mid = _parts(a)
    return [
        (a_low / days).alias(f"{out}_low"),
        (a_high / days).alias(f"{out}_high"),
        a_ex.alias(f"{out}_is_low_exclusive"),
        (a_mid / days).alias(f"{out}_central"),
    ]


def scale(a: str, factor_low: float, factor_high: float, factor_central: float, out: str) -> list[pl.Expr]:
    """Multiply by a positive factor known only as a range."""
    if not 0 < factor_low <= factor_central <= factor_high:
        raise ValueError(
            f"scale factor range must satisfy 0 < low <= central <= high, "
            f"got {factor_low}, {factor_central}, {factor_high}"
        )
    return scale_by_columns(a, pl.lit(factor_low), pl.lit(factor_high), pl.lit(factor_central), out)


def scale_by_columns(
    a: str, factor_low: pl.Expr, factor_high: pl.Expr, factor_central: pl.Expr, out: str
) -> list[pl.Expr]:
    """Multiply by a positive factor range given per row. An end below zero (a difference can
    be) takes the other end of the factor: [-10, 5] × [2, 3] = [-30, 15]."""
    a_low, a_high, a_ex, a_mid = _parts(a)
    low = pl.when(a_low >= 0).then(a_low * factor_low).otherwise(a_low * factor_high)
    high = pl.when(a_high >= 0).then(a_high * factor_high).otherwise(a_high * factor_low)
    return [
        low.alias(f"{out}_low"),
        high.alias(f"{out}_high"),
        a_ex.alias(f"{out}_is_low_exclusive"),
        (a_mid * factor_central).alias(f"{out}_central"),
    ]
