"""Each chart's prepared frame, in polars alone (no altair: tested without it): the claims or
comparisons a builder draws, with their positions, series, steps, open ends and tooltip columns
(analysis.charts.texts). A builder in analysis.charts.<chart> checks its input (checks.py), takes
its claimants' styles (styles.py) and its frame from here, and only turns them into layers.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from analysis import formatting
from analysis.charts.placement import drawn_at, stated_end, thin, with_open_end
from analysis.charts.styles import with_shape_and_dash
from analysis.charts.texts import converted, ratio_text, source_columns
from analysis.vocabulary import METRIC_LABEL, ROLE

DENSE_AFTER = 40  # a series with more claims than this is a line without markers
LINE_POINTS = 120  # a dense series' line keeps at most ~this many claims (5 px apart at 640 px)
HOVER_POINTS = 48  # ... and at most ~this many answer hover and click (one a month over 4 years)


class CumulativeFrames(NamedTuple):
    """`frame`: every claim with `y`, `_series`, `is_dense`; `sparse`: the claims drawn as markers,
    with steps to the next figure of their kind; `dense`: the claims drawn as a line, `line` and
    `hover` those kept for the line and for hover."""

    frame: pl.DataFrame
    sparse: pl.DataFrame
    dense: pl.DataFrame
    line: pl.DataFrame
    hover: pl.DataFrame


def cumulative_frames(
    claims: pl.DataFrame, styles: pl.DataFrame, *, stale_after_days: int, count: str
) -> CumulativeFrames:
    """A series is one claimant's figures of one method in one original metric (a stated and a
    converted series are never joined); a series with more than DENSE_AFTER claims is dense."""
    original = pl.coalesce("original_metric", "metric") if "original_metric" in claims.columns else pl.col("metric")
    series = [c for c in ("claimant_id", "method") if c in claims.columns] + ["_original"]
    frame = (
        claims.with_columns(_original=original, is_converted=converted(claims))
        .with_columns(_series=pl.struct(series).rank("dense"))  # a short id per series
        .with_columns(is_dense=pl.len().over("_series") > DENSE_AFTER)
        .join(styles.select("claimant_id", "claimant"), on="claimant_id", how="left")
        .with_columns(y=drawn_at())
    )
    # A step joins a figure to the series' next figure of the same kind: a floor ('more than')
    # to the next floor, a stated or hedged figure to the next such figure. Joining 'about
    # 11,000' to the next day's 'more than 11,000' read as killed would draw a fall from a middle
    # to a floor that no source stated.
    kind = (
        pl.when(pl.col("value_high").is_null() & pl.col("value_low").is_not_null())
        .then(pl.lit("floor"))
        .when(pl.col("value_low").is_null() & pl.col("value_high").is_not_null())
        .then(pl.lit("ceiling"))
        .otherwise(pl.lit("figure"))
    )
    sparse = (
        frame.filter(~pl.col("is_dense"))
        .sort("_series", "as_of_date")
        .with_columns(_kind=kind)
        .with_columns(
            next_date=pl.col("as_of_date").shift(-1).over("_series", "_kind"),
            next_y=pl.col("y").shift(-1).over("_series", "_kind"),
        )
    )
    if count == "snapshot":  # a count at one moment does not stand until the next: no steps
        sparse = sparse.with_columns(next_date=pl.lit(None, pl.Date), next_y=pl.lit(None, pl.Float64))
    sparse = (
        source_columns(sparse)
        .pipe(with_open_end, "value_low", "value_high")
        .with_columns(held_days=(pl.col("next_date") - pl.col("as_of_date")).dt.total_days())
    )
    sparse = sparse.with_columns(
        is_stale_hold=pl.col("held_days") > stale_after_days,
        held=pl.struct("held_days", "next_date").map_elements(
            lambda r: (
                f"{formatting.days(r['held_days'])}, until the next figure of {formatting.date(r['next_date'])}"
                if r["held_days"] is not None
                else "latest figure"
            ),
            return_dtype=pl.String,
        ),
    )
    dense = frame.filter(pl.col("is_dense"))
    line = thin(dense, "_series", "as_of_date", LINE_POINTS)
    hover = source_columns(thin(dense, "_series", "as_of_date", HOVER_POINTS))
    return CumulativeFrames(frame, sparse, dense, line, hover)


def ratio_pairs(ratios: pl.DataFrame, styles: pl.DataFrame) -> pl.DataFrame:
    """One row per numerator and denominator claimant: its label ('A ÷ B'), the numerator's
    colour, and a shape and dash of its own among the pairs of that colour."""
    label = dict(zip(styles["claimant_id"], styles["claimant"], strict=True))
    ranks = {cid: i for i, cid in enumerate(styles["claimant_id"])}
    return (
        ratios.select("num_claimant_id", "den_claimant_id")
        .unique()
        .with_columns(
            claimant=pl.col("num_claimant_id").replace_strict(label)
            + " ÷ "
            + pl.col("den_claimant_id").replace_strict(label),
            _n=pl.col("num_claimant_id").replace_strict(ranks, return_dtype=pl.Int64),
            _d=pl.col("den_claimant_id").replace_strict(ranks, return_dtype=pl.Int64),
        )
        .join(styles.select(pl.col("claimant_id").alias("num_claimant_id"), "colour"), on="num_claimant_id")
        .sort("_n", "_d")
        .pipe(with_shape_and_dash, "colour")
    )


def ratio_frame(ratios: pl.DataFrame, pairs: pl.DataFrame, styles: pl.DataFrame) -> pl.DataFrame:
    """Each pair's ratios (at most HOVER_POINTS a pair) with both claims' tooltip columns
    (the denominator's prefixed `den_`), the ratio and the days between the two in words."""
    label = dict(zip(styles["claimant_id"], styles["claimant"], strict=True))
    frame = ratios.join(
        pairs.select("num_claimant_id", "den_claimant_id", pl.col("claimant").alias("pair")),
        on=["num_claimant_id", "den_claimant_id"],
        how="left",
    )
    frame = thin(frame, "pair", "num_as_of_date", HOVER_POINTS)
    return (
        source_columns(source_columns(frame, prefix="num_"), prefix="den_", out="den_")
        .pipe(with_open_end, "ratio_low", "ratio_high")
        .with_columns(
            claimant=pl.col("num_claimant_id").replace_strict(label),
            den_claimant=pl.col("den_claimant_id").replace_strict(label),
            as_of_date=pl.col("num_as_of_date"),
            y=stated_end("ratio"),
            ratio_text=pl.struct("ratio_low", "ratio_high", "ratio_is_low_exclusive", "ratio_central").map_elements(
                ratio_text, return_dtype=pl.String
            ),
            apart=pl.struct("staleness_days", "is_stale").map_elements(
                lambda r: formatting.days(r["staleness_days"]) + (" (a stale pair)" if r["is_stale"] else ""),
                return_dtype=pl.String,
            ),
            dependence=pl.when(pl.col("is_dependent"))
            .then(pl.lit("no: they share a source or a government"))
            .otherwise(pl.lit("yes")),
        )
    )


def rates_frame(rates: pl.DataFrame, styles: pl.DataFrame) -> pl.DataFrame:
    """Each segment at its central rate (`y`), with its tooltip: from which figure to which, the
    rate as an interval a day, and the period it covers."""
    frame = rates.join(styles.select("claimant_id", "claimant"), on="claimant_id", how="left").with_columns(
        is_dense=pl.len().over("claimant_id") > DENSE_AFTER,
        y=pl.coalesce("rate_central", "rate_low", "rate_high"),
        rate_is_low_exclusive=pl.col("rate_is_low_exclusive")
        if "rate_is_low_exclusive" in rates.columns
        else pl.lit(False),
    )
    return (
        source_columns(frame)
        .with_columns(
            figure=pl.struct("previous_qualifier", "previous_value", "figure").map_elements(
                lambda r: (
                    f"from {formatting.stated_value(r['previous_qualifier'], r['previous_value'])} to {r['figure']}"
                    if r["previous_value"] is not None
                    else f"to {r['figure']}"
                ),
                return_dtype=pl.String,
            ),
            rate_text=pl.struct("rate_low", "rate_high", "rate_is_low_exclusive").map_elements(
                lambda r: (
                    formatting.interval(
                        r["rate_low"], r["rate_high"], is_low_exclusive=bool(r["rate_is_low_exclusive"]), digits=1
                    )
                    + " a day"
                ),
                return_dtype=pl.String,
            ),
            period=pl.struct("previous_as_of_date", "as_of_date", "days").map_elements(
                lambda r: (
                    f"{formatting.date(r['previous_as_of_date'])} to {formatting.date(r['as_of_date'])} "
                    f"({formatting.days(r['days'])})"
                ),
                return_dtype=pl.String,
            ),
        )
        .pipe(with_open_end, "rate_low", "rate_high")
    )


def merged_notes(rates: pl.DataFrame, styles: pl.DataFrame) -> list[str]:
    """'Staff: 1,200 daily segments merged into 48 longer ones.' per claimant whose were merged."""
    merged = (
        rates.group_by("claimant_id")
        .agg(pl.col("merged_segments").sum(), pl.len())
        .filter(pl.col("merged_segments") > pl.col("len"))
        .sort("claimant_id")
        if "merged_segments" in rates.columns
        else rates.clear()
    )
    label = dict(zip(styles["claimant_id"], styles["claimant"], strict=True))
    return [
        f"{label.get(cid, cid)}: {n:,} daily segments merged into {shown} longer ones."
        for cid, n, shown in merged.iter_rows()
    ]


def with_rows(latest: pl.DataFrame, styles: pl.DataFrame, *, with_metric: bool) -> pl.DataFrame:
    """One labelled row per claimant (and metric): 'Moscow (MoD) · official'."""
    out = latest.join(styles.select("claimant_id", "claimant", "side_label"), on="claimant_id", how="left")
    label = pl.col("claimant")
    if "role" in out.columns:
        label = label + " · " + pl.col("role").str.replace_all("_", " ")
    if with_metric:
        label = label + " · " + pl.col("metric").replace_strict(METRIC_LABEL, default=pl.col("metric"))
    out = out.with_columns(row=label)
    repeated = out.filter(pl.col("row").is_duplicated())["row"].unique().sort().to_list()
    if repeated:
        raise ValueError(f"one row per claimant expected (latest_claims gives that); repeated: {repeated}")
    return out.with_columns(
        role_text=pl.col("role").replace_strict(ROLE, default=pl.col("role"))
        if "role" in out.columns
        else pl.lit("(not given)")
    )


def age_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        age_text=pl.struct("age_days", "is_stale").map_elements(
            lambda r: formatting.days(r["age_days"]) + (" (stale)" if r["is_stale"] else ""), return_dtype=pl.String
        )
    )


def ladder_frame(latest: pl.DataFrame, styles: pl.DataFrame) -> pl.DataFrame:
    """One row per claimant, largest figure first (`row_order`), drawn at its stated end when open."""
    frame = (
        source_columns(latest)
        .pipe(with_rows, styles, with_metric=False)
        .with_columns(
            x=drawn_at(),
            is_stale=pl.col("is_stale").fill_null(False) if "is_stale" in latest.columns else pl.lit(False),
        )
        .pipe(with_open_end, "value_low", "value_high")
        .sort("x", descending=True, nulls_last=True)
    )
    if "age_days" in frame.columns and "is_stale" in frame.columns:
        frame = age_text(frame)
    return frame.with_row_index("row_order")


def staleness_frame(latest: pl.DataFrame, styles: pl.DataFrame, stale_after_days: int) -> pl.DataFrame:
    """One row per claimant (and metric, when there are several), oldest first, with its age in words."""
    return (
        source_columns(latest)
        .pipe(with_rows, styles, with_metric=latest["metric"].n_unique() > 1)
        .pipe(age_text)
        .with_columns(
            bar_label=pl.col("age_days").map_elements(
                lambda n: formatting.days(n) if n else "0 days", return_dtype=pl.String
            ),
            label_x=pl.max_horizontal("age_days", pl.lit(stale_after_days)),
        )  # labels clear the rule
        .sort("age_days", "row", descending=[True, False])
        .with_row_index("row_order")
    )
