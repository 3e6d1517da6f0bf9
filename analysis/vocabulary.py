"""Controlled vocabularies: every allowed value of a coded column, with its definition.

This is the one place to extend a vocabulary. The data dictionary (data/raw/README.md) documents
the same terms, and a test fails when the two drift apart.
"""

from __future__ import annotations

import re

POPULATION = {
    "military": "Armed forces personnel of the subject side, including formations fighting for it.",
    "civilian": "Non-combatants of the subject side's territory or nationality.",
    "all": "Everyone of the subject side, combatants and civilians together: a count that does not separate "
    "them (e.g. a health ministry's toll of all the dead, missing persons of both kinds).",
}

METRIC = {
    "killed": "Dead: killed in action or in attacks, or died of wounds.",
    "wounded": "Wounded or injured (for civilians: injured); Russian usage calls these 'sanitary' losses.",
    "killed_and_wounded": "Killed plus wounded, stated or clearly meant as such ('casualties').",
    "missing": "Missing: in action, for the military; missing persons, for civilians or everyone.",
    "captured": "Taken prisoner.",
    "irrecoverable": "Russian 'irrecoverable losses': killed + missing + captured + discharged "
    "(or, in UK usage, 'permanent casualties': killed + permanently wounded).",
    "personnel_losses": "A source's own undefined total ('personnel', 'losses'): at least killed and "
    "wounded, possibly captured and missing. Ambiguous by design; never a death toll.",
    "killed_or_missing": "Dead and missing counted together, as the source counts them: at least the "
    "killed, never read as a death toll.",
    "killed_or_captured": "Killed and taken prisoner counted together, as the source counts them: at least "
    "the killed, never read as a death toll.",
    "released": "Captives (hostages, prisoners) released, in one exchange (period_type incident) or to date.",
    "remains_held": "Bodies of dead captives held by the other side at one moment (period_type snapshot).",
    "civilians_per_combatant": "A claimed ratio among the dead: civilians killed per combatant killed "
    "(2 = two civilians for every combatant). A ratio, not a count: compared with the ratio the counts imply.",
    "civilian_share_pct": "A claimed share of the dead who were civilians, in percent (0-100). A share, not "
    "a count: compared with the share the counts imply.",
}

QUALIFIER = {
    "exact": "Stated as an exact count.",
    "about": "'about', 'almost', 'nearly', 'approximately', 'some': a rounded figure.",
    "at_least": "'at least', 'no fewer than', a named or verified count: a floor (inclusive). With "
    "value_low and value_high, a range with an open top ('at least 7,000-8,000'): the floor is value_low.",
    "more_than": "'more than', 'over', 'exceeded': a floor (exclusive). With value_low and value_high, "
    "a range with an open top ('more than 7,000-8,000'): the floor is value_low.",
    "up_to": "'up to', 'as many as': a ceiling. With value_low and value_high, a range with an open bottom "
    "('up to 7,000-8,000'): the ceiling is value_high.",
    "range": "'X to Y': both ends stated (value_low, value_high), optionally with a central value.",
}

PERIOD_TYPE = {
    "cumulative": "Total since the start of the conflict up to as_of_date.",
    "period": "Total over a stated period (period_start_date to as_of_date) only, e.g. one year.",
    "incident": "One incident (e.g. a single strike); period_start_date is the incident date.",
    "snapshot": "A count at one moment, as_of_date (wounded currently in hospital, hostages held, people "
    "currently missing): it can fall as people leave it, so it is never differenced into rates, never "
    "tightened or summed as a cumulative count.",
}

METHOD = {
    "reported": "A figure a claimant states, without a published method.",
    "named_list": "A count of named, individually confirmed people: a lower bound.",
    "verified_count": "A monitoring mission's verified count: a lower bound by construction.",
    "estimate": "A statistical estimate from a published method (e.g. probate registries).",
    "model": "A modelled estimate built on assumptions (e.g. coverage of a named list).",
}

CONFIDENCE = {
    "high": "The figure and its attribution are in the cited source and corroborated.",
    "medium": "In the cited source, but single-sourced, wording disputed, or date approximate.",
    "low": "Weakly sourced (aggregator or mirror only, or later corrected): use with care.",
}

CLAIMANT_KIND = {
    "government": "A government, head of state or government office.",
    "military": "An armed force or its command (general staff, ministry of defence).",
    "intelligence": "An intelligence service or officials speaking from intelligence.",
    "international_organisation": "An alliance or international body (NATO, EU).",
    "monitoring_mission": "An impartial monitoring mission (e.g. UN OHCHR HRMMU).",
    "media_investigation": "Journalists or researchers counting from open sources.",
    "academic": "Researchers publishing a study with its method (a peer-reviewed paper, a survey).",
    "health_authority": "A ministry of health or health service counting the dead and injured it registers.",
    "armed_group": "A non-state armed group or its armed wing.",
    "political_organisation": "A political movement speaking for itself, outside any government office.",
}

# Claimant sides that are not a belligerent of the conflict.
NON_BELLIGERENT_SIDES = {
    "third_party": "Another government or alliance, not a party to the conflict.",
    "independent": "Not a government: monitors, journalists, researchers.",
}

# A claimant's role towards one claim is derived, never typed (DESIGN.md §2).
ROLE = {
    "official": "The claimant belongs to the subject side: a self-report.",
    "opposing": "The claimant is the subject side's adversary.",
    "third_party": "Another government or alliance.",
    "independent": "Monitors, journalists, researchers.",
}

# The roles a compare report names its claimants in (its parameters of the same names): third
# parties are shown with the independents.
REPORT_ROLES = ("official", "opposing", "independent")


def claimant_role(claimant_side: str, subject_side: str) -> str:
    """The role (ROLE) of a claimant of `claimant_side` in a claim about `subject_side`'s losses.
    The one derivation: the loaded claims (analysis.dataset), the report's claimants by role
    (analysis.params) and the parameter gate (analysis.parameters) all call it, so they cannot drift."""
    if claimant_side == subject_side:
        return "official"
    if claimant_side in NON_BELLIGERENT_SIDES:
        return claimant_side
    return "opposing"


def report_role(role: str) -> str:
    """The REPORT_ROLES role of a claim's role: a third party is shown with the independents."""
    return "independent" if role == "third_party" else role


def roles_shown_as(shown: str) -> tuple[str, ...]:
    """The claim roles (ROLE) a report role (REPORT_ROLES) shows: 'independent' shows third parties too."""
    return tuple(role for role in ROLE if report_role(role) == shown)


# What a compare report compares: totals since the start, counts at one moment, or the tallies of
# one incident's dead as they were known on each date (a report parameter, `period_type`).
COMPARED_COUNTS = {
    "cumulative": "Totals since the start of the conflict (the default).",
    "snapshot": "Counts at one moment (hostages held): never differenced into rates.",
    "incident": "One incident's toll as tallied on each date (needs incident_date): never a rate.",
}


def count_key(period_type: str | None, incident_date: str | None = None) -> str:
    """The prefix of a 'side/population[/role]' key for one kind of count: '' for totals,
    'snapshot:' for counts at one moment, 'incident 2023-10-07:' for one incident's tallies."""
    if period_type in (None, "cumulative"):
        return ""
    if period_type == "incident":
        return f"incident {incident_date}:"
    return f"{period_type}:"


# Qualifiers that may carry a stated range with one open end ("at least 7,000-8,000").
OPEN_RANGE_QUALIFIERS = ("at_least", "more_than", "up_to")

# Claims that are ratios or shares among the dead, not counts: never summed, differenced, tightened
# or drawn on a count axis; compared with the value that counts of the same dates imply.
RATIO_METRICS = {
    "civilians_per_combatant": "civilians per combatant",
    "civilian_share_pct": "civilian share of the dead",
}
PERCENT_METRICS = ("civilian_share_pct",)  # stated in percent: '83%'

# Metrics that sum to another: used by harmonisation and by the like-for-like guard.
METRIC_PARTS = {"killed_and_wounded": ("killed", "wounded")}

VOCABULARIES = {
    "population": POPULATION,
    "metric": METRIC,
    "qualifier": QUALIFIER,
    "period_type": PERIOD_TYPE,
    "method": METHOD,
    "confidence": CONFIDENCE,
    "kind": CLAIMANT_KIND,
}

# Words for metrics in titles and sentences ("1,351 killed", "about 16,100 personnel losses").
METRIC_LABEL = {
    "killed": "killed",
    "wounded": "wounded",
    "killed_and_wounded": "killed and wounded",
    "missing": "missing",
    "captured": "captured",
    "irrecoverable": "irrecoverable losses",
    "personnel_losses": "personnel losses",
    "killed_or_missing": "killed or missing",
    "killed_or_captured": "killed or captured",
    "released": "released",
    "remains_held": "bodies held",
    "civilians_per_combatant": "civilians per combatant",
    "civilian_share_pct": "civilian share of the dead",
}

# Words for qualifiers before a number ("about 16,100", "more than 14,000").
QUALIFIER_WORDS = {
    "exact": "",
    "about": "about",
    "at_least": "at least",
    "more_than": "more than",
    "up_to": "up to",
    "range": "",
    "mixed": "",
}

# A published chart's or table's name (publish): a file name (charts/<name>.svg), and in the HTML an
# element id and a CSS selector, so only these characters.
ARTIFACT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

# One rule for a source link, wherever a URL is read (validate, references) or shown (narrative,
# charts): http(s), a host name, no spaces, and nothing that could end an HTML attribute or open
# markup (quotes, <, >, backtick), so a link from the data can never become script.
URL_PATTERN = r"""^https?://[A-Za-z0-9.-]+(:[0-9]+)?([/?#][^\s"'<>`]*)?$"""
URL = re.compile(URL_PATTERN)
URL_RULE = "must be an http:// or https:// URL without spaces, quotes or angle brackets"


def is_url(value: object) -> bool:
    return isinstance(value, str) and URL.match(value) is not None


# One rule for an id (of a claim, statement, claimant, series, truce, reference): lower-case letters,
# digits and _ . : -, starting with a letter or digit.
ID_PATTERN = r"^[a-z0-9][a-z0-9_.:-]*$"
ID_RULE = "must be an id: lower-case letters, digits, _ . : -"


# A claim read from a daily series has as its source "series:<series_id>" (not a statement id).
SERIES_SOURCE_PREFIX = "series:"
