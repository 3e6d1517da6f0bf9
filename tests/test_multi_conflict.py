"""Several conflicts in one data dir: nothing assumes one conflict, two sides or one war's words.

tests/fixtures/valid holds three FICTIONAL conflicts (tests/fixtures/README.md):
- freedonia-sylvania: the two-sided war most tests use;
- elbonia-krakozhia: a health authority counting everyone (population `all`) with a daily
  series, the adversary's count of combatants, a claimed ratio and share, hostages, one strike
  tallied on several dates, two truces and a relay of the ministry's figure;
- pottsylvania-fenwick-zubrowka: three belligerents, an end date and its own pairing window.
"""

from __future__ import annotations

import datetime as dt
import shutil

import polars as pl
import pytest
import yaml

from analysis import narrative
from analysis.dataset import TRUCE_SCHEMA, list_conflicts, load_conflict
from analysis.load import read_conflict
from analysis.params import check_overview_parameters, role_claimants
from analysis.validate import validate_conflict, validate_data_dir
from analysis.views import overview_view
from tests.fixture_data import CONFLICT_ID, HEALTH_AUTHORITY_ID, THREE_SIDES_ID, VALID_CONFLICT_IDS, VALID_DATA

MINISTRY = "krk_health_ministry"
MINISTRY_TOTAL = "krk_health_ministry_2023-06-30.krk.all.killed"


@pytest.fixture(scope="module")
def conflicts() -> dict:
    return {c: load_conflict(c, VALID_DATA) for c in list_conflicts(VALID_DATA)}


@pytest.fixture(scope="module")
def gaza_shaped(conflicts):
    return conflicts[HEALTH_AUTHORITY_ID]


@pytest.fixture(scope="module")
def three_sides(conflicts):
    return conflicts[THREE_SIDES_ID]


def claim(claims: pl.DataFrame, claim_id: str) -> dict:
    rows = claims.filter(pl.col("claim_id") == claim_id)
    assert rows.height == 1, f"{claim_id}: {rows.height} rows"
    return rows.row(0, named=True)


# --- the data dir as a whole ---------------------------------------------------------------


def test_the_valid_data_dir_holds_at_least_three_conflicts():
    found = list_conflicts(VALID_DATA)
    assert len(found) >= 3
    assert found == sorted(VALID_CONFLICT_IDS)
    assert {CONFLICT_ID, HEALTH_AUTHORITY_ID, THREE_SIDES_ID} <= set(found)


@pytest.mark.parametrize("conflict_id", VALID_CONFLICT_IDS)
def test_each_conflict_validates_on_its_own(conflict_id):
    summary, problems = validate_conflict(read_conflict(VALID_DATA / conflict_id, VALID_DATA))
    assert problems == []
    assert summary.conflict_id == conflict_id
    assert summary.claims > 0


@pytest.mark.parametrize("conflict_id", VALID_CONFLICT_IDS)
def test_each_conflict_loads_with_its_own_claims_only(conflicts, conflict_id):
    conflict = conflicts[conflict_id]
    assert conflict.conflict_id == conflict_id
    assert conflict.claims.height > 0
    assert conflict.claims["conflict_id"].unique().to_list() == [conflict_id]
    sides = set(conflict.sides["side_id"])
    assert set(conflict.claims["subject_side"]) <= sides
    assert set(conflict.claims["claimant_id"]) <= set(conflict.claimants["claimant_id"])
    assert conflict.claims["role"].null_count() == 0


def test_validating_the_data_dir_counts_every_conflict():
    summary, problems = validate_data_dir(VALID_DATA)
    assert problems == []
    counts = {c.conflict_id: (c.claimants, c.statements, c.claims, c.series_claims) for c in summary.conflicts}
    assert counts == {CONFLICT_ID: (5, 7, 13, 8), HEALTH_AUTHORITY_ID: (8, 15, 17, 8), THREE_SIDES_ID: (6, 9, 16, 0)}
    assert summary.line() == "valid: 3 conflict(s), 19 claimants, 31 statements, 46 claims + 16 series claims"


def test_no_id_or_independence_group_is_shared_between_conflicts(conflicts):
    """Each fictional conflict has its own claimants and groups: a query that forgets to filter by
    conflict cannot find another conflict's claimant by accident."""
    for column in ("claimant_id", "independence_group"):
        seen: dict[str, str] = {}
        for conflict_id, conflict in conflicts.items():
            for value in conflict.claimants[column].unique():
                assert value not in seen, f"{column} {value} in {seen.get(value)} and {conflict_id}"
                seen[value] = conflict_id
    claim_ids = [i for c in conflicts.values() for i in c.claims["claim_id"]]
    assert len(claim_ids) == len(set(claim_ids))


# --- three belligerents ------------------------------------------------------------------------


def test_three_sides_load_in_their_order(three_sides):
    assert three_sides.sides["side_id"].to_list() == ["pottsylvania", "grand_fenwick", "zubrowka"]
    assert three_sides.side_label("grand_fenwick") == "Grand Fenwick"
    assert three_sides.end_date == dt.date(2020, 1, 31)
    assert three_sides.pair_within_days == 30


@pytest.mark.parametrize(
    "claim_id, role",
    [
        ("pot_high_command_2019-06-15.pot.military.killed", "official"),
        ("pot_high_command_2019-06-15.gfw.military.killed_and_wounded", "opposing"),  # side A about side B
        ("pot_high_command_2019-06-15.zub.military.missing", "opposing"),  # side A about side C
        ("gfw_war_ministry_2019-06-20.pot.military.killed", "opposing"),  # side B about side A
        ("gfw_duchess_2019-09-10.zub.military.killed", "opposing"),  # side B about side C
        ("zub_army_staff_2020-02-10.gfw.military.killed_and_wounded", "opposing"),  # side C about side B
        ("zub_army_staff_2020-02-10.zub.military.missing", "official"),
        ("sentinel_monitors_2019-10-01.zub.civilian.killed", "independent"),
        ("concord_council_2019-11-05.pot.military.killed_and_wounded", "third_party"),
    ],
)
def test_roles_with_three_sides(three_sides, claim_id, role):
    assert claim(three_sides.claims, claim_id)["role"] == role


def test_every_role_follows_from_the_claimant_side_whatever_the_number_of_sides(conflicts):
    for conflict in conflicts.values():
        belligerents = set(conflict.sides["side_id"])
        for row in conflict.claims.select("claimant_side", "subject_side", "role").unique().iter_rows(named=True):
            if row["claimant_side"] == row["subject_side"]:
                expected = "official"
            elif row["claimant_side"] in belligerents:
                expected = "opposing"
            else:
                expected = row["claimant_side"]
            assert row["role"] == expected, (conflict.conflict_id, row)


def test_each_side_of_three_has_its_own_adversaries(three_sides):
    """role_claimants (the report's choice of claimants) keys by subject side: every side has
    its own opposing claimants, from both other sides where they spoke."""
    roles = role_claimants(three_sides)
    assert roles["pottsylvania/military/official"] == ["pot_high_command"]
    assert roles["pottsylvania/military/opposing"] == ["gfw_war_ministry", "zub_army_staff"]
    assert roles["pottsylvania/military/independent"] == ["concord_council"]
    assert roles["grand_fenwick/military/opposing"] == ["pot_high_command", "zub_army_staff"]
    assert roles["zubrowka/military/opposing"] == ["gfw_duchess", "pot_high_command"]
    assert roles["zubrowka/civilian/independent"] == ["sentinel_monitors"]


def test_the_overview_headline_reaches_the_third_side(three_sides):
    """The headline walks every side, not the first two: Zubrowka, the third, has its sentence
    (Grand Fenwick has none: nobody states its military killed on their own)."""
    view = overview_view(check_overview_parameters(conflict=THREE_SIDES_ID, data_dir=VALID_DATA))
    headline = narrative.overview_headline(view)
    assert "Pottsylvania's military losses, killed: Pottsylvania (High Command) reports 1,710" in headline
    assert "Zubrowka's military losses, killed: Grand Fenwick (Duchess) claims more than 700 killed" in headline
    assert "Grand Fenwick's military losses" not in headline


def test_an_open_ended_range_keeps_its_stated_ends_and_its_open_top(three_sides):
    row = claim(three_sides.claims, "gfw_war_ministry_2019-06-20.pot.military.killed")
    assert (row["qualifier"], row["value"], row["stated_low"], row["stated_high"]) == ("at_least", None, 1800, 2200)
    assert (row["value_low"], row["value_high"], row["is_low_exclusive"]) == (1800, None, False)


def test_metrics_of_the_three_sided_war(three_sides):
    metrics = three_sides.claims.group_by("metric").len().sort("metric")
    assert dict(metrics.iter_rows()) == {"killed": 7, "killed_and_wounded": 5, "missing": 4}
    # after the end date, final tolls
    finals = three_sides.claims.filter(pl.col("as_of_date") > three_sides.end_date)
    assert finals["claimant_id"].unique().sort().to_list() == ["gfw_war_ministry", "pot_high_command", "zub_army_staff"]


# --- a health authority counting everyone, hostages, an incident, claimed ratios --------------


def test_the_health_authority_counts_everyone_with_a_daily_series(gaza_shaped):
    ministry = gaza_shaped.claims.filter(pl.col("claimant_id") == MINISTRY)
    assert set(ministry["population"]) == {"all"}
    assert set(ministry["role"]) == {"official"}
    series = ministry.filter(pl.col("source") == "series:krk_health_ministry_killed")
    assert series.height == 8
    assert series["as_of_date"].to_list() == [dt.date(2023, 4, d) for d in range(10, 18)]
    assert series["value"].is_sorted()
    assert set(series["metric"]) == {"killed"} and set(series["period_type"]) == {"cumulative"}
    assert set(series["source_term"]) == {"killed"}
    assert gaza_shaped.claimants.filter(pl.col("claimant_id") == MINISTRY)["kind"].item() == "health_authority"


def test_the_adversary_counts_combatants_only(gaza_shaped):
    fighters = gaza_shaped.claims.filter(pl.col("subject_side") == "krakozhia", pl.col("population") == "military")
    assert fighters["claimant_id"].unique().to_list() == ["elb_defence_forces"]
    assert set(fighters["role"]) == {"opposing"}
    assert fighters.sort("as_of_date")["value"].to_list() == [1500, 2500]


def test_an_incident_tallied_on_several_dates_by_two_claimants(gaza_shaped):
    strike = gaza_shaped.claims.filter(pl.col("period_type") == "incident", pl.col("metric") == "killed").sort(
        "as_of_date"
    )
    assert strike["period_start_date"].unique().to_list() == [dt.date(2023, 6, 12)]
    assert strike.select("claimant_id", "as_of_date", "qualifier", "value").rows() == [
        (MINISTRY, dt.date(2023, 6, 12), "at_least", 70),
        ("elb_defence_forces", dt.date(2023, 6, 13), "up_to", 30),
        (MINISTRY, dt.date(2023, 6, 14), "exact", 112),
    ]
    assert set(strike["population"]) == {"all"}
    assert strike["role"].to_list() == ["official", "opposing", "official"]


def test_hostages_are_snapshots_and_a_release_is_an_incident(gaza_shaped):
    captives = gaza_shaped.claims.filter(pl.col("metric").is_in(["captured", "released", "remains_held"])).sort(
        "as_of_date", "metric"
    )
    assert captives.select("metric", "period_type", "period_start_date", "as_of_date", "value").rows() == [
        ("captured", "snapshot", None, dt.date(2023, 4, 20), 212),
        ("released", "incident", dt.date(2023, 5, 5), dt.date(2023, 5, 5), 80),
        ("captured", "snapshot", None, dt.date(2023, 5, 20), 130),
        ("remains_held", "snapshot", None, dt.date(2023, 5, 20), 27),
    ]
    assert set(captives["subject_side"]) == {"elbonia"}
    # the release is told by the captors, the counts by the captives' own government
    assert captives["role"].to_list() == ["official", "opposing", "official", "official"]


def test_snapshots_reach_the_overview_as_stated(gaza_shaped):
    view = overview_view(check_overview_parameters(conflict=HEALTH_AUTHORITY_ID, data_dir=VALID_DATA))
    assert view.snapshots.select("metric", "value").rows() == [
        ("captured", 212),
        ("captured", 130),
        ("remains_held", 27),
    ]


@pytest.mark.parametrize(
    "claim_id, metric, qualifier, value, low, high",
    [
        ("elb_pm_office_2023-07-05.krk.all.civilians_per_combatant", "civilians_per_combatant", "about", 1, 0.9, 1.1),
        ("krk_movement_2023-07-06.krk.all.civilian_share_pct", "civilian_share_pct", "exact", 85, 85, 85),
    ],
)
def test_a_claimed_ratio_and_share_load_as_stated(gaza_shaped, claim_id, metric, qualifier, value, low, high):
    row = claim(gaza_shaped.claims, claim_id)
    assert (row["metric"], row["qualifier"], row["value"], row["population"], row["period_type"]) == (
        metric,
        qualifier,
        value,
        "all",
        "cumulative",
    )
    assert row["value_low"] == pytest.approx(low) and row["value_high"] == pytest.approx(high)


def test_the_relay_derives_from_the_ministry_and_is_not_independent(gaza_shaped):
    row = claim(gaza_shaped.claims, "relief_office_2023-07-02.krk.all.killed")
    assert (row["role"], row["derived_from"], row["is_dependent"], row["derived_from_group"]) == (
        "third_party",
        MINISTRY_TOTAL,
        True,
        "krakozhia_authorities",
    )
    assert row["value"] == claim(gaza_shaped.claims, MINISTRY_TOTAL)["value"]


def test_independent_counters_a_range_and_a_named_list(gaza_shaped):
    independent = gaza_shaped.claims.filter(pl.col("role") == "independent").sort("claimant_id")
    assert independent.select("claimant_id", "method", "qualifier", "value", "stated_low", "stated_high").rows() == [
        ("lakeside_university", "estimate", "range", 7300, 6500, 8200),
        ("open_register", "named_list", "at_least", 4210, None, None),
    ]


def test_every_curated_claim_quotes_its_source_term(gaza_shaped):
    curated = gaza_shaped.claims.filter(pl.col("source") == "claims.csv")
    assert curated.height == 17
    for row in curated.iter_rows(named=True):
        assert row["quote"] and row["source_term"], row["claim_id"]
        assert row["source_term"].lower() in row["quote"].lower(), row["claim_id"]


# --- truces ------------------------------------------------------------------------------------


def test_truces_load_as_a_frame_in_date_order(gaza_shaped):
    truces = gaza_shaped.truces
    assert isinstance(truces, pl.DataFrame)
    assert truces.schema == pl.Schema(TRUCE_SCHEMA)
    assert truces.columns == ["truce_id", "name", "start_date", "end_date", "url", "quote"]
    assert truces.select("truce_id", "start_date", "end_date").rows() == [
        ("truce_may_2023", dt.date(2023, 5, 1), dt.date(2023, 5, 7)),
        ("ceasefire_july_2023", dt.date(2023, 7, 15), None),  # still holds
    ]
    assert truces["start_date"].is_sorted()
    assert all(url.startswith("https://") for url in truces["url"])
    assert all(quote.strip() for quote in truces["quote"])


def test_truces_written_out_of_order_load_in_date_order(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(VALID_DATA / HEALTH_AUTHORITY_ID, data / HEALTH_AUTHORITY_ID)
    path = data / HEALTH_AUTHORITY_ID / "conflict.yml"
    meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    meta["truces"].reverse()
    path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["truces"][0]["truce_id"] == "ceasefire_july_2023"
    truces = load_conflict(HEALTH_AUTHORITY_ID, data).truces
    assert truces["truce_id"].to_list() == ["truce_may_2023", "ceasefire_july_2023"]


@pytest.mark.parametrize("conflict_id", [CONFLICT_ID, THREE_SIDES_ID])
def test_a_conflict_without_truces_has_an_empty_truce_frame(conflicts, conflict_id):
    truces = conflicts[conflict_id].truces
    assert truces.height == 0
    assert truces.schema == pl.Schema(TRUCE_SCHEMA)
