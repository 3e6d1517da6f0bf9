"""The argument rules: one place for what the library's functions, the notebooks' parameters
(analysis.params) and the report catalog (analysis.report.catalog) accept.

Each rule takes the argument's name and value (and, where it applies, what is valid), returns the
value in its one accepted form, or raises errors.ParameterError naming the argument, the value and
the valid values, in one line. The three callers use these same functions, so they cannot drift
apart. Values are never coerced from look-alikes: 2024 is not a date, "ru_mod" is not a list of
claimants, 7.0 is not a number of days. No polars import here: the catalog is checked without it.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import numbers
import os
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from analysis.errors import ParameterError

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fullmatch: ASCII digits only, no trailing newline
LISTED = 25  # valid values named in a message; the rest are counted
SHOWN = 60  # characters of a refused value shown (its repr: control characters escaped, one line)
COLLECTIONS = (list, tuple, set, frozenset)

F = TypeVar("F", bound=Callable)


def refusing(function: F | None = None, *, name: str | None = None):
    """Decorate a public function so that a ParameterError from its checks names it:
    `select_claims: claimants: ...`. The outermost decorated call names it last, so the name is
    the function the caller called."""

    def wrap(f: F) -> F:
        label = name or f.__name__

        @functools.wraps(f)
        def checked(*args, **kwargs):
            try:
                return f(*args, **kwargs)
            except ParameterError as exc:
                raise exc.within(label) from None  # the same error, naming the function called

        return checked  # type: ignore[return-value]

    return wrap(function) if function is not None else wrap


def shown(value) -> str:
    """A refused value as one short line (repr escapes newlines and control characters)."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def listing(valid: Iterable) -> str:
    values = [str(v) for v in valid]
    if not values:
        return "(none)"
    more = f", … ({len(values)} in all)" if len(values) > LISTED else ""
    return ", ".join(values[:LISTED]) + more


def _kind(value) -> str:
    return type(value).__name__


def text(name: str, value) -> str:
    """A non-empty string (a title, a conflict id)."""
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(name, f"must be a non-empty string, got {shown(value)}")
    return value


def one_of(name: str, value, valid: Iterable[str], *, what: str, source: str) -> str:
    """One value of `valid`; `source` says where the valid values come from ("the vocabulary",
    "these claims", a conflict id), so a reader knows whether to fix the spelling or the data."""
    valid = list(valid)
    if not isinstance(value, str):
        raise ParameterError(
            name,
            f"must be one {what} (a string), got {shown(value)} ({_kind(value)}); valid ({source}): {listing(valid)}",
        )
    if value not in valid:
        raise ParameterError(name, f"unknown {what} {shown(value)}; valid ({source}): {listing(valid)}")
    return value


def in_data(name: str, value: str, present: Iterable[str], *, what: str, source: str = "these claims") -> str:
    """A known value (already checked against its vocabulary) that the data also hold: a valid
    word that no claim uses would otherwise select nothing, silently."""
    present = sorted(present)
    if value not in present:
        raise ParameterError(
            name, f"{what} {shown(value)} is in the vocabulary but in none of {source}; in {source}: {listing(present)}"
        )
    return value


def some_of(
    name: str,
    value,
    valid: Iterable[str] | None,
    *,
    what: str,
    source: str,
    allow_empty: bool = False,
    unique: bool = False,
) -> list[str]:
    """A list (or tuple or set) of strings, each one of `valid` (unchecked when valid is None).
    One string is refused, not read as its characters: claimants="ru_mod" means ["ru_mod"] to a
    person and ['r', 'u', ...] to Python."""
    if isinstance(value, str):
        raise ParameterError(name, f"must be a list of {what} ids, not one string: write [{shown(value)}]")
    if not isinstance(value, COLLECTIONS) or not all(isinstance(v, str) for v in value):
        raise ParameterError(name, f"must be a list of {what} ids (strings), got {shown(value)}")
    values = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    if not values and not allow_empty:
        raise ParameterError(name, f"an empty list selects nothing; give {what} ids, or None for every {what}")
    if unique and len(set(values)) != len(values):
        raise ParameterError(name, f"lists a {what} twice: {shown(value)}")
    if valid is not None:
        valid = list(valid)
        unknown = [v for v in values if v not in valid]
        if unknown:
            named = ", ".join(shown(v) for v in unknown[:3])
            raise ParameterError(
                name, f"unknown {what}{'s' if len(unknown) > 1 else ''} {named}; valid ({source}): {listing(valid)}"
            )
    return values


def date(name: str, value, *, allow_none: bool = True) -> dt.date | None:
    """A datetime.date or an ISO string YYYY-MM-DD (a real calendar date). A datetime.datetime is
    refused rather than truncated: its time of day (and time zone) would be dropped silently, and
    which day it falls on depends on the zone it is read in; pass `.date()` to say which day."""
    if value is None and allow_none:
        return None
    if isinstance(value, dt.datetime):
        raise ParameterError(
            name,
            f"must be a date, not a datetime ({shown(value)}): its time would be dropped silently; pass value.date()",
        )
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        none = " or None" if allow_none else ""
        raise ParameterError(name, f"must be a date or a string YYYY-MM-DD{none}, got {shown(value)} ({_kind(value)})")
    if not ISO_DATE.fullmatch(value):
        raise ParameterError(name, f"must be written YYYY-MM-DD (ISO 8601), got {shown(value)}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ParameterError(name, f"is not a calendar date: {shown(value)}") from None


def incident_date(name: str, value, period_type: str, *, tallies: str = "compared") -> dt.date | None:
    """The date of the incident whose tallies are compared (or selected): required with period_type
    'incident' and None with any other. One rule for the library, the notebooks and the catalog."""
    incident = date(name, value)
    if (period_type == "incident") != (incident is not None):
        raise ParameterError(
            name,
            f"required with period_type 'incident' (the date of the incident whose tallies are {tallies}) "
            f"and None otherwise, got {shown(value)} with period_type {period_type!r}",
        )
    return incident


def window(start, end, *, names: tuple[str, str] = ("start", "end")) -> tuple[dt.date | None, dt.date | None]:
    """Two optional dates, the end not before the start (a window that selects nothing is a mistake)."""
    first, last = date(names[0], start), date(names[1], end)
    if first is not None and last is not None and last < first:
        raise ParameterError(names[1], f"{last.isoformat()} is before {names[0]} {first.isoformat()}")
    return first, last


def days(name: str, value, *, allow_none: bool = False, default: int | None = None) -> int | None:
    """A whole number of days >= 0 (an int, numpy's too; not a bool, not 7.0)."""
    if value is None:
        if allow_none:
            return default
        raise ParameterError(name, "must be a whole number of days >= 0, got None")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        none = " or None" + (f" (the default, {default})" if default is not None else "") if allow_none else ""
        raise ParameterError(name, f"must be a whole number of days >= 0{none}, got {shown(value)}")
    return int(value)


def whole(name: str, value, *, minimum: int) -> int:
    """A whole number >= minimum (an int, numpy's too; not a bool, not 2.0)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ParameterError(name, f"must be a whole number >= {minimum}, got {shown(value)}")
    return int(value)


def directory(name: str, value):
    """None, or an existing directory given as a str or path (a missing data_dir would otherwise
    look like a directory without conflicts or references)."""
    from pathlib import Path

    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise ParameterError(name, f"must be a directory path (str or pathlib.Path) or None, got {shown(value)}")
    path = Path(value)
    if not path.is_dir():
        raise ParameterError(name, f"is not a directory: {shown(str(path))}")
    return path


def pair_of_names(name: str, value) -> tuple[str, str]:
    """Two different strings (column prefixes)."""
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, str) for v in value)
        or value[0] == value[1]
    ):
        raise ParameterError(name, f"must be two different strings, got {shown(value)}")
    return value[0], value[1]


def ratio_range(name: str, value) -> tuple[float, float]:
    """Two positive finite numbers [low, high] with low <= high (a wounded:killed range)."""
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
    ):
        raise ParameterError(name, f"must be two numbers [low, high], got {shown(value)}")
    low, high = float(value[0]), float(value[1])
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low <= high):
        raise ParameterError(name, f"must be two finite numbers with 0 < low <= high, got {shown(value)}")
    return low, high


def share(name: str, value) -> float:
    """A share in (0, 1] (the cap of the 'about' rule: 0.1 = ±10%)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or not 0 < value <= 1:
        raise ParameterError(name, f"must be a number with 0 < share <= 1 (0.1 = ±10%), got {shown(value)}")
    return float(value)


def frame(name: str, value, columns: Iterable[str] = ()):
    """A polars DataFrame with `columns` (claims from analysis.dataset, or a frame derived from them)."""
    import polars as pl  # only callers that hold frames get here; polars is loaded already

    if not isinstance(value, pl.DataFrame):
        raise ParameterError(name, f"must be a polars DataFrame, got {_kind(value)}")
    missing = [c for c in columns if c not in value.columns]
    if missing:
        raise ParameterError(
            name,
            f"lacks the column(s) {', '.join(missing)}; pass claims from "
            "analysis.dataset.load_claims or a frame selected from them",
        )
    return value


def optional_frame(name: str, value, columns: Iterable[str] = ()):
    return None if value is None else frame(name, value, columns)
