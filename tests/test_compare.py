"""Golden figures from the seed article, computed from the real data/raw."""

import datetime as dt

import polars as pl
import pytest

from analysis.compare import (
    floor_coverage,
    implied_daily_rates,
    independent_groups,
    latest_claims,
    merge_consecutive_rates,
    ratio_over_time,
    ratio_summary,
    wounded_to_killed,
)
from analysis.harmonise import Conversion, LikeForLikeError, combine_killed_and_wounded, convert_metric, select_claims
from analysis.references import wounded_to_killed_references

RUSSIA_MIL = {"subject_side": "russia", "population": "military"}


def moscow(claims, metric=None):
    return select_claims(claims, **RUSSIA_MIL, claimants=["ru_mod"], metric=metric)


def kyiv(claims):
    return select_claims(claims, **RUSSIA_MIL, claimants=["ua_general_staff"], metric="personnel_losses")


def test_rates_of_converted_claims_convert_the_stated_increase_once(ru_ua):
    """Kyiv's 5,300 -> 5,710 personnel losses (28 Feb -> 1 Mar 2022) rose by 355-465 as stated
    ('about' both); read as killed with one wounded:killed ratio in 2.5-13, that is 355/14 to
    465/3.5 killed a day — not the difference of two separately widened reads (which went
    below zero)."""
    stated = implied_daily_rates(kyiv(ru_ua.claims))
    as_killed = implied_daily_rates(convert_metric(kyiv(ru_ua.claims), Conversion("killed", (2.5, 13.0))))
    first = as_killed.filter(pl.col("as_of_date") == dt.date(2022, 3, 1)).row(0, named=True)
    assert (first["previous_value"], first["value"]) == (5300, 5710)
    assert first["rate_low"] == pytest.approx(355 / 14) and first["rate_high"] == pytest.approx(465 / 3.5)
    both = stated.join(as_killed, on="claim_id", suffix="_killed")
    assert both.height == stated.height == as_killed.height
    for row in both.iter_rows(named=True):
        for end, own, other in (("low", 1 / 14, 1 / 3.5), ("high", 1 / 3.5, 1 / 14)):
            value = row[f"rate_{end}"]
            if value is None:
                assert row[f"rate_{end}_killed"] is None, "an open end stays open"
                continue
            expected = value * (own if value >= 0 else other)
            assert row[f"rate_{end}_killed"] == pytest.approx(expected)
    rising = both.filter(pl.col("rate_low") >= 0)
    assert rising.height > 100 and (rising["rate_low_killed"] >= 0).all(), "a stated rise is never a fall in killed"


def test_moscow_implied_killed_rate_march_2022_is_37_1_a_day(ru_ua):
    rates = implied_daily_rates(moscow(ru_ua.claims, "killed"))
    row = rates.filter(pl.col("as_of_date") == dt.date(2022, 3, 25)).row(0, named=True)
    assert row["previous_as_of_date"] == dt.date(2022, 3, 2)
    assert (row["previous_value"], row["value"], row["days"]) == (498, 1351, 23)
    assert round(row["rate_central"], 1) == 37.1
    assert row["rate_low"] == row["rate_high"] == pytest.approx(853 / 23)


def test_moscow_wounded_to_killed_on_25_march_2022_is_2_83(ru_ua):
    ratios = wounded_to_killed(ru_ua.claims, wounded_to_killed_references()).filter(
        pl.col("claimant_id") == "ru_mod",
        pl.col("subject_side") == "russia",
        pl.col("as_of_date") == dt.date(2022, 3, 25),
    )
    row = ratios.row(0, named=True)
    assert (row["wounded_value"], row["killed_value"]) == (3825, 1351)
    assert round(row["ratio_central"], 2) == 2.83
    assert "Soviet troops at the Battle of Kursk (1943) 2.48" in row["references"]
    assert "U.S. Army in Afghanistan 10" in row["references"]


def test_civilian_wounded_to_killed_is_never_read_against_military_studies(ru_ua):
    references = wounded_to_killed_references()
    assert set(references["population"]) == {"military"}  # no civilian reference is sourced
    civilian = ru_ua.claims.filter(pl.col("population") == "civilian")
    ratios = wounded_to_killed(civilian, references)
    assert ratios.height > 0  # OHCHR's killed and injured of the same reports
    assert ratios["references"].is_null().all()


def test_personnel_losses_against_killed_raises_the_like_for_like_error(ru_ua):
    with pytest.raises(LikeForLikeError) as err:
        ratio_over_time(kyiv(ru_ua.claims), moscow(ru_ua.claims, "killed"))
    message = str(err.value)
    assert "'personnel_losses'" in message and "'killed'" in message
    assert "convert_metric" in message and "Conversion(" in message


def test_kyiv_16100_against_moscow_killed_and_wounded_is_about_3_1(ru_ua):
    moscow_kw = combine_killed_and_wounded(moscow(ru_ua.claims))
    kyiv_kw = convert_metric(kyiv(ru_ua.claims), Conversion("killed_and_wounded"))
    ratios = ratio_over_time(kyiv_kw, moscow_kw, tolerance_days=0)
    row = ratios.filter(pl.col("num_as_of_date") == dt.date(2022, 3, 25)).row(0, named=True)
    assert (row["num_value"], row["num_qualifier"], row["den_value"]) == (16100, "about", 5176)
    assert round(row["ratio_central"], 1) == 3.1
    # 'about 16,100' means 16,050..16,150 under the rounding rule
    assert row["ratio_low"] == pytest.approx(16050 / 5176)
    assert row["ratio_high"] == pytest.approx(16150 / 5176)
    assert row["staleness_days"] == 0
    assert "personnel_losses" in row["assumption"], "the conversion's assumption must travel with the result"


def test_nato_range_against_moscow_killed_is_5_2_to_11_1_with_two_days_staleness(ru_ua):
    nato = select_claims(ru_ua.claims, **RUSSIA_MIL, claimants=["nato"], metric="killed")
    row = ratio_over_time(nato, moscow(ru_ua.claims, "killed")).row(0, named=True)
    assert (row["num_as_of_date"], row["den_as_of_date"]) == (dt.date(2022, 3, 23), dt.date(2022, 3, 25))
    assert (round(row["ratio_low"], 1), round(row["ratio_high"], 1)) == (5.2, 11.1)
    assert row["staleness_days"] == 2
    assert row["is_dependent"] is False


def test_no_partner_within_tolerance_means_no_pair_not_a_forward_fill(ru_ua):
    nato = select_claims(ru_ua.claims, **RUSSIA_MIL, claimants=["nato"], metric="killed")
    assert ratio_over_time(nato, moscow(ru_ua.claims, "killed"), tolerance_days=1).is_empty()


def test_converting_to_killed_carries_the_wounded_to_killed_range(ru_ua):
    converted = convert_metric(kyiv(ru_ua.claims), Conversion("killed", wounded_to_killed=(3.0, 3.0)))
    row = converted.filter(pl.col("as_of_date") == dt.date(2022, 3, 25)).row(0, named=True)
    assert row["value_low"] == pytest.approx(16050 / 4) and row["value_high"] == pytest.approx(16150 / 4)
    assert "between 3 and 3" in row["assumption"] and row["original_metric"] == "personnel_losses"


def test_floor_coverage_named_list_over_model_is_45_to_65_percent(ru_ua):
    coverage = floor_coverage(ru_ua.claims)
    row = coverage.filter(pl.col("num_value") == 122883).row(0, named=True)
    assert row["num_value"] == 122883 and (row["den_value_low"], row["den_value_high"]) == (189000, 273000)
    assert round(row["coverage_low"], 2) == 0.45 and round(row["coverage_high"], 2) == 0.65


def test_official_against_named_floor_keeps_the_open_end_open(ru_ua):
    mediazona = select_claims(ru_ua.claims, **RUSSIA_MIL, claimants=["mediazona_bbc"], metric="killed").filter(
        pl.col("method") == "named_list"
    )
    shoigu = moscow(ru_ua.claims, "killed").filter(pl.col("as_of_date") == dt.date(2022, 9, 21))
    ratios = ratio_over_time(shoigu, mediazona, tolerance_days=400)
    row = ratios.row(0, named=True)
    assert row["ratio_low"] is None, "a floor in the denominator leaves the ratio's low end open"
    assert row["ratio_high"] == pytest.approx(5937 / 24470)


def test_period_and_incident_claims_never_enter_cumulative_series(ru_ua):
    selected = select_claims(ru_ua.claims, subject_side="russia", population="military")
    assert set(selected["period_type"].unique()) == {"cumulative"}
    makiivka = ru_ua.claims.filter(pl.col("period_type") == "incident", pl.col("claimant_id") == "ru_mod")
    assert makiivka.height == 2
    rates = implied_daily_rates(ru_ua.claims.filter(pl.col("claimant_id") == "ru_mod"))
    assert not set(rates["claim_id"]) & set(makiivka["claim_id"])


def test_derived_claims_and_shared_groups_are_not_independent_corroboration(ru_ua):
    uk = select_claims(
        ru_ua.claims, **RUSSIA_MIL, claimants=["uk_defence_intelligence"], metric="killed_and_wounded"
    ).filter(pl.col("as_of_date") == dt.date(2025, 3, 20))
    assert uk["is_dependent"].to_list() == [True]
    assert uk["derived_from_group"].to_list() == ["ukraine_government"]
    kyiv_kw = convert_metric(kyiv(ru_ua.claims), Conversion("killed_and_wounded"))
    pair = ratio_over_time(uk, kyiv_kw, tolerance_days=0).row(0, named=True)
    assert pair["is_dependent"] is True
    zelensky = select_claims(ru_ua.claims, **RUSSIA_MIL, claimants=["ua_president"], metric="killed")
    gs_as_killed = convert_metric(kyiv(ru_ua.claims), Conversion("killed"))
    assert ratio_over_time(zelensky, gs_as_killed, tolerance_days=0)["is_dependent"].all()
    assert independent_groups(pl.concat([uk, kyiv_kw], how="diagonal_relaxed")) == ["ukraine_government"]


def test_latest_claims_show_age_and_flag_stale(ru_ua):
    latest = latest_claims(moscow(ru_ua.claims), dt.date(2023, 1, 1), stale_after_days=30)
    killed = latest.filter(pl.col("metric") == "killed").row(0, named=True)
    assert killed["value"] == 5937 and killed["age_days"] == 102 and killed["is_stale"] is True


def test_ratio_summary_names_latest_lowest_highest(ru_ua):
    ratios = ratio_over_time(convert_metric(kyiv(ru_ua.claims), Conversion("killed")), moscow(ru_ua.claims, "killed"))
    summary = ratio_summary(ratios)
    assert summary["which"].to_list() == ["latest", "lowest", "highest"]
    central = dict(zip(summary["which"], summary["ratio_central"], strict=True))
    assert central["lowest"] <= central["latest"] <= central["highest"]


def test_inputs_are_not_mutated(ru_ua):
    before = ru_ua.claims.clone()
    convert_metric(kyiv(ru_ua.claims), Conversion("killed"))
    combine_killed_and_wounded(moscow(ru_ua.claims))
    assert ru_ua.claims.equals(before)


def test_rates_never_difference_a_named_count_against_an_estimate(ru_ua):
    mediazona = select_claims(ru_ua.claims, **RUSSIA_MIL, claimants=["mediazona_bbc"], metric="killed")
    rates = implied_daily_rates(mediazona)
    assert set(rates["method"]) == {"named_list"}
    assert (rates["rate_central"] >= 0).all()


def test_merged_rate_segments_equal_the_rate_between_their_end_claims(ru_ua):
    kyiv = select_claims(
        ru_ua.claims,
        subject_side="russia",
        population="military",
        claimants=["ua_general_staff"],
        metric="personnel_losses",
    )
    rates = implied_daily_rates(kyiv)
    merged = merge_consecutive_rates(rates, 12)
    assert merged.height <= 13 and merged["merged_segments"].sum() == rates.height
    assert merged["previous_as_of_date"][1:].to_list() == merged["as_of_date"][:-1].to_list(), "segments tile"
    row = merged.row(3, named=True)
    ends = kyiv.filter(pl.col("as_of_date").is_in([row["previous_as_of_date"], row["as_of_date"]]))
    direct = implied_daily_rates(ends).row(0, named=True)
    for part in ("rate_low", "rate_high", "rate_central"):
        assert row[part] == pytest.approx(direct[part])


def test_no_rate_of_the_real_data_has_a_negative_lower_end(ru_ua):
    for side in ("russia", "ukraine"):
        for population in ("military", "civilian"):
            claims = select_claims(ru_ua.claims, subject_side=side, population=population)
            for metric in claims["metric"].unique():
                rates = implied_daily_rates(claims.filter(pl.col("metric") == metric))
                kept = rates.filter(~pl.col("is_revision_down"))
                assert (kept["rate_low"].drop_nulls() >= 0).all(), (side, population, metric)
                assert rates.filter(pl.col("is_revision_down"))["rate_central"].is_null().all()


def test_a_snapshot_never_becomes_a_rate_nor_a_latest_cumulative_figure(sparse):
    claims = sparse.claims
    assert claims.filter(pl.col("period_type") == "snapshot").height == 1
    rates = implied_daily_rates(claims)
    assert not rates["claim_id"].str.contains("in_hospital").any()
    latest = latest_claims(claims, sparse.data_as_of)
    assert set(latest["period_type"]) == {"cumulative"}
