"""Truces: pairing never crosses a truce's start or end; rates never average across one."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis.align import align, phase
from analysis.compare import implied_daily_rates, merge_consecutive_rates, nearest_comparison
from analysis.dataset import TRUCE_SCHEMA

D = dt.date


def truces(*spans) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "truce_id": f"t{i}",
                "name": f"Truce {i}",
                "start_date": s,
                "end_date": e,
                "url": "https://example.org",
                "quote": "a pause",
            }
            for i, (s, e) in enumerate(spans)
        ],
        schema=TRUCE_SCHEMA,
    )


def claims(claimant: str, points, *, group: str | None = None, population: str = "all") -> pl.DataFrame:
    rows = []
    for date, value in points:
        rows.append(
            {
                "claim_id": f"{claimant}.{date}",
                "statement_id": f"{claimant}.{date}",
                "claimant_id": claimant,
                "claimant_short_name": claimant,
                "role": "official",
                "independence_group": group or claimant,
                "subject_side": "a",
                "population": population,
                "metric": "killed",
                "method": "reported",
                "qualifier": "exact",
                "value": value,
                "value_low": float(value),
                "value_high": float(value),
                "is_low_exclusive": False,
                "value_central": float(value),
                "period_type": "cumulative",
                "as_of_date": date,
                "statement_date": date,
                "derived_from": None,
                "derived_from_group": None,
            }
        )
    return pl.DataFrame(rows)


TRUCE = truces((D(2025, 1, 19), D(2025, 3, 17)))


def test_phase_numbers_fighting_and_truce_stretches():
    dates = pl.DataFrame({"d": [D(2025, 1, 18), D(2025, 1, 19), D(2025, 3, 17), D(2025, 3, 18)]})
    assert dates.select(phase(pl.col("d"), TRUCE))["d"].to_list() == [0, 1, 1, 2]
    open_ended = truces((D(2025, 10, 10), None))
    assert dates.select(phase(pl.col("d"), open_ended))["d"].to_list() == [0, 0, 0, 0]


def test_a_pair_is_made_within_one_phase_even_when_a_figure_across_the_boundary_is_nearer():
    left = claims("x", [(D(2025, 1, 21), 20000)])
    right = claims("y", [(D(2025, 1, 18), 46899), (D(2025, 1, 26), 47306)])
    plain = align(left, right, tolerance_days=7)
    assert plain["den_as_of_date"].to_list() == [D(2025, 1, 18)]  # nearest: 3 days, but before the truce
    paired = align(left, right, tolerance_days=7, truces=TRUCE)
    assert paired["den_as_of_date"].to_list() == [D(2025, 1, 26)]
    assert paired["is_across_truce"].to_list() == [False]


def test_no_pair_across_a_boundary_and_the_nearest_figure_is_named_not_compared():
    left = claims("x", [(D(2025, 3, 16), 100)])
    right = claims("y", [(D(2025, 3, 18), 49013)])
    assert align(left, right, tolerance_days=7, truces=TRUCE).is_empty()
    named = nearest_comparison(left, right, tolerance_days=7, truces=TRUCE)
    assert named.select("is_comparable", "is_across_truce", "ratio_central").row(0) == (False, True, None)


def test_no_rate_across_a_truce_start_or_end_and_merges_stay_inside_one_phase():
    days = [D(2025, 1, 1) + dt.timedelta(days=i) for i in range(90)]
    series = claims("moh", [(d, 1000 + 10 * i) for i, d in enumerate(days)])
    rates = implied_daily_rates(series, truces=TRUCE)
    crossing = rates.filter(pl.col("is_across_truce"))
    assert crossing["as_of_date"].to_list() == [D(2025, 1, 19), D(2025, 3, 18)]
    assert crossing["rate_central"].null_count() == 2 and crossing["increase_central"].to_list() == [10.0, 10.0]
    inside = rates.filter(pl.col("truce").is_not_null())
    assert inside["as_of_date"].min() == D(2025, 1, 20) and inside["as_of_date"].max() == D(2025, 3, 17)
    merged = merge_consecutive_rates(rates.filter(~pl.col("is_revision_down")), 6)
    spans = merged.select("previous_as_of_date", "as_of_date", "phase", "is_across_truce")
    for start, end, stretch, across in spans.iter_rows():
        if across:
            continue
        assert pl.select(phase(pl.lit(start), TRUCE)).item() == stretch == pl.select(phase(pl.lit(end), TRUCE)).item()


# --- parts of the dead against the total (compare.share_of_total, claimed_against_implied, figures_at) ---

from analysis.compare import claimed_against_implied, figures_at, share_of_total  # noqa: E402


def _part(claimant, points, qualifier="about"):
    frame = claims(claimant, points, population="military")
    if qualifier == "about":  # about 20,000 read as 18,000-22,000
        frame = frame.with_columns(
            qualifier=pl.lit("about"), value_low=pl.col("value_low") * 0.9, value_high=pl.col("value_high") * 1.1
        )
    return frame


def test_a_share_of_the_total_pairs_by_the_time_rule_and_keeps_its_interval():
    part = _part("army", [(D(2025, 1, 21), 20000)])
    total = claims("ministry", [(D(2025, 1, 18), 46899), (D(2025, 1, 21), 47107)])
    shares = share_of_total(part, total, tolerance_days=7, truces=TRUCE)
    row = shares.row(0, named=True)
    assert row["total_as_of_date"] == D(2025, 1, 21) and row["part_population"] == "military"
    assert (row["share_low"], row["share_central"], row["share_high"]) == (18000 / 47107, 20000 / 47107, 22000 / 47107)
    assert row["implied_ratio_low"] == 47107 / 22000 - 1 and row["implied_ratio_high"] == 47107 / 18000 - 1


def test_a_share_needs_a_part_and_a_total_of_everyone():
    import pytest

    part = claims("army", [(D(2025, 1, 21), 20000)], population="military")
    with pytest.raises(ValueError, match="one part population"):
        share_of_total(part, part, tolerance_days=7)


def test_a_claimed_share_is_read_in_its_own_unit_and_unmatched_beyond_the_tolerance():
    part = claims("db", [(D(2025, 5, 31), 8900)], population="military")
    total = claims("ministry", [(D(2025, 5, 31), 54381)])
    shares = share_of_total(part, total, tolerance_days=7)
    claimed = claims("paper", [(D(2025, 5, 31), 83), (D(2025, 8, 1), 80)]).with_columns(
        metric=pl.lit("civilian_share_pct")
    )
    out = claimed_against_implied(claimed, shares, tolerance_days=7)
    assert out["as_of_date"].to_list() == [D(2025, 5, 31)]  # the August claim has no count within a week
    assert out["implied_central"].item() == 100 * (1 - 8900 / 54381)


def test_the_count_when_a_truce_began_is_the_latest_on_or_before_its_first_day():
    series = claims("ministry", [(D(2025, 10, 9), 67194), (D(2025, 10, 10), 67211), (D(2025, 10, 11), 67682)])
    at = figures_at(series, pl.DataFrame({"date": [D(2025, 10, 10)], "label": ["Ceasefire"]}))
    assert at.select("value", "days_before", "at_label").row(0) == (67211, 0, "Ceasefire")
