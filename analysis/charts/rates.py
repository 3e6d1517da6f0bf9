"""The rates chart: the implied average daily increase between a claimant's consecutive figures."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from analysis.charts import checks, frames, placement, texts
from analysis.charts import layers as lay
from analysis.charts.styles import styles_for
from analysis.charts.texts import SOURCE_FIELDS
from analysis.charts.theme import HEIGHT, MUTED, NUMBER_FORMAT
from analysis.dataset import Conflict

FIELDS = lay.fields(SOURCE_FIELDS, [("period", "Between"), ("rate_text", "Implied rate")])
NEEDED = [
    *checks.CLAIM_COLUMNS_NEEDED,
    "previous_as_of_date",
    "previous_qualifier",
    "previous_value",
    "days",
    "increase_low",
    "increase_high",
    "increase_central",
    "rate_low",
    "rate_high",
    "rate_central",
]


def rates_chart(
    rates: pl.DataFrame, conflict: Conflict, *, title: str, subtitle: str | Sequence[str], description: str
) -> alt.LayerChart:
    """The implied average daily increase between consecutive claims of each claimant
    (analysis.compare: implied_daily_rates, a daily series merged by merge_consecutive_rates;
    one metric): a horizontal segment from the earlier as-of date to the later one at the
    central rate, a shaded box over its visible interval, the claimant's marker at the later
    claim, a triangle where the interval is open. It presents what compare computed: a frame
    with a revision downwards (no rate) or a negative rate is refused, since a cumulative count
    cannot fall (say those in words)."""
    what = "rates_chart"
    checks.require(rates, NEEDED, what)
    quantity = checks.one_quantity(rates, what)
    checks.check_rates_rise(rates, what)
    styles = styles_for(conflict, rates["claimant_id"].unique().to_list())
    identity = lay.identity(styles)
    frame = frames.rates_frame(rates, styles)
    tooltip = lay.tooltip(FIELDS)
    columns = lay.columns("previous_as_of_date", "as_of_date", "y", "claimant", [f for f, _ in FIELDS])
    y_title = texts.quantity_label(quantity, conflict, suffix=" per day")
    x = lay.date_x("previous_as_of_date", frame["previous_as_of_date"], frame["as_of_date"])
    x_end = lay.date_x("as_of_date", frame["previous_as_of_date"], frame["as_of_date"])
    y_scale = alt.Scale(zero=True)
    y = alt.Y("y:Q", title=y_title, scale=y_scale, axis=alt.Axis(format=NUMBER_FORMAT))
    layers, key = lay.truce_layers(conflict, "previous_as_of_date", frame["previous_as_of_date"], frame["as_of_date"])
    if frame["y"].min() < 0:
        zero = pl.DataFrame({"y": [0.0], "note": ["0 = no increase"]})
        layers.append(
            alt.Chart(zero)
            .mark_rule(color=MUTED, strokeWidth=1)
            .encode(y=alt.Y("y:Q", title=y_title, scale=y_scale), tooltip=lay.tooltip([("note", "Reference")]))
        )
    sparse = frame.filter(~pl.col("is_dense"))
    boxes = sparse.filter(placement.visible(frame, "rate_low", "rate_high", ["y"]))
    if boxes.height:
        key.append(texts.KEY_INTERVAL.replace("a hedged figure", "a rate between hedged figures"))
        layers.append(
            alt.Chart(boxes.select(lay.columns(columns, "rate_low", "rate_high")))
            .mark_rect(opacity=0.18)
            .encode(
                x=x,
                x2="as_of_date:T",
                y=alt.Y("rate_low:Q", title=y_title, scale=y_scale),
                y2="rate_high:Q",
                color=identity["color"],
                tooltip=tooltip,
                href=alt.Href("url:N"),
            )
        )
    layers.append(
        alt.Chart(frame.select(columns))
        .mark_rule(strokeWidth=2.5)
        .encode(
            x=x,
            x2="as_of_date:T",
            y=y,
            color=identity["color"],
            strokeDash=identity["strokeDash"],
            tooltip=tooltip,
            href=alt.Href("url:N"),
        )
    )
    if sparse.height:
        layers.append(
            alt.Chart(sparse.select(columns))
            .mark_point(filled=True, size=60, stroke="white", strokeWidth=0.8, opacity=1)
            .encode(
                x=x_end, y=y, color=identity["color"], shape=identity["shape"], tooltip=tooltip, href=alt.Href("url:N")
            )
        )
    lay.add_open_ends(layers, key, sparse, columns, x_end, y, identity["color"], tooltip)
    return lay.compose(
        layers,
        title=title,
        subtitle=subtitle,
        key=key,
        assumptions=texts.assumptions(rates),
        description=description,
        notes=frames.merged_notes(rates, styles),
        width="container",
        height=HEIGHT,
    )
