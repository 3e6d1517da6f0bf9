"""The altair pieces the builders share: claimant identity (colour, shape, dash in one legend),
tooltips, axes and scales, markers, open-end triangles, truce bands, and `compose`, which gives
every chart its title, description and the theme's config (analysis.charts.theme) as its own.

Security: texts in the data come from war propaganda. They travel only as data (field values,
scale domains, title strings), never inside a Vega expression: nothing here or in a builder
writes an expression, calculate transform or filter predicate.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from analysis.charts import placement, texts
from analysis.charts.theme import MUTED, NUMBER_FORMAT, theme_config
from analysis.columns import label
from analysis.dataset import Conflict

# Rows sorted by a numeric column: a sort by a list of labels would compile the labels into a Vega expression.
ROW_SORT = alt.EncodingSortField(field="row_order", op="min")
STALE_OPACITY = alt.Opacity("is_stale:N", legend=None, scale=alt.Scale(domain=[False, True], range=[1.0, 0.45]))
CONVERTED_WIDTH = alt.StrokeWidth("is_converted:N", legend=None, scale=alt.Scale(domain=[False, True], range=[2, 1.2]))


def identity(styles: pl.DataFrame, *, field: str = "claimant", title: str = label("claimant_short_name")) -> dict:
    """Colour, shape and dash over the labels in `styles.claimant` (found in the data's `field`):
    three channels, one legend."""
    domain = styles["claimant"].to_list()

    def scale(column: str) -> alt.Scale:
        return alt.Scale(domain=domain, range=styles[column].to_list())

    # one merged legend; its symbols are filled shapes (a dashed outline would garble them)
    legend = alt.Legend(title=title, symbolStrokeWidth=0)
    return {
        "color": alt.Color(field=field, type="nominal", legend=legend, scale=scale("colour")),
        "shape": alt.Shape(field=field, type="nominal", legend=legend, scale=scale("shape")),
        "strokeDash": alt.StrokeDash(field=field, type="nominal", legend=legend, scale=scale("dash")),
    }


def side_colour(styles: pl.DataFrame) -> alt.Color:
    """Colour by the claimant's side (ladder and staleness name each claimant on the axis)."""
    present = styles.unique("side_label", maintain_order=True)
    return alt.Color(
        "side_label:N",
        title=label("claimant_side"),
        scale=alt.Scale(domain=present["side_label"].to_list(), range=present["colour"].to_list()),
    )


def tooltip(fields: Sequence[tuple[str, str]]) -> list[alt.Tooltip]:
    return [alt.Tooltip(field=field, type="nominal", title=title) for field, title in fields]


def fields(*groups: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [f for group in groups for f in group]


def columns(*names) -> list[str]:
    """Column names in order, once each (a layer's frame holds only what its encodings use)."""
    flat = [n for name in names for n in ([name] if isinstance(name, str) else name)]
    return list(dict.fromkeys(flat))


def scale(kind: str, values: Sequence[pl.Series], what: str, **kwargs) -> alt.Scale:
    """A linear or log scale (placement.scale_options checks it)."""
    options = placement.scale_options(kind, values, what, **kwargs)
    return alt.Scale(type=options.pop("type"), **options)


def value_axis(kind: str, values: pl.Series) -> alt.Axis:
    """Thousands separators; on a log scale, ticks at 1, 2 and 5 times powers of ten only."""
    if kind != "log":
        return alt.Axis(format=NUMBER_FORMAT)
    return alt.Axis(format=NUMBER_FORMAT, values=placement.log_ticks(values))


def date_x(field: str, *dates: pl.Series) -> alt.X:
    """A date axis whose labels suit the span: months and years over long spans, days over short ones."""
    fmt, count = placement.date_format(*dates)
    return alt.X(
        f"{field}:T", axis=alt.Axis(format=fmt, labelAngle=0, tickCount=count, title=None), scale=alt.Scale(padding=14)
    )


def marker_layers(
    frame: pl.DataFrame, columns: Sequence[str], *, size: int, key: list[str], **encodings
) -> list[alt.Chart]:
    """A marker per claim: filled at a stated figure, hollow where the point is no figure a source
    stated (placement.hollow), so a midpoint or a conversion never passes for something a source said."""
    is_converted = texts.converted(frame)
    is_hollow = placement.hollow(frame)
    stated, middle = frame.filter(~is_hollow), frame.filter(is_hollow)
    layers = []
    if stated.height:
        layers.append(
            alt.Chart(stated.select(columns))
            .mark_point(filled=True, size=size, stroke="white", strokeWidth=0.8, opacity=1)
            .encode(**encodings, href=alt.Href("url:N"))
        )
    if middle.height:
        kinds = (bool(middle.filter(~is_converted).height), bool(middle.filter(is_converted).height))
        key.append(
            {(True, False): texts.KEY_MIDPOINT, (False, True): texts.KEY_CONVERTED, (True, True): texts.KEY_HOLLOW}[
                kinds
            ]
        )
        layers.append(
            alt.Chart(middle.select(columns))
            .mark_point(filled=False, size=size, strokeWidth=2, fill="white", opacity=1)
            .encode(**encodings, href=alt.Href("url:N"))
        )
    return layers


def add_open_ends(
    layers: list,
    key: list[str],
    frame: pl.DataFrame,
    columns: Sequence[str],
    x,
    y,
    colour,
    tooltip,
    *,
    horizontal: bool = False,
) -> None:
    """Add the open-end triangles (open_end_layers) to a chart's layers, and their line to its key,
    when any figure is open-ended."""
    open_layers = open_end_layers(frame, columns, x, y, colour, tooltip, horizontal=horizontal)
    if open_layers:
        key.append(texts.KEY_OPEN_HORIZONTAL if horizontal else texts.KEY_OPEN)
        layers += open_layers


def open_end_layers(
    frame: pl.DataFrame, columns: Sequence[str], x, y, colour, tooltip, *, horizontal: bool = False
) -> list[alt.Chart]:
    """Triangles beside open-ended figures, pointing where the figure is open."""
    layers = []
    for flag, shape, offset in (
        ("is_open_above", "triangle-right" if horizontal else "triangle-up", 12),
        ("is_open_below", "triangle-left" if horizontal else "triangle-down", -12),
    ):
        rows = frame.filter(pl.col(flag))
        if rows.is_empty():
            continue
        place = {"xOffset": offset} if horizontal else {"yOffset": -offset}
        layers.append(
            alt.Chart(rows.select(columns))
            .mark_point(shape=shape, filled=True, size=85, opacity=0.95, **place)
            .encode(x=x, y=y, color=colour, tooltip=tooltip, href=alt.Href("url:N"))
        )
    return layers


def truce_layers(conflict: Conflict, x_field: str, *dates: pl.Series) -> tuple[list, list[str]]:
    """A light band over each truce the drawn dates reach, under everything else; and the key
    line that names them."""
    bands = placement.truce_bands(conflict, x_field, *dates)
    if bands.is_empty():
        return [], []
    layer = (
        alt.Chart(bands)
        .mark_rect(color=MUTED, opacity=0.14)
        .encode(x=f"{x_field}:T", x2="truce_end:T", tooltip=tooltip([("truce", "Truce"), ("truce_dates", "Dates")]))
    )
    return [layer], ["grey band: a truce (" + "; ".join(bands["truce"].to_list()) + ")"]


def compose(
    layers: list,
    *,
    title: str,
    subtitle: str | Sequence[str],
    key: Sequence[str],
    assumptions: Sequence[str],
    description: str,
    notes: Sequence[str] = (),
    **properties,
) -> alt.LayerChart:
    """The layers as one chart with its title, subtitle (assumptions and key added), description
    and the theme's config: the chart carries its look, so no global altair theme is needed."""
    text, subtitle_lines = texts.title_lines(title, subtitle, assumptions, key)
    return alt.layer(*layers).properties(
        title=alt.TitleParams(text=text, subtitle=subtitle_lines),
        description=texts.description_text(description, assumptions, notes),
        config=theme_config()["config"],
        **properties,
    )
