"""Controlled vocabularies: every allowed value of a coded column, with its definition.

This is the one place to extend a vocabulary. The data dictionary (data/raw/README.md) documents
the same terms, and a test fails when the two drift apart.
"""

from __future__ import annotations

import re
from typing import NamedTuple

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


# A claim read from a daily series has as its source "series:<series_id>" (not a statement id).
SERIES_SOURCE_PREFIX = "series:"


# ------------------------------------------------------------------------- the open data package
# The columns of the data package published with the reports (analysis/report/datapackage.py,
# reports/data/<conflict-id>/): per file, in file order, each column's Table Schema type, whether
# every row has a value, its meaning, and its unit or vocabulary. Written from data/raw/README.md's
# tables (the raw columns keep its words; a test checks that the two agree on what is required) and
# from analysis.dataset for the columns added on load. The package module turns this into each
# file's Table Schema: the one place a published column is described.


class PackageColumn(NamedTuple):
    type: str  # Table Schema type: string, integer, number, boolean, date
    description: str
    required: bool = False
    unit: str | None = None
    enum: str | None = None  # a vocabulary: a key of VOCABULARIES, "role", or the conflict's "side",
    #                          "claimant_side" (its sides, third_party, independent) or "source"
    id: bool = False  # an id: lower-case letters, digits and _ . : - (analysis.validate.ID_PATTERN)
    url: bool = False  # an http(s) URL (analysis.validate.URL_PATTERN)
    minimum: int | None = None


def _value_unit() -> str:
    ratios = "; ".join(
        f"{metric}: {'percent' if metric in PERCENT_METRICS else words}" for metric, words in RATIO_METRICS.items()
    )
    return f"people; for the ratio metrics, their own unit ({ratios})"


VALUE_UNIT = _value_unit()
BOUNDS_RULE = (
    "derived by the project from qualifier, value and the stated range (data/raw/README.md, 'Bounds: "
    "how a qualifier becomes an interval': 'about 16,100' is 16,050 to 16,150), then possibly narrowed "
    "by the same claimant's earlier and later cumulative figures in the same metric (a count cannot "
    "fall). Not the source's words: see stated_low and stated_high"
)

PACKAGE_COLUMNS: dict[str, dict[str, PackageColumn]] = {
    "claims": {
        "claim_id": PackageColumn(
            "string",
            "Unique within the conflict. A curated claim's id from claims.csv; a series record's is "
            "<series_id>.<date>, stable so others can cite it.",
            required=True,
            id=True,
        ),
        "statement_id": PackageColumn(
            "string",
            "The statement the number comes from. A curated claim's statement is a row of "
            "statements.csv; a series record's is the series' report of that day (<series_id>.<date>, equal to "
            "its claim_id), which statements.csv does not list: its source is the series (columns source, url, "
            "outlet, title, statement_date, and the package's sources).",
            required=True,
            id=True,
        ),
        "claimant_id": PackageColumn(
            "string", "Who made the statement: an institution, a row of claimants.csv.", required=True, id=True
        ),
        "claimant_name": PackageColumn("string", "The claimant's full name (claimants.csv name).", required=True),
        "claimant_side": PackageColumn(
            "string",
            "The claimant's own side: a side of the conflict, third_party (another government or "
            "alliance) or independent (monitors, journalists, researchers).",
            required=True,
            enum="claimant_side",
        ),
        "role": PackageColumn(
            "string",
            "The claimant's role towards this claim, derived from claimant_side and subject_side, never "
            "typed: official (a self-report), opposing (the adversary's claim), third_party or independent.",
            required=True,
            enum="role",
        ),
        "subject_side": PackageColumn("string", "Whose losses the number counts.", required=True, enum="side"),
        "population": PackageColumn(
            "string",
            "Military, civilian, or all for a count that does not separate them.",
            required=True,
            enum="population",
        ),
        "metric": PackageColumn(
            "string",
            "What is counted, in the source's own meaning; an undefined term ('personnel', 'losses') is "
            "personnel_losses, never a precise one.",
            required=True,
            enum="metric",
        ),
        "qualifier": PackageColumn(
            "string",
            "How the source hedged the number. Qualifiers are data: they become the bounds value_low and value_high.",
            required=True,
            enum="qualifier",
        ),
        "value": PackageColumn(
            "integer",
            "The stated number, as the source says it, never rounded. For a range (closed or "
            "open-ended): the central value, only if the source gave one; else empty.",
            unit=VALUE_UNIT,
            minimum=0,
        ),
        "stated_low": PackageColumn(
            "integer",
            "Low end of a range as the source stated it: a closed range ('X to Y', qualifier range) or "
            "a range with an open end ('at least 7,000-8,000': qualifier at_least, stated_low 7000, stated_high "
            "8000). Empty for other claims. A figure quoted as stated is written from qualifier, value and these.",
            unit=VALUE_UNIT,
            minimum=0,
        ),
        "stated_high": PackageColumn(
            "integer",
            "High end of a range as the source stated it (see stated_low); stated_low <= value <= stated_high.",
            unit=VALUE_UNIT,
            minimum=0,
        ),
        "value_low": PackageColumn(
            "number",
            "The low end of the claim's interval, " + BOUNDS_RULE + ". Empty: open (no floor).",
            unit=VALUE_UNIT,
            minimum=0,
        ),
        "value_high": PackageColumn(
            "number",
            "The high end of the claim's interval, " + BOUNDS_RULE + ". Empty: open (no ceiling).",
            unit=VALUE_UNIT,
            minimum=0,
        ),
        "is_low_exclusive": PackageColumn(
            "boolean",
            "true when value_low is exclusive ('more than X'): the count is above it, not at it.",
            required=True,
        ),
        "period_type": PackageColumn(
            "string",
            "Cumulative since the start, a stated period, one incident, or a snapshot (a count at one "
            "moment). Period, incident and snapshot claims never enter cumulative series.",
            required=True,
            enum="period_type",
        ),
        "period_start_date": PackageColumn(
            "date",
            "Start of the period, or the incident's date; empty for cumulative and snapshot claims; not "
            "after as_of_date.",
        ),
        "as_of_date": PackageColumn(
            "date",
            "The date the number counts up to. Not after statement_date (it may be earlier: a count published later).",
            required=True,
        ),
        "statement_date": PackageColumn(
            "date", "When the statement was made or published (a series record: the day of its report).", required=True
        ),
        "method": PackageColumn("string", "How the number was arrived at.", required=True, enum="method"),
        "confidence": PackageColumn(
            "string",
            "How well the figure and its attribution are attested - not whether it is true.",
            required=True,
            enum="confidence",
        ),
        "derived_from": PackageColumn(
            "string",
            "The claim this number was computed from or copies (a claim_id of this file). A derived "
            "claim never counts as independent corroboration.",
            id=True,
        ),
        "is_dependent": PackageColumn("boolean", "true when the claim has derived_from.", required=True),
        "source_term": PackageColumn(
            "string",
            "The source's own words for what it counts, as they appear in quote, in the quote's "
            "language ('personnel', 'manpower losses', 'martyrs'). metric stays the project's; a party's term is "
            "only ever that party's words.",
        ),
        "quote": PackageColumn(
            "string",
            "The words in the source that carry this number, character for character in the source's "
            "language. Every curated claim has one; series records have none.",
        ),
        "url": PackageColumn("string", "The source document (http or https).", required=True, url=True),
        "outlet": PackageColumn("string", "Publisher of the document.", required=True),
        "title": PackageColumn("string", "Title of the document, if it has one."),
        "source": PackageColumn(
            "string",
            "Where the row comes from in the project's data/raw/<conflict-id>/: claims.csv (a curated "
            "claim) or series:<series_id> (a record of a bulk daily series, under the series' own licence). A "
            "series record that repeats a curated claim word for word is left out; one that disagrees is kept.",
            required=True,
            enum="source",
        ),
    },
    "statements": {
        "statement_id": PackageColumn("string", "Unique within the conflict.", required=True, id=True),
        "claimant_id": PackageColumn(
            "string", "Who made the statement: a row of claimants.csv.", required=True, id=True
        ),
        "claimant_name": PackageColumn("string", "The claimant's full name (claimants.csv name).", required=True),
        "speaker": PackageColumn("string", "Who spoke, as the source attributes it (verbatim)."),
        "statement_date": PackageColumn(
            "date", "When the statement was made or published. Not before the conflict's start.", required=True
        ),
        "url": PackageColumn("string", "The source document (http or https).", required=True, url=True),
        "outlet": PackageColumn("string", "Publisher of the document.", required=True),
        "title": PackageColumn("string", "Title of the document, if it has one."),
        "language": PackageColumn("string", "Language of the document, an ISO 639 code (empty: not recorded)."),
        "speaks_for": PackageColumn(
            "string",
            "A joint briefing: the other claimants the statement speaks for besides its own claimant_id, "
            "claimant ids separated by ';'. Its claims are recorded once, under claimant_id.",
        ),
        "notes": PackageColumn("string", "Anything a reader of the source should know."),
    },
    "claimants": {
        "claimant_id": PackageColumn("string", "Unique within the conflict.", required=True, id=True),
        "name": PackageColumn("string", "Full name: an institution, not a person.", required=True),
        "short_name": PackageColumn("string", "Label in charts (the name when none is set).", required=True),
        "side": PackageColumn(
            "string",
            "The claimant's own side: a side of the conflict, third_party or independent. A claim's role "
            "is derived from it.",
            required=True,
            enum="claimant_side",
        ),
        "kind": PackageColumn("string", "What sort of body the claimant is.", required=True, enum="kind"),
        "independence_group": PackageColumn(
            "string",
            "Claimants sharing a group share information: they never corroborate each other.",
            required=True,
            id=True,
        ),
        "notes": PackageColumn("string", "The claimant's scope and caveats."),
    },
    "truces": {
        "truce_id": PackageColumn("string", "Unique within the conflict.", required=True, id=True),
        "name": PackageColumn("string", "The pause's name, as reports show it.", required=True),
        "start_date": PackageColumn("date", "The first day of the pause.", required=True),
        "end_date": PackageColumn(
            "date", "The last day of the pause (fighting resumed the day after); empty while it holds."
        ),
        "url": PackageColumn("string", "A source for the dates (http or https).", required=True, url=True),
        "quote": PackageColumn("string", "The source's words for the dates.", required=True),
        "notes": PackageColumn("string", "What the pause covered; what continued during it."),
    },
}
