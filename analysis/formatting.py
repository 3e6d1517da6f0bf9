"""Numbers and dates in words, one way everywhere: tables, tooltips, sentences."""

from __future__ import annotations

import datetime as dt
import os

from analysis.vocabulary import METRIC_LABEL, QUALIFIER_WORDS


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
    """A claim's figure as the source hedged it: 'about 16,100', 'more than 14,000', '7,000–15,000'."""
    if qualifier == "range" or (value is None and low is not None and high is not None):
        span = f"{number(low)}–{number(high)}"
        return span if value is None else f"{number(value)} ({span})"
    words = QUALIFIER_WORDS.get(qualifier, "")
    return f"{words} {number(value)}".strip()


def claim_text(qualifier: str, value, low, high, metric: str) -> str:
    """'about 16,100 'personnel losses'', '1,351 killed'."""
    return f"{stated_value(qualifier, value, low, high)} {METRIC_LABEL.get(metric, metric)}"


def interval(low: float | None, high: float | None, *, is_low_exclusive: bool = False, digits: int = 1) -> str:
    """'5.2–11.1', 'more than 33.7', 'at most 0.24', 'unbounded'; one value when both round alike."""
    def fmt(x: float) -> str:
        return f"{x:,.{digits}f}"
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
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()
