"""analysis.parameters: the one rule table that the notebooks and the catalog both apply (issue #16,
item 2), and the role derived once (vocabulary.claimant_role) by the claims, the report's claimants
by role and the gate alike. Each gate's own messages: test_params.py, test_report_catalog.py; the
two agreeing value by value: test_papermill_params.py."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis import vocabulary as vocab
from analysis.dataset import list_conflicts, load_conflict
from analysis.parameters import RULES, check_parameters
from analysis.params import conflict_facts
from tests.fixture_data import CONFLICT_ID, REAL_DATA, SPARSE_DATA, VALID_DATA

DATA_DIRS = {"real": REAL_DATA, "valid": VALID_DATA, "sparse": SPARSE_DATA}
CONFLICTS = [(name, conflict) for name, data_dir in DATA_DIRS.items() for conflict in list_conflicts(data_dir)]


@pytest.fixture(scope="module")
def facts():
    return conflict_facts(load_conflict(CONFLICT_ID, VALID_DATA))


def test_the_table_names_every_parameter_of_the_compare_notebook_once():
    compare = [
        "conflict",
        "about_max_share",
        "subject_side",
        "period_type",
        "incident_date",
        "population",
        "metric",
        "start",
        "end",
        "wounded_to_killed",
        "pair_within_days",
        "official",
        "opposing",
        "independent",
        "title",
    ]
    assert list(RULES) == compare, "in this order: a rule sees the parameters before it"


def test_values_come_back_in_their_one_form_and_none_stays_none(facts):
    checked = check_parameters(
        {
            "conflict": CONFLICT_ID,
            "subject_side": None,
            "population": "military",
            "metric": "killed",
            "official": None,
            "opposing": "sy_general_staff, sy_president",
            "independent": [],
            "start": "2022-03-01",
            "end": dt.date(2022, 6, 1),
            "wounded_to_killed": [3, 13],
            "pair_within_days": None,
            "title": None,
        },
        list_conflicts(VALID_DATA),
        lambda conflict: facts,
    )
    assert checked.refused == []
    assert checked.values == {
        "conflict": CONFLICT_ID,
        "subject_side": None,  # what None stands for is the notebook's to resolve
        "population": "military",
        "metric": "killed",
        "official": None,
        "opposing": ("sy_general_staff", "sy_president"),
        "independent": (),
        "start": dt.date(2022, 3, 1),
        "end": dt.date(2022, 6, 1),
        "wounded_to_killed": (3.0, 13.0),
        "pair_within_days": None,
        "title": None,
    }
    assert checked.facts is facts


def test_a_refusal_does_not_cascade_into_the_parameters_that_depend_on_it(facts):
    checked = check_parameters(
        {"conflict": CONFLICT_ID, "subject_side": "atlantis", "metric": "killed", "official": ["sy_president"]},
        list_conflicts(VALID_DATA),
        lambda conflict: facts,
    )
    assert [(e.argument, e.reason.split(";")[0]) for e in checked.refused] == [
        ("subject_side", "unknown side 'atlantis'")
    ], "metric and official are not checked against a side that does not exist"


def test_the_facts_are_asked_for_once_and_only_with_a_valid_cap(facts):
    """A notebook loads the conflict when a rule first needs its facts, with the 'about' cap
    asked for: never twice, and never with a cap that is refused."""
    asked = []

    def facts_for(conflict):
        asked.append(conflict)
        return facts

    values = {"conflict": CONFLICT_ID, "subject_side": "freedonia", "population": "military", "metric": "killed"}
    assert check_parameters({**values, "about_max_share": 0.2}, [CONFLICT_ID], facts_for).refused == []
    assert asked == [CONFLICT_ID]
    refused = check_parameters({**values, "about_max_share": 2}, [CONFLICT_ID], facts_for).refused
    assert [e.argument for e in refused] == ["about_max_share"] and asked == [CONFLICT_ID]


# ------------------------------------------------------------------------------ the role, once


@pytest.mark.parametrize(
    "claimant_side, subject_side, role",
    [
        ("russia", "russia", "official"),
        ("ukraine", "russia", "opposing"),
        ("third_party", "russia", "third_party"),
        ("independent", "russia", "independent"),
    ],
)
def test_a_role_is_derived_from_the_two_sides(claimant_side, subject_side, role):
    assert vocab.claimant_role(claimant_side, subject_side) == role
    assert vocab.report_role(role) == ("independent" if role == "third_party" else role)


@pytest.mark.parametrize("name, conflict", CONFLICTS, ids=[f"{n}-{c}" for n, c in CONFLICTS])
def test_the_claims_the_report_roles_and_the_gate_agree_on_every_pair(name, conflict):
    """For every (claimant, subject side) pair of the real data and the fixtures: the loaded claims'
    role (analysis.dataset), the role a report may name the claimant in (analysis.params), and the
    gate's verdict on naming it in each of the three report roles (the catalog's and the notebook's)."""
    loaded = load_conflict(conflict, DATA_DIRS[name])
    facts = conflict_facts(loaded)
    pairs = loaded.claims.select("claimant_id", "claimant_side", "subject_side", "role").unique().rows()
    assert pairs, "every conflict here has claims"
    for claimant, claimant_side, side, role in pairs:
        assert role == vocab.claimant_role(claimant_side, side), (claimant, side)
        shown_as = vocab.report_role(role)
        named = {  # the report roles it may be named in about this side: [count key]side/population/role
            key.rsplit(":", 1)[-1].split("/")[2]
            for key, ids in facts.role_claimants.items()
            if claimant in ids and key.rsplit(":", 1)[-1].split("/")[0] == side
        }
        assert named == ({shown_as} if has_compared_claims(loaded, claimant, side) else set()), (claimant, side)
        for report_role in vocab.REPORT_ROLES:
            refused = check_parameters(
                {"conflict": conflict, "subject_side": side, report_role: [claimant]}, [conflict], lambda c: facts
            ).refused
            if report_role == shown_as:
                assert refused == [], (claimant, side, report_role, refused)
            else:
                assert [e.reason.split(":")[0] for e in refused] == [
                    f"{claimant!r} ({shown_as}) cannot be {report_role} about {side!r}"
                ]


def has_compared_claims(loaded, claimant: str, side: str) -> bool:
    """Whether the claimant holds claims about the side that a compare report shows (not only
    period totals, ratios or shares)."""
    import polars as pl

    return not loaded.claims.filter(
        pl.col("claimant_id") == claimant,
        pl.col("subject_side") == side,
        pl.col("period_type").is_in(list(vocab.COMPARED_COUNTS)),
        ~pl.col("metric").is_in(list(vocab.RATIO_METRICS)),
    ).is_empty()
