"""dataset: one call from the raw files of a conflict to typed claims with bounds and roles."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analysis.dataset import list_conflicts, load_claims, load_conflict
from analysis.errors import DataValidationError
from tests.fixture_data import (
    BROKEN,
    CONFLICT_ID,
    MULTIPLE_FAULTS,
    VALID_CONFLICT,
    VALID_CONFLICT_IDS,
    VALID_DATA,
    digest_tree,
)

SERIES_ID = "sy_general_staff_personnel"


@pytest.fixture(scope="module")
def conflict():
    return load_conflict(CONFLICT_ID, VALID_DATA)


@pytest.fixture(scope="module")
def claims(conflict):
    return conflict.claims


def claim(claims: pl.DataFrame, claim_id: str) -> dict:
    rows = claims.filter(pl.col("claim_id") == claim_id)
    assert rows.height == 1, f"{claim_id}: {rows.height} rows"
    return rows.row(0, named=True)


# --- metadata --------------------------------------------------------------------------------


def test_conflict_metadata(conflict):
    assert conflict.conflict_id == CONFLICT_ID
    assert conflict.name.startswith("The Freedonia–Sylvania war")
    assert conflict.start_date == dt.date(2022, 2, 1)
    assert conflict.sides["side_id"].to_list() == ["freedonia", "sylvania"]
    assert conflict.side_label("sylvania") == "Sylvania"
    assert conflict.claimants.height == 5


def test_claimant_short_name_falls_back_to_name(conflict):
    short = dict(conflict.claimants.select("claimant_id", "short_name").iter_rows())
    assert short["sy_president"] == "Office of the President of Sylvania"
    assert short["marsovia_intelligence"] == "Marsovia"


def test_list_conflicts():
    assert list_conflicts(VALID_DATA) == VALID_CONFLICT_IDS  # sorted by folder name
    assert CONFLICT_ID in VALID_CONFLICT_IDS


# --- types -----------------------------------------------------------------------------------


def test_claim_columns_are_typed(claims):
    schema = claims.schema
    for column in ("as_of_date", "period_start_date", "statement_date"):
        assert schema[column] == pl.Date, column
    assert schema["value"] == pl.Int64
    for column in ("value_low", "value_high", "value_central"):
        assert schema[column] == pl.Float64, column
    assert schema["is_low_exclusive"] == pl.Boolean
    assert schema["is_dependent"] == pl.Boolean
    assert schema["source_line"] == pl.Int64


def test_statement_dates_are_dates(conflict):
    assert conflict.statements.schema["statement_date"] == pl.Date


def test_load_claims_is_the_claims_of_load_conflict(claims):
    assert load_claims(CONFLICT_ID, VALID_DATA).equals(claims)


# --- bounds, roles, derivation -------------------------------------------------------------


@pytest.mark.parametrize(
    "claim_id, low, high, exclusive, central",
    [
        ("fr_war_office_2022-03-02.fr.military.killed", 498, 498, False, 498),
        ("fr_war_office_2022-03-02.fr.military.wounded", 1550, 1650, False, 1600),
        ("sy_president_2022-03-05.sy.military.killed", 8500, 9500, False, 9000),
        ("sy_president_2022-03-05.fr.military.killed", 1000, None, True, 1000),
        ("marsovia_intelligence_2022-04-10.fr.military.killed", 2000, 4000, False, 3000),
        ("marsovia_intelligence_2022-04-10.fr.military.killed_and_wounded", 8000, 12000, False, 10000),
        ("marsovia_intelligence_2022-04-10.sy.military.killed", None, 3000, False, 3000),
        ("ledger_watch_2022-05-20.fr.military.killed", 1203, None, False, 1203),
    ],
)
def test_bounds_are_applied(claims, claim_id, low, high, exclusive, central):
    row = claim(claims, claim_id)
    assert (row["value_low"], row["value_high"], row["is_low_exclusive"], row["value_central"]) == (
        low,
        high,
        exclusive,
        central,
    )


@pytest.mark.parametrize(
    "claim_id, role",
    [
        ("fr_war_office_2022-03-02.fr.military.killed", "official"),  # Freedonia on its own losses
        ("sy_president_2022-03-05.sy.military.killed", "official"),  # Sylvania on its own losses
        ("sy_president_2022-03-05.fr.military.killed", "opposing"),  # Sylvania on Freedonia's
        ("fr_war_office_2022-12-30.sy.military.killed_and_wounded", "opposing"),
        ("marsovia_intelligence_2022-04-10.sy.military.killed", "third_party"),
        ("ledger_watch_2022-05-20.fr.civilian.killed", "independent"),
        (f"{SERIES_ID}.2022-02-02", "opposing"),  # the series: Sylvania's staff on Freedonia's losses
    ],
)
def test_role_is_derived_from_claimant_side_and_subject_side(claims, claim_id, role):
    assert claim(claims, claim_id)["role"] == role


def test_every_claim_has_a_role(claims):
    assert set(claims["role"]) <= {"official", "opposing", "third_party", "independent"}
    assert claims["role"].null_count() == 0


def test_derived_claim_is_dependent(claims):
    row = claim(claims, "sy_president_2022-03-05.fr.military.killed")
    assert row["derived_from"] == f"{SERIES_ID}.2022-03-01"
    assert row["is_dependent"] is True
    assert claims.filter(pl.col("derived_from").is_null())["is_dependent"].not_().all()


def test_period_and_incident_claims_keep_their_dates(claims):
    period = claim(claims, "fr_war_office_2022-12-30.sy.military.killed_and_wounded")
    assert (period["period_type"], period["period_start_date"], period["as_of_date"]) == (
        "period",
        dt.date(2022, 6, 1),
        dt.date(2022, 12, 30),
    )
    incident = claim(claims, "fr_war_office_2022-12-30.fr.military.killed")
    assert (incident["period_type"], incident["period_start_date"], incident["as_of_date"]) == (
        "incident",
        dt.date(2022, 11, 1),
        dt.date(2022, 11, 1),
    )


def test_as_of_date_and_statement_date_can_differ(claims):
    row = claim(claims, "ledger_watch_2022-05-20.fr.military.killed")
    assert (row["as_of_date"], row["statement_date"]) == (dt.date(2022, 5, 1), dt.date(2022, 5, 20))


def test_claims_carry_their_source_line_and_statement(claims):
    row = claim(claims, "marsovia_intelligence_2022-04-10.sy.military.killed")
    assert (row["source"], row["source_line"]) == ("claims.csv", 10)
    assert row["claimant_id"] == "marsovia_intelligence"
    assert row["claimant_short_name"] == "Marsovia"
    assert row["url"] == "https://example.org/marsovia/briefing/2022-04-10?lang=en#losses"


def test_claims_are_sorted_by_as_of_date(claims):
    assert claims["as_of_date"].is_sorted()


# --- series ----------------------------------------------------------------------------------


def test_series_records_become_claims_with_stable_ids(claims):
    series = claims.filter(pl.col("source") == f"series:{SERIES_ID}")
    assert series["claim_id"].to_list() == [
        f"{SERIES_ID}.{d}"
        for d in (
            "2022-02-02",
            "2022-02-03",
            "2022-02-04",
            "2022-02-05",
            "2022-02-07",
            "2022-02-10",
            "2022-03-01",
            "2022-03-15",
        )
    ]
    row = claim(claims, f"{SERIES_ID}.2022-02-04")
    assert (row["claimant_id"], row["subject_side"], row["population"], row["metric"]) == (
        "sy_general_staff",
        "freedonia",
        "military",
        "personnel_losses",
    )
    assert (row["qualifier"], row["value"], row["value_low"], row["is_low_exclusive"]) == (
        "more_than",
        1000,
        1000.0,
        True,
    )
    assert (row["period_type"], row["as_of_date"], row["statement_date"]) == (
        "cumulative",
        dt.date(2022, 2, 4),
        dt.date(2022, 2, 4),
    )
    assert (row["method"], row["confidence"], row["source_line"]) == ("reported", "high", 4)
    assert row["url"] == "https://example.org/sylvania/general-staff/daily-losses.json"


def test_a_curated_claim_beside_a_series_record_of_the_same_day_is_its_own_claim(claims):
    """A word-for-word repeat of a series record is refused by validation (broken fixture 61);
    a curated figure that differs from the day's record stays beside it."""
    series = claim(claims, f"{SERIES_ID}.2022-03-15")
    curated = claim(claims, "sy_general_staff_2022-03-15.fr.military.personnel_losses")
    assert (series["qualifier"], series["value"]) == ("about", 7200)
    assert (curated["qualifier"], curated["value"], curated["source"]) == ("more_than", 7000, "claims.csv")


def test_series_record_disagreeing_with_a_curated_claim_is_kept(claims):
    same_day = claims.filter(pl.col("claimant_id") == "sy_general_staff", pl.col("as_of_date") == dt.date(2022, 3, 1))
    assert sorted(same_day["value"].to_list()) == [5500, 5600]
    assert sorted(same_day["source"].to_list()) == ["claims.csv", f"series:{SERIES_ID}"]


def test_claim_count_is_curated_plus_series_minus_duplicates(claims):
    assert claims.height == 13 + 8  # no curated claim repeats a series record (validation refuses it)
    assert claims["claim_id"].is_unique().all()


def test_series_daily_reports_are_statements(conflict):
    statements = conflict.statements
    assert statements.height == 7 + 8
    report = statements.filter(pl.col("statement_id") == f"{SERIES_ID}.2022-03-15").row(0, named=True)
    assert (report["claimant_id"], report["statement_date"]) == ("sy_general_staff", dt.date(2022, 3, 15))


# --- failures and immutability -----------------------------------------------------------------


def test_broken_conflict_raises_data_validation_error_listing_the_problem():
    with pytest.raises(DataValidationError) as caught:
        load_conflict(CONFLICT_ID, BROKEN / "15_negative_value")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column, problem.value) == (
        f"{CONFLICT_ID}/claims.csv",
        10,
        "value",
        "-5",
    )
    assert str(problem) in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_broken_conflict_lists_every_problem():
    with pytest.raises(DataValidationError) as caught:
        load_conflict(CONFLICT_ID, MULTIPLE_FAULTS)
    assert len(caught.value.problems) == 3
    assert str(caught.value).startswith("3 problem(s) in the data:")


def test_unknown_conflict_raises_value_error_listing_valid_ones():
    with pytest.raises(ValueError, match="freedonia-sylvania") as caught:
        load_conflict("atlantis-lemuria", VALID_DATA)
    assert "atlantis-lemuria" in str(caught.value)
    assert not isinstance(caught.value, DataValidationError)


def test_loading_leaves_raw_files_byte_identical():
    before = digest_tree(VALID_CONFLICT)
    load_conflict(CONFLICT_ID, VALID_DATA)
    assert digest_tree(VALID_CONFLICT) == before


def test_frames_are_independent_between_loads(conflict):
    again = load_conflict(CONFLICT_ID, VALID_DATA)
    assert again.claims.equals(conflict.claims)
    assert again.statements.equals(conflict.statements)


def test_a_joint_statement_names_the_bodies_it_speaks_for(sparse):
    rows = sparse.claims.filter(pl.col("statement_id") == "bor_mod_2024-06-20")
    assert rows.height == 2 and set(rows["claimant_id"]) == {"bor_mod"}  # recorded once, under its claimant
    statement = sparse.statements.filter(pl.col("statement_id") == "bor_mod_2024-06-20")
    assert statement["speaks_for"].to_list() == ["bor_general_staff"]  # the ids stay with the statement
    assert set(rows["speaks_for_names"]) == {"Szohôd (General Staff)"}


def test_snapshots_and_everyone_counts_load_with_their_own_words(sparse):
    snapshot = sparse.claims.filter(pl.col("period_type") == "snapshot").row(0, named=True)
    assert (snapshot["metric"], snapshot["value"], snapshot["source_term"]) == (
        "wounded",
        1140,
        "currently in hospital",
    )
    everyone = sparse.claims.filter(pl.col("population") == "all").row(0, named=True)
    assert (everyone["qualifier"], everyone["value"]) == ("at_least", 1295)
