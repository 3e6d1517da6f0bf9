"""Truces: pairing never crosses a truce's start or end; rates never average across one."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis.align import align, phase
from analysis.compare import implied_daily_rates, merge_consecutive_rates, nearest_comparison
from analysis.dataset import TRUCE_SCHEMA

D = dt.date


def truces(*spans) -> pl.DataFrame:
    return pl.DataFrame([{"truce_id": f"t{i}", "name": f"Truce {i}", "start_date": s, "end_date": e,
                          "url": "https://example.org", "quote": "a pause"} for i, (s, e) in enumerate(spans)],
                        schema=TRUCE_SCHEMA)


def claims(claimant: str, points, *, group: str | None = None, population: str = "all") -> pl.DataFrame:
    rows = []
    for date, value in points:
        rows.append({"claim_id": f"{claimant}.{date}", "statement_id": f"{claimant}.{date}", "claimant_id": claimant,
                     "claimant_short_name": claimant, "role": "official", "independence_group": group or claimant,
                     "subject_side": "a", "population": population, "metric": "killed", "method": "reported",
                     "qualifier": "exact", "value": value, "value_low": float(value), "value_high": float(value),
                     "is_low_exclusive": False, "value_central": float(value), "period_type": "cumulative",
                     "as_of_date": date, "statement_date": date, "derived_from": None, "derived_from_group": None})
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
