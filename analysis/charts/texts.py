"""The texts of a chart, in polars alone (no altair): a claim's figure in words as the source
hedged it (`figure_text`), the tooltip columns that describe a claim, the ratio in words, the axis
label, the title and subtitle with assumptions and key, and the accessible description. Texts from
the data travel only as values: nothing here writes a Vega expression.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import polars as pl

from analysis import formatting
from analysis.charts.theme import SUBTITLE_CHARS, TITLE_CHARS
from analysis.columns import label
from analysis.dataset import Conflict
from analysis.vocabulary import METRIC_LABEL, URL_PATTERN

QUOTE_CHARS = 160
# Tooltip fields of one claim, in the order shown: (column, title). A field showing a column of the
# claims takes that column's label in the column dictionary; the figure is the claim's in words.
CLAIMANT_FIELD = ("claimant", label("claimant_short_name"))
SOURCE_FIELDS = (
    CLAIMANT_FIELD,
    ("stated_on", label("statement_date")),
    ("as_of", label("as_of_date")),
    ("figure", "Figure"),
    ("quote_excerpt", label("quote")),
    ("outlet", label("outlet")),
    ("url", label("url")),
)
COUNT_SUFFIX = {"cumulative": ", cumulative", "snapshot": ", at one moment", "incident": ", tally of one incident"}
SUMMED = "killed + wounded"  # original_metric of a claimant's own killed + wounded (combine_killed_and_wounded)

# The key: one line per kind of marker actually drawn.
KEY_INTERVAL = "bar: the interval a hedged figure stands for"
KEY_MIDPOINT = "hollow marker: the middle of a range stated without a central figure"
KEY_CONVERTED = "hollow marker: a figure read from another metric, at the middle of what the conversion allows"
KEY_HOLLOW = "hollow marker: the middle of a range stated without a central figure, or of what a conversion allows"
KEY_CONVERTED_LINE = "thin line: a series read from another metric, never joined to figures stated in this one"
KEY_CONVERSION_BAR = "bar at a converted figure: the range the conversion allows"
KEY_CONVERSION_BAND = "band: the range the conversion allows"
KEY_OPEN = "▲ no ceiling stated (at least, more than)  ▼ no floor stated (up to)"
KEY_OPEN_HORIZONTAL = "► no ceiling stated (at least, more than)  ◄ no floor stated (up to)"
KEY_REVISED = (
    "break in a line: the claimant's next figure was lower (a revision downwards, or another "
    "reading of the same day), not drawn as a fall"
)


# --- the figure in words: the one way a claim is described ----------------------------------------------


def figure_text(
    qualifier: str | None,
    value: float | None,
    low: float | None = None,
    high: float | None = None,
    *,
    metric: str | None = None,
    original_metric: str | None = None,
    assumption: str | None = None,
    stated_low: float | None = None,
    stated_high: float | None = None,
    unconverted_low: float | None = None,
    unconverted_high: float | None = None,
    is_low_exclusive: bool = False,
    source_term: str | None = None,
) -> str:
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
    converted = is_converted(metric, original_metric, assumption)
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
    said = term.strip() or metric_words(original_metric)
    return f"{stated} {said}, read as {metric_words(metric)}: {read_as}"


def is_converted(metric: str | None, original_metric: str | None, assumption: str | None) -> bool:
    """Read from another metric: an assumption, and an original metric other than the metric."""
    return assumption is not None and original_metric is not None and original_metric != metric


def converted(frame: pl.DataFrame, prefix: str = "") -> pl.Expr:
    """`is_converted` over a frame's columns (False where the frame has no conversion columns)."""
    names = [prefix + c for c in ("metric", "original_metric", "assumption")]
    if any(n not in frame.columns for n in names):
        return pl.lit(False)
    metric, original, assumption = (pl.col(n) for n in names)
    return (assumption.is_not_null() & original.is_not_null() & (original != metric)).fill_null(False)


def _stated_ends(stated_low, stated_high, low, high) -> tuple:
    """A range's ends as stated, or the fallback interval where none were recorded."""
    return (stated_low, stated_high) if stated_low is not None or stated_high is not None else (low, high)


def metric_words(metric: str | None) -> str:
    return METRIC_LABEL.get(metric, metric) if metric else "(metric not recorded)"


def _excerpt(quote: str | None) -> str:
    if not quote or not quote.strip():
        return "(no quote recorded)"
    text = " ".join(quote.split())
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return f"“{text}”"


def date_text(column: str) -> pl.Expr:
    return pl.col(column).map_elements(formatting.date, return_dtype=pl.String, skip_nulls=False)


def _safe_url(column: str) -> pl.Expr:
    """Only links that pass the data's URL rule (vocabulary.URL_PATTERN) become clickable: validated
    on load already, checked again here."""
    url = pl.col(column)
    return pl.when(url.str.contains(URL_PATTERN)).then(url).otherwise(pl.lit(None, pl.String))


def source_columns(frame: pl.DataFrame, prefix: str = "", out: str = "") -> pl.DataFrame:
    """The tooltip columns of the claim in `{prefix}...` columns, as `{out}stated_on`, `{out}figure`, ...

    The figure is the source's own (qualifier, value, stated_low/stated_high, original metric);
    only a frame without stated_* columns falls back to value_low/value_high for a stated range."""

    def col(name: str, dtype) -> pl.Expr:
        return (pl.col(prefix + name) if prefix + name in frame.columns else pl.lit(None)).cast(dtype).alias(name)

    parts = (
        ("qualifier", pl.String),
        ("value", pl.Float64),
        ("value_low", pl.Float64),
        ("value_high", pl.Float64),
        ("metric", pl.String),
        ("original_metric", pl.String),
        ("assumption", pl.String),
        ("stated_low", pl.Float64),
        ("stated_high", pl.Float64),
        ("unconverted_low", pl.Float64),
        ("unconverted_high", pl.Float64),
        ("source_term", pl.String),
    )
    # ratio frames lack num_/den_is_low_exclusive (ratio_over_time's own num_/den_ intervals replace them)
    exclusive = (
        col("is_low_exclusive", pl.Boolean)
        if prefix + "is_low_exclusive" in frame.columns
        else (pl.col(prefix + "qualifier") == "more_than").alias("is_low_exclusive")
    )
    figure = pl.struct(*(col(name, dtype) for name, dtype in parts), exclusive)
    return frame.with_columns(
        date_text(prefix + "statement_date").alias(out + "stated_on"),
        date_text(prefix + "as_of_date").alias(out + "as_of"),
        figure.map_elements(
            lambda r: figure_text(
                r["qualifier"],
                r["value"],
                r["value_low"],
                r["value_high"],
                metric=r["metric"],
                original_metric=r["original_metric"],
                assumption=r["assumption"],
                stated_low=r["stated_low"],
                stated_high=r["stated_high"],
                unconverted_low=r["unconverted_low"],
                unconverted_high=r["unconverted_high"],
                is_low_exclusive=bool(r["is_low_exclusive"]),
                source_term=r["source_term"],
            ),
            return_dtype=pl.String,
        ).alias(out + "figure"),
        pl.col(prefix + "quote")
        .map_elements(_excerpt, return_dtype=pl.String, skip_nulls=False)
        .alias(out + "quote_excerpt"),
        pl.col(prefix + "outlet").fill_null("(outlet not recorded)").alias(out + "outlet"),
        _safe_url(prefix + "url").alias(out + "url"),
    )


def ratio_text(r: dict) -> str:
    """'1.64 (1.02–2.10)'; an open-ended ratio only as its stated end ('more than 1.02'): a
    central value of an interval with no ceiling (or no floor) is nothing a reader can check."""
    span = formatting.interval(
        r["ratio_low"], r["ratio_high"], is_low_exclusive=bool(r["ratio_is_low_exclusive"]), significant_digits=2
    )
    central, low, high = r["ratio_central"], r["ratio_low"], r["ratio_high"]
    if central is None or low is None or high is None or formatting.significant(low) == formatting.significant(high):
        return span
    return f"{formatting.significant(central)} ({span})"


# --- titles, keys and descriptions -------------------------------------------------------------------


def quantity_label(quantity: dict[str, str | None], conflict: Conflict, prefix: str = "", suffix: str = "") -> str:
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


def assumptions(frame: pl.DataFrame) -> list[str]:
    if "assumption" not in frame.columns:
        return []
    return sorted(a for a in frame["assumption"].cast(pl.String).unique().to_list() if a)


def title_lines(
    title: str, subtitle: str | Sequence[str], assumptions: Sequence[str], key: Sequence[str]
) -> tuple[str | list[str], list[str]]:
    """The title (one line as a string, else its lines) and the subtitle's lines: the given
    subtitle, each assumption not already said, and the key, each wrapped to a phone's width."""
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
    return (lines[0] if len(lines) == 1 else lines), wrapped


def description_text(description: str, assumptions: Sequence[str], notes: Sequence[str] = ()) -> str:
    """The accessible description, with every assumption it does not already state and the notes."""
    if not isinstance(description, str) or not description.strip():
        raise ValueError("every chart needs an accessible description")
    missing = [a for a in assumptions if a not in description]
    return " ".join([description.strip(), *(f"Assumption: {a}." for a in missing), *notes])


def interval_keys(bars: pl.DataFrame) -> list[str]:
    """Key items for interval bars: a hedged figure's interval, or the range a conversion allows."""
    if bars.is_empty():
        return []
    is_conv = bars.with_columns(_converted=converted(bars))["_converted"]
    return ([KEY_INTERVAL] if (~is_conv).any() else []) + ([KEY_CONVERSION_BAR] if is_conv.any() else [])
