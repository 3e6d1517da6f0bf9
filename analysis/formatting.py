"""Numbers and dates in words, one way everywhere: tables, tooltips, sentences."""

from __future__ import annotations

import datetime as dt
import math
import os

from analysis.vocabulary import METRIC_LABEL, OPEN_RANGE_QUALIFIERS, PERCENT_METRICS, QUALIFIER_WORDS


def number(value: float | int | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


def table_number(value: float | int) -> str:
    """A number in a table cell, rounded for reading only (the table's CSV keeps every digit):
    whole numbers as they are, '1,167.9' from 100 up, '2.53' from 1 up, 3 significant digits below."""
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def stated_value(qualifier: str, value: float | None, low: float | None = None, high: float | None = None) -> str:
    """A claim's figure as the source hedged it: 'about 16,100', 'more than 14,000', '7,000–15,000',
    and a range with an open end as such: 'at least 7,000–8,000'."""
    words = QUALIFIER_WORDS.get(qualifier, "")
    if qualifier == "range" or (
        low is not None and high is not None and (value is None or qualifier in OPEN_RANGE_QUALIFIERS)
    ):
        span = f"{number(low)}–{number(high)}"
        figure = span if value is None else f"{number(value)} ({span})"
        return f"{words} {figure}".strip()
    return f"{words} {number(value)}".strip()


def quoted_term(source_term: str) -> str:
    """The source's own words for what it counts, in quotation marks: '“personnel”'."""
    return f"“{source_term}”"


def metric_words(metric: str, source_term: str | None = None) -> str:
    """What a stated figure counts: the source's own words in quotation marks, then our metric where
    it reads differently ('“personnel” (personnel losses)', '“killed”'); our metric alone when the
    source's words were not recorded ('killed')."""
    label = METRIC_LABEL.get(metric, metric)
    if not source_term:
        return label
    return (
        quoted_term(source_term)
        if source_term.casefold() == label.casefold()
        else f"{quoted_term(source_term)} ({label})"
    )


def claim_text(qualifier: str, value, low, high, metric: str, source_term: str | None = None) -> str:
    """'about 16,100 “personnel” (personnel losses)', '1,351 killed', 'at least 7,000–8,000 “manpower losses”
    (personnel losses)'."""
    if metric in PERCENT_METRICS:  # '83%', not '83 ... (% civilians)'
        return f"{stated_value(qualifier, value, low, high)}% {metric_words(metric, source_term)}"
    return f"{stated_value(qualifier, value, low, high)} {metric_words(metric, source_term)}"


def reading_number(value: float | int, column: str = "") -> str:
    """A number in a table for reading (the CSV keeps every digit): a ratio ('ratio' in the column
    name) to two significant digits; anything else counts people or days, so a whole number, an
    interval's low end rounded down and its high end up (never narrower than computed)."""
    if "ratio" in column:
        return significant(value, 2)
    end = column.rsplit("_", 1)[-1]
    if end == "low":
        return f"{math.floor(value):,}"
    if end == "high":
        return f"{math.ceil(value):,}"
    return f"{round(value):,}"


def significant(value: float, digits: int = 2) -> str:
    """A ratio for reading, to `digits` significant digits: 12.57 -> '13', 0.7 -> '0.70', 3.1049 -> '3.1'."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{round(value, decimals):,.{decimals}f}"


def interval(
    low: float | None,
    high: float | None,
    *,
    is_low_exclusive: bool = False,
    digits: int = 1,
    significant_digits: int | None = None,
) -> str:
    """'5.2–11.1', 'more than 33.7', 'at most 0.24', 'unbounded'; one value when both round alike.
    `significant_digits` (ratios): '13–51' rather than '12.57–50.77'."""

    def fmt(x: float) -> str:
        return significant(x, significant_digits) if significant_digits else f"{x:,.{digits}f}"

    if low is not None and high is not None:
        return fmt(low) if fmt(low) == fmt(high) else f"{fmt(low)}–{fmt(high)}"
    if low is not None:
        return f"{'more than' if is_low_exclusive else 'at least'} {fmt(low)}"
    if high is not None:
        return f"at most {fmt(high)}"
    return "unbounded"


def date(value: dt.date | None) -> str:
    """'25 March 2022' (no leading zero, no locale surprises)."""
    return "unknown date" if value is None else f"{value.day} {value:%B %Y}"


def days(n: int | None) -> str:
    if n is None:
        return "?"
    return "the same day" if n == 0 else f"{n:,} day{'s' if n != 1 else ''}"


def build_date() -> dt.date:
    """The date a build states: SOURCE_DATE_EPOCH when set (reproducible builds), else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.datetime.now(dt.UTC).date()
