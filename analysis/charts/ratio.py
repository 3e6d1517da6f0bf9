"""The ratio chart: one claimant's figure over another's, paired in time."""

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
from analysis.charts.theme import HEIGHT, MUTED
from analysis.dataset import Conflict

FIELDS = lay.fields(
    [("pair", "Ratio of"), ("ratio_text", "Ratio")],
    [("claimant", "Numerator")],
    SOURCE_FIELDS[1:],
    [("den_claimant", "Denominator")],
    [(f"den_{field}", title) for field, title in SOURCE_FIELDS[1:]],
    [("apart", "Between the as-of dates"), ("dependence", "Independent of each other")],
)
# the band's tooltip gives the ratio and the pair; the point on it carries both sources in full
BAND_FIELDS = [("pair", "Ratio of"), ("ratio_text", "Ratio"), ("apart", "Between the as-of dates")]


def ratio_chart(
    ratios: pl.DataFrame,
    conflict: Conflict,
    *,
    title: str,
    subtitle: str | Sequence[str],
    description: str,
    y_scale: str = "linear",
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
) -> alt.LayerChart:
    """Numerator ÷ denominator over the numerator's as-of date (ratio_over_time output): a point at
    the central ratio per pair of claims, a bar over its visible interval, an open-ended ratio at
    its stated end (the floor of "more than 1.02", the ceiling of "at most 0.80", never a central
    value) with a triangle pointing where it is open, and a dashed reference rule at 1 (both give
    the same figure). Pairs whose as-of dates lie far apart (is_stale) are drawn faint, and every
    tooltip gives the days between the two figures, whether the two are independent of each
    other, and both sources.
    `stale_after_days` must be the threshold ratio_over_time used (checked against is_stale)."""
    what = "ratio_chart"
    checks.require(
        ratios,
        [
            "ratio_low",
            "ratio_high",
            "ratio_central",
            "staleness_days",
            "is_stale",
            "is_dependent",
            "den_claim_id",
            *(p + c for p in ("num_", "den_") for c in checks.CLAIM_COLUMNS_NEEDED),
        ],
        what,
    )
    checks.check_stale(ratios, "staleness_days", stale_after_days, what)
    quantity = checks.one_quantity(ratios, what, prefix="num_")
    styles = styles_for(conflict, set(ratios["num_claimant_id"]) | set(ratios["den_claimant_id"]))
    pairs = frames.ratio_pairs(ratios, styles)
    identity = lay.identity(pairs, field="pair", title="Ratio")
    frame = frames.ratio_frame(ratios, pairs, styles)
    tooltip = lay.tooltip(FIELDS)
    columns = lay.columns("as_of_date", "y", "pair", "is_stale", [f for f, _ in FIELDS])
    scale = lay.scale(
        y_scale, [frame["ratio_low"], frame["ratio_high"], frame["y"], pl.Series([1.0])], what, zero=False, padding=12
    )
    y_title = texts.quantity_label(quantity, conflict, prefix="ratio of ")
    x = lay.date_x("as_of_date", frame["as_of_date"])
    y = alt.Y("y:Q", title=y_title, scale=scale)
    layers = _reference_layers(y)
    key = (
        [f"faint: a stale pair, its as-of dates more than {formatting.days(stale_after_days)} apart"]
        if frame["is_stale"].any()
        else []
    )
    # a line joins only the ratios that share one denominator figure (no line across a gap)
    lines = frame.filter(pl.len().over("pair", "den_claim_id") > 1)
    if lines.height:
        layers.append(
            alt.Chart(lines.select("as_of_date", "y", "pair", "den_claim_id"))
            .mark_line(strokeWidth=1.2, opacity=0.5)
            .encode(
                x=x,
                y=y,
                color=identity["color"],
                strokeDash=identity["strokeDash"],
                detail="den_claim_id:N",
                tooltip=lay.tooltip([("pair", "Ratio of")]),
            )
        )
    bands = frame.filter(placement.visible(frame, "ratio_low", "ratio_high", ["y", "ratio_low"], log=y_scale == "log"))
    if bands.height:
        key.append(texts.KEY_INTERVAL.replace("a hedged figure", "the ratio of two hedged figures"))
        layers.append(
            alt.Chart(
                bands.select(
                    lay.columns(
                        "as_of_date", "ratio_low", "ratio_high", "pair", "is_stale", [f for f, _ in BAND_FIELDS]
                    )
                )
            )
            .mark_rule(strokeWidth=6, strokeCap="round", opacity=0.3)
            .encode(
                x=x,
                y=alt.Y("ratio_low:Q", title=y_title, scale=scale),
                y2="ratio_high:Q",
                color=identity["color"],
                tooltip=lay.tooltip(BAND_FIELDS),
            )
        )
    layers.append(
        alt.Chart(frame.select(columns))
        .mark_point(filled=True, size=70, stroke="white", strokeWidth=0.8)
        .encode(
            x=x,
            y=y,
            color=identity["color"],
            shape=identity["shape"],
            opacity=lay.STALE_OPACITY,
            tooltip=tooltip,
            href=alt.Href("url:N"),
        )
    )
    lay.add_open_ends(layers, key, frame, columns, x, y, identity["color"], tooltip)
    return lay.compose(
        layers,
        title=title,
        subtitle=subtitle,
        key=key,
        assumptions=texts.assumptions(ratios),
        description=description,
        width="container",
        height=HEIGHT,
    )


def _reference_layers(y: alt.Y) -> list[alt.Chart]:
    """A dashed rule at 1, labelled at the right edge: where both give the same figure."""
    reference = pl.DataFrame({"y": [1.0], "note": ["1 = both give the same figure"]})
    tooltip = lay.tooltip([("note", "Reference")])
    return [
        alt.Chart(reference).mark_rule(color=MUTED, strokeDash=[4, 3], strokeWidth=1.2).encode(y=y, tooltip=tooltip),
        alt.Chart(reference)
        .mark_text(align="right", baseline="bottom", dy=-3, color=MUTED, fontSize=11)
        .encode(y=y, x=alt.value("width"), text="note:N", tooltip=tooltip),
    ]
