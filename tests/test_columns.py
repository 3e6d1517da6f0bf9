"""columns: the column dictionary agrees with the data dictionary (data/raw/README.md), and
validation, loading and the data package read it (a column changed in it changes what they do)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from analysis import columns, vocabulary
from analysis.columns import CONFLICT_SETS, FIELDS, PACKAGE_COLUMNS, RAW_TABLES, TYPES, Field
from analysis.dataset import DTYPES, load_conflict
from analysis.errors import Problem
from analysis.report import datapackage
from analysis.validate import validate_data_dir
from analysis.validate.rules import ENUM_WORDS
from tests.fixture_data import CONFLICT_ID, REAL_DATA, VALID_CONFLICT_IDS, VALID_DATA

DICTIONARY = (REAL_DATA / "README.md").read_text(encoding="utf-8")

# What data/raw/README.md's type words ask of a column in the column dictionary.
TYPE_WORDS = {
    "id": {"type": "string", "id": True},
    "text": {"type": "string", "id": False, "url": False, "enum": None, "pattern": None},
    "date": {"type": "date"},
    "integer ≥ 0": {"type": "integer", "minimum": 0},
    "decimal > 0": {"type": "number"},
    "http(s) URL": {"type": "string", "url": True},
    "ISO 639 code": {"type": "string", "pattern": columns.LANGUAGE_PATTERN},
    "claimant id": {"type": "string", "enum": "claimant"},
    "statement id": {"type": "string", "enum": "statement"},
    "side id": {"type": "string", "enum": "side"},
    "side id, `third_party` or `independent`": {"type": "string", "enum": "claimant_side"},
    "claim id": {"type": "string", "enum": None},  # claims.csv or a series: validate's own rule
    "claimant ids separated by `;`": {"type": "string", "enum": None},  # validate's own rules
    "vocabulary `qualifier`, except `range`": {"type": "string", "enum": "series_qualifier"},
    "as in statements and claims": {},  # truces[].url, quote: checked with those columns
}


def documented(heading: str, prefix: str = "") -> dict[str, dict[str, str]]:
    """{column: {type, required, unit}} of a table of data/raw/README.md, in its order: the table
    under `## heading`, or (`prefix`, for conflict.yml's lists) its rows naming `prefix[].column`."""
    section = re.search(rf"^## {re.escape(heading)}\b.*?\n(.*?)(?=^## |\Z)", DICTIONARY, re.S | re.M)
    assert section, f"data/raw/README.md has no '## {heading}' section"
    lines = [line for line in section.group(1).splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    found = {}
    for line in lines[2:]:
        cells = dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        names = re.findall(r"`([a-z_\[\]\.]+)`", cells[header[0]])
        if prefix:
            if not names[0].startswith(f"{prefix}[]."):
                continue
            names = [name.removeprefix(f"{prefix}[].") for name in names]
        for name in names:
            found[name] = {"type": cells["type"], "required": cells["required"], "unit": cells.get("unit", "")}
    return found


RAW = [
    ("statements.csv", "statements.csv", ""),
    ("claims.csv", "claims.csv", ""),
    ("series", "series/*.csv", ""),
    ("wounded_to_killed_references.csv", "wounded_to_killed_references.csv", ""),
    ("claimants", "conflict.yml", "claimants"),
    ("truces", "conflict.yml", "truces"),
]


@pytest.mark.parametrize(("table", "heading", "prefix"), RAW, ids=[t for t, _, _ in RAW])
def test_every_raw_column_is_documented_and_nothing_else(table, heading, prefix):
    assert list(documented(heading, prefix)) == list(RAW_TABLES[table])


@pytest.mark.parametrize(("table", "heading", "prefix"), RAW, ids=[t for t, _, _ in RAW])
def test_the_dictionary_says_what_the_data_dictionary_says(table, heading, prefix):
    """Required in every row, the type, the form (id, URL, pattern), the values, the unit."""
    for name, doc in documented(heading, prefix).items():
        field = RAW_TABLES[table][name]
        assert field.required == (doc["required"] == "yes"), (table, name, doc["required"])
        words = doc["type"]
        vocabulary_of = re.fullmatch(r"vocabulary `(\w+)`", words)
        expected = {"type": "string", "enum": vocabulary_of.group(1)} if vocabulary_of else TYPE_WORDS.get(words)
        assert expected is not None, f"{table}.{name}: README type {words!r}: say in TYPE_WORDS what it asks"
        assert {key: getattr(field, key) for key in expected} == expected, (table, name, words)
        if doc["unit"]:
            assert field.unit and field.unit.startswith(doc["unit"]), (table, name)


def test_every_field_is_well_formed():
    known_sets = set(vocabulary.VOCABULARIES) | {"role"} | set(CONFLICT_SETS)
    tables = [*RAW_TABLES.values(), columns.CLAIMS, *PACKAGE_COLUMNS.values()]
    for field in [*FIELDS.values(), *(f for table in tables for f in table.values())]:
        assert field.type in TYPES, field
        assert len(field.description) > 15, field
        assert field.enum is None or field.enum in known_sets, field
        assert (field.pattern is None) == (field.pattern_rule is None), field
        assert not (field.id and field.url), field


def test_validation_has_words_for_every_set_a_validated_table_names():
    for table in ("statements.csv", "claims.csv", "series"):
        for name, field in RAW_TABLES[table].items():
            assert field.enum is None or field.enum in ENUM_WORDS, (table, name)


def test_the_package_claims_are_the_loaded_claims_in_fewer_columns():
    published = list(PACKAGE_COLUMNS["claims"])
    assert [name for name in columns.CLAIMS if name in published] == published
    assert all(PACKAGE_COLUMNS["claims"][name] is columns.CLAIMS[name] for name in published)


def test_labels_are_the_titles_charts_and_tables_show():
    assert columns.label("statement_date") == "Stated on"
    assert columns.label("claimant_short_name") == "Claimant"
    with pytest.raises(KeyError, match="no label"):
        columns.label("claim_id")


# --------------------------------------------------------------------- what the others do with it


def test_loading_gives_each_column_the_dictionarys_type():
    conflict = load_conflict(CONFLICT_ID, VALID_DATA)
    assert dict(conflict.claims.schema) == {name: DTYPES[field.type] for name, field in columns.CLAIMS.items()}
    statements = RAW_TABLES["statements.csv"]
    assert dict(conflict.statements.schema) == {name: DTYPES[field.type] for name, field in statements.items()}


def test_a_column_the_dictionary_requires_is_refused_when_absent(monkeypatch):
    assert validate_data_dir(VALID_DATA)[1] == []
    reviewed = Field("string", "Who checked the row against its source.", required=True)
    monkeypatch.setitem(RAW_TABLES, "statements.csv", {**RAW_TABLES["statements.csv"], "reviewed_by": reviewed})
    _, problems = validate_data_dir(VALID_DATA)
    rule = "required column is missing from the header"
    assert problems == [Problem(f"{cid}/statements.csv", 1, "reviewed_by", None, rule) for cid in VALID_CONFLICT_IDS]


def test_a_vocabulary_the_dictionary_gives_a_column_is_checked(monkeypatch):
    """speaker is free text; made a claimant id in the dictionary, every speaker is refused."""
    statements = RAW_TABLES["statements.csv"]
    monkeypatch.setitem(
        RAW_TABLES, "statements.csv", {**statements, "speaker": replace(statements["speaker"], enum="claimant")}
    )
    _, problems = validate_data_dir(VALID_DATA)
    assert problems, "no speaker was refused"
    for problem in problems:
        assert (problem.column, problem.rule.split(":")[0]) == (
            "speaker",
            "must be one of the claimants in conflict.yml",
        )


def test_loading_takes_a_column_the_dictionary_adds(monkeypatch):
    """An optional column no file has yet: loaded, empty, in the dictionary's place."""
    reviewed = Field("string", "Who checked the row against its source.")
    monkeypatch.setitem(RAW_TABLES, "statements.csv", {**RAW_TABLES["statements.csv"], "reviewed_by": reviewed})
    statements = load_conflict(CONFLICT_ID, VALID_DATA).statements
    assert statements.columns[-1] == "reviewed_by" and statements["reviewed_by"].null_count() == statements.height


def test_the_package_schema_takes_a_column_the_dictionary_adds(monkeypatch):
    conflict = load_conflict(CONFLICT_ID, VALID_DATA)
    reviewed = Field("string", "Who checked the dates against their source.", required=True)
    monkeypatch.setitem(PACKAGE_COLUMNS, "truces", {**PACKAGE_COLUMNS["truces"], "reviewed_by": reviewed})
    schema = datapackage.table_schema("truces", conflict).to_dict()
    added = schema["fields"][-1]
    assert (added["name"], added["description"], added["constraints"]) == (
        "reviewed_by",
        reviewed.description,
        {"required": True},
    )
