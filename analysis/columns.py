"""The column dictionary: every column of the raw files, of the loaded claims and of the published
data package, with its type, unit, meaning and what it must satisfy, in one place.

In the manner of PUDL's field metadata (pudl/metadata/fields.py): FIELDS says once what a column
name means wherever it appears (Table Schema type, description, unit, the label charts and tables
show); each table lists its columns in file order and adds what that table asks of them (required,
an id, a URL, a vocabulary or set of values, unique), and where a table means something more
specific it says so in its own description. The constraints sit with the tables, not the fields,
because they differ by file: a statement_id is an id in statements.csv and a reference in claims.csv.

Read by validation (analysis.validate: each raw table's type, id, URL, pattern, vocabulary,
uniqueness and required rules), loading (analysis.dataset: typed columns, the loaded claims'
columns), the data package (analysis.report.datapackage: each file's Table Schema) and the charts'
and tables' titles. data/raw/README.md documents the raw tables; a test checks that the two list the
same columns with the same types and required flags.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from analysis.vocabulary import PERCENT_METRICS, RATIO_METRICS

TYPES = ("string", "integer", "number", "boolean", "date")  # Table Schema types

# The sets a column's values may come from (Field.enum): a vocabulary (a key of
# vocabulary.VOCABULARIES), "role", or one of a conflict's own sets.
CONFLICT_SETS = {
    "side": "the conflict's sides (conflict.yml sides[].side_id)",
    "claimant_side": "the conflict's sides, third_party and independent",
    "claimant": "the claimants of conflict.yml (claimants[].claimant_id)",
    "statement": "the statement_id values of statements.csv",
    "series_qualifier": "the qualifiers but range (a series states single figures)",
    "source": "claims.csv or series:<series_id> of each series in conflict.yml",
}


@dataclass(frozen=True)
class Field:
    """One column: what it is, and (as a table lists it) what that table asks of it."""

    type: str  # Table Schema type: one of TYPES
    description: str
    unit: str | None = None
    label: str | None = None  # its title where a chart or table shows the column by name
    required: bool = False  # every row has a value (and a raw file's header has the column)
    enum: str | None = None  # the values it may take: a vocabulary or a conflict's set (CONFLICT_SETS)
    id: bool = False  # an id: lower-case letters, digits and _ . : - (vocabulary.ID_PATTERN)
    url: bool = False  # an http(s) URL (vocabulary.URL_PATTERN)
    pattern: str | None = None  # any other form the text must have, as a regular expression ...
    pattern_rule: str | None = None  # ... and the words a value that breaks it is refused with
    unique: bool = False  # no two rows share a value
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
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Z]{2})?$"

# ------------------------------------------------------------------------------------ the fields
# What each column name means wherever it appears. A table whose column means something narrower
# gives its own description (the tables below).

FIELDS: dict[str, Field] = {
    # --- claims
    "conflict_id": Field("string", "The conflict the claim belongs to: its folder name under data/raw."),
    "claim_id": Field(
        "string",
        "Unique within the conflict. A curated claim's id from claims.csv; a series record's is "
        "<series_id>.<date>, stable so others can cite it.",
    ),
    "statement_id": Field(
        "string", "A statement: one source document or briefing of one claimant (a row of statements.csv)."
    ),
    "claimant_id": Field(
        "string", "A claimant: the institution that made a statement (conflict.yml claimants, claimants.csv)."
    ),
    "claimant_name": Field("string", "The claimant's full name (claimants.csv name)."),
    "claimant_short_name": Field(
        "string", "The claimant's label in charts (claimants.csv short_name).", label="Claimant"
    ),
    "claimant_side": Field(
        "string",
        "The claimant's own side: a side of the conflict, third_party (another government or "
        "alliance) or independent (monitors, journalists, researchers).",
        label="Claimant's side",
    ),
    "role": Field(
        "string",
        "The claimant's role towards this claim, derived from claimant_side and subject_side, never "
        "typed: official (a self-report), opposing (the adversary's claim), third_party or independent.",
        label="Role",
    ),
    "subject_side": Field("string", "Whose losses the number counts."),
    "population": Field("string", "Military, civilian, or all for a count that does not separate them."),
    "metric": Field(
        "string",
        "What is counted, in the source's own meaning; an undefined term ('personnel', 'losses') is "
        "personnel_losses, never a precise one.",
    ),
    "qualifier": Field(
        "string",
        "How the source hedged the number. Qualifiers are data: they become the bounds value_low and value_high.",
    ),
    "value": Field(
        "integer",
        "The stated number, as the source says it, never rounded. For a range (closed or "
        "open-ended): the central value, only if the source gave one; else empty.",
        unit=VALUE_UNIT,
    ),
    "stated_low": Field(
        "integer",
        "Low end of a range as the source stated it: a closed range ('X to Y', qualifier range) or "
        "a range with an open end ('at least 7,000-8,000': qualifier at_least, stated_low 7000, stated_high "
        "8000). Empty for other claims. A figure quoted as stated is written from qualifier, value and these.",
        unit=VALUE_UNIT,
    ),
    "stated_high": Field(
        "integer",
        "High end of a range as the source stated it (see stated_low); stated_low <= value <= stated_high.",
        unit=VALUE_UNIT,
    ),
    "value_low": Field(
        "number", "The low end of the claim's interval, " + BOUNDS_RULE + ". Empty: open (no floor).", unit=VALUE_UNIT
    ),
    "value_high": Field(
        "number",
        "The high end of the claim's interval, " + BOUNDS_RULE + ". Empty: open (no ceiling).",
        unit=VALUE_UNIT,
    ),
    "is_low_exclusive": Field(
        "boolean", "true when value_low is exclusive ('more than X'): the count is above it, not at it."
    ),
    "value_central": Field(
        "number",
        "The figure a chart draws and sorts by: the stated value, else the middle of a stated range, else "
        "the interval's one closed end.",
        unit=VALUE_UNIT,
    ),
    "is_tightened": Field(
        "boolean", "true when the interval was narrowed by the same claimant's neighbouring cumulative figures."
    ),
    "period_type": Field(
        "string",
        "Cumulative since the start, a stated period, one incident, or a snapshot (a count at one "
        "moment). Period, incident and snapshot claims never enter cumulative series.",
    ),
    "period_start_date": Field(
        "date",
        "Start of the period, or the incident's date; empty for cumulative and snapshot claims; not after as_of_date.",
    ),
    "as_of_date": Field(
        "date",
        "The date the number counts up to. Not after statement_date (it may be earlier: a count published later).",
        label="As of",
    ),
    "statement_date": Field("date", "When the statement was made or published.", label="Stated on"),
    "method": Field("string", "How the number was arrived at."),
    "confidence": Field("string", "How well the figure and its attribution are attested - not whether it is true."),
    "derived_from": Field(
        "string",
        "The claim this number was computed from or copies (a claim_id of this file). A derived "
        "claim never counts as independent corroboration.",
    ),
    "derived_from_group": Field("string", "The independence_group of the claimant of the claim in derived_from."),
    "is_dependent": Field("boolean", "true when the claim has derived_from."),
    "source_term": Field(
        "string",
        "The source's own words for what it counts, as they appear in quote, in the quote's "
        "language ('personnel', 'manpower losses', 'martyrs'). metric stays the project's; a party's term is "
        "only ever that party's words.",
    ),
    "quote": Field(
        "string",
        "The words in the source that carry this number, character for character in the source's "
        "language. Every curated claim has one; series records have none.",
        label="Quote",
    ),
    "url": Field("string", "The source document (http or https).", label="Source"),
    "outlet": Field("string", "Publisher of the document.", label="Outlet"),
    "title": Field("string", "Title of the document, if it has one."),
    "source": Field(
        "string",
        "Where the row comes from in the project's data/raw/<conflict-id>/: claims.csv (a curated "
        "claim) or series:<series_id> (a record of a bulk daily series, under the series' own licence). A "
        "series record that repeats a curated claim word for word is left out; one that disagrees is kept.",
    ),
    "source_line": Field("integer", "The line of the claim in its file (claims.csv or the series' CSV)."),
    # --- statements
    "speaker": Field("string", "Who spoke, as the source attributes it (verbatim).", label="Speaker"),
    "language": Field("string", "Language of the document, an ISO 639 code (empty: not recorded)."),
    "speaks_for": Field(
        "string",
        "A joint briefing: the other claimants the statement speaks for besides its own claimant_id, "
        "claimant ids separated by ';'. Its claims are recorded once, under claimant_id.",
    ),
    "speaks_for_names": Field("string", "A joint statement's other claimants (speaks_for) by their short names."),
    "notes": Field("string", "Anything a reader of the source should know."),
    # --- claimants
    "name": Field("string", "Full name: an institution, not a person."),
    "short_name": Field("string", "Label in charts (the name when none is set)."),
    "side": Field(
        "string",
        "The claimant's own side: a side of the conflict, third_party or independent. A claim's role "
        "is derived from it.",
    ),
    "kind": Field("string", "What sort of body the claimant is."),
    "independence_group": Field(
        "string", "Claimants sharing a group share information: they never corroborate each other."
    ),
    # --- truces
    "truce_id": Field("string", "A pause in the fighting (conflict.yml truces)."),
    "start_date": Field("date", "The first day of the pause."),
    "end_date": Field("date", "The last day of the pause (fighting resumed the day after); empty while it holds."),
    # --- series records
    "date": Field("date", "The report's date; also its as_of_date."),
    # --- published wounded:killed ratios (data/raw/wounded_to_killed_references.csv)
    "reference_id": Field("string", "A published wounded:killed ratio (a row of wounded_to_killed_references.csv)."),
    "description": Field("string", "The force and war (or battle) the figure is for, as shown in reports."),
    "ratio_low": Field("number", "Wounded per killed, low end, as the source states it.", unit="wounded per killed"),
    "ratio_high": Field(
        "number",
        "High end; equal to ratio_low for a single figure; ratio_low <= ratio_high.",
        unit="wounded per killed",
    ),
    "source_url": Field("string", "The page the figure and quote were checked on."),
    "source_outlet": Field("string", "Publisher of the page."),
    "source_title": Field("string", "Title of the page or article."),
}


def label(name: str) -> str:
    """The title a chart or table shows for the column `name` (KeyError: it has none)."""
    shown = FIELDS[name].label
    if shown is None:
        raise KeyError(f"the column dictionary gives {name} no label")
    return shown


def _table(**columns: dict) -> dict[str, Field]:
    """A table's columns in file order: each name's field with what this table asks of it."""
    return {name: replace(FIELDS[name], **asks) for name, asks in columns.items()}


def _like(name: str, **asks) -> dict:
    """Another name's meaning under this table's column name (a raw column renamed on load)."""
    field = FIELDS[name]
    return {"type": field.type, "description": field.description, "unit": field.unit, **asks}


REQUIRED = {"required": True}
REQUIRED_ID = {"required": True, "id": True}
KEY = {"required": True, "id": True, "unique": True, "description": "Unique within the conflict."}  # a table's own id
COUNT = {"minimum": 0}
STATEMENT_DATE = {
    "required": True,
    "description": "When the statement was made or published. Not before the conflict's start.",
}

# ------------------------------------------------------------------------------- the raw files
# data/raw/<conflict-id>/: the tables data/raw/README.md documents, as validation checks them (a
# rule that spans rows or files is validate's own). claims.csv's value_low and value_high are the
# range as stated: on load they become stated_low and stated_high, and value_low and value_high the
# claim's interval.

RAW_TABLES: dict[str, dict[str, Field]] = {
    "statements.csv": _table(
        statement_id=KEY,
        claimant_id={"required": True, "enum": "claimant", "description": "Who made the statement."},
        speaker={},
        statement_date=STATEMENT_DATE,
        url={"required": True, "url": True},
        outlet=REQUIRED,
        title={},
        language={"pattern": LANGUAGE_PATTERN, "pattern_rule": "must be an ISO 639 language code such as en, uk, ru"},
        speaks_for={},  # claimant ids separated by ';': validate's own rules
        notes={},
    ),
    "claims.csv": _table(
        claim_id={**KEY, "description": "Unique within the conflict, and not a series claim id."},
        statement_id={"required": True, "enum": "statement", "description": "The statement the number comes from."},
        subject_side={"required": True, "enum": "side"},
        population={"required": True, "enum": "population"},
        metric={"required": True, "enum": "metric"},
        qualifier={"required": True, "enum": "qualifier"},
        value=COUNT,  # required unless a range: validate's own rule
        value_low=_like("stated_low", **COUNT),
        value_high=_like("stated_high", **COUNT),
        period_type={"required": True, "enum": "period_type"},
        period_start_date={},
        as_of_date=REQUIRED,
        method={"required": True, "enum": "method"},
        confidence={"required": True, "enum": "confidence"},
        derived_from={},  # a claim id of claims.csv or of a series: validate's own rule
        source_term={},
        quote={"required": True, "description": "The words in the source that carry this number."},
        notes={"description": "Conflicts between sources, scope, date caveats."},
    ),
    "series": _table(  # series/<series_id>.csv, one record a day
        date={"required": True, "unique": True},
        value={"required": True, "minimum": 0, "description": "The figure as published."},
        qualifier={"required": True, "enum": "series_qualifier"},
    ),
    "claimants": _table(  # conflict.yml claimants[]
        claimant_id=KEY,
        name=REQUIRED,
        short_name={},
        side={"required": True, "enum": "claimant_side"},
        kind={"required": True, "enum": "kind"},
        independence_group=REQUIRED_ID,
        notes={"description": "The claimant's scope and caveats."},
    ),
    "wounded_to_killed_references.csv": _table(  # data/raw/, beside the conflicts: analysis.references
        reference_id={**KEY, "description": "Unique in the file."},
        population={"required": True, "enum": "population", "description": "Whose ratio it is."},
        description=REQUIRED,
        ratio_low=REQUIRED,
        ratio_high=REQUIRED,
        source_url={"required": True, "url": True},
        source_outlet=REQUIRED,
        source_title={},
        quote={"required": True, "description": "The source's passage carrying the number, character for character."},
        notes={"description": "Scope (one battle, one service, an assumption rather than a count), what was left out."},
    ),
    "truces": _table(  # conflict.yml truces[]
        truce_id=KEY,
        name={"required": True, "description": "The pause's name, as reports show it."},
        start_date=REQUIRED,
        end_date={},
        url={"required": True, "url": True, "description": "A source for the dates (http or https)."},
        quote={"required": True, "description": "The source's words for the dates."},
        notes={"description": "What the pause covered; what continued during it."},
    ),
}

# ----------------------------------------------------------------------------- the loaded claims
# analysis.dataset.Conflict.claims: every curated claim and series record, typed, with its
# claimant, role and bounds, in these columns and this order.

CLAIMS: dict[str, Field] = _table(
    conflict_id=REQUIRED,
    claim_id=REQUIRED_ID,
    statement_id={
        **REQUIRED_ID,
        "description": "The statement the number comes from. A curated claim's statement is a row of "
        "statements.csv; a series record's is the series' report of that day (<series_id>.<date>, equal to "
        "its claim_id), which statements.csv does not list: its source is the series (columns source, url, "
        "outlet, title, statement_date, and the package's sources).",
    },
    claimant_id={**REQUIRED_ID, "description": "Who made the statement: an institution, a row of claimants.csv."},
    claimant_name=REQUIRED,
    claimant_short_name=REQUIRED,
    claimant_side={"required": True, "enum": "claimant_side"},
    independence_group=REQUIRED_ID,
    role={"required": True, "enum": "role"},
    speaker={},
    subject_side={"required": True, "enum": "side"},
    population={"required": True, "enum": "population"},
    metric={"required": True, "enum": "metric"},
    qualifier={"required": True, "enum": "qualifier"},
    value=COUNT,
    stated_low=COUNT,
    stated_high=COUNT,
    value_low=COUNT,
    value_high=COUNT,
    is_low_exclusive=REQUIRED,
    value_central=COUNT,
    is_tightened=REQUIRED,
    period_type={"required": True, "enum": "period_type"},
    period_start_date={},
    as_of_date=REQUIRED,
    statement_date={
        "required": True,
        "description": "When the statement was made or published (a series record: the day of its report).",
    },
    method={"required": True, "enum": "method"},
    confidence={"required": True, "enum": "confidence"},
    derived_from={"id": True},
    derived_from_group={"id": True},
    is_dependent=REQUIRED,
    source_term={},
    quote={},
    speaks_for_names={},
    url={"required": True, "url": True},
    outlet=REQUIRED,
    title={},
    notes={"description": "Conflicts between sources, scope, date caveats."},
    source={"required": True, "enum": "source"},
    source_line=REQUIRED,
)

# --------------------------------------------------------------------------- the data package
# The files published with the reports (analysis.report.datapackage, reports/data/<conflict-id>/),
# each column as its Table Schema describes it: the package's claims.csv is the loaded claims in
# these columns (a contract: other tools read it), claimants.csv conflict.yml's claimants (a short
# name filled in from the name where none is set).

PACKAGE_COLUMNS: dict[str, dict[str, Field]] = {
    "claims": {
        name: CLAIMS[name]
        for name in (
            "claim_id",
            "statement_id",
            "claimant_id",
            "claimant_name",
            "claimant_side",
            "role",
            "subject_side",
            "population",
            "metric",
            "qualifier",
            "value",
            "stated_low",
            "stated_high",
            "value_low",
            "value_high",
            "is_low_exclusive",
            "period_type",
            "period_start_date",
            "as_of_date",
            "statement_date",
            "method",
            "confidence",
            "derived_from",
            "is_dependent",
            "source_term",
            "quote",
            "url",
            "outlet",
            "title",
            "source",
        )
    },
    "statements": _table(
        statement_id=KEY,
        claimant_id={**REQUIRED_ID, "description": "Who made the statement: a row of claimants.csv."},
        claimant_name=REQUIRED,
        speaker={},
        statement_date=STATEMENT_DATE,
        url={"required": True, "url": True},
        outlet=REQUIRED,
        title={},
        language={},
        speaks_for={},
        notes={},
    ),
    "claimants": {
        **RAW_TABLES["claimants"],
        "short_name": replace(RAW_TABLES["claimants"]["short_name"], required=True),
    },
    "truces": RAW_TABLES["truces"],
}
