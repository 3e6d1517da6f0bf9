import datetime as dt

import pytest

from analysis.params import ParameterError, check_compare_parameters, check_overview_parameters
from tests.fixture_data import CONFLICT_ID, VALID_DATA

BASE = dict(conflict="russia-ukraine", subject_side="russia", population="military", metric="killed")


def test_defaults_derive_claimants_by_role_from_the_data():
    p = check_compare_parameters(**BASE)
    assert p.official == ("ru_mod",)
    assert "ua_general_staff" in p.opposing and "ua_president" in p.opposing
    assert {"nato", "mediazona_bbc"} <= set(p.independent)
    assert p.wounded_to_killed == (2.5, 13.0)
    assert p.title.startswith("Russia")


@pytest.mark.parametrize(
    "override, fragment",
    [
        (
            {"conflict": "narnia"},
            "conflict: unknown conflict 'narnia'; valid (the data directory): gaza-war, russia-ukraine",
        ),
        (
            {"subject_side": "atlantis"},
            "subject_side: unknown side 'atlantis'; valid (russia-ukraine): russia, ukraine",
        ),
        ({"metric": "deaths"}, "metric: unknown metric 'deaths'; valid (the vocabulary): killed, wounded"),
        ({"population": 3}, "population: must be one population (a string), got 3 (int)"),
        ({"official": ["nobody"]}, "official: unknown claimant 'nobody'; valid (russia-ukraine): csis, economist"),
        ({"official": ["ua_president"]}, "official: 'ua_president' (opposing) cannot be official about 'russia'"),
        (
            {"population": "civilian", "official": ["ru_mod"]},
            "official: 'ru_mod' has no cumulative claims about russia's civilian losses in the official role; valid: ",
        ),
        ({"official": ["ru_mod", "ru_mod"]}, "official: lists a claimant twice: ['ru_mod', 'ru_mod']"),
        ({"opposing": "ru_mod; drop table"}, "opposing: unknown claimant 'ru_mod; drop table'"),
        (
            {"period_type": "incident"},
            "incident_date: required with period_type 'incident' (the date of the incident whose tallies are "
            "compared) and None otherwise, got None with period_type 'incident'",
        ),
        ({"start": "25/03/2022"}, "start: must be written YYYY-MM-DD (ISO 8601), got '25/03/2022'"),
        ({"start": "2022-04-01", "end": "2022-03-01"}, "end: 2022-03-01 is before start 2022-04-01"),
        (
            {"wounded_to_killed": [13, 2.5]},
            "wounded_to_killed: must be two finite numbers with 0 < low <= high, got [13, 2.5]",
        ),
        ({"wounded_to_killed": "3"}, "wounded_to_killed: must be two numbers [low, high], got '3'"),
        ({"title": ["x"]}, "title: must be text or None"),
    ],
)
def test_bad_parameters_fail_with_one_short_message_listing_valid_values(override, fragment):
    with pytest.raises(ParameterError) as err:
        check_compare_parameters(**{**BASE, **override})
    assert fragment in str(err.value)
    assert err.value._render_traceback_() == [f"ParameterError: {err.value}"], "Jupyter shows one line"


def test_claimant_lists_may_be_comma_separated_text_from_the_command_line():
    p = check_compare_parameters(
        **BASE, opposing="ua_general_staff, ua_president", start="2022-03-01", end="2022-03-31"
    )
    assert p.opposing == ("ua_general_staff", "ua_president")
    assert (p.start, p.end) == (dt.date(2022, 3, 1), dt.date(2022, 3, 31))


def test_none_is_resolved_from_the_data_and_an_empty_list_leaves_a_role_out():
    p = check_compare_parameters(**{**BASE, "subject_side": None}, official=[], wounded_to_killed=None)
    assert p.subject_side == "russia", "the conflict's first side"
    assert p.official == () and p.opposing, "an empty list is a report without that role; None is every claimant"
    assert p.wounded_to_killed == (2.5, 13.0)


def test_fixture_conflict_through_a_data_dir():
    p = check_compare_parameters(
        conflict=CONFLICT_ID, subject_side="freedonia", population="military", metric="killed", data_dir=VALID_DATA
    )
    assert p.official == ("fr_war_office",)
    overview = check_overview_parameters(conflict=CONFLICT_ID, data_dir=VALID_DATA)
    assert "Freedonia" in overview.title
