"""One pairing rule for every comparison (DESIGN.md §7), on the fictional sparse war: nearest in
as-of date within pair_within_days, final tolls after the ceasefire whatever their gap, the
direction of a gap from its sign, rates that stop at the ceasefire and never fall below zero."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analysis.align import align
from analysis.compare import implied_daily_rates, nearest_comparison, ratio_over_time
from analysis.harmonise import select_claims
from analysis.narrative import direction
from analysis.params import ParameterError, check_compare_parameters
from analysis.views import compare_view
from tests.fixture_data import SPARSE_DATA, SPARSE_ID

CEASEFIRE = dt.date(2024, 6, 15)


def killed(conflict, side, claimant):
    return select_claims(
        conflict.claims, subject_side=side, population="military", claimants=[claimant], metric="killed"
    )


def test_the_conflict_carries_its_end_and_its_pairing_default(sparse):
    assert sparse.end_date == CEASEFIRE and sparse.pair_within_days == 45


def test_a_week_finds_no_pair_where_statements_come_weeks_apart(sparse):
    own, theirs = killed(sparse, "ruritania", "rur_mod"), killed(sparse, "ruritania", "bor_mod")
    assert align(theirs, own, tolerance_days=7).is_empty()
    pairs = align(theirs, own, tolerance_days=45)
    assert pairs.height > 0 and (pairs["staleness_days"] <= 45).all()


def test_final_tolls_after_the_ceasefire_pair_whatever_their_gap(sparse):
    own, theirs = killed(sparse, "ruritania", "rur_mod"), killed(sparse, "ruritania", "bor_mod")
    without_end = align(theirs, own, tolerance_days=45)
    assert without_end.filter(pl.col("num_as_of_date") == dt.date(2024, 11, 8)).is_empty()  # 51 days apart
    pairs = align(theirs, own, tolerance_days=45, end_date=CEASEFIRE)
    final = pairs.filter(pl.col("num_as_of_date") == dt.date(2024, 11, 8)).row(0, named=True)
    assert final["den_as_of_date"] == dt.date(2024, 9, 18) and final["is_final_tolls"] is True
    assert final["later_by_days"] == -51 and final["staleness_days"] == 51
    # a final toll is never paired with a wartime figure when a final figure of the other exists
    assert not pairs.filter(pl.col("is_final_tolls"))["den_as_of_date"].lt(CEASEFIRE).any()


def test_direction_words_come_from_the_signed_gap(sparse):
    own, theirs = killed(sparse, "ruritania", "rur_mod"), killed(sparse, "ruritania", "bor_mod")
    for row in align(theirs, own, tolerance_days=45, end_date=CEASEFIRE).iter_rows(named=True):
        gap = (row["den_as_of_date"] - row["num_as_of_date"]).days
        assert row["later_by_days"] == gap
        words = direction(row["later_by_days"])
        assert words.endswith("later") if gap > 0 else words.endswith("earlier") if gap < 0 else "same" in words
    assert direction(182) == "182 days later" and direction(-182) == "182 days earlier"
    assert direction(0) == "the same as-of date" and direction(-1) == "1 day earlier"


def test_beyond_the_tolerance_the_nearest_figure_is_named_but_no_ratio_is_made(ru_ua):
    moscow = killed(ru_ua, "russia", "ru_mod")
    mediazona = select_claims(
        ru_ua.claims, subject_side="russia", population="military", claimants=["mediazona_bbc"], metric="killed"
    ).tail(1)
    out = nearest_comparison(mediazona, moscow, tolerance_days=7).row(0, named=True)
    assert out["den_value"] == 5937 and out["later_by_days"] < -1000
    assert out["is_comparable"] is False
    assert out["ratio_low"] is None and out["ratio_high"] is None and out["ratio_central"] is None
    nato = select_claims(
        ru_ua.claims, subject_side="russia", population="military", claimants=["nato"], metric="killed"
    )
    near = nearest_comparison(nato, moscow, tolerance_days=7).row(0, named=True)
    assert (near["den_value"], near["later_by_days"], near["is_comparable"]) == (1351, 2, True)
    assert (round(near["ratio_low"], 2), round(near["ratio_high"], 2)) == (5.18, 11.10)


def test_rates_stop_at_the_ceasefire_and_never_fall_below_zero(sparse):
    claims = select_claims(sparse.claims, subject_side="ruritania", population="military", metric="killed")
    rates = implied_daily_rates(claims, end_date=CEASEFIRE)
    assert rates.height > 0 and (rates["as_of_date"] <= CEASEFIRE).all()
    assert implied_daily_rates(claims).filter(pl.col("as_of_date") > CEASEFIRE).height > 0  # the final tolls
    drawn = rates.filter(~pl.col("is_revision_down"))
    assert (drawn["rate_low"].drop_nulls() >= 0).all() and (drawn["rate_central"] >= 0).all()


def test_a_revision_downwards_is_flagged_not_a_negative_rate(sparse):
    claims = killed(sparse, "ruritania", "bor_mod")
    rates = implied_daily_rates(claims, end_date=CEASEFIRE)
    fall = rates.filter(pl.col("is_revision_down")).row(0, named=True)
    assert (fall["previous_value"], fall["value"]) == (3400, 3100)
    assert fall["rate_low"] is None and fall["rate_central"] is None and fall["increase_high"] == -300


def test_the_report_view_shows_opposing_over_official_with_the_conflicts_default(sparse):
    params = check_compare_parameters(
        conflict=SPARSE_ID, subject_side="ruritania", population="military", metric="killed", data_dir=SPARSE_DATA
    )
    assert params.pair_within_days == 45
    view = compare_view(params)
    assert view.ratios.height > 0 and (view.ratios["is_final_tolls"] | (view.ratios["staleness_days"] <= 45)).all()
    assert view.ratios["is_final_tolls"].any()
    assert view.revisions.height == 1
    week = compare_view(
        check_compare_parameters(
            conflict=SPARSE_ID,
            subject_side="ruritania",
            population="military",
            metric="killed",
            pair_within_days=7,
            data_dir=SPARSE_DATA,
        )
    )
    assert week.ratios["is_final_tolls"].all()  # only the final tolls remain comparable


@pytest.mark.parametrize("bad", [-1, 2.5, "7", True])
def test_pair_within_days_must_be_whole_days(bad):
    with pytest.raises(ParameterError, match="pair_within_days"):
        check_compare_parameters(
            conflict=SPARSE_ID,
            subject_side="ruritania",
            population="military",
            metric="killed",
            pair_within_days=bad,
            data_dir=SPARSE_DATA,
        )


def test_ratio_over_time_keeps_the_numerators_open_end(ru_ua):
    """The working interval names once shadowed num_is_low_exclusive ('more than' read as 'at least')."""
    eu = select_claims(
        ru_ua.claims,
        subject_side="ukraine",
        population="military",
        claimants=["eu_commission"],
        metric="killed_and_wounded",
    )
    # Since 2026-12-01 the EU has two claims (WION: bare 100,000, exact; Novinite: 'over 100,000'): the open one.
    eu = eu.filter(pl.col("qualifier") == "more_than")
    assert eu.height == 1
    out = ratio_over_time(eu, eu, tolerance_days=0)
    assert out["num_is_low_exclusive"].all() and out["ratio_is_low_exclusive"].all()
