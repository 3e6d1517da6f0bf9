"""Notebook and catalog parameters, checked against the data before anything is computed.

papermill injects parameters without checking their types, and an unknown claimant would
otherwise surface as an empty chart or a deep traceback. Here every parameter is checked for
type and vocabulary, and a mistake fails with one short message listing the valid values. The
rules are analysis.arguments', the same the library's functions and the report catalog apply.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis import arguments
from analysis import vocabulary as vocab
from analysis.bounds import check_about_max_share
from analysis.dataset import Conflict, list_conflicts, load_conflict
from analysis.errors import ParameterError
from analysis.harmonise import DEFAULT_WOUNDED_TO_KILLED, comparable_metrics


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
        return {
            "conflict": self.conflict.conflict_id,
            "subject_side": self.subject_side,
            "population": self.population,
            "metric": self.metric,
            "official": list(self.official),
            "opposing": list(self.opposing),
            "independent": list(self.independent),
            "start": self.start and self.start.isoformat(),
            "end": self.end and self.end.isoformat(),
            "wounded_to_killed": list(self.wounded_to_killed),
            "title": self.title,
            "pair_within_days": self.pair_within_days,
            "about_max_share": self.about_max_share,
            "period_type": self.period_type,
            "incident_date": self.incident_date and self.incident_date.isoformat(),
        }

    @property
    def count_key(self) -> str:
        return vocab.count_key(self.period_type, self.incident_date and self.incident_date.isoformat())


@dataclass(frozen=True)
class OverviewParameters:
    conflict: Conflict
    title: str


def check_conflict(conflict, data_dir: Path | None = None, about_max_share=None) -> Conflict:
    arguments.one_of("conflict", conflict, list_conflicts(data_dir), what="conflict", source="the data directory")
    if about_max_share is not None:
        about_max_share = check_about_max_share(about_max_share)
    return load_conflict(conflict, data_dir, about_max_share=about_max_share)


def check_compare_parameters(
    *,
    conflict,
    subject_side,
    population,
    metric,
    official=None,
    opposing=None,
    independent=None,
    start=None,
    end=None,
    wounded_to_killed=None,
    title=None,
    pair_within_days=None,
    about_max_share=None,
    period_type="cumulative",
    incident_date=None,
    data_dir: Path | None = None,
) -> CompareParameters:
    """Validate the compare_claims notebook's parameters; claimant lists default from the data:
    subject_side None is the conflict's first side."""
    loaded = check_conflict(conflict, data_dir, about_max_share)
    sides = loaded.sides["side_id"].to_list()
    subject_side = sides[0] if subject_side is None else subject_side
    arguments.one_of("subject_side", subject_side, sides, what="side", source=loaded.conflict_id)
    arguments.one_of("population", population, vocab.POPULATION, what="population", source="the vocabulary")
    arguments.one_of("metric", metric, vocab.METRIC, what="metric", source="the vocabulary")
    arguments.one_of("period_type", period_type, vocab.COMPARED_COUNTS, what="period type", source="the vocabulary")
    incident = arguments.date("incident_date", incident_date)
    if (period_type == "incident") != (incident is not None):
        raise ParameterError(
            "incident_date",
            f"required with period_type 'incident' (the date of the incident "
            f"whose tallies are compared) and None otherwise, got "
            f"{arguments.shown(incident_date)}",
        )
    key = vocab.count_key(period_type, incident and incident.isoformat())
    held = comparable(loaded)
    where = f"{key}{subject_side}/{population}"
    if where not in held:
        raise ParameterError(
            "population",
            f"no {COUNT_WORDS[period_type]} about {subject_side}'s {population} "
            f"losses; the data hold: {', '.join(sorted(held)) or '(none)'}",
        )
    if metric not in held[where]:
        raise ParameterError(
            "metric",
            f"{metric!r}: no claim about {subject_side}'s {population} losses is stated "
            f"in it or convertible to it; valid: {', '.join(held[where])}",
        )
    within = arguments.days("pair_within_days", pair_within_days, allow_none=True, default=loaded.pair_within_days)
    start_date, end_date = arguments.window(start, end)
    ratio = DEFAULT_WOUNDED_TO_KILLED if wounded_to_killed is None else _ratio_range(wounded_to_killed)

    valid_by_role = role_claimants(loaded)
    roles = {
        role: _claimants(role, value, valid_by_role.get(f"{where}/{role}", []), loaded, period_type)
        for role, value in (("official", official), ("opposing", opposing), ("independent", independent))
    }
    phrase = loaded.subject_phrase(subject_side, population)
    default_title = f"{phrase[:1].upper()}{phrase[1:]} — {vocab.METRIC_LABEL[metric]}" + (
        f", the incident of {incident.isoformat()}"
        if incident
        else ", counts at one moment"
        if period_type == "snapshot"
        else ""
    )
    _title(title)
    return CompareParameters(
        loaded,
        subject_side,
        population,
        metric,
        roles["official"],
        roles["opposing"],
        roles["independent"],
        start_date,
        end_date,
        ratio,
        title or default_title,
        within,
        loaded.about_max_share,
        period_type,
        incident,
    )


COUNT_WORDS = {
    "cumulative": "cumulative claims",
    "snapshot": "counts at one moment",
    "incident": "tallies of that incident",
}


def _counted(conflict: Conflict) -> pl.DataFrame:
    """The claims a compare report can show, each with its count key (vocabulary.count_key):
    totals, counts at one moment and incident tallies; never period totals, ratios or shares."""
    claims = conflict.claims.filter(
        pl.col("period_type").is_in(list(vocab.COMPARED_COUNTS)), ~pl.col("metric").is_in(list(vocab.RATIO_METRICS))
    )
    key = (
        pl.when(pl.col("period_type") == "incident")
        .then(pl.concat_str(pl.lit("incident "), pl.col("period_start_date").dt.to_string("%Y-%m-%d"), pl.lit(":")))
        .when(pl.col("period_type") == "snapshot")
        .then(pl.lit("snapshot:"))
        .otherwise(pl.lit(""))
    )
    return claims.with_columns(_key=key)


def role_claimants(conflict: Conflict) -> dict[str, list[str]]:
    """Who a compare report may name in each role: {"[count key]subject_side/population/role":
    claimant ids with a claim of that kind in that role}, role = official, opposing or independent
    (third parties and independents). The report build caches this (report.catalog.ConflictFacts)
    to check a catalog without loading data; both use this one function, so they cannot disagree."""
    found: dict[str, set[str]] = {}
    for prefix, side, population, role, claimant in (
        _counted(conflict).select("_key", "subject_side", "population", "role", "claimant_id").unique().iter_rows()
    ):
        kind = "independent" if role in ("third_party", "independent") else role
        found.setdefault(f"{prefix}{side}/{population}/{kind}", set()).add(claimant)
    return {key: sorted(ids) for key, ids in sorted(found.items())}


def comparable(conflict: Conflict) -> dict[str, list[str]]:
    """{"[count key]subject_side/population": metrics compare_claims can show}
    (harmonise.comparable_metrics); the report build caches it to check a catalog the same way."""
    stated: dict[str, set[str]] = {}
    for prefix, side, population, metric in (
        _counted(conflict).select("_key", "subject_side", "population", "metric").unique().iter_rows()
    ):
        stated.setdefault(f"{prefix}{side}/{population}", set()).add(metric)
    return {key: comparable_metrics(metrics) for key, metrics in sorted(stated.items())}


def check_overview_parameters(*, conflict, title=None, data_dir: Path | None = None) -> OverviewParameters:
    loaded = check_conflict(conflict, data_dir)
    _title(title)
    return OverviewParameters(loaded, title or f"{loaded.name}: the claims at a glance")


def _title(title) -> None:
    """Text or None (None and "" give the default title)."""
    if title is not None and not isinstance(title, str):
        raise ParameterError("title", f"must be text or None, got {arguments.shown(title)}")


def _ratio_range(given) -> tuple[float, float]:
    """wounded_to_killed, from papermill's -p text too; a refusal quotes the value as given."""
    decoded = papermill_list("wounded_to_killed", given, numbers=True)
    try:
        return arguments.ratio_range("wounded_to_killed", decoded)
    except ParameterError as exc:
        if decoded is given:
            raise
        raise ParameterError("wounded_to_killed", f"{exc.reason.rsplit(', got ', 1)[0]}, got {given!r}") from None


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
        raise ParameterError(
            name,
            f"{value!r} is neither a JSON list nor a comma-separated list; "
            f"or pass the list as YAML: -y '{name}: [...]'",
        ) from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number here")


def _claimants(
    role: str, value, valid: list[str], conflict: Conflict, period_type: str = "cumulative"
) -> tuple[str, ...]:
    """The claimants of one role: None is every one the data hold in it. Comma-separated text is
    read as a list here only (papermill -p official 'a, b' on the command line), never in the
    library; an empty list is allowed (a report without that role)."""
    if value is None:
        return tuple(valid)
    value = papermill_list(role, value)
    value = arguments.some_of(role, value, None, what="claimant", source=conflict.conflict_id, allow_empty=True)
    known = conflict.claimants["claimant_id"].to_list()
    for claimant in value:
        if claimant not in valid:
            why = (
                f"is not a claimant of {conflict.conflict_id}"
                if claimant not in known
                else f"has no {COUNT_WORDS[period_type]} in the {role} role for this side and population"
            )
            raise ParameterError(role, f"claimant {arguments.shown(claimant)} {why}; valid: {arguments.listing(valid)}")
    return tuple(value)
