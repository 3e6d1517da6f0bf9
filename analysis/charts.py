"""Chart builders: one theme, colours and labels from conflict.yml, every mark traceable to its source.

Each builder takes a frame from analysis.harmonise / analysis.compare and the Conflict, and returns
an altair chart; nothing is written to disk and no input is mutated.

- One theme, `casualty_claims`, registered and enabled by `enable_theme()`. Every builder calls it,
  because altair applies the active theme when a chart is serialised.
- A claimant's colour is its side's colour in conflict.yml; third-party and independent claimants
  get fixed Okabe-Ito colours that no side uses. Claimants sharing a colour differ by point shape
  and line dash (`claimant_styles`), so colour never carries identity alone.
- Every mark has a tooltip: claimant, statement date, as-of date, the figure as the source hedged
  it ("about 16,100", "more than 14,000", "7,000–15,000": analysis.formatting.stated_value via
  `figure_text`), a short quote, the outlet and the source URL. Point marks also carry the URL as
  `href`, so a click opens the source.
- Title, subtitle (name the metric) and an accessible description are required; every assumption
  found in the data's `assumption` column is added to the subtitle and the description, and a key
  line explains the markers actually drawn (intervals, open ends, stale figures).
- A dense series (a daily report over years) is drawn as a line through at most LINE_POINTS real
  claims, with at most HOVER_POINTS of them answering hover and click, so 1,600 daily figures
  neither drown three official ones nor bloat the spec.
- Works with the default and the VegaFusion data transformer (`enable_vegafusion()`); each layer
  gets only the columns it uses, so VegaFusion inlines little.

Security: texts in the data come from war propaganda. They travel only as data (field values,
scale domains, title strings), never inside a Vega expression: no builder writes an expression,
calculate transform or filter predicate.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import altair as alt
import polars as pl

from analysis import formatting
from analysis.align import DEFAULT_STALE_AFTER_DAYS
from analysis.dataset import Conflict
from analysis.harmonise import LikeForLikeError
from analysis.vocabulary import METRIC_LABEL, NON_BELLIGERENT_SIDES, ROLE

THEME_NAME = "casualty_claims"
WIDTH = 640  # the width of exported SVG/PNG; on a page a chart follows its container ("container" width)
HEIGHT = 340
SUBTITLE_CHARS = 52  # a subtitle line fits a phone's width (390 px) at its font size; the title never wraps itself
TITLE_CHARS = 40  # a title line fits a phone's width at the phone's title size
PHONE_WIDTH = 560  # below this container width, axis labels and legends take less room
LADDER_ROW_STEP = 46  # room for the figure in words above each mark
ROW_STEP = 30  # px per claimant in ladder and staleness charts
FONT = "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
TEXT_COLOUR = "#222222"
MUTED = "#6b6b6b"

# Okabe & Ito (2008): the colour-blind-safe palette conflict.yml's side colours come from.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
# Non-belligerent claimants take the first colour of their list that no side uses
# (yellow is left out: too faint on white).
NON_BELLIGERENT_COLOURS = {
    "third_party": ("#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#0072B2", "#D55E00"),
    "independent": ("#CC79A7", "#000000", "#009E73", "#E69F00", "#56B4E9", "#0072B2", "#D55E00"),
}
GROUP_LABEL = {"third_party": "Third party", "independent": "Independent"}

# Claimants of one colour differ by shape and dash; triangles are reserved for open ends.
STAR = ("M0,-1L0.225,-0.309L0.951,-0.309L0.363,0.118L0.588,0.809L0,0.382L-0.588,0.809"
        "L-0.363,0.118L-0.951,-0.309L-0.225,-0.309Z")
HEXAGON = "M0,-1L0.866,-0.5L0.866,0.5L0,1L-0.866,0.5L-0.866,-0.5Z"
CLAIMANT_SHAPES = ("circle", "square", "diamond", "cross", STAR, HEXAGON)
CLAIMANT_DASHES = ((1, 0), (7, 3), (2, 2), (9, 3, 2, 3), (4, 4), (12, 3, 2, 3, 2, 3))  # one per shape

# Rows sorted by a numeric column: a sort by a list of labels would compile the labels into a Vega expression.
ROW_SORT = alt.EncodingSortField(field="row_order", op="min")
DENSE_AFTER = 40  # a series with more claims than this is a line without markers
LINE_POINTS = 120  # a dense series' line keeps at most ~this many claims (5 px apart at 640 px)
HOVER_POINTS = 48  # ... and at most ~this many answer hover and click (one a month over 4 years)
QUOTE_CHARS = 160
VISIBLE_SHARE = 0.01  # an interval narrower than this share of the axis is not drawn (the point covers it)

# Tooltip fields of one claim, in the order shown: (column, title).
SOURCE_FIELDS = (
    ("claimant", "Claimant"), ("stated_on", "Stated on"), ("as_of", "As of"), ("figure", "Figure"),
    ("quote_excerpt", "Quote"), ("outlet", "Outlet"), ("url", "Source"),
)
CLAIM_COLUMNS_NEEDED = ("claimant_id", "qualifier", "value", "value_low", "value_high", "value_central",
                        "as_of_date", "statement_date", "quote", "outlet", "url")

NUMBER_FORMAT = ",~r"  # 1,400,000 and 2.5 alike (a bare "," gives 1.4e+6 on Vega axes)
KEY_INTERVAL = "bar: the interval a hedged figure stands for"
STALE_OPACITY = alt.Opacity("is_stale:N", legend=None, scale=alt.Scale(domain=[False, True], range=[1.0, 0.45]))
KEY_MIDPOINT = "hollow marker: the middle of a range stated without a central figure"
KEY_CONVERTED = "hollow marker: a figure read from another metric, at the middle of what the conversion allows"
KEY_HOLLOW = "hollow marker: the middle of a range stated without a central figure, or of what a conversion allows"
KEY_CONVERTED_LINE = "thin line: a series read from another metric, never joined to figures stated in this one"
KEY_CONVERSION_BAR = "bar at a converted figure: the range the conversion allows"
KEY_CONVERSION_BAND = "band: the range the conversion allows"
CONVERTED_WIDTH = alt.StrokeWidth("is_converted:N", legend=None,
                                  scale=alt.Scale(domain=[False, True], range=[2, 1.2]))
SUMMED = "killed + wounded"  # original_metric of a claimant's own killed + wounded (combine_killed_and_wounded)
KEY_OPEN = "▲ no ceiling stated (at least, more than)  ▼ no floor stated (up to)"
KEY_OPEN_HORIZONTAL = "► no ceiling stated (at least, more than)  ◄ no floor stated (up to)"


# --- theme, transformers, rendering -----------------------------------------------------------------

def theme_config() -> dict:
    """The casualty_claims theme: readable sizes, quiet axes, legends below the plot."""
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "padding": 8,
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "title": {"fontSize": {"expr": f"isFinite(containerSize()[0]) && containerSize()[0] < {PHONE_WIDTH} ? 15 : 18"}, "fontWeight": 600, "color": TEXT_COLOUR, "anchor": "start",
                      "subtitleFontSize": 12, "subtitleColor": "#444444", "subtitlePadding": 6,
                      "offset": 14},
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "titleFontWeight": "normal",
                     "labelColor": TEXT_COLOUR, "titleColor": TEXT_COLOUR, "gridColor": "#e8e8e8",
                     "domainColor": "#888888", "tickColor": "#888888",
                     "labelOverlap": True, "titlePadding": 10,
                     # long claimant names give way on a phone (cut with an ellipsis; the tooltip has them)
                     "labelLimit": {"expr": f"isFinite(containerSize()[0]) && containerSize()[0] < {PHONE_WIDTH} ? 120 : 300"}},
            # one column on a phone, three from 560 px (the chart follows its container's width)
            # ticks follow the chart's width (a wide page would otherwise crowd its labels together)
            "axisX": {"tickCount": {"expr": "ceil(width / 110)"}},
            "legend": {"orient": "bottom", "direction": "horizontal", "columns": {"expr": f"width < {PHONE_WIDTH} ? 1 : 3"},
                       "labelFontSize": 12,
                       "titleFontSize": 12, "titleFontWeight": 600, "labelLimit": 260, "symbolSize": 100,
                       "symbolStrokeWidth": 0, "symbolOpacity": 1, "columnPadding": 18, "rowPadding": 6,
                       "titleOrient": "top", "offset": 14},
            # no line/rule strokeWidth here: Vega-Lite copies it onto legend symbols, whose dashed
            # outlines then garble the shapes; builders set stroke widths per mark
            "point": {"size": 70, "filled": True},
            "text": {"fontSize": 12, "color": TEXT_COLOUR},
        }
    }


def enable_theme() -> None:
    """Register (once) and enable the casualty_claims theme. Idempotent."""
    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(theme_config)
    if alt.theme.active != THEME_NAME:
        alt.theme.enable(THEME_NAME)


def enable_vegafusion() -> None:
    """Evaluate chart data in Python with VegaFusion, so specs stay small and MaxRowsError never
    fires. Charts are then serialised with `chart.to_dict(format="vega")` (render_* do). Idempotent."""
    if alt.data_transformers.active != "vegafusion":
        alt.data_transformers.enable("vegafusion")


def render_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as SVG via its Vega spec (with or without VegaFusion)."""
    import vl_convert as vlc

    return vlc.vega_to_svg(chart.to_dict(format="vega"))


def render_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """The chart as PNG via its Vega spec (with or without VegaFusion)."""
    import vl_convert as vlc

    return vlc.vega_to_png(chart.to_dict(format="vega"), scale=scale)


# --- claimants: labels, colours, shapes, dashes -------------------------------------------------------

def claimant_styles(conflict: Conflict) -> pl.DataFrame:
    """Every claimant of the conflict: `claimant` (label), `side`, `side_label`, `colour`, `shape`, `dash`.

    Colour is the side's colour from conflict.yml; third-party and independent claimants get an
    Okabe-Ito colour no side uses. Within one colour, claimants take shapes and dashes in
    conflict.yml order, so a claimant looks the same in every chart of the conflict.
    """
    side_colour = dict(zip(conflict.sides["side_id"], conflict.sides["colour"]))
    side_label = dict(zip(conflict.sides["side_id"], conflict.sides["label"]))
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
        rows.append({"claimant_id": row["claimant_id"], "claimant": row["short_name"] or row["name"],
                     "side": side, "side_label": label, "colour": colour, "_rank": order.index(side)})
    styles = pl.DataFrame(rows, schema={"claimant_id": pl.String, "claimant": pl.String, "side": pl.String,
                                        "side_label": pl.String, "colour": pl.String, "_rank": pl.Int64})
    clash = pl.col("claimant").is_duplicated()  # one label per claimant, or the legend merges them
    styles = (styles.with_columns(claimant=pl.when(clash).then(pl.col("claimant") + " (" + pl.col("claimant_id") + ")")
                                  .otherwise(pl.col("claimant")))
              .with_row_index("_order").sort("_rank", "_order"))
    return _with_shape_and_dash(styles, "colour").drop("_rank", "_order")


def _with_shape_and_dash(frame: pl.DataFrame, group: str) -> pl.DataFrame:
    index = pl.int_range(pl.len()).over(group)
    return frame.with_columns(
        shape=index.map_elements(lambda i: CLAIMANT_SHAPES[i % len(CLAIMANT_SHAPES)], return_dtype=pl.String),
        dash=index.map_elements(lambda i: list(CLAIMANT_DASHES[i % len(CLAIMANT_DASHES)]),
                                return_dtype=pl.List(pl.Int64)))


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


def _styles_for(conflict: Conflict, claimant_ids) -> pl.DataFrame:
    styles = claimant_styles(conflict)
    unknown = sorted(set(claimant_ids) - set(styles["claimant_id"]))
    if unknown:
        raise ValueError(f"Unknown claimants {unknown} for conflict {conflict.conflict_id!r}; "
                         f"valid: {', '.join(styles['claimant_id'])}")
    return styles.filter(pl.col("claimant_id").is_in(list(claimant_ids)))


def _identity(styles: pl.DataFrame, *, field: str = "claimant", title: str = "Claimant") -> dict:
    """Colour, shape and dash over the labels in `styles.claimant` (found in the data's `field`):
    three channels, one legend."""
    domain = styles["claimant"].to_list()

    def scale(column: str) -> alt.Scale:
        return alt.Scale(domain=domain, range=styles[column].to_list())

    # one merged legend; its symbols are filled shapes (a dashed outline would garble them)
    legend = alt.Legend(title=title, symbolStrokeWidth=0)
    return {"color": alt.Color(field=field, type="nominal", legend=legend, scale=scale("colour")),
            "shape": alt.Shape(field=field, type="nominal", legend=legend, scale=scale("shape")),
            "strokeDash": alt.StrokeDash(field=field, type="nominal", legend=legend, scale=scale("dash"))}


def _side_colour(styles: pl.DataFrame) -> alt.Color:
    """Colour by the claimant's side (ladder and staleness name each claimant on the axis)."""
    present = styles.unique("side_label", maintain_order=True)
    return alt.Color("side_label:N", title="Claimant's side",
                     scale=alt.Scale(domain=present["side_label"].to_list(), range=present["colour"].to_list()))


# --- display columns: the one way a claim is described -----------------------------------------------

def figure_text(qualifier: str | None, value: float | None, low: float | None = None, high: float | None = None,
                *, metric: str | None = None, original_metric: str | None = None,
                assumption: str | None = None, stated_low: float | None = None, stated_high: float | None = None,
                unconverted_low: float | None = None, unconverted_high: float | None = None,
                is_low_exclusive: bool = False, source_term: str | None = None) -> str:
    """A claim's figure in words as the source hedged it, in the source's metric
    (analysis.formatting.stated_value: "about 16,100", "more than 14,000", "up to 120,000",
    "7,000–15,000", "47,000 (40,000–55,000)").

    `low`/`high` are the interval the analysis uses (value_low/value_high: perhaps narrowed by the
    claimant's neighbouring figures, converted on a converted claim); the stated figure never
    comes from them but from `qualifier`, `value` and a range's ends as stated (`stated_low`,
    `stated_high`). Without stated ends, an unconverted claim falls back to `low`/`high` and a
    converted one to its interval before conversion (`unconverted_low/high`).
    A sum of differently hedged figures ("mixed") and a claimant's own killed + wounded summed
    show their interval. A converted claim (one with an assumption) quotes the source first, then
    says what it was read as: "70,000–80,000 killed and wounded, read as killed: 5,000–22,857".
    The source's own words for what it counts (`source_term`) follow the figure in quotation marks:
    'about 16,100 “personnel”', 'about 16,100 “personnel”, read as killed: 1,238–4,600'."""
    converted = _is_converted(metric, original_metric, assumption)
    term = f" {formatting.quoted_term(source_term)}" if source_term else ""
    if not converted:
        if qualifier == "mixed":
            return formatting.interval(low, high, digits=0)
        if original_metric == SUMMED:  # its stated ends, if any, are one summand's, not the sum's
            stated_low = stated_high = None
        ends = _stated_ends(stated_low, stated_high, low, high)
        return formatting.stated_value(qualifier, value, *ends) + term
    before = _stated_ends(stated_low, stated_high, unconverted_low, unconverted_high)
    if qualifier == "mixed":
        stated = formatting.interval(*before, digits=0) if None not in before else formatting.number(value)
    elif qualifier == "range" and None in before:
        stated = f"{formatting.number(value)} (a stated range)" if value is not None else "a stated range of"
    else:
        stated = formatting.stated_value(qualifier, value, *before)
    read_as = formatting.interval(low, high, is_low_exclusive=bool(is_low_exclusive), digits=0)
    said = term.strip() or _metric_words(original_metric)
    return f"{stated} {said}, read as {_metric_words(metric)}: {read_as}"


def _is_converted(metric: str | None, original_metric: str | None, assumption: str | None) -> bool:
    """Read from another metric: an assumption, and an original metric other than the metric."""
    return assumption is not None and original_metric is not None and original_metric != metric


def _converted(frame: pl.DataFrame, prefix: str = "") -> pl.Expr:
    """`_is_converted` over a frame's columns (False where the frame has no conversion columns)."""
    names = [prefix + c for c in ("metric", "original_metric", "assumption")]
    if any(n not in frame.columns for n in names):
        return pl.lit(False)
    metric, original, assumption = (pl.col(n) for n in names)
    return (assumption.is_not_null() & original.is_not_null() & (original != metric)).fill_null(False)


def _stated_ends(stated_low, stated_high, low, high) -> tuple:
    """A range's ends as stated, or the fallback interval where none were recorded."""
    return (stated_low, stated_high) if stated_low is not None or stated_high is not None else (low, high)


def _metric_words(metric: str | None) -> str:
    return METRIC_LABEL.get(metric, metric) if metric else "(metric not recorded)"


def _excerpt(quote: str | None) -> str:
    if not quote or not quote.strip():
        return "(no quote recorded)"
    text = " ".join(quote.split())
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return f"“{text}”"


def _date_text(column: str) -> pl.Expr:
    return pl.col(column).map_elements(formatting.date, return_dtype=pl.String, skip_nulls=False)


def _safe_url(column: str) -> pl.Expr:
    """Only http(s) links become clickable (validated on load already; checked again here)."""
    url = pl.col(column)
    return pl.when(url.str.contains(r"^https?://")).then(url).otherwise(pl.lit(None, pl.String))


def _source_columns(frame: pl.DataFrame, prefix: str = "", out: str = "") -> pl.DataFrame:
    """The tooltip columns of the claim in `{prefix}...` columns, as `{out}stated_on`, `{out}figure`, ...

    The figure is the source's own (qualifier, value, stated_low/stated_high, original metric);
    only a frame without stated_* columns falls back to value_low/value_high for a stated range."""
    def col(name: str, dtype) -> pl.Expr:
        return (pl.col(prefix + name) if prefix + name in frame.columns else pl.lit(None)).cast(dtype).alias(name)

    parts = (("qualifier", pl.String), ("value", pl.Float64), ("value_low", pl.Float64),
             ("value_high", pl.Float64), ("metric", pl.String), ("original_metric", pl.String),
             ("assumption", pl.String), ("stated_low", pl.Float64), ("stated_high", pl.Float64),
             ("unconverted_low", pl.Float64), ("unconverted_high", pl.Float64), ("source_term", pl.String))
    # ratio frames lack num_/den_is_low_exclusive (ratio_over_time's own num_/den_ intervals replace them)
    exclusive = (col("is_low_exclusive", pl.Boolean) if prefix + "is_low_exclusive" in frame.columns
                 else (pl.col(prefix + "qualifier") == "more_than").alias("is_low_exclusive"))
    figure = pl.struct(*(col(name, dtype) for name, dtype in parts), exclusive)
    return frame.with_columns(
        _date_text(prefix + "statement_date").alias(out + "stated_on"),
        _date_text(prefix + "as_of_date").alias(out + "as_of"),
        figure.map_elements(lambda r: figure_text(r["qualifier"], r["value"], r["value_low"], r["value_high"],
                                                  metric=r["metric"], original_metric=r["original_metric"],
                                                  assumption=r["assumption"], stated_low=r["stated_low"],
                                                  stated_high=r["stated_high"],
                                                  unconverted_low=r["unconverted_low"],
                                                  unconverted_high=r["unconverted_high"],
                                                  is_low_exclusive=bool(r["is_low_exclusive"]),
                                                  source_term=r["source_term"]),
                            return_dtype=pl.String)
        .alias(out + "figure"),
        pl.col(prefix + "quote").map_elements(_excerpt, return_dtype=pl.String, skip_nulls=False)
        .alias(out + "quote_excerpt"),
        pl.col(prefix + "outlet").fill_null("(outlet not recorded)").alias(out + "outlet"),
        _safe_url(prefix + "url").alias(out + "url"),
    )


def _tooltip(fields: Sequence[tuple[str, str]]) -> list[alt.Tooltip]:
    return [alt.Tooltip(field=field, type="nominal", title=title) for field, title in fields]


def _fields(*groups: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [f for group in groups for f in group]


def _columns(*names) -> list[str]:
    """Column names in order, once each (a layer's frame holds only what its encodings use)."""
    flat = [n for name in names for n in ([name] if isinstance(name, str) else name)]
    return list(dict.fromkeys(flat))


# --- checks, titles, scales ----------------------------------------------------------------------------

def _require(frame: pl.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {missing}; the frame has {frame.columns}")
    if frame.is_empty():
        raise ValueError(f"{what}: nothing to chart, the frame is empty")


def _one_quantity(frame: pl.DataFrame, what: str, prefix: str = "") -> dict[str, str | None]:
    """One subject side, population and metric per chart: an axis shows one quantity."""
    found = {}
    for column in ("subject_side", "population", "metric"):
        name = prefix + column
        values = sorted(v for v in frame[name].unique().to_list() if v is not None) if name in frame.columns else []
        if len(values) > 1:
            if column == "metric":
                raise LikeForLikeError(f"{what} shows one metric per chart; got {values}. Select one metric, "
                                       f"or convert explicitly with harmonise.convert_metric")
            raise ValueError(f"{what} shows one {column} per chart; got {values}")
        found[column] = values[0] if values else None
    return found


def _quantity_label(quantity: dict[str, str | None], conflict: Conflict, prefix: str = "", suffix: str = "") -> str:
    """'Killed (Russia, military)': the metric in words and whose losses."""
    metric = quantity.get("metric")
    words = METRIC_LABEL.get(metric, metric) if metric else "figure"
    where = []
    side = quantity.get("subject_side")
    if side in conflict.sides["side_id"].to_list():
        where.append(conflict.side_label(side))
    if quantity.get("population"):
        where.append(str(quantity["population"]))
    text = prefix + words + (f" ({', '.join(where)})" if where else "") + suffix
    return text[:1].upper() + text[1:]


def _assumptions(frame: pl.DataFrame) -> list[str]:
    if "assumption" not in frame.columns:
        return []
    return sorted(a for a in frame["assumption"].cast(pl.String).unique().to_list() if a)


def _title(title: str, subtitle: str | Sequence[str], assumptions: Sequence[str],
           key: Sequence[str]) -> alt.TitleParams:
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    if not isinstance(title, str) or not title.strip() or not any(line.strip() for line in lines):
        raise ValueError("every chart needs a title and a subtitle that names the metric")
    wrapped = [w for line in lines for w in (textwrap.wrap(line, SUBTITLE_CHARS) or [""])]
    given = " ".join(lines)
    for text in assumptions:
        if text not in given:
            wrapped += textwrap.wrap(f"Assumption: {text}", SUBTITLE_CHARS)
    line = ""
    for item in key:  # the key: items joined with a middle dot, split inside an item only if it is too long
        if line and len(line) + 5 + len(item) > SUBTITLE_CHARS:
            wrapped.append(line)
            line = ""
        if len(item) > SUBTITLE_CHARS:
            *whole, item = textwrap.wrap(item, SUBTITLE_CHARS)
            wrapped += whole
        line = f"{line}  ·  {item}" if line else item
    if line:
        wrapped.append(line)
    lines = textwrap.wrap(title, TITLE_CHARS)
    # one line as a string: VegaFusion reads a one-element list as an expression
    return alt.TitleParams(text=lines[0] if len(lines) == 1 else lines, subtitle=wrapped)


def _description(description: str, assumptions: Sequence[str], notes: Sequence[str] = ()) -> str:
    if not isinstance(description, str) or not description.strip():
        raise ValueError("every chart needs an accessible description")
    missing = [a for a in assumptions if a not in description]
    return " ".join([description.strip(), *(f"Assumption: {a}." for a in missing), *notes])


def _scale(kind: str, values: Sequence[pl.Series], what: str, **kwargs) -> alt.Scale:
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
    return alt.Scale(type=kind, **kwargs)


def _check_stale(frame: pl.DataFrame, days: str, stale_after_days: int, what: str) -> None:
    """is_stale must be what `stale_after_days` says, or the key would describe another threshold."""
    disagree = frame.filter(pl.col("is_stale") != (pl.col(days) > stale_after_days))
    if disagree.height:
        ids = sorted({c for c in ("claimant_id", "num_claimant_id") if c in frame.columns})
        who = sorted(set(disagree[ids[0]])) if ids else disagree.height
        raise ValueError(f"{what}: is_stale disagrees with stale_after_days={stale_after_days} for {who}; "
                         f"pass the threshold the comparison used")


def _value_axis(kind: str, values: pl.Series) -> alt.Axis:
    """Thousands separators; on a log scale, ticks at 1, 2 and 5 times powers of ten only."""
    if kind != "log":
        return alt.Axis(format=NUMBER_FORMAT)
    present = values.drop_nulls()
    low, high = present.min() / 2, present.max() * 2
    ticks = [m * 10 ** k for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
             for m in (1, 2, 5) if low <= m * 10 ** k <= high]
    return alt.Axis(format=NUMBER_FORMAT, values=ticks)


def _visible(frame: pl.DataFrame, low: str, high: str, positions: Sequence[str], log: bool = False) -> pl.Expr:
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


def _thin(frame: pl.DataFrame, group: str, date: str, max_points: int) -> pl.DataFrame:
    """At most ~max_points real rows per group, spread evenly in time: the first row and the last
    row of each of max_points equal time buckets. Groups that small are kept whole."""
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    first = pl.col(date).min().over(group)
    span = (pl.col(date).max().over(group) - first).dt.total_days() + 1
    ranked = frame.sort(group, date).with_columns(
        _n=pl.len().over(group), _row=pl.int_range(pl.len()).over(group),
        _bucket=((pl.col(date) - first).dt.total_days() * max_points) // span)
    keep = ((pl.col("_n") <= max_points) | (pl.col("_row") == 0)
            | (pl.col("_row") == pl.col("_row").max().over(group, "_bucket")))
    return ranked.filter(keep).drop("_n", "_row", "_bucket")


def _drawn_at() -> pl.Expr:
    """Where a claim's marker goes: its central value, but an open-ended figure at its stated
    end (the triangle beside it points on), as the text says it: 'more than 7,143' at 7,143, not
    at the middle of a conversion range it does not have."""
    low, high = pl.col("value_low"), pl.col("value_high")
    return (pl.when(high.is_null() & low.is_not_null()).then(low)
            .when(low.is_null() & high.is_not_null()).then(high)
            .otherwise(pl.col("value_central")))


def _with_open_end(frame: pl.DataFrame, low: str, high: str) -> pl.DataFrame:
    return frame.with_columns(is_open_above=(pl.col(high).is_null() & pl.col(low).is_not_null()),
                              is_open_below=(pl.col(low).is_null() & pl.col(high).is_not_null()))


def _marker_layers(frame: pl.DataFrame, columns: Sequence[str], *, size: int, key: list[str],
                   **encodings) -> list[alt.Chart]:
    """A marker per claim: filled at a stated figure, hollow where the point is no figure a source
    stated: the middle of a range stated without a central figure, or a figure read from another
    metric (so a midpoint or a conversion never passes for something a source said)."""
    converted = _converted(frame)
    midpoint = (pl.col("value").is_null() & pl.col("value_low").is_not_null() & pl.col("value_high").is_not_null())
    hollow = midpoint | converted
    stated, middle = frame.filter(~hollow), frame.filter(hollow)
    layers = []
    if stated.height:
        layers.append(alt.Chart(stated.select(columns))
                      .mark_point(filled=True, size=size, stroke="white", strokeWidth=0.8, opacity=1)
                      .encode(**encodings, href=alt.Href("url:N")))
    if middle.height:
        kinds = (bool(middle.filter(~converted).height), bool(middle.filter(converted).height))
        key.append({(True, False): KEY_MIDPOINT, (False, True): KEY_CONVERTED, (True, True): KEY_HOLLOW}[kinds])
        layers.append(alt.Chart(middle.select(columns))
                      .mark_point(filled=False, size=size, strokeWidth=2, fill="white", opacity=1)
                      .encode(**encodings, href=alt.Href("url:N")))
    return layers


def _interval_keys(bars: pl.DataFrame) -> list[str]:
    """Key items for interval bars: a hedged figure's interval, or the range a conversion allows."""
    if bars.is_empty():
        return []
    converted = bars.with_columns(_converted=_converted(bars))["_converted"]
    return ([KEY_INTERVAL] if (~converted).any() else []) + ([KEY_CONVERSION_BAR] if converted.any() else [])


def _open_end_layers(frame: pl.DataFrame, columns: Sequence[str], x, y, colour, tooltip, *,
                     horizontal: bool = False) -> list[alt.Chart]:
    """Triangles beside open-ended figures, pointing where the figure is open."""
    layers = []
    for flag, shape, offset in (("is_open_above", "triangle-right" if horizontal else "triangle-up", 12),
                                ("is_open_below", "triangle-left" if horizontal else "triangle-down", -12)):
        rows = frame.filter(pl.col(flag))
        if rows.is_empty():
            continue
        place = {"xOffset": offset} if horizontal else {"yOffset": -offset}
        layers.append(alt.Chart(rows.select(columns))
                      .mark_point(shape=shape, filled=True, size=85, opacity=0.95, **place)
                      .encode(x=x, y=y, color=colour, tooltip=tooltip, href=alt.Href("url:N")))
    return layers


def _date_x(field: str, *dates: pl.Series) -> alt.X:
    """A date axis whose labels suit the span: months and years over long spans, days over short ones."""
    values = pl.concat([d.cast(pl.Date).drop_nulls() for d in dates])
    span = (values.max() - values.min()).days if values.len() else 0
    fmt, count = ("%b %Y", 8) if span > 180 else ("%-d %b %Y", 5)
    return alt.X(f"{field}:T", axis=alt.Axis(format=fmt, labelAngle=0, tickCount=count, title=None),
                 scale=alt.Scale(padding=14))


def _truce_layers(conflict: Conflict, x_field: str, *dates: pl.Series) -> tuple[list, list[str]]:
    """A light band over each truce the drawn dates reach (clipped to them, so a truce never
    stretches the axis), under everything else; and the key line that names them."""
    values = pl.concat([d.cast(pl.Date).drop_nulls() for d in dates])
    if conflict.truces.is_empty() or not values.len():
        return [], []
    first, last = values.min(), values.max()
    bands = (conflict.truces
             .with_columns(pl.col("end_date").fill_null(pl.lit(last)))
             .filter(pl.col("start_date") <= last, pl.col("end_date") >= first)
             .select(pl.max_horizontal("start_date", pl.lit(first)).alias(x_field),
                     pl.min_horizontal("end_date", pl.lit(last)).alias("truce_end"),
                     pl.col("name").alias("truce"),
                     pl.concat_str(_date_text("start_date"), pl.lit(" to "),
                                   pl.when(pl.col("end_date") >= last).then(pl.lit("the latest data"))
                                   .otherwise(_date_text("end_date"))).alias("truce_dates")))
    if bands.is_empty():
        return [], []
    layer = (alt.Chart(bands).mark_rect(color=MUTED, opacity=0.14)
             .encode(x=f"{x_field}:T", x2="truce_end:T",
                     tooltip=_tooltip([("truce", "Truce"), ("truce_dates", "Dates")])))
    return [layer], ["grey band: a truce (" + "; ".join(bands["truce"].to_list()) + ")"]


def _compose(layers: list, *, title: alt.TitleParams, description: str, **properties) -> alt.LayerChart:
    enable_theme()
    return alt.layer(*layers).properties(title=title, description=description, **properties)


# --- builders --------------------------------------------------------------------------------------------

COUNT_SUFFIX = {"cumulative": ", cumulative", "snapshot": ", at one moment", "incident": ", tally of one incident"}


def cumulative_chart(claims: pl.DataFrame, conflict: Conflict, *, title: str, subtitle: str | Sequence[str],
                     description: str, y_scale: str = "linear",
                     stale_after_days: int = DEFAULT_STALE_AFTER_DAYS, count: str = "cumulative",
                     truces: bool = True) -> alt.LayerChart:
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
    _require(claims, CLAIM_COLUMNS_NEEDED, what)
    if "period_type" in claims.columns:
        other = sorted(set(claims["period_type"].drop_nulls().to_list()) - {"cumulative"})
        if other:
            raise ValueError(f"{what} shows cumulative claims only; got period_type {other} "
                             f"(select_claims keeps only cumulative claims)")
    quantity = _one_quantity(claims, what)
    styles = _styles_for(conflict, claims["claimant_id"].unique().to_list())
    identity = _identity(styles)
    original = (pl.coalesce("original_metric", "metric") if "original_metric" in claims.columns
                else pl.col("metric"))
    series = [c for c in ("claimant_id", "method") if c in claims.columns] + ["_original"]
    frame = (claims.with_columns(_original=original, is_converted=_converted(claims))
             .with_columns(_series=pl.struct(series).rank("dense"))  # a short id per series
             .with_columns(is_dense=pl.len().over("_series") > DENSE_AFTER)
             .join(styles.select("claimant_id", "claimant"), on="claimant_id", how="left")
             .with_columns(y=_drawn_at()))
    # A step joins a figure to the series' next figure of the same kind: a floor ('more than')
    # to the next floor, a stated or hedged figure to the next such figure. Joining 'about
    # 11,000' to the next day's 'more than 11,000' read as killed would draw a fall from a middle
    # to a floor that no source stated.
    kind = (pl.when(pl.col("value_high").is_null() & pl.col("value_low").is_not_null()).then(pl.lit("floor"))
            .when(pl.col("value_low").is_null() & pl.col("value_high").is_not_null()).then(pl.lit("ceiling"))
            .otherwise(pl.lit("figure")))
    sparse = (frame.filter(~pl.col("is_dense")).sort("_series", "as_of_date").with_columns(_kind=kind)
              .with_columns(next_date=pl.col("as_of_date").shift(-1).over("_series", "_kind"),
                            next_y=pl.col("y").shift(-1).over("_series", "_kind")))
    if count == "snapshot":  # a count at one moment does not stand until the next: no steps
        sparse = sparse.with_columns(next_date=pl.lit(None, pl.Date), next_y=pl.lit(None, pl.Float64))
    sparse = _source_columns(sparse).pipe(_with_open_end, "value_low", "value_high").with_columns(
        held_days=(pl.col("next_date") - pl.col("as_of_date")).dt.total_days())
    sparse = sparse.with_columns(
        is_stale_hold=pl.col("held_days") > stale_after_days,
        held=pl.struct("held_days", "next_date").map_elements(
            lambda r: f"{formatting.days(r['held_days'])}, until the next figure of {formatting.date(r['next_date'])}"
            if r["held_days"] is not None else "latest figure", return_dtype=pl.String))
    dense = frame.filter(pl.col("is_dense"))
    line = _thin(dense, "_series", "as_of_date", LINE_POINTS)
    hover = _source_columns(_thin(dense, "_series", "as_of_date", HOVER_POINTS))

    all_y = pl.concat([frame["value_low"], frame["value_high"], frame["y"]])
    scale = _scale(y_scale, [all_y], what)
    y_title = _quantity_label(quantity, conflict, suffix=COUNT_SUFFIX[count])
    x = _date_x("as_of_date", frame["as_of_date"])
    y = alt.Y("y:Q", title=y_title, scale=scale, axis=_value_axis(y_scale, all_y))
    source = [f for f, _ in SOURCE_FIELDS]
    tooltip = _tooltip(SOURCE_FIELDS)
    held_tooltip = _tooltip(_fields(SOURCE_FIELDS, [("held", "Figure stood for")]))
    layers, key = _truce_layers(conflict, "as_of_date", frame["as_of_date"]) if truces else ([], [])

    # a converted daily series: the band its conversion allows, under its line (whole people, outwards)
    band = (line.filter(pl.col("is_converted") & pl.col("value_low").is_not_null() & pl.col("value_high").is_not_null())
            .select("as_of_date", pl.col("value_low").floor(), pl.col("value_high").ceil(), "claimant", "_series"))
    if band.height:
        key.append(KEY_CONVERSION_BAND)
        layers.append(alt.Chart(band).mark_area(opacity=0.16, interpolate="linear")
                      .encode(x=x, y=alt.Y("value_low:Q", title=y_title, scale=scale), y2="value_high:Q",
                              color=identity["color"], detail=alt.Detail("_series:N"),
                              tooltip=_tooltip([("claimant", "Claimant")])))
    bars = sparse.filter(_visible(frame, "value_low", "value_high", ["y"], log=y_scale == "log"))
    if bars.height:
        key += _interval_keys(bars)
        layers.append(alt.Chart(bars.select(_columns("as_of_date", "value_low", "value_high", "claimant", source)))
                      .mark_rule(strokeWidth=7, opacity=0.3, strokeCap="round")
                      .encode(x=x, y=alt.Y("value_low:Q", title=y_title, scale=scale), y2="value_high:Q",
                              color=identity["color"], tooltip=tooltip, href=alt.Href("url:N")))
    steps = sparse.filter(pl.col("next_date").is_not_null())
    if steps.height:
        hold_opacity = alt.Opacity("is_stale_hold:N", legend=None,
                                   scale=alt.Scale(domain=[False, True], range=[0.9, 0.4]))
        if steps["is_stale_hold"].any():
            key.append(f"faint step: the figure went un-updated for more than {formatting.days(stale_after_days)}")
        step_frame = steps.select(_columns("as_of_date", "next_date", "y", "next_y", "is_stale_hold", "held",
                                           "is_converted", "claimant", source))
        # A cumulative count cannot fall: where the next figure is lower (a revision downwards) the
        # riser is left out, so the line never draws a fall; the caveats say it in words.
        risers = step_frame.filter(pl.col("next_y") >= pl.col("y"))
        if risers.height < step_frame.height:
            key.append("break in a line: the claimant's next figure was lower (a revision downwards, or another "
                       "reading of the same day), not drawn as a fall")
        # The riser is a connector: its tooltip names the claimant, the figure and how long it stood
        # (the figure's marker carries the source); a second copy of every source field per step
        # made the spec of a report with many claimants larger than the reader gains.
        riser_fields = [("claimant", "Claimant"), ("figure", "Figure"), ("held", "Figure stood for")]
        risers = risers.select(_columns("as_of_date", "next_date", "y", "next_y", "is_stale_hold", "is_converted",
                                        [f for f, _ in riser_fields]))
        for frame_of, encodings, tips in (
                (step_frame, {"x": x, "x2": "next_date:T", "y": y}, held_tooltip),  # the figure held ...
                (risers, {"x": _date_x("next_date", frame["as_of_date"]), "y": y, "y2": "next_y:Q"},
                 _tooltip(riser_fields))):  # ... then rose to the next
            if frame_of.is_empty():
                continue
            layers.append(alt.Chart(frame_of).mark_rule()
                          .encode(**encodings, color=identity["color"], strokeDash=identity["strokeDash"],
                                  strokeWidth=CONVERTED_WIDTH, opacity=hold_opacity, tooltip=tips))
    if line.height:
        # the line is drawn, never read: whole people are finer than a pixel (and keep the spec small)
        layers.append(alt.Chart(line.select("as_of_date", pl.col("y").round(0), "claimant", "_series", "is_converted"))
                      .mark_line()
                      .encode(x=x, y=y, color=identity["color"], strokeDash=identity["strokeDash"],
                              strokeWidth=CONVERTED_WIDTH, detail=alt.Detail("_series:N"),
                              tooltip=_tooltip([("claimant", "Claimant")])))
        layers.append(alt.Chart(hover.select(_columns("as_of_date", "y", source)))
                      .mark_circle(size=110, color="transparent")
                      .encode(x=x, y=y, tooltip=tooltip, href=alt.Href("url:N")))
    if pl.concat([steps["is_converted"], line["is_converted"]]).any():
        key.append(KEY_CONVERTED_LINE)
    marker_columns = _columns("as_of_date", "y", "claimant", source)
    layers += _marker_layers(sparse, marker_columns, size=75, key=key,
                             x=x, y=y, color=identity["color"], shape=identity["shape"], tooltip=tooltip)
    open_layers = _open_end_layers(sparse, marker_columns, x, y, identity["color"], tooltip)
    if open_layers:
        key.append(KEY_OPEN)
        layers += open_layers
    notes = [f"{label}: a series of {n:,} figures, drawn as a line"
             + (f" ({_metric_words(orig)} read as {_metric_words(quantity['metric'])}, with the band the "
                f"conversion allows)" if converted else "")
             + f"; {min(n, HOVER_POINTS + 1)} of them answer hover."
             for label, orig, converted, n in dense.group_by("claimant", "_original", "is_converted").len()
             .sort("claimant", "_original").iter_rows()]
    assumptions = _assumptions(claims)
    return _compose(layers, title=_title(title, subtitle, assumptions, key),
                    description=_description(description, assumptions, notes), width="container", height=HEIGHT)


def ratio_chart(ratios: pl.DataFrame, conflict: Conflict, *, title: str, subtitle: str | Sequence[str],
                description: str, y_scale: str = "linear",
                stale_after_days: int = DEFAULT_STALE_AFTER_DAYS) -> alt.LayerChart:
    """Numerator ÷ denominator over the numerator's as-of date (ratio_over_time output): a point at
    the central ratio per pair of claims, a bar over its visible interval, an open-ended ratio at
    its stated end (the floor of "more than 1.02", the ceiling of "at most 0.80", never a central
    value) with a triangle pointing where it is open, and a dashed reference rule at 1 (both give
    the same figure). Pairs whose as-of dates lie far apart (is_stale) are drawn faint, and every
    tooltip gives the days between the two figures, whether the two are independent of each
    other, and both sources.
    `stale_after_days` must be the threshold ratio_over_time used (checked against is_stale)."""
    what = "ratio_chart"
    needed = ["ratio_low", "ratio_high", "ratio_central", "staleness_days", "is_stale", "is_dependent",
              "den_claim_id", *(p + c for p in ("num_", "den_") for c in CLAIM_COLUMNS_NEEDED)]
    _require(ratios, needed, what)
    _check_stale(ratios, "staleness_days", stale_after_days, what)
    quantity = _one_quantity(ratios, what, prefix="num_")
    styles = _styles_for(conflict, set(ratios["num_claimant_id"]) | set(ratios["den_claimant_id"]))
    label = dict(zip(styles["claimant_id"], styles["claimant"]))
    ranks = {cid: i for i, cid in enumerate(styles["claimant_id"])}
    pairs = (ratios.select("num_claimant_id", "den_claimant_id").unique()
             .with_columns(claimant=pl.col("num_claimant_id").replace_strict(label) + " ÷ "
                           + pl.col("den_claimant_id").replace_strict(label),
                           _n=pl.col("num_claimant_id").replace_strict(ranks, return_dtype=pl.Int64),
                           _d=pl.col("den_claimant_id").replace_strict(ranks, return_dtype=pl.Int64))
             .join(styles.select(pl.col("claimant_id").alias("num_claimant_id"), "colour"), on="num_claimant_id")
             .sort("_n", "_d").pipe(_with_shape_and_dash, "colour"))
    identity = _identity(pairs, field="pair", title="Ratio")
    frame = (ratios.join(pairs.select("num_claimant_id", "den_claimant_id", pl.col("claimant").alias("pair")),
                         on=["num_claimant_id", "den_claimant_id"], how="left"))
    frame = _thin(frame, "pair", "num_as_of_date", HOVER_POINTS)
    frame = _source_columns(_source_columns(frame, prefix="num_"), prefix="den_", out="den_").pipe(
        _with_open_end, "ratio_low", "ratio_high").with_columns(
        claimant=pl.col("num_claimant_id").replace_strict(label),
        den_claimant=pl.col("den_claimant_id").replace_strict(label),
        as_of_date=pl.col("num_as_of_date"),
        y=_stated_end("ratio"),
        ratio_text=pl.struct("ratio_low", "ratio_high", "ratio_is_low_exclusive", "ratio_central")
        .map_elements(_ratio_text, return_dtype=pl.String),
        apart=pl.struct("staleness_days", "is_stale").map_elements(
            lambda r: formatting.days(r["staleness_days"]) + (" (a stale pair)" if r["is_stale"] else ""),
            return_dtype=pl.String),
        dependence=pl.when(pl.col("is_dependent")).then(pl.lit("no: they share a source or a government"))
        .otherwise(pl.lit("yes")),
    )
    fields = _fields([("pair", "Ratio of"), ("ratio_text", "Ratio")],
                     [("claimant", "Numerator")], SOURCE_FIELDS[1:],
                     [("den_claimant", "Denominator"), ("den_stated_on", "Stated on"), ("den_as_of", "As of"),
                      ("den_figure", "Figure"), ("den_quote_excerpt", "Quote"), ("den_outlet", "Outlet"),
                      ("den_url", "Source")],
                     [("apart", "Between the as-of dates"), ("dependence", "Independent of each other")])
    tooltip = _tooltip(fields)
    columns = _columns("as_of_date", "y", "pair", "is_stale", [f for f, _ in fields])
    scale = _scale(y_scale, [frame["ratio_low"], frame["ratio_high"], frame["y"], pl.Series([1.0])], what,
                   zero=False, padding=12)
    y_title = _quantity_label(quantity, conflict, prefix="ratio of ")
    x = _date_x("as_of_date", frame["as_of_date"])
    y = alt.Y("y:Q", title=y_title, scale=scale)
    reference = pl.DataFrame({"y": [1.0], "note": ["1 = both give the same figure"]})
    ref_y = alt.Y("y:Q", title=y_title, scale=scale)
    layers = [
        alt.Chart(reference).mark_rule(color=MUTED, strokeDash=[4, 3], strokeWidth=1.2)
        .encode(y=ref_y, tooltip=_tooltip([("note", "Reference")])),
        alt.Chart(reference).mark_text(align="right", baseline="bottom", dy=-3, color=MUTED, fontSize=11)
        .encode(y=ref_y, x=alt.value("width"), text="note:N", tooltip=_tooltip([("note", "Reference")])),
    ]
    key = [f"faint: a stale pair, its as-of dates more than {formatting.days(stale_after_days)} apart"
           ] if frame["is_stale"].any() else []
    # a line joins only the ratios that share one denominator figure (no line across a gap)
    lines = frame.filter(pl.len().over("pair", "den_claim_id") > 1)
    if lines.height:
        layers.append(alt.Chart(lines.select("as_of_date", "y", "pair", "den_claim_id"))
                      .mark_line(strokeWidth=1.2, opacity=0.5)
                      .encode(x=x, y=y, color=identity["color"], strokeDash=identity["strokeDash"],
                              detail="den_claim_id:N", tooltip=_tooltip([("pair", "Ratio of")])))
    bands = frame.filter(_visible(frame, "ratio_low", "ratio_high", ["y", "ratio_low"], log=y_scale == "log"))
    if bands.height:
        key.append(KEY_INTERVAL.replace("a hedged figure", "the ratio of two hedged figures"))
        # the band's tooltip gives the ratio and the pair; the point on it carries both sources in full
        band_fields = [("pair", "Ratio of"), ("ratio_text", "Ratio"), ("apart", "Between the as-of dates")]
        layers.append(alt.Chart(bands.select(_columns("as_of_date", "ratio_low", "ratio_high", "pair", "is_stale",
                                                      [f for f, _ in band_fields])))
                      .mark_rule(strokeWidth=6, strokeCap="round", opacity=0.3)
                      .encode(x=x, y=alt.Y("ratio_low:Q", title=y_title, scale=scale), y2="ratio_high:Q",
                              color=identity["color"], tooltip=_tooltip(band_fields)))
    layers.append(alt.Chart(frame.select(columns)).mark_point(filled=True, size=70, stroke="white", strokeWidth=0.8)
                  .encode(x=x, y=y, color=identity["color"], shape=identity["shape"],
                          opacity=STALE_OPACITY,
                          tooltip=tooltip, href=alt.Href("url:N")))
    open_layers = _open_end_layers(frame, columns, x, y, identity["color"], tooltip)
    if open_layers:
        key.append(KEY_OPEN)
        layers += open_layers
    assumptions = _assumptions(ratios)
    return _compose(layers, title=_title(title, subtitle, assumptions, key),
                    description=_description(description, assumptions), width="container", height=HEIGHT)


def _ratio_text(r: dict) -> str:
    """'1.64 (1.02–2.10)'; an open-ended ratio only as its stated end ('more than 1.02'): a
    central value of an interval with no ceiling (or no floor) is nothing a reader can check."""
    span = formatting.interval(r["ratio_low"], r["ratio_high"], is_low_exclusive=bool(r["ratio_is_low_exclusive"]),
                               significant_digits=2)
    central, low, high = r["ratio_central"], r["ratio_low"], r["ratio_high"]
    if central is None or low is None or high is None or formatting.significant(low) == formatting.significant(high):
        return span
    return f"{formatting.significant(central)} ({span})"


def _stated_end(name: str) -> pl.Expr:
    """Where a `{name}_` interval is drawn: its floor when open above, its ceiling when open below,
    else its central value (needs `_with_open_end` first)."""
    low, high, central = (pl.col(f"{name}_{part}") for part in ("low", "high", "central"))
    return (pl.when(pl.col("is_open_above")).then(low).when(pl.col("is_open_below")).then(high)
            .otherwise(pl.coalesce(central, low, high)))


def rates_chart(rates: pl.DataFrame, conflict: Conflict, *, title: str, subtitle: str | Sequence[str],
                description: str) -> alt.LayerChart:
    """The implied average daily increase between consecutive claims of each claimant
    (analysis.compare: implied_daily_rates, a daily series merged by merge_consecutive_rates;
    one metric): a horizontal segment from the earlier as-of date to the later one at the
    central rate, a shaded box over its visible interval, the claimant's marker at the later
    claim, a triangle where the interval is open. It presents what compare computed: a frame
    with a revision downwards (no rate) or a negative rate is refused, since a cumulative count
    cannot fall (say those in words)."""
    what = "rates_chart"
    needed = [*CLAIM_COLUMNS_NEEDED, "previous_as_of_date", "previous_qualifier", "previous_value", "days",
              "increase_low", "increase_high", "increase_central", "rate_low", "rate_high", "rate_central"]
    _require(rates, needed, what)
    quantity = _one_quantity(rates, what)
    falls = rates.filter(pl.col("is_revision_down")) if "is_revision_down" in rates.columns else rates.clear()
    negative = rates.filter((pl.col("rate_low") < 0) | (pl.col("rate_central") < 0))
    if falls.height or negative.height or rates["rate_central"].is_null().any():
        raise ValueError(f"{what}: a cumulative count cannot fall; drop revisions downwards "
                         f"(is_revision_down) and pass compare.implied_daily_rates output "
                         f"({falls.height + negative.height} falling segment(s) given)")
    styles = _styles_for(conflict, rates["claimant_id"].unique().to_list())
    identity = _identity(styles)
    frame = (rates.join(styles.select("claimant_id", "claimant"), on="claimant_id", how="left")
             .with_columns(is_dense=pl.len().over("claimant_id") > DENSE_AFTER,
                           y=pl.coalesce("rate_central", "rate_low", "rate_high"),
                           rate_is_low_exclusive=pl.col("rate_is_low_exclusive")
                           if "rate_is_low_exclusive" in rates.columns else pl.lit(False)))
    frame = _source_columns(frame).with_columns(
        figure=pl.struct("previous_qualifier", "previous_value", "figure").map_elements(
            lambda r: (f"from {formatting.stated_value(r['previous_qualifier'], r['previous_value'])} to {r['figure']}"
                       if r["previous_value"] is not None else f"to {r['figure']}"), return_dtype=pl.String),
        rate_text=pl.struct("rate_low", "rate_high", "rate_is_low_exclusive").map_elements(
            lambda r: formatting.interval(r["rate_low"], r["rate_high"],
                                          is_low_exclusive=bool(r["rate_is_low_exclusive"]), digits=1) + " a day",
            return_dtype=pl.String),
        period=pl.struct("previous_as_of_date", "as_of_date", "days").map_elements(
            lambda r: f"{formatting.date(r['previous_as_of_date'])} to {formatting.date(r['as_of_date'])} "
                      f"({formatting.days(r['days'])})", return_dtype=pl.String),
    ).pipe(_with_open_end, "rate_low", "rate_high")
    fields = _fields(SOURCE_FIELDS, [("period", "Between"), ("rate_text", "Implied rate")])
    tooltip = _tooltip(fields)
    columns = _columns("previous_as_of_date", "as_of_date", "y", "claimant", [f for f, _ in fields])
    y_title = _quantity_label(quantity, conflict, suffix=" per day")
    x = _date_x("previous_as_of_date", frame["previous_as_of_date"], frame["as_of_date"])
    x_end = _date_x("as_of_date", frame["previous_as_of_date"], frame["as_of_date"])
    y_scale = alt.Scale(zero=True)
    y = alt.Y("y:Q", title=y_title, scale=y_scale, axis=alt.Axis(format=NUMBER_FORMAT))
    layers, key = _truce_layers(conflict, "previous_as_of_date", frame["previous_as_of_date"], frame["as_of_date"])
    if frame["y"].min() < 0:
        zero = pl.DataFrame({"y": [0.0], "note": ["0 = no increase"]})
        layers.append(alt.Chart(zero).mark_rule(color=MUTED, strokeWidth=1)
                      .encode(y=alt.Y("y:Q", title=y_title, scale=y_scale), tooltip=_tooltip([("note", "Reference")])))
    sparse = frame.filter(~pl.col("is_dense"))
    boxes = sparse.filter(_visible(frame, "rate_low", "rate_high", ["y"]))
    if boxes.height:
        key.append(KEY_INTERVAL.replace("a hedged figure", "a rate between hedged figures"))
        layers.append(alt.Chart(boxes.select(_columns(columns, "rate_low", "rate_high"))).mark_rect(opacity=0.18)
                      .encode(x=x, x2="as_of_date:T", y=alt.Y("rate_low:Q", title=y_title, scale=y_scale),
                              y2="rate_high:Q",
                              color=identity["color"], tooltip=tooltip, href=alt.Href("url:N")))
    layers.append(alt.Chart(frame.select(columns)).mark_rule(strokeWidth=2.5)
                  .encode(x=x, x2="as_of_date:T", y=y, color=identity["color"], strokeDash=identity["strokeDash"],
                          tooltip=tooltip, href=alt.Href("url:N")))
    if sparse.height:
        layers.append(alt.Chart(sparse.select(columns)).mark_point(filled=True, size=60, stroke="white",
                                                                   strokeWidth=0.8, opacity=1)
                      .encode(x=x_end, y=y, color=identity["color"], shape=identity["shape"], tooltip=tooltip,
                              href=alt.Href("url:N")))
    open_layers = _open_end_layers(sparse, columns, x_end, y, identity["color"], tooltip)
    if open_layers:
        key.append(KEY_OPEN)
        layers += open_layers
    merged = (rates.group_by("claimant_id").agg(pl.col("merged_segments").sum(), pl.len())
              .filter(pl.col("merged_segments") > pl.col("len")).sort("claimant_id")
              if "merged_segments" in rates.columns else rates.clear())
    label = dict(zip(styles["claimant_id"], styles["claimant"]))
    notes = [f"{label.get(cid, cid)}: {n:,} daily segments merged into {shown} longer ones."
             for cid, n, shown in merged.iter_rows()]
    assumptions = _assumptions(rates)
    return _compose(layers, title=_title(title, subtitle, assumptions, key),
                    description=_description(description, assumptions, notes), width="container", height=HEIGHT)


def _with_rows(latest: pl.DataFrame, styles: pl.DataFrame, *, with_metric: bool) -> pl.DataFrame:
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
        role_text=pl.col("role").replace_strict(ROLE, default=pl.col("role")) if "role" in out.columns
        else pl.lit("(not given)"))


def _age_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(age_text=pl.struct("age_days", "is_stale").map_elements(
        lambda r: formatting.days(r["age_days"]) + (" (stale)" if r["is_stale"] else ""), return_dtype=pl.String))


def ladder_chart(latest: pl.DataFrame, conflict: Conflict, *, title: str, subtitle: str | Sequence[str],
                 description: str, x_scale: str = "linear",
                 stale_after_days: int = DEFAULT_STALE_AFTER_DAYS) -> alt.LayerChart:
    """The claims ladder: each claimant's latest figure (latest_claims output, one metric) on one
    axis, largest at the top, coloured by the claimant's side and labelled with its role, with its
    visible interval, a triangle where it is open-ended, and the figure in words with its as-of
    date. Stale figures are drawn faint. Shows the spread between official, opposing and
    independent figures at a glance. `stale_after_days` must be the threshold latest_claims used."""
    what = "ladder_chart"
    _require(latest, CLAIM_COLUMNS_NEEDED, what)
    if "is_stale" in latest.columns and "age_days" in latest.columns:
        _check_stale(latest, "age_days", stale_after_days, what)
    quantity = _one_quantity(latest, what)
    styles = _styles_for(conflict, latest["claimant_id"].unique().to_list())
    frame = (_source_columns(latest).pipe(_with_rows, styles, with_metric=False)
             .with_columns(x=_drawn_at(),
                           is_stale=pl.col("is_stale").fill_null(False) if "is_stale" in latest.columns
                           else pl.lit(False))
             .pipe(_with_open_end, "value_low", "value_high")
             .sort("x", descending=True, nulls_last=True))
    extra = [("role_text", "Role")]
    if "age_days" in frame.columns and "is_stale" in frame.columns:
        frame = _age_text(frame)
        extra.append(("age_text", "Age"))
    fields = _fields(SOURCE_FIELDS, extra)
    tooltip = _tooltip(fields)
    frame = frame.with_row_index("row_order")
    columns = _columns("row", "row_order", "x", "claimant", "side_label", "is_stale", [f for f, _ in fields])
    scale = _scale(x_scale, [frame["value_low"], frame["value_high"], frame["x"]], what)
    x_title = _quantity_label(quantity, conflict, suffix=", latest figure")
    y = alt.Y("row:N", sort=ROW_SORT, title=None,
              axis=alt.Axis(ticks=False, domain=False, labelPadding=8, grid=True, gridColor="#f2f2f2"))
    x = alt.X("x:Q", title=x_title, scale=scale, axis=alt.Axis(format=NUMBER_FORMAT))
    colour = _side_colour(styles)
    shape = alt.Shape("claimant:N", legend=None,
                      scale=alt.Scale(domain=styles["claimant"].to_list(), range=styles["shape"].to_list()))
    layers, key = [], ([f"faint: not updated for more than {formatting.days(stale_after_days)}"]
                       if frame["is_stale"].any() else [])
    bands = frame.filter(_visible(frame, "value_low", "value_high", ["x"], log=x_scale == "log"))
    if bands.height:
        key += _interval_keys(bands)
        layers.append(alt.Chart(bands.select(_columns(columns, "value_low", "value_high")))
                      .mark_rule(strokeWidth=9, strokeCap="round", opacity=0.3)
                      .encode(y=y, x=alt.X("value_low:Q", title=x_title, scale=scale), x2="value_high:Q",
                              color=colour, tooltip=tooltip, href=alt.Href("url:N")))
    layers += _marker_layers(frame, columns, size=110, key=key, y=y, x=x, color=colour,
                             shape=shape, opacity=STALE_OPACITY, tooltip=tooltip)
    # the figure in words just above each row, from the plot's left edge and cut at its right one:
    # it never runs into the claimant names on the left, nor past the chart on a narrow screen
    # (a label that followed its mark would push the plot narrower until nothing fit)
    labels = frame.with_columns(label=pl.col("figure") + " · as of " + pl.col("as_of"))
    layers.append(alt.Chart(labels.select(_columns("row", "row_order", "label", [f for f, _ in fields])))
                  .mark_text(align="left", baseline="bottom", dy=-8, fontSize=11, color="#333333",
                             limit=alt.ExprRef(f"width < {PHONE_WIDTH} ? width : 0"))  # 0: no limit (measuring text costs)
                  .encode(y=y, x=alt.value(0), text="label:N", tooltip=tooltip))
    open_layers = _open_end_layers(frame, columns, x, y, colour, tooltip, horizontal=True)
    if open_layers:
        key.append(KEY_OPEN_HORIZONTAL)
        layers += open_layers
    assumptions = _assumptions(latest)
    return _compose(layers, title=_title(title, subtitle, assumptions, key),
                    description=_description(description, assumptions), width="container",
                    height=alt.Step(LADDER_ROW_STEP))


def staleness_chart(latest: pl.DataFrame, conflict: Conflict, *, title: str, subtitle: str | Sequence[str],
                    description: str, stale_after_days: int = DEFAULT_STALE_AFTER_DAYS) -> alt.LayerChart:
    """How old each claimant's latest figure is (latest_claims output: age_days, is_stale): a bar per
    claimant (and metric, when there are several), oldest at the top, coloured by side, its age in
    days at the end, and the stale threshold as a dashed rule. `stale_after_days` must be the
    threshold latest_claims used (checked against is_stale)."""
    what = "staleness_chart"
    _require(latest, [*CLAIM_COLUMNS_NEEDED, "age_days", "is_stale", "metric"], what)
    _check_stale(latest, "age_days", stale_after_days, what)
    styles = _styles_for(conflict, latest["claimant_id"].unique().to_list())
    frame = (_source_columns(latest).pipe(_with_rows, styles, with_metric=latest["metric"].n_unique() > 1)
             .pipe(_age_text)
             .with_columns(bar_label=pl.col("age_days").map_elements(
                 lambda n: formatting.days(n) if n else "0 days", return_dtype=pl.String),
                 label_x=pl.max_horizontal("age_days", pl.lit(stale_after_days)))  # labels clear the rule
             .sort("age_days", "row", descending=[True, False])
             .with_row_index("row_order"))
    fields = _fields(SOURCE_FIELDS, [("role_text", "Role"), ("age_text", "Age of the latest figure")])
    tooltip = _tooltip(fields)
    columns = _columns("row", "row_order", "age_days", "side_label", [f for f, _ in fields])
    y = alt.Y("row:N", sort=ROW_SORT, title=None,
              axis=alt.Axis(ticks=False, domain=False, labelPadding=8, labelLimit=400))
    x_title = "Days since the latest figure's as-of date"
    longest = max(frame["age_days"].max(), stale_after_days)
    x_scale = alt.Scale(domain=[0, longest * 1.15], nice=False)
    x = alt.X("age_days:Q", title=x_title, axis=alt.Axis(format=NUMBER_FORMAT, tickCount=8), scale=x_scale)
    threshold = pl.DataFrame({"age_days": [stale_after_days],
                              "note": [f"stale after {formatting.days(stale_after_days)}"]})
    layers = [
        alt.Chart(frame.select(columns)).mark_bar(height={"band": 0.6})
        .encode(y=y, x=x, color=_side_colour(styles), tooltip=tooltip, href=alt.Href("url:N")),
        alt.Chart(frame.select(_columns(columns, "bar_label", "label_x"))).mark_text(align="left", dx=5, fontSize=11)
        .encode(y=y, x=alt.X("label_x:Q", title=x_title, scale=x_scale), text="bar_label:N", tooltip=tooltip),
        alt.Chart(threshold).mark_rule(color=TEXT_COLOUR, strokeDash=[5, 3], strokeWidth=1.5)
        .encode(x=x, tooltip=_tooltip([("note", "Threshold")])),
        alt.Chart(threshold).mark_text(align="left", baseline="bottom", dx=4, y=-4, fontSize=11)
        .encode(x=x, text="note:N", tooltip=_tooltip([("note", "Threshold")])),
    ]
    assumptions = _assumptions(latest)
    return _compose(layers, title=_title(title, subtitle, assumptions, []),
                    description=_description(description, assumptions), width="container", height=alt.Step(ROW_STEP))
