"""The charts of each claimant's latest figure: the claims ladder and the staleness chart."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from analysis import formatting
from analysis.align import DEFAULT_STALE_AFTER_DAYS
from analysis.charts import checks, frames, placement, texts
from analysis.charts import layers as lay
from analysis.charts.styles import styles_for
from analysis.charts.texts import SOURCE_FIELDS
from analysis.charts.theme import LADDER_ROW_STEP, NUMBER_FORMAT, PHONE_WIDTH, ROW_STEP, TEXT_COLOUR
from analysis.columns import label
from analysis.dataset import Conflict


def ladder_chart(
    latest: pl.DataFrame,
    conflict: Conflict,
    *,
    title: str,
    subtitle: str | Sequence[str],
    description: str,
    x_scale: str = "linear",
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
) -> alt.LayerChart:
    """The claims ladder: each claimant's latest figure (latest_claims output, one metric) on one
    axis, largest at the top, coloured by the claimant's side and labelled with its role, with its
    visible interval, a triangle where it is open-ended, and the figure in words with its as-of
    date. Stale figures are drawn faint. Shows the spread between official, opposing and
    independent figures at a glance. `stale_after_days` must be the threshold latest_claims used."""
    what = "ladder_chart"
    checks.require(latest, checks.CLAIM_COLUMNS_NEEDED, what)
    if "is_stale" in latest.columns and "age_days" in latest.columns:
        checks.check_stale(latest, "age_days", stale_after_days, what)
    quantity = checks.one_quantity(latest, what)
    styles = styles_for(conflict, latest["claimant_id"].unique().to_list())
    frame = frames.ladder_frame(latest, styles)
    fields = lay.fields(
        SOURCE_FIELDS, [("role_text", label("role"))], [("age_text", "Age")] if "age_text" in frame.columns else []
    )
    tooltip = lay.tooltip(fields)
    columns = lay.columns("row", "row_order", "x", "claimant", "side_label", "is_stale", [f for f, _ in fields])
    scale = lay.scale(x_scale, [frame["value_low"], frame["value_high"], frame["x"]], what)
    x_title = texts.quantity_label(quantity, conflict, suffix=", latest figure")
    y = alt.Y(
        "row:N",
        sort=lay.ROW_SORT,
        title=None,
        axis=alt.Axis(ticks=False, domain=False, labelPadding=8, grid=True, gridColor="#f2f2f2"),
    )
    x = alt.X("x:Q", title=x_title, scale=scale, axis=alt.Axis(format=NUMBER_FORMAT))
    colour = lay.side_colour(styles)
    shape = alt.Shape(
        "claimant:N", legend=None, scale=alt.Scale(domain=styles["claimant"].to_list(), range=styles["shape"].to_list())
    )
    layers, key = (
        [],
        ([f"faint: not updated for more than {formatting.days(stale_after_days)}"] if frame["is_stale"].any() else []),
    )
    bands = frame.filter(placement.visible(frame, "value_low", "value_high", ["x"], log=x_scale == "log"))
    if bands.height:
        key += texts.interval_keys(bands)
        layers.append(
            alt.Chart(bands.select(lay.columns(columns, "value_low", "value_high")))
            .mark_rule(strokeWidth=9, strokeCap="round", opacity=0.3)
            .encode(
                y=y,
                x=alt.X("value_low:Q", title=x_title, scale=scale),
                x2="value_high:Q",
                color=colour,
                tooltip=tooltip,
                href=alt.Href("url:N"),
            )
        )
    layers += lay.marker_layers(
        frame,
        columns,
        size=110,
        key=key,
        y=y,
        x=x,
        color=colour,
        shape=shape,
        opacity=lay.STALE_OPACITY,
        tooltip=tooltip,
    )
    layers.append(_figure_labels(frame, fields, y, tooltip))
    lay.add_open_ends(layers, key, frame, columns, x, y, colour, tooltip, horizontal=True)
    return lay.compose(
        layers,
        title=title,
        subtitle=subtitle,
        key=key,
        assumptions=texts.assumptions(latest),
        description=description,
        width="container",
        height=alt.Step(LADDER_ROW_STEP),
    )


def _figure_labels(frame: pl.DataFrame, fields, y: alt.Y, tooltip) -> alt.Chart:
    """The figure in words just above each row, from the plot's left edge and cut at its right one:
    it never runs into the claimant names on the left, nor past the chart on a narrow screen
    (a label that followed its mark would push the plot narrower until nothing fit)."""
    labels = frame.with_columns(label=pl.col("figure") + " · as of " + pl.col("as_of"))
    return (
        alt.Chart(labels.select(lay.columns("row", "row_order", "label", [f for f, _ in fields])))
        .mark_text(
            align="left",
            baseline="bottom",
            dy=-8,
            fontSize=11,
            color="#333333",
            limit=alt.ExprRef(f"width < {PHONE_WIDTH} ? width : 0"),
        )  # 0: no limit (measuring text costs)
        .encode(y=y, x=alt.value(0), text="label:N", tooltip=tooltip)
    )


def staleness_chart(
    latest: pl.DataFrame,
    conflict: Conflict,
    *,
    title: str,
    subtitle: str | Sequence[str],
    description: str,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
) -> alt.LayerChart:
    """How old each claimant's latest figure is (latest_claims output: age_days, is_stale): a bar per
    claimant (and metric, when there are several), oldest at the top, coloured by side, its age in
    days at the end, and the stale threshold as a dashed rule. `stale_after_days` must be the
    threshold latest_claims used (checked against is_stale)."""
    what = "staleness_chart"
    checks.require(latest, [*checks.CLAIM_COLUMNS_NEEDED, "age_days", "is_stale", "metric"], what)
    checks.check_stale(latest, "age_days", stale_after_days, what)
    styles = styles_for(conflict, latest["claimant_id"].unique().to_list())
    frame = frames.staleness_frame(latest, styles, stale_after_days)
    fields = lay.fields(SOURCE_FIELDS, [("role_text", label("role")), ("age_text", "Age of the latest figure")])
    tooltip = lay.tooltip(fields)
    columns = lay.columns("row", "row_order", "age_days", "side_label", [f for f, _ in fields])
    y = alt.Y(
        "row:N", sort=lay.ROW_SORT, title=None, axis=alt.Axis(ticks=False, domain=False, labelPadding=8, labelLimit=400)
    )
    x_title = "Days since the latest figure's as-of date"
    x_scale = alt.Scale(domain=[0, max(frame["age_days"].max(), stale_after_days) * 1.15], nice=False)
    x = alt.X("age_days:Q", title=x_title, axis=alt.Axis(format=NUMBER_FORMAT, tickCount=8), scale=x_scale)
    threshold = pl.DataFrame(
        {"age_days": [stale_after_days], "note": [f"stale after {formatting.days(stale_after_days)}"]}
    )
    note = lay.tooltip([("note", "Threshold")])
    layers = [
        alt.Chart(frame.select(columns))
        .mark_bar(height={"band": 0.6})
        .encode(y=y, x=x, color=lay.side_colour(styles), tooltip=tooltip, href=alt.Href("url:N")),
        alt.Chart(frame.select(lay.columns(columns, "bar_label", "label_x")))
        .mark_text(align="left", dx=5, fontSize=11)
        .encode(y=y, x=alt.X("label_x:Q", title=x_title, scale=x_scale), text="bar_label:N", tooltip=tooltip),
        alt.Chart(threshold).mark_rule(color=TEXT_COLOUR, strokeDash=[5, 3], strokeWidth=1.5).encode(x=x, tooltip=note),
        alt.Chart(threshold)
        .mark_text(align="left", baseline="bottom", dx=4, y=-4, fontSize=11)
        .encode(x=x, text="note:N", tooltip=note),
    ]
    return lay.compose(
        layers,
        title=title,
        subtitle=subtitle,
        key=[],
        assumptions=texts.assumptions(latest),
        description=description,
        width="container",
        height=alt.Step(ROW_STEP),
    )
