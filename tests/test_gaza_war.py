"""Golden figures of the Gaza war from the real data (data/raw/gaza-war), computed by hand from
the raw files: the Lancet estimate against the ministry's count of the same date, the ministry's
toll when the October 2025 ceasefire began, and the army's claimed combatants killed as a share of
the ministry's total in January 2025."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analysis.compare import ratio_over_time
from analysis.dataset import list_conflicts, load_conflict
from analysis.harmonise import LikeForLikeError, select_claims
from analysis.params import check_compare_parameters
from analysis.views import compare_view

D = dt.date


@pytest.fixture(scope="module")
def deaths():
    """The catalog's 'Deaths in Gaza' report."""
    return compare_view(
        check_compare_parameters(
            conflict="gaza-war",
            subject_side="palestinian",
            population="all",
            metric="killed",
            official=["gaza_moh", "gaza_gmo"],
            opposing=["israel_unattributed"],
            independent=["lancet_jamaluddine", "pcpsr_survey", "un_ohchr", "un_ocha", "who"],
        )
    )


def test_the_lancet_estimate_against_the_ministrys_count_for_the_same_period(deaths):
    """64,260 traumatic deaths (95% CI 55,298-78,525) to 30 June 2024 against the ministry's
    37,877 of the same date: 1.46-2.07 times, 1.70 at the point estimate (the ministry's count is
    41% below the estimate, 59% of it)."""
    row = deaths.independent_vs_official.filter(
        pl.col("num_claimant_id") == "lancet_jamaluddine", pl.col("den_claimant_id") == "gaza_moh"
    ).row(0, named=True)
    assert (row["num_as_of_date"], row["den_as_of_date"], row["den_value"]) == (D(2024, 6, 30), D(2024, 6, 30), 37877)
    assert row["is_comparable"] and row["later_by_days"] == 0
    assert row["ratio_low"] == pytest.approx(55298 / 37877)
    assert row["ratio_high"] == pytest.approx(78525 / 37877)
    assert row["ratio_central"] == pytest.approx(64260 / 37877)
    assert pytest.approx(0.41, abs=0.005) == 1 - 37877 / 64260


def test_the_ministrys_toll_when_the_october_2025_ceasefire_began(deaths):
    at = deaths.at_truces.filter(pl.col("at_date") == D(2025, 10, 10), pl.col("claimant_id") == "gaza_moh")
    assert at.select("value", "as_of_date", "days_before").row(0) == (67211, D(2025, 10, 10), 0)
    assert at["at_label"].item() == "Ceasefire from 10 October 2025"


def test_the_armys_claimed_combatants_killed_as_a_share_of_the_total_in_january_2025(deaths):
    """Halevi, 21 Jan 2025: 'about 20,000' (read 18,000-22,000: the 10% cap of the 'about' rule)
    against the ministry's 47,107 of the same day: 38-47%, 42% at the stated figure."""
    row = deaths.shares.filter(pl.col("part_claimant_id") == "idf", pl.col("part_as_of_date") == D(2025, 1, 21)).row(
        0, named=True
    )
    assert (row["part_value"], row["total_claimant_id"], row["total_value"], row["total_as_of_date"]) == (
        20000,
        "gaza_moh",
        47107,
        D(2025, 1, 21),
    )
    assert (row["share_low"], row["share_central"], row["share_high"]) == pytest.approx(
        (18000 / 47107, 20000 / 47107, 22000 / 47107)
    )
    assert row["implied_ratio_central"] == pytest.approx(47107 / 20000 - 1)
    # inside the ceasefire of 19 January: the pair is made within it (the 18 January count is not used)
    assert row["is_across_truce"] is False


def test_a_count_of_combatants_is_never_divided_by_the_total_as_a_ratio():
    claims = load_conflict("gaza-war").claims
    part = select_claims(claims, subject_side="palestinian", population="military", metric="killed")
    total = select_claims(claims, subject_side="palestinian", population="all", metric="killed", claimants=["gaza_moh"])
    with pytest.raises(LikeForLikeError, match="share of the total"):
        ratio_over_time(part, total)


def test_a_claimed_ratio_is_set_beside_what_counts_of_its_date_imply(deaths):
    """'two Palestinian civilians for every Hamas militant' (4 Dec 2023) beside the same officials'
    about 5,000 militants and the ministry's 15,899 of that day: 2.2 (1.9-2.5)."""
    row = deaths.claimed_ratios.filter(
        pl.col("metric") == "civilians_per_combatant", pl.col("part_claimant_id") == "israel_unattributed"
    ).row(0, named=True)
    assert (row["value"], row["part_value"], row["total_value"]) == (2, 5000, 15899)
    assert row["implied_central"] == pytest.approx(15899 / 5000 - 1)
    assert row["implied_low"] == pytest.approx(15899 / 5500 - 1) and row["implied_high"] == pytest.approx(
        15899 / 4500 - 1
    )


def test_the_notebooks_defaults_work_for_every_conflict():
    """compare_claims' parameter defaults (subject_side None: the conflict's first side;
    population military; metric killed) name nothing that exists in one conflict only."""
    for conflict in list_conflicts():
        params = check_compare_parameters(conflict=conflict, subject_side=None, population="military", metric="killed")
        assert params.subject_side == load_conflict(conflict).sides["side_id"][0]
        assert compare_view(params).claims.height > 0
