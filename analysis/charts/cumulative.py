"""The cumulative chart: each claimant's figures over their as-of dates."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from analysis import formatting
from analysis.align import DEFAULT_STALE_AFTER_DAYS
from analysis.charts import checks, frames, placement, texts
from analysis.charts import layers as lay
from analysis.charts.frames import HOVER_POINTS
from analysis.charts.styles import styles_for
from analysis.charts.texts import CLAIMANT_FIELD, SOURCE_FIELDS
from analysis.charts.theme import HEIGHT
from analysis.dataset import Conflict

SOURCE = [f for f, _ in SOURCE_FIELDS]


def cumulative_chart(
    claims: pl.DataFrame,
    conflict: Conflict,
    *,
    title: str,
    subtitle: str | Sequence[str],
    description: str,
    y_scale: str = "linear",
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
    count: str = "cumulative",
    truces: bool = True,
) -> alt.LayerChart:
    """Each claimant's cumulative figure over as-of dates (select_claims output, optionally
    converted: one subject side, population and metric).

    A series is one claimant's figures of one method (a named count and a statistical estimate
    differ) in one original metric: figures stated in the chart's metric and figures read from
    another are different series, never joined by a step or a line, and told apart (converted
    ones: hollow markers, thin lines, their conversion range drawn).
    Sparse series: a marker per claim, a step from each claim to the next (faint when the figure
    then went un-updated for more than `stale_after_days`; nothing after the last claim), a bar
    over each visible interval (for a converted figure: the range the conversion allows), a
    triangle beside open-ended figures. Dense series (a daily report): a line through up to
    LINE_POINTS claims, HOVER_POINTS of which answer hover and click; a converted one also gets
    a band between the low and high ends of its conversion. `y_scale`: "linear" or "log".
    `count` "snapshot" (counts at one moment, e.g. hostages held): markers only, no steps, since
    such a count does not stand until the next one; "incident": one incident's tallies. `truces`:
    shade the conflict's truces.
    """
    what = "cumulative_chart"
    checks.require(claims, checks.CLAIM_COLUMNS_NEEDED, what)
    checks.check_cumulative_only(claims, what)
    quantity = checks.one_quantity(claims, what)
    styles = styles_for(conflict, claims["claimant_id"].unique().to_list())
    identity = lay.identity(styles)
    frame, sparse, dense, line, hover = frames.cumulative_frames(
        claims, styles, stale_after_days=stale_after_days, count=count
    )
    all_y = pl.concat([frame["value_low"], frame["value_high"], frame["y"]])
    scale = lay.scale(y_scale, [all_y], what)
    y_title = texts.quantity_label(quantity, conflict, suffix=texts.COUNT_SUFFIX[count])
    x = lay.date_x("as_of_date", frame["as_of_date"])
    y = alt.Y("y:Q", title=y_title, scale=scale, axis=lay.value_axis(y_scale, all_y))
    y_low = alt.Y("value_low:Q", title=y_title, scale=scale)
    tooltip = lay.tooltip(SOURCE_FIELDS)
    layers, key = lay.truce_layers(conflict, "as_of_date", frame["as_of_date"]) if truces else ([], [])
    layers += _band_layers(line, key, x, y_low, identity)
    bars = sparse.filter(placement.visible(frame, "value_low", "value_high", ["y"], log=y_scale == "log"))
    if bars.height:
        key += texts.interval_keys(bars)
        layers.append(
            alt.Chart(bars.select(lay.columns("as_of_date", "value_low", "value_high", "claimant", SOURCE)))
            .mark_rule(strokeWidth=7, opacity=0.3, strokeCap="round")
            .encode(x=x, y=y_low, y2="value_high:Q", color=identity["color"], tooltip=tooltip, href=alt.Href("url:N"))
        )
    layers += _step_layers(sparse, key, x, lay.date_x("next_date", frame["as_of_date"]), y, identity, stale_after_days)
    layers += _line_layers(line, hover, x, y, identity, tooltip)
    if pl.concat([sparse.filter(pl.col("next_date").is_not_null())["is_converted"], line["is_converted"]]).any():
        key.append(texts.KEY_CONVERTED_LINE)
    marker_columns = lay.columns("as_of_date", "y", "claimant", SOURCE)
    layers += lay.marker_layers(
        sparse,
        marker_columns,
        size=75,
        key=key,
        x=x,
        y=y,
        color=identity["color"],
        shape=identity["shape"],
        tooltip=tooltip,
    )
    lay.add_open_ends(layers, key, sparse, marker_columns, x, y, identity["color"], tooltip)
    return lay.compose(
        layers,
        title=title,
        subtitle=subtitle,
        key=key,
        assumptions=texts.assumptions(claims),
        description=description,
        notes=_dense_notes(dense, quantity["metric"]),
        width="container",
        height=HEIGHT,
    )


def _band_layers(line: pl.DataFrame, key: list[str], x, y_low, identity: dict) -> list[alt.Chart]:
    """A converted daily series: the band its conversion allows, under its line (whole people, outwards)."""
    band = line.filter(
        pl.col("is_converted") & pl.col("value_low").is_not_null() & pl.col("value_high").is_not_null()
    ).select("as_of_date", pl.col("value_low").floor(), pl.col("value_high").ceil(), "claimant", "_series")
    if not band.height:
        return []
    key.append(texts.KEY_CONVERSION_BAND)
    return [
        alt.Chart(band)
        .mark_area(opacity=0.16, interpolate="linear")
        .encode(
            x=x,
            y=y_low,
            y2="value_high:Q",
            color=identity["color"],
            detail=alt.Detail("_series:N"),
            tooltip=lay.tooltip([CLAIMANT_FIELD]),
        )
    ]


def _step_layers(
    sparse: pl.DataFrame, key: list[str], x, x_next, y, identity: dict, stale_after_days: int
) -> list[alt.Chart]:
    """Each figure held until the claimant's next one, then a riser up to it (never a fall)."""
    steps = sparse.filter(pl.col("next_date").is_not_null())
    if not steps.height:
        return []
    hold_opacity = alt.Opacity("is_stale_hold:N", legend=None, scale=alt.Scale(domain=[False, True], range=[0.9, 0.4]))
    if steps["is_stale_hold"].any():
        key.append(f"faint step: the figure went un-updated for more than {formatting.days(stale_after_days)}")
    step_frame = steps.select(
        lay.columns(
            "as_of_date", "next_date", "y", "next_y", "is_stale_hold", "held", "is_converted", "claimant", SOURCE
        )
    )
    # A cumulative count cannot fall: where the next figure is lower (a revision downwards) the
    # riser is left out, so the line never draws a fall; the caveats say it in words.
    risers = step_frame.filter(pl.col("next_y") >= pl.col("y"))
    if risers.height < step_frame.height:
        key.append(texts.KEY_REVISED)
    # The riser is a connector: its tooltip names the claimant, the figure and how long it stood
    # (the figure's marker carries the source); a second copy of every source field per step
    # made the spec of a report with many claimants larger than the reader gains.
    riser_fields = [CLAIMANT_FIELD, ("figure", "Figure"), ("held", "Figure stood for")]
    risers = risers.select(
        lay.columns(
            "as_of_date", "next_date", "y", "next_y", "is_stale_hold", "is_converted", [f for f, _ in riser_fields]
        )
    )
    held_tooltip = lay.tooltip(lay.fields(SOURCE_FIELDS, [("held", "Figure stood for")]))
    return [
        alt.Chart(frame_of)
        .mark_rule()
        .encode(
            **encodings,
            color=identity["color"],
            strokeDash=identity["strokeDash"],
            strokeWidth=lay.CONVERTED_WIDTH,
            opacity=hold_opacity,
            tooltip=tips,
        )
        for frame_of, encodings, tips in (
            (step_frame, {"x": x, "x2": "next_date:T", "y": y}, held_tooltip),  # the figure held ...
            (risers, {"x": x_next, "y": y, "y2": "next_y:Q"}, lay.tooltip(riser_fields)),
        )  # ... then rose
        if not frame_of.is_empty()
    ]


def _line_layers(line: pl.DataFrame, hover: pl.DataFrame, x, y, identity: dict, tooltip) -> list[alt.Chart]:
    """A dense series as a line, and its hover points (the line is drawn, never read: whole
    people are finer than a pixel, and keep the spec small)."""
    if not line.height:
        return []
    return [
        alt.Chart(line.select("as_of_date", pl.col("y").round(0), "claimant", "_series", "is_converted"))
        .mark_line()
        .encode(
            x=x,
            y=y,
            color=identity["color"],
            strokeDash=identity["strokeDash"],
            strokeWidth=lay.CONVERTED_WIDTH,
            detail=alt.Detail("_series:N"),
            tooltip=lay.tooltip([CLAIMANT_FIELD]),
        ),
        alt.Chart(hover.select(lay.columns("as_of_date", "y", SOURCE)))
        .mark_circle(size=110, color="transparent")
        .encode(x=x, y=y, tooltip=tooltip, href=alt.Href("url:N")),
    ]


def _dense_notes(dense: pl.DataFrame, metric: str | None) -> list[str]:
    """The description's note per dense series: drawn as a line, how many answer hover."""
    return [
        f"{label}: a series of {n:,} figures, drawn as a line"
        + (
            f" ({texts.metric_words(orig)} read as {texts.metric_words(metric)}, with the band the conversion allows)"
            if converted
            else ""
        )
        + f"; {min(n, HOVER_POINTS + 1)} of them answer hover."
        for label, orig, converted, n in dense.group_by("claimant", "_original", "is_converted")
        .len()
        .sort("claimant", "_original")
        .iter_rows()
    ]
