"""The frames the chart builders draw, in polars alone (no altair: tested without it).

Claimant styles (colour, shape, dash), the checks every builder makes of its input, thinning of
dense series, which intervals are wide enough to draw, open ends, truce bands, and each chart's
prepared frame with its tooltip columns (analysis.charts.texts). A builder in
analysis.charts.<chart> only turns these frames into layers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import polars as pl

from analysis import formatting
from analysis.charts.texts import converted, date_text, ratio_text, source_columns
from analysis.charts.theme import CLAIMANT_DASHES, CLAIMANT_SHAPES, GROUP_LABEL, NON_BELLIGERENT_COLOURS
from analysis.dataset import Conflict
from analysis.harmonise import LikeForLikeError
from analysis.vocabulary import METRIC_LABEL, NON_BELLIGERENT_SIDES, ROLE

DENSE_AFTER = 40  # a series with more claims than this is a line without markers
LINE_POINTS = 120  # a dense series' line keeps at most ~this many claims (5 px apart at 640 px)
HOVER_POINTS = 48  # ... and at most ~this many answer hover and click (one a month over 4 years)
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
VISIBLE_SHARE = 0.01  # an interval narrower than this share of the axis is not drawn (the point covers it)


# --- claimants: labels, colours, shapes, dashes -------------------------------------------------------


def claimant_styles(conflict: Conflict) -> pl.DataFrame:
    """Every claimant of the conflict: `claimant` (label), `side`, `side_label`, `colour`, `shape`, `dash`.

    Colour is the side's colour from conflict.yml; third-party and independent claimants get an
    Okabe-Ito colour no side uses. Within one colour, claimants take shapes and dashes in
    conflict.yml order, so a claimant looks the same in every chart of the conflict.
    """
    side_colour = dict(zip(conflict.sides["side_id"], conflict.sides["colour"], strict=True))
    side_label = dict(zip(conflict.sides["side_id"], conflict.sides["label"], strict=True))
    group_colour = _non_belligerent_colours(list(side_colour.values()))
    order = list(side_colour) + list(NON_BELLIGERENT_SIDES)
    rows = []
    for row in conflict.claimants.iter_rows(named=True):
        side = row["side"]
        if side in side_colour:
            colour, label = side_colour[side], side_label[side]
        elif side in group_colour:
            colour, label = group_colour[side], GROUP_LABEL.get(side, side)
        else:
            raise ValueError(f"Unknown side {side!r} of claimant {row['claimant_id']!r}; valid: {', '.join(order)}")
        rows.append(
            {
                "claimant_id": row["claimant_id"],
                "claimant": row["short_name"] or row["name"],
                "side": side,
                "side_label": label,
                "colour": colour,
                "_rank": order.index(side),
            }
        )
    styles = pl.DataFrame(
        rows,
        schema={
            "claimant_id": pl.String,
            "claimant": pl.String,
            "side": pl.String,
            "side_label": pl.String,
            "colour": pl.String,
            "_rank": pl.Int64,
        },
    )
    clash = pl.col("claimant").is_duplicated()  # one label per claimant, or the legend merges them
    styles = (
        styles.with_columns(
            claimant=pl.when(clash)
            .then(pl.col("claimant") + " (" + pl.col("claimant_id") + ")")
            .otherwise(pl.col("claimant"))
        )
        .with_row_index("_order")
        .sort("_rank", "_order")
    )
    return with_shape_and_dash(styles, "colour").drop("_rank", "_order")


def with_shape_and_dash(frame: pl.DataFrame, group: str) -> pl.DataFrame:
    """A shape and a dash per row, in order within each `group` (rows of one colour differ by them)."""
    index = pl.int_range(pl.len()).over(group)
    return frame.with_columns(
        shape=index.map_elements(lambda i: CLAIMANT_SHAPES[i % len(CLAIMANT_SHAPES)], return_dtype=pl.String),
        dash=index.map_elements(
            lambda i: list(CLAIMANT_DASHES[i % len(CLAIMANT_DASHES)]), return_dtype=pl.List(pl.Int64)
        ),
    )


def _non_belligerent_colours(side_colours: Sequence[str]) -> dict[str, str]:
    used = {c.upper() for c in side_colours}
    out = {}
    for group, preferred in NON_BELLIGERENT_COLOURS.items():
        colour = next((c for c in preferred if c.upper() not in used), None)
        if colour is None:
            raise ValueError(f"No Okabe-Ito colour left for {group} claimants: the sides use {sorted(used)}")
        used.add(colour.upper())
        out[group] = colour
    return out


def styles_for(conflict: Conflict, claimant_ids) -> pl.DataFrame:
    """The styles of the claimants drawn, or ValueError naming the unknown ones."""
    styles = claimant_styles(conflict)
    unknown = sorted(set(claimant_ids) - set(styles["claimant_id"]))
    if unknown:
        raise ValueError(
            f"Unknown claimants {unknown} for conflict {conflict.conflict_id!r}; "
            f"valid: {', '.join(styles['claimant_id'])}"
        )
    return styles.filter(pl.col("claimant_id").is_in(list(claimant_ids)))


# --- checks of a builder's input -------------------------------------------------------------------------


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


# --- scales, intervals, open ends, thinning -------------------------------------------------------------


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


# --- each chart's frames ------------------------------------------------------------------------------------


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
