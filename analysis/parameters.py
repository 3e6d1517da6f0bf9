"""The one parameter gate: a rule per report parameter, in one table that the notebooks
(analysis.params, on the loaded conflict) and the report catalog (analysis.report.catalog, on
cached facts, before anything runs) both apply, so a catalog entry and papermill's `-p` accept and
refuse the same values.

A rule takes the value as given and what is known when it runs (the parameters that passed before
it, in the table's order, and the conflict's facts) and returns the value in its one accepted form
or raises errors.ParameterError in one line. None stays None: what it stands for (every claimant of
a role, the conflict's first side) is the notebook's to resolve from the data. The values are
checked by analysis.arguments, the rules of the library's functions. No polars here: a catalog is
checked from cached facts, without loading data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from analysis import arguments
from analysis import vocabulary as vocab
from analysis.errors import ParameterError

COUNT_WORDS = {
    "cumulative": "cumulative claims",
    "snapshot": "counts at one moment",
    "incident": "tallies of that incident",
}


@dataclass(frozen=True)
class ConflictFacts:
    """What the rules need to know about a validated conflict: analysis.params.conflict_facts
    derives them from the loaded data, and the report build caches them as JSON."""

    conflict_id: str
    sides: tuple[str, ...]
    claimant_sides: dict[str, str]  # claimant_id -> side (a side id, third_party or independent)
    # "[count key]subject_side/population/role" -> claimants a compare report may name in that role
    role_claimants: dict[str, list[str]] = field(default_factory=dict)
    # "[count key]subject_side/population" -> metrics a compare report can show
    comparable: dict[str, list[str]] = field(default_factory=dict)
    data_as_of: str = ""  # the latest as-of date of its data (ISO), shown on the index
    name: str = ""  # the conflict's name for readers (conflict.yml), the index's group heading

    def to_json(self) -> dict:
        return {
            "conflict_id": self.conflict_id,
            "sides": list(self.sides),
            "claimant_sides": self.claimant_sides,
            "role_claimants": self.role_claimants,
            "comparable": self.comparable,
            "data_as_of": self.data_as_of,
            "name": self.name,
        }

    @classmethod
    def from_json(cls, data: dict) -> ConflictFacts:
        return cls(
            data["conflict_id"],
            tuple(data["sides"]),
            dict(data["claimant_sides"]),
            {k: list(v) for k, v in (data.get("role_claimants") or {}).items()},
            {k: list(v) for k, v in (data.get("comparable") or {}).items()},
            data.get("data_as_of", ""),
            data.get("name", ""),
        )


@dataclass
class Known:
    """What a rule knows when it runs: the values given, the conflicts of the data directory, the
    parameters that passed before it and (asked for once, when first needed) the named conflict's facts."""

    values: dict[str, Any]
    conflicts: list[str]
    facts_for: Callable[[str], ConflictFacts]
    checked: dict[str, Any] = field(default_factory=dict)
    _facts: ConflictFacts | None = None

    def passed(self, *names: str) -> bool:
        """Each name checked, or no parameter here (a notebook that does not declare it)."""
        return all(name in self.checked or name not in self.values for name in names)

    @property
    def facts(self) -> ConflictFacts | None:
        """The named conflict's facts; None unless the conflict and the 'about' cap it is loaded
        with have passed (so a notebook loads it once, with a valid cap)."""
        conflict = self.checked.get("conflict")
        if conflict is None or not self.passed("about_max_share"):
            return None
        if self._facts is None:
            self._facts = self.facts_for(conflict)
        return self._facts

    @property
    def subject_side(self) -> str | None:
        """The side whose losses are compared: as given, or (None) the conflict's first side."""
        facts = self.facts
        if facts is None or not self.passed("subject_side"):
            return None
        return self.checked.get("subject_side") or (facts.sides[0] if facts.sides else None)

    @property
    def count_key(self) -> str | None:
        """The prefix of the kind of count compared (vocabulary.count_key), once it has passed."""
        if not self.passed("period_type", "incident_date"):
            return None
        incident = self.checked.get("incident_date")
        return vocab.count_key(self.checked.get("period_type"), incident and incident.isoformat())

    @property
    def count_words(self) -> str:
        return COUNT_WORDS[self.checked.get("period_type") or "cumulative"]

    def compared(self) -> tuple[ConflictFacts, str, str] | None:
        """(facts, count key, side) once all three are known: what the checks against the data need."""
        facts, key, side = self.facts, self.count_key, self.subject_side
        return None if facts is None or key is None or side is None else (facts, key, side)


@dataclass(frozen=True)
class Checked:
    values: dict[str, Any]  # the parameters that passed, in their accepted form
    refused: list[ParameterError]  # one per parameter refused, in the table's order
    facts: ConflictFacts | None  # the named conflict's facts, when it (and its cap) passed


def check_parameters(
    values: dict[str, Any], conflicts: Iterable[str], facts_for: Callable[[str], ConflictFacts]
) -> Checked:
    """Every parameter of `values` that the table has a rule for, in the table's order; the others
    are left to the caller (the catalog checks a fixture notebook's own parameters by their
    defaults' types)."""
    known = Known(values, list(conflicts), facts_for)
    refused = []
    for name, rule in RULES.items():
        if name in values:
            try:
                known.checked[name] = rule(name, values[name], known)
            except ParameterError as exc:
                refused.append(exc)
    return Checked(known.checked, refused, known.facts)


# ------------------------------------------------------------------------------------ the rules


def _conflict(name: str, value, known: Known) -> str:
    return arguments.one_of(name, value, known.conflicts, what="conflict", source="the data directory")


def _share_or_none(name: str, value, known: Known) -> float | None:
    return None if value is None else arguments.share(name, value)


def _subject_side(name: str, value, known: Known) -> str | None:
    """A side of the conflict, or None for its first side."""
    if value is None:
        return None
    facts = known.facts
    if facts is None:
        return arguments.text(name, value)
    return arguments.one_of(name, value, facts.sides, what="side", source=facts.conflict_id)


def _period_type(name: str, value, known: Known) -> str:
    return arguments.one_of(name, value, vocab.COMPARED_COUNTS, what="period type", source="the vocabulary")


def _incident_date(name: str, value, known: Known) -> dt.date | None:
    """The incident's date: required with period_type incident, None otherwise."""
    if not known.passed("period_type"):
        return arguments.date(name, value)
    return arguments.incident_date(name, value, known.checked["period_type"])


def _population(name: str, value, known: Known) -> str:
    """A population of the vocabulary that the data hold counts of, for the side and kind of count."""
    value = arguments.one_of(name, value, vocab.POPULATION, what="population", source="the vocabulary")
    compared = known.compared()
    if compared is not None:
        facts, key, side = compared
        if f"{key}{side}/{value}" not in facts.comparable:
            raise ParameterError(
                name,
                f"no {known.count_words} about {side}'s {value} losses; "
                f"the data hold: {', '.join(sorted(facts.comparable)) or '(none)'}",
            )
    return value


def _metric(name: str, value, known: Known) -> str:
    """A metric of the vocabulary that the data hold for the side and population, stated or
    convertible (analysis.harmonise.comparable_metrics)."""
    value = arguments.one_of(name, value, vocab.METRIC, what="metric", source="the vocabulary")
    compared, population = known.compared(), known.checked.get("population")
    if compared is not None and population is not None:
        facts, key, side = compared
        valid = facts.comparable.get(f"{key}{side}/{population}", [])
        if value not in valid:
            raise ParameterError(
                name,
                f"{value!r}: no claim about {side}'s {population} losses is stated in it or convertible "
                f"to it; valid: {', '.join(valid)}",
            )
    return value


def _date(name: str, value, known: Known) -> dt.date | None:
    return arguments.date(name, value)


def _end(name: str, value, known: Known) -> dt.date | None:
    """A date not before the start (a window that selects nothing is a mistake)."""
    if not known.passed("start"):
        return arguments.date(name, value)
    return arguments.window(known.checked.get("start"), value)[1]


def _ratio_range(name: str, value, known: Known) -> tuple[float, float] | None:
    """wounded_to_killed, from papermill's -p text too; a refusal quotes the value as given."""
    if value is None:
        return None
    decoded = papermill_list(name, value, numbers=True)
    try:
        return arguments.ratio_range(name, decoded)
    except ParameterError as exc:
        if decoded is value:
            raise
        raise ParameterError(name, f"{exc.reason.rsplit(', got ', 1)[0]}, got {value!r}") from None


def _days_or_none(name: str, value, known: Known) -> int | None:
    return arguments.days(name, value, allow_none=True)


def _claimants(name: str, value, known: Known) -> tuple[str, ...] | None:
    """The claimants of one report role (the parameter's name), each once; None is every one the
    data hold in it, an empty list none (a report without that role). Text is read as papermill's
    `-p` list ('a, b' or JSON)."""
    if value is None:
        return None
    facts = known.facts
    listed = arguments.some_of(
        name,
        papermill_list(name, value),
        None if facts is None else sorted(facts.claimant_sides),
        what="claimant",
        source=facts.conflict_id if facts else "",
        allow_empty=True,
        unique=True,
    )
    side = known.subject_side
    if facts is None or side is None:
        return tuple(listed)
    roles = {c: vocab.report_role(vocab.claimant_role(facts.claimant_sides[c], side)) for c in listed}
    wrong = [c for c in listed if roles[c] != name]
    if wrong:
        raise ParameterError(
            name,
            f"{', '.join(f'{c!r} ({roles[c]})' for c in wrong)} cannot be {name} about {side!r}: official = the "
            "subject side's own claimants, opposing = its adversary's, independent = third parties and independents",
        )
    compared, population = known.compared(), known.checked.get("population")
    if compared is not None and population is not None:
        _, key, _ = compared
        valid = facts.role_claimants.get(f"{key}{side}/{population}/{name}", [])
        silent = [c for c in listed if c not in valid]
        if silent:
            raise ParameterError(
                name,
                f"{', '.join(map(repr, silent))} has no {known.count_words} about {side}'s {population} "
                f"losses in the {name} role; valid: {arguments.listing(valid)}",
            )
    return tuple(listed)


def _title(name: str, value, known: Known) -> str | None:
    """Text or None (None and "" give the notebook's default title)."""
    if value is not None and not isinstance(value, str):
        raise ParameterError(name, f"must be text or None, got {arguments.shown(value)}")
    return value


# In this order: a rule sees the parameters before it. The conflict and its 'about' cap come first
# (a notebook loads the conflict with the cap when a rule first needs its facts), then what says
# which claims are compared (side, kind of count, population), then the rest.
RULES: dict[str, Callable[[str, Any, Known], Any]] = {
    "conflict": _conflict,
    "about_max_share": _share_or_none,
    "subject_side": _subject_side,
    "period_type": _period_type,
    "incident_date": _incident_date,
    "population": _population,
    "metric": _metric,
    "start": _date,
    "end": _end,
    "wounded_to_killed": _ratio_range,
    "pair_within_days": _days_or_none,
    **{role: _claimants for role in vocab.REPORT_ROLES},
    "title": _title,
}


# ------------------------------------------------------------------------------ papermill's text


def papermill_list(name: str, value, numbers: bool = False):
    """papermill's `-p NAME VALUE` hands a list over as its text: '[3, 3]' (JSON) and 'a,b' (a
    comma list; numbers: '2.5,13') become lists, strictly; other values are returned as given, for
    the parameter's own check. A catalog entry's string is read the same way."""
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
