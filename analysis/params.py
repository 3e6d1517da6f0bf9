"""Notebook and catalog parameters, checked against the data before anything is computed.

papermill injects parameters without checking their types, and an unknown claimant would
otherwise surface as an empty chart or a deep traceback. Here every parameter is checked for
type and vocabulary, and a mistake fails with one short message listing the valid values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from analysis import vocabulary as vocab
from analysis.bounds import check_about_max_share
from analysis.dataset import Conflict, list_conflicts, load_conflict
from analysis.harmonise import DEFAULT_WOUNDED_TO_KILLED, comparable_metrics


class ParameterError(ValueError):
    """A bad parameter: shown in Jupyter as one line, without a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython hook: what the notebook shows
        return [f"ParameterError: {self}"]


@dataclass(frozen=True)
class CompareParameters:
    conflict: Conflict
    subject_side: str
    population: str
    metric: str
    official: tuple[str, ...]
    opposing: tuple[str, ...]
    independent: tuple[str, ...]
    start: dt.date | None
    end: dt.date | None
    wounded_to_killed: tuple[float, float]
    title: str
    pair_within_days: int  # two claimants' figures further apart in as-of date are not compared
    about_max_share: float  # the cap of the 'about' rule the claims were bounded with

    def as_dict(self) -> dict:
        return {"conflict": self.conflict.conflict_id, "subject_side": self.subject_side,
                "population": self.population, "metric": self.metric, "official": list(self.official),
                "opposing": list(self.opposing), "independent": list(self.independent),
                "start": self.start and self.start.isoformat(), "end": self.end and self.end.isoformat(),
                "wounded_to_killed": list(self.wounded_to_killed), "title": self.title,
                "pair_within_days": self.pair_within_days, "about_max_share": self.about_max_share}


@dataclass(frozen=True)
class OverviewParameters:
    conflict: Conflict
    title: str


def check_conflict(conflict, data_dir: Path | None = None, about_max_share=None) -> Conflict:
    known = list_conflicts(data_dir)
    if not isinstance(conflict, str) or conflict not in known:
        raise ParameterError(f"conflict {conflict!r} is unknown; valid: {', '.join(known) or '(none)'}")
    if about_max_share is not None:
        try:
            about_max_share = check_about_max_share(about_max_share)
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
    return load_conflict(conflict, data_dir, about_max_share=about_max_share)


def check_compare_parameters(*, conflict, subject_side, population, metric, official=None, opposing=None,
                             independent=None, start=None, end=None, wounded_to_killed=None, title=None,
                             pair_within_days=None, about_max_share=None,
                             data_dir: Path | None = None) -> CompareParameters:
    """Validate the compare_claims notebook's parameters; claimant lists default from the data."""
    loaded = check_conflict(conflict, data_dir, about_max_share)
    sides = loaded.sides["side_id"].to_list()
    _one_of("subject_side", subject_side, sides)
    _one_of("population", population, list(vocab.POPULATION))
    _one_of("metric", metric, list(vocab.METRIC))
    held = comparable(loaded)
    where = f"{subject_side}/{population}"
    if where not in held:
        raise ParameterError(f"no cumulative claims about {subject_side}'s {population} losses; the data hold: "
                             f"{', '.join(sorted(held)) or '(none)'}")
    if metric not in held[where]:
        raise ParameterError(f"metric {metric!r}: no claim about {subject_side}'s {population} losses is stated in it "
                             f"or convertible to it; valid: {', '.join(held[where])}")
    within = _days("pair_within_days", pair_within_days, loaded.pair_within_days)
    start_date, end_date = _date("start", start), _date("end", end)
    if start_date and end_date and start_date > end_date:
        raise ParameterError(f"start {start_date} is after end {end_date}")
    ratio = _ratio_range(wounded_to_killed)

    valid_by_role = role_claimants(loaded)
    roles = {role: _claimants(role, value, valid_by_role.get(f"{subject_side}/{population}/{role}", []), loaded)
             for role, value in (("official", official), ("opposing", opposing), ("independent", independent))}
    label = loaded.side_label(subject_side)
    default_title = f"{label}: {population} losses — {vocab.METRIC_LABEL[metric]}"
    if title is not None and not isinstance(title, str):
        raise ParameterError(f"title must be text or None, got {type(title).__name__}")
    return CompareParameters(loaded, subject_side, population, metric, roles["official"], roles["opposing"],
                             roles["independent"], start_date, end_date, ratio, title or default_title,
                             within, loaded.about_max_share)


def role_claimants(conflict: Conflict) -> dict[str, list[str]]:
    """Who a compare report may name in each role: {"subject_side/population/role": claimant ids
    with a cumulative claim in that role}, role = official, opposing or independent (third
    parties and independents). The report build caches this (report.catalog.ConflictFacts) to
    check a catalog without loading data; both use this one function, so they cannot disagree."""
    cumulative = conflict.claims.filter(period_type="cumulative")
    found: dict[str, set[str]] = {}
    for side, population, role, claimant in cumulative.select(
            "subject_side", "population", "role", "claimant_id").unique().iter_rows():
        kind = "independent" if role in ("third_party", "independent") else role
        found.setdefault(f"{side}/{population}/{kind}", set()).add(claimant)
    return {key: sorted(ids) for key, ids in sorted(found.items())}


def comparable(conflict: Conflict) -> dict[str, list[str]]:
    """{"subject_side/population": metrics compare_claims can show} from the cumulative claims
    (harmonise.comparable_metrics); the report build caches it to check a catalog the same way."""
    cumulative = conflict.claims.filter(period_type="cumulative")
    stated: dict[str, set[str]] = {}
    for side, population, metric in cumulative.select("subject_side", "population", "metric").unique().iter_rows():
        stated.setdefault(f"{side}/{population}", set()).add(metric)
    return {key: comparable_metrics(metrics) for key, metrics in sorted(stated.items())}


def check_overview_parameters(*, conflict, title=None, data_dir: Path | None = None) -> OverviewParameters:
    loaded = check_conflict(conflict, data_dir)
    if title is not None and not isinstance(title, str):
        raise ParameterError(f"title must be text or None, got {type(title).__name__}")
    return OverviewParameters(loaded, title or f"{loaded.name}: the claims at a glance")


def _one_of(name: str, value, allowed: list[str]) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(f"{name} {value!r} is unknown; valid: {', '.join(allowed)}")


def _date(name: str, value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        if isinstance(value, str) and len(value) == 10:
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise ParameterError(f"{name} {value!r} is not a date written YYYY-MM-DD (or None)")


def _days(name: str, value, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ParameterError(f"{name} {value!r} must be a whole number of days >= 0 (or None: {default}, "
                             f"this conflict's default)")
    return value


def _ratio_range(value) -> tuple[float, float]:
    if value is None:
        return DEFAULT_WOUNDED_TO_KILLED
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            and 0 < value[0] <= value[1]):
        return float(value[0]), float(value[1])
    raise ParameterError(f"wounded_to_killed {value!r} must be two numbers [low, high] with 0 < low <= high")


def _claimants(role: str, value, valid: list[str], conflict: Conflict) -> tuple[str, ...]:
    if value is None:
        return tuple(valid)
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ParameterError(f"{role} must be a list of claimant ids (or None), got {value!r}")
    known = set(conflict.claimants["claimant_id"])
    for claimant in value:
        if claimant not in valid:
            why = "is not a claimant of this conflict" if claimant not in known else \
                f"has no cumulative claims in the {role} role for this side and population"
            raise ParameterError(f"{role} claimant {claimant!r} {why}; valid: {', '.join(valid) or '(none)'}")
    return tuple(value)
