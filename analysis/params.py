"""The notebooks' parameter gate: compare_claims' and conflict_overview's parameters, checked
against the loaded data before anything is computed.

papermill injects parameters without checking their types, and an unknown claimant would
otherwise surface as an empty chart or a deep traceback. The rules are analysis.parameters' one
table, which the report catalog checks its entries with too; here the conflict is loaded, its facts
derived (conflict_facts, what the build caches for the catalog), the first refusal raised in one
short line listing the valid values, and each None resolved from the data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis import vocabulary as vocab
from analysis.dataset import Conflict, list_conflicts, load_conflict
from analysis.errors import ParameterError  # noqa: F401 (re-exported: what a notebook's reader catches)
from analysis.harmonise import DEFAULT_WOUNDED_TO_KILLED, comparable_metrics
from analysis.parameters import ConflictFacts, check_parameters


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


def _gate(values: dict, data_dir: Path | None) -> tuple[dict, ConflictFacts, Conflict]:
    """The values through the one rule table, the first refusal raised; the conflict is loaded
    once, with its 'about' cap, when a rule first needs its facts."""
    loaded: dict[str, Conflict] = {}

    def facts_for(conflict_id: str) -> ConflictFacts:
        # asked for only once the conflict and about_max_share passed
        loaded[conflict_id] = load_conflict(conflict_id, data_dir, about_max_share=values.get("about_max_share"))
        return conflict_facts(loaded[conflict_id])

    checked = check_parameters(values, list_conflicts(data_dir), facts_for)
    if checked.refused:
        raise checked.refused[0]
    return checked.values, checked.facts, loaded[checked.values["conflict"]]


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
    """Validate the compare_claims notebook's parameters; what None stands for comes from the data:
    subject_side the conflict's first side, a claimant list every claimant in that role."""
    given = dict(
        conflict=conflict,
        subject_side=subject_side,
        population=population,
        metric=metric,
        official=official,
        opposing=opposing,
        independent=independent,
        start=start,
        end=end,
        wounded_to_killed=wounded_to_killed,
        title=title,
        pair_within_days=pair_within_days,
        about_max_share=about_max_share,
        period_type=period_type,
        incident_date=incident_date,
    )
    values, facts, loaded = _gate(given, data_dir)
    side = values["subject_side"] or facts.sides[0]
    incident = values["incident_date"]
    where = f"{vocab.count_key(period_type, incident and incident.isoformat())}{side}/{population}"
    roles = {
        role: facts.role_claimants.get(f"{where}/{role}", []) if values[role] is None else values[role]
        for role in vocab.REPORT_ROLES
    }
    phrase = loaded.subject_phrase(side, population)
    default_title = f"{phrase[:1].upper()}{phrase[1:]} — {vocab.METRIC_LABEL[metric]}" + (
        f", the incident of {incident.isoformat()}"
        if incident
        else ", counts at one moment"
        if period_type == "snapshot"
        else ""
    )
    within = values["pair_within_days"]
    return CompareParameters(
        loaded,
        side,
        population,
        metric,
        tuple(roles["official"]),
        tuple(roles["opposing"]),
        tuple(roles["independent"]),
        values["start"],
        values["end"],
        DEFAULT_WOUNDED_TO_KILLED if values["wounded_to_killed"] is None else values["wounded_to_killed"],
        values["title"] or default_title,
        loaded.pair_within_days if within is None else within,
        loaded.about_max_share,
        period_type,
        incident,
    )


def conflict_facts(conflict: Conflict) -> ConflictFacts:
    """What the parameter rules need to know about a loaded conflict (the build caches it, to
    check a catalog without loading data)."""
    return ConflictFacts(
        conflict.conflict_id,
        tuple(conflict.sides["side_id"].to_list()),
        dict(zip(conflict.claimants["claimant_id"].to_list(), conflict.claimants["side"].to_list(), strict=True)),
        role_claimants(conflict),
        comparable(conflict),
        conflict.data_as_of.isoformat(),
        conflict.name,
    )


def _counted(conflict: Conflict, *columns: str) -> list[tuple]:
    """The distinct (count key, *columns) of the claims a compare report can show: totals, counts
    at one moment and incident tallies, never period totals, ratios or shares. The key is
    vocabulary.count_key's, applied to the few distinct (period type, incident date) pairs."""
    claims = conflict.claims.filter(
        pl.col("period_type").is_in(list(vocab.COMPARED_COUNTS)), ~pl.col("metric").is_in(list(vocab.RATIO_METRICS))
    )
    incident = pl.when(pl.col("period_type") == "incident").then(pl.col("period_start_date").dt.to_string("%Y-%m-%d"))
    rows = claims.select("period_type", incident.alias("_incident"), *columns).unique().iter_rows()
    return [(vocab.count_key(period_type, date), *rest) for period_type, date, *rest in rows]


def role_claimants(conflict: Conflict) -> dict[str, list[str]]:
    """Who a compare report may name in each role: {"[count key]subject_side/population/role":
    claimant ids with a claim of that kind in that role}, role = official, opposing or independent
    (third parties and independents). The report build caches this (parameters.ConflictFacts)
    to check a catalog without loading data; both use this one function, so they cannot disagree."""
    found: dict[str, set[str]] = {}
    for prefix, side, population, role, claimant in _counted(
        conflict, "subject_side", "population", "role", "claimant_id"
    ):
        found.setdefault(f"{prefix}{side}/{population}/{vocab.report_role(role)}", set()).add(claimant)
    return {key: sorted(ids) for key, ids in sorted(found.items())}


def comparable(conflict: Conflict) -> dict[str, list[str]]:
    """{"[count key]subject_side/population": metrics compare_claims can show}
    (harmonise.comparable_metrics); the report build caches it to check a catalog the same way."""
    stated: dict[str, set[str]] = {}
    for prefix, side, population, metric in _counted(conflict, "subject_side", "population", "metric"):
        stated.setdefault(f"{prefix}{side}/{population}", set()).add(metric)
    return {key: comparable_metrics(metrics) for key, metrics in sorted(stated.items())}


def check_overview_parameters(*, conflict, title=None, data_dir: Path | None = None) -> OverviewParameters:
    values, _, loaded = _gate(dict(conflict=conflict, title=title), data_dir)
    return OverviewParameters(loaded, values["title"] or f"{loaded.name}: the claims at a glance")
