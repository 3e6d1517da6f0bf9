"""Notebook and catalog parameters, checked against the data before anything is computed.

papermill injects parameters without checking their types, and an unknown claimant would
otherwise surface as an empty chart or a deep traceback. Here every parameter is checked for
type and vocabulary, and a mistake fails with one short message listing the valid values.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

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
    period_type: str = "cumulative"  # what is compared (vocabulary.COMPARED_COUNTS)
    incident_date: dt.date | None = None  # the incident whose tallies are compared (period_type incident)

    def as_dict(self) -> dict:
        return {"conflict": self.conflict.conflict_id, "subject_side": self.subject_side,
                "population": self.population, "metric": self.metric, "official": list(self.official),
                "opposing": list(self.opposing), "independent": list(self.independent),
                "start": self.start and self.start.isoformat(), "end": self.end and self.end.isoformat(),
                "wounded_to_killed": list(self.wounded_to_killed), "title": self.title,
                "pair_within_days": self.pair_within_days, "about_max_share": self.about_max_share,
                "period_type": self.period_type,
                "incident_date": self.incident_date and self.incident_date.isoformat()}

    @property
    def count_key(self) -> str:
        return vocab.count_key(self.period_type, self.incident_date and self.incident_date.isoformat())


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
                             pair_within_days=None, about_max_share=None, period_type="cumulative",
                             incident_date=None, data_dir: Path | None = None) -> CompareParameters:
    """Validate the compare_claims notebook's parameters; claimant lists default from the data:
    subject_side None is the conflict's first side."""
    loaded = check_conflict(conflict, data_dir, about_max_share)
    sides = loaded.sides["side_id"].to_list()
    subject_side = sides[0] if subject_side is None else subject_side
    _one_of("subject_side", subject_side, sides)
    _one_of("population", population, list(vocab.POPULATION))
    _one_of("metric", metric, list(vocab.METRIC))
    _one_of("period_type", period_type, list(vocab.COMPARED_COUNTS))
    incident = _date("incident_date", incident_date)
    if (period_type == "incident") != (incident is not None):
        raise ParameterError(f"incident_date {incident_date!r}: required with period_type 'incident' (the date "
                             f"of the incident whose tallies are compared) and None otherwise")
    key = vocab.count_key(period_type, incident and incident.isoformat())
    held = comparable(loaded)
    where = f"{key}{subject_side}/{population}"
    if where not in held:
        raise ParameterError(f"no {COUNT_WORDS[period_type]} about {subject_side}'s {population} losses; the data "
                             f"hold: {', '.join(sorted(held)) or '(none)'}")
    if metric not in held[where]:
        raise ParameterError(f"metric {metric!r}: no claim about {subject_side}'s {population} losses is stated in it "
                             f"or convertible to it; valid: {', '.join(held[where])}")
    within = _days("pair_within_days", pair_within_days, loaded.pair_within_days)
    start_date, end_date = _date("start", start), _date("end", end)
    if start_date and end_date and start_date > end_date:
        raise ParameterError(f"start {start_date} is after end {end_date}")
    ratio = _ratio_range(wounded_to_killed)

    valid_by_role = role_claimants(loaded)
    roles = {role: _claimants(role, value, valid_by_role.get(f"{where}/{role}", []), loaded, period_type)
             for role, value in (("official", official), ("opposing", opposing), ("independent", independent))}
    phrase = loaded.subject_phrase(subject_side, population)
    default_title = f"{phrase[:1].upper()}{phrase[1:]} — {vocab.METRIC_LABEL[metric]}" + (
        f", the incident of {incident.isoformat()}" if incident else ", counts at one moment"
        if period_type == "snapshot" else "")
    if title is not None and not isinstance(title, str):
        raise ParameterError(f"title must be text or None, got {type(title).__name__}")
    return CompareParameters(loaded, subject_side, population, metric, roles["official"], roles["opposing"],
                             roles["independent"], start_date, end_date, ratio, title or default_title,
                             within, loaded.about_max_share, period_type, incident)


COUNT_WORDS = {"cumulative": "cumulative claims", "snapshot": "counts at one moment",
               "incident": "tallies of that incident"}


def _counted(conflict: Conflict) -> pl.DataFrame:
    """The claims a compare report can show, each with its count key (vocabulary.count_key):
    totals, counts at one moment and incident tallies; never period totals, ratios or shares."""
    claims = conflict.claims.filter(pl.col("period_type").is_in(list(vocab.COMPARED_COUNTS)),
                                    ~pl.col("metric").is_in(list(vocab.RATIO_METRICS)))
    key = (pl.when(pl.col("period_type") == "incident")
           .then(pl.concat_str(pl.lit("incident "), pl.col("period_start_date").dt.to_string("%Y-%m-%d"), pl.lit(":")))
           .when(pl.col("period_type") == "snapshot").then(pl.lit("snapshot:"))
           .otherwise(pl.lit("")))
    return claims.with_columns(_key=key)


def role_claimants(conflict: Conflict) -> dict[str, list[str]]:
    """Who a compare report may name in each role: {"[count key]subject_side/population/role":
    claimant ids with a claim of that kind in that role}, role = official, opposing or independent
    (third parties and independents). The report build caches this (report.catalog.ConflictFacts)
    to check a catalog without loading data; both use this one function, so they cannot disagree."""
    found: dict[str, set[str]] = {}
    for prefix, side, population, role, claimant in _counted(conflict).select(
            "_key", "subject_side", "population", "role", "claimant_id").unique().iter_rows():
        kind = "independent" if role in ("third_party", "independent") else role
        found.setdefault(f"{prefix}{side}/{population}/{kind}", set()).add(claimant)
    return {key: sorted(ids) for key, ids in sorted(found.items())}


def comparable(conflict: Conflict) -> dict[str, list[str]]:
    """{"[count key]subject_side/population": metrics compare_claims can show}
    (harmonise.comparable_metrics); the report build caches it to check a catalog the same way."""
    stated: dict[str, set[str]] = {}
    for prefix, side, population, metric in _counted(conflict).select(
            "_key", "subject_side", "population", "metric").unique().iter_rows():
        stated.setdefault(f"{prefix}{side}/{population}", set()).add(metric)
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


def papermill_list(name: str, value, numbers: bool = False):
    """papermill's `-p NAME VALUE` hands a list over as its text: '[3, 3]' (JSON) and 'a,b' (a
    comma list; numbers: '2.5,13') become lists, strictly; other values are returned as given, for
    the parameter's own check. The report catalog (YAML) decodes strings the same way."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if text.startswith("["):
            return json.loads(text, parse_constant=_no_constant)
        items = [item.strip() for item in text.split(",")]
        if not all(items):
            raise ValueError("empty item")
        return [json.loads(item, parse_constant=_no_constant) for item in items] if numbers else items
    except ValueError:  # json.JSONDecodeError is one
        raise ParameterError(f"{name} {value!r} is neither a JSON list nor a comma-separated list; "
                             f"or pass the list as YAML: -y '{name}: [...]'") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number here")


def _ratio_range(given) -> tuple[float, float]:
    value = papermill_list("wounded_to_killed", given, numbers=True)
    if value is None:
        return DEFAULT_WOUNDED_TO_KILLED
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            and 0 < value[0] <= value[1]):
        return float(value[0]), float(value[1])
    raise ParameterError(f"wounded_to_killed {given!r} must be two numbers [low, high] with 0 < low <= high")


def _claimants(role: str, value, valid: list[str], conflict: Conflict,
               period_type: str = "cumulative") -> tuple[str, ...]:
    if value is None:
        return tuple(valid)
    value = papermill_list(role, value)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ParameterError(f"{role} must be a list of claimant ids (or None), got {value!r}")
    known = set(conflict.claimants["claimant_id"])
    for claimant in value:
        if claimant not in valid:
            why = "is not a claimant of this conflict" if claimant not in known else \
                f"has no {COUNT_WORDS[period_type]} in the {role} role for this side and population"
            raise ParameterError(f"{role} claimant {claimant!r} {why}; valid: {', '.join(valid) or '(none)'}")
    return tuple(value)
