import datetime as dt

import polars as pl

from analysis.harmonise import harmonise_to
from analysis.params import check_compare_parameters, check_overview_parameters
from analysis.views import compare_view, overview_view
from tests.fixture_data import CONFLICT_ID, VALID_DATA

RUSSIA = dict(conflict="russia-ukraine", subject_side="russia", population="military")


def test_russia_in_killed_converts_broader_totals_with_their_assumption_and_keeps_stated_figures():
    view = compare_view(check_compare_parameters(**RUSSIA, metric="killed"))
    assert set(view.claims["metric"]) == {"killed"}
    converted = view.claims.filter(pl.col("original_metric") != "killed")
    assert converted.height > 0 and converted["assumption"].null_count() == 0
    # Zelensky stated 180,000 killed on 25 Feb 2024; his 500,000 killed and wounded of that day is not
    # converted into a second, contradicting 'killed' figure
    zelensky = view.claims.filter(pl.col("claimant_id") == "ua_president", pl.col("as_of_date") == dt.date(2024, 2, 25))
    assert zelensky["value"].to_list() == [180000] and zelensky["original_metric"].to_list() == ["killed"]
    assert "wounded" in set(view.not_comparable["metric"])


def test_like_for_like_reads_kyiv_total_against_moscow_killed_and_wounded():
    view = compare_view(check_compare_parameters(**RUSSIA, metric="killed"))
    row = view.like_for_like.filter(pl.col("official_as_of_date") == dt.date(2022, 3, 25)).row(0, named=True)
    assert row["official_value"] == 5176 and row["opposing_value"] == 16100
    assert round(row["ratio_central"], 1) == 3.1


def test_window_limits_every_frame_and_sets_the_reference_date():
    view = compare_view(
        check_compare_parameters(**RUSSIA, metric="killed_and_wounded", start="2022-03-01", end="2022-03-31")
    )
    assert view.end == dt.date(2022, 3, 31)
    assert view.claims["as_of_date"].is_between(dt.date(2022, 3, 1), dt.date(2022, 3, 31)).all()
    moscow = view.claims.filter(pl.col("claimant_id") == "ru_mod")
    assert moscow["value"].to_list() == [2095, 5176], "Moscow's own killed + wounded, summed"
    assert view.ratios.height > 0 and view.ratio_key["which"].to_list() == ["latest", "lowest", "highest"]


def test_harmonise_to_killed_and_wounded_needs_no_conversion_for_a_claimants_own_sum(ru_ua):
    moscow = ru_ua.claims.filter(
        pl.col("claimant_id") == "ru_mod", pl.col("subject_side") == "russia", pl.col("period_type") == "cumulative"
    )
    out = harmonise_to(moscow, "killed_and_wounded", (2.5, 13.0))
    assert out["assumption"].null_count() == out.height


def test_views_work_on_the_fictional_fixture_and_on_an_empty_window():
    params = check_compare_parameters(
        conflict=CONFLICT_ID, subject_side="freedonia", population="military", metric="killed", data_dir=VALID_DATA
    )
    assert compare_view(params).claims.height > 0
    empty = check_compare_parameters(
        conflict=CONFLICT_ID,
        subject_side="freedonia",
        population="military",
        metric="killed",
        start="2030-01-01",
        data_dir=VALID_DATA,
    )
    view = compare_view(empty)
    assert view.claims.is_empty() and view.ratios.is_empty()


def test_overview_lists_every_claimants_latest_and_the_sources(ru_ua):
    view = overview_view(check_overview_parameters(conflict="russia-ukraine"))
    cumulative = ru_ua.claims.filter(pl.col("period_type") == "cumulative")
    assert set(view.latest["claimant_id"]) == set(cumulative["claimant_id"])
    assert view.statements.filter(pl.col("statement_id").str.starts_with("series:")).height == 1
    assert view.statements.height == 90 + 1  # 90 statements (2026-12-06) + the series


def test_the_overview_shows_snapshots_apart_from_the_latest_totals(sparse):
    view = overview_view(check_overview_parameters(conflict="ruritania-borduria", data_dir=sparse.data_dir))
    assert view.snapshots["claim_id"].to_list() == ["bor_mod_2024-06-20.bor.military.wounded.in_hospital"]
    assert "snapshot" not in set(view.latest["period_type"])
