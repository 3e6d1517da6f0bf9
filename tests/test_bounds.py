"""bounds: every qualifier becomes an interval; open ends stay open; 'about' has one rule."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.bounds import (
    ABOUT_RULE,
    about_half_width,
    about_rule,
    apply_bounds,
    check_about_max_share,
    tighten_by_series,
)

NULL = None


def bounds(qualifier: str, value: int | None, low: int | None = None, high: int | None = None) -> dict:
    frame = pl.DataFrame(
        {"qualifier": [qualifier], "value": [value], "value_low": [low], "value_high": [high]},
        schema={"qualifier": pl.String, "value": pl.Int64, "value_low": pl.Int64, "value_high": pl.Int64},
    )
    return apply_bounds(frame).collect().row(0, named=True)


@pytest.mark.parametrize(
    "qualifier, value, low, high, expected",
    [
        ("exact", 498, NULL, NULL, (498.0, 498.0, False, 498.0)),
        ("about", 16100, NULL, NULL, (16050.0, 16150.0, False, 16100.0)),
        ("at_least", 1203, NULL, NULL, (1203.0, NULL, False, 1203.0)),
        ("more_than", 12000, NULL, NULL, (12000.0, NULL, True, 12000.0)),
        ("up_to", 155, NULL, NULL, (NULL, 155.0, False, 155.0)),
        ("range", NULL, 7000, 15000, (7000.0, 15000.0, False, 11000.0)),
        ("range", 10000, 8000, 12000, (8000.0, 12000.0, False, 10000.0)),
        # a range with an open end ('at least 60,000-100,000'): the floor is its low end, the top stays open
        ("at_least", NULL, 60000, 100000, (60000.0, NULL, False, 60000.0)),
        ("more_than", NULL, 7000, 8000, (7000.0, NULL, True, 7000.0)),
        ("up_to", NULL, 7000, 8000, (NULL, 8000.0, False, 8000.0)),
    ],
)
def test_every_qualifier_becomes_low_high_exclusive_and_central(qualifier, value, low, high, expected):
    row = bounds(qualifier, value, low, high)
    assert (row["value_low"], row["value_high"], row["is_low_exclusive"], row["value_central"]) == expected
    assert row["value"] == value


@pytest.mark.parametrize(
    "value, low, high",
    [
        (16100, 16050, 16150),
        (9000, 8500, 9500),
        (0, 0, 0),
        (16103, 16102.5, 16103.5),
        (1_000_000, 900_000, 1_100_000),  # the cap: half the rounding unit would be ±500,000
        (10_000, 9_000, 11_000),  # Kyiv's 'about 10,000' of March 2022, between 9,166 and 11,000
        (500_000, 450_000, 550_000),  # half the unit is 50,000 = the cap
        (1300, 1250, 1350),
        (10, 9, 11),
        (7, 6.5, 7.5),
    ],
)
def test_about_is_the_interval_that_rounds_to_the_stated_figure_capped_at_a_tenth(value, low, high):
    row = bounds("about", value)
    assert (row["value_low"], row["value_high"]) == (low, high)


def test_about_rule_is_documented_with_the_seed_example():
    assert "16,100" in ABOUT_RULE and "16,050" in ABOUT_RULE and "16,150" in ABOUT_RULE


def test_output_types():
    out = apply_bounds(
        pl.DataFrame(
            {"qualifier": ["exact", "range"], "value": [1, None], "value_low": [None, 1], "value_high": [None, 3]},
            schema={"qualifier": pl.String, "value": pl.Int64, "value_low": pl.Int64, "value_high": pl.Int64},
        )
    )
    assert isinstance(out, pl.LazyFrame)
    schema = out.collect_schema()
    assert (
        schema["value"],
        schema["value_low"],
        schema["value_high"],
        schema["value_central"],
        schema["is_low_exclusive"],
    ) == (pl.Int64, pl.Float64, pl.Float64, pl.Float64, pl.Boolean)


def test_accepts_a_lazy_frame_and_keeps_other_columns():
    lazy = pl.LazyFrame(
        {"claim_id": ["a"], "qualifier": ["up_to"], "value": [5], "value_low": [None], "value_high": [None]},
        schema={
            "claim_id": pl.String,
            "qualifier": pl.String,
            "value": pl.Int64,
            "value_low": pl.Int64,
            "value_high": pl.Int64,
        },
    )
    row = apply_bounds(lazy).collect().row(0, named=True)
    assert row["claim_id"] == "a" and row["value_low"] is None and row["value_high"] == 5.0


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**12))
def test_about_interval_is_centred_and_one_unit_of_the_last_nonzero_digit_wide_or_capped(value):
    row = bounds("about", value)
    digits = str(value)
    unit = 10 ** (len(digits) - len(digits.rstrip("0")))
    assert row["value_low"] < value < row["value_high"]
    assert row["value_high"] - row["value_low"] == pytest.approx(min(unit, 0.2 * value))
    assert (row["value_low"] + row["value_high"]) / 2 == pytest.approx(value)


def test_the_cap_is_a_parameter_and_the_rule_states_it():
    frame = pl.DataFrame(
        {"qualifier": ["about"], "value": [10_000], "value_low": [None], "value_high": [None]},
        schema={"qualifier": pl.String, "value": pl.Int64, "value_low": pl.Int64, "value_high": pl.Int64},
    )
    row = apply_bounds(frame, about_max_share=0.05).collect().row(0, named=True)
    assert (row["value_low"], row["value_high"]) == (9_500, 10_500)
    assert "± 5% of X" in about_rule(0.05) and "± 10% of X" in ABOUT_RULE
    for bad in (0, 1.5, -0.1, True, "0.1"):
        with pytest.raises(ValueError, match="about_max_share"):
            check_about_max_share(bad)


def test_a_range_keeps_its_stated_ends_apart_from_the_interval():
    row = bounds("range", None, 70_000, 80_000)
    assert (row["stated_low"], row["stated_high"]) == (70_000, 80_000)
    assert bounds("about", 16100)["stated_low"] is None


def series_frame(rows):
    """(date, qualifier, value[, low, high]) rows of one claimant's cumulative series."""
    frame = pl.DataFrame(
        {
            "claimant_id": ["a"] * len(rows),
            "subject_side": ["x"] * len(rows),
            "population": ["military"] * len(rows),
            "metric": ["killed"] * len(rows),
            "method": ["reported"] * len(rows),
            "period_type": ["cumulative"] * len(rows),
            "as_of_date": [dt.date(2022, 3, d) for d, *_ in rows],
            "qualifier": [q for _, q, *_ in rows],
            "value": [v for _, _, v, *_ in rows],
            "value_low": [r[3] if len(r) > 3 else None for r in rows],
            "value_high": [r[4] if len(r) > 4 else None for r in rows],
        },
        schema_overrides={"value": pl.Int64, "value_low": pl.Int64, "value_high": pl.Int64},
    )
    return tighten_by_series(apply_bounds(frame))


def test_neighbours_tighten_a_hedged_figure_of_a_cumulative_series():
    out = series_frame([(1, "exact", 9166), (8, "about", 10000), (15, "exact", 10700)])
    about = out.row(1, named=True)
    assert (about["value_low"], about["value_high"]) == (9166.0, 10700.0)  # not 9,000–11,000
    assert about["is_tightened"] is True and about["value_central"] == 10000.0
    assert out["is_tightened"].to_list() == [False, True, False]


def test_open_ends_stay_open_and_same_day_figures_do_not_bound_each_other():
    out = series_frame([(1, "exact", 500), (1, "exact", 300), (8, "more_than", 400), (15, "up_to", 2000)])
    assert out["value_high"].to_list()[2] is None  # 'more than 400' keeps no ceiling
    assert out["value_low"].to_list()[3] is None  # 'up to 2,000' keeps no floor
    assert out["value_low"].to_list()[:2] == [500.0, 300.0]  # rival readings of one day


def test_any_row_order_gives_the_same_bounds():
    rows = [
        (1, "exact", 9166),
        (8, "about", 10000),
        (15, "exact", 10700),
        (8, "about", 9800),
        (22, "range", 0, 11000, 12500),
    ]
    in_order = series_frame(sorted(rows, key=lambda r: r[0]))
    shuffled = series_frame(list(reversed(rows))).sort("as_of_date", "value", maintain_order=True)
    assert in_order.sort("as_of_date", "value", maintain_order=True).equals(shuffled)


def test_a_series_that_contradicts_itself_keeps_its_stated_intervals():
    out = series_frame([(1, "about", 3400), (8, "exact", 3100)])  # a revision downwards
    assert out["value_low"].to_list() == [3350.0, 3100.0] and not out["is_tightened"].any()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=20))
def test_about_half_width_is_vectorised(values):
    got = pl.DataFrame({"v": values}).select(about_half_width(pl.col("v"))).to_series().to_list()
    expected = [0.0 if v == 0 else 10 ** (len(str(v)) - len(str(v).rstrip("0"))) / 2 for v in values]
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**63 - 1) | st.none(), min_size=1, max_size=20))
def test_about_half_width_counts_zeros_like_the_written_number_over_all_of_int64(values):
    got = (
        pl.DataFrame({"v": values}, schema={"v": pl.Int64}).select(about_half_width(pl.col("v"))).to_series().to_list()
    )
    expected = [
        None if v is None else 0.0 if v == 0 else 10 ** (len(str(v)) - len(str(v).rstrip("0"))) / 2 for v in values
    ]
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(
    qualifier=st.sampled_from(["exact", "about", "at_least", "more_than", "up_to"]),
    value=st.integers(min_value=0, max_value=10**12),
)
def test_the_stated_value_is_always_inside_its_interval(qualifier, value):
    row = bounds(qualifier, value)
    low, high = row["value_low"], row["value_high"]
    assert low is None or low <= value
    assert high is None or value <= high
    assert row["is_low_exclusive"] == (qualifier == "more_than")
    assert (low is None) == (qualifier == "up_to")
    assert (high is None) == (qualifier in ("at_least", "more_than"))


def test_an_open_ended_range_keeps_its_stated_ends_and_its_open_end():
    row = bounds("at_least", NULL, 60000, 100000)
    assert (row["stated_low"], row["stated_high"]) == (60000, 100000)
    assert row["value_high"] is None  # no invented ceiling


def test_an_open_ended_range_stays_open_when_its_series_is_tightened():
    claims = apply_bounds(
        pl.DataFrame(
            {
                "claimant_id": ["a"] * 3,
                "subject_side": ["x"] * 3,
                "population": ["military"] * 3,
                "metric": ["killed"] * 3,
                "method": ["reported"] * 3,
                "period_type": ["cumulative"] * 3,
                "as_of_date": [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)],
                "qualifier": ["exact", "at_least", "exact"],
                "value": [6500, None, 9000],
                "value_low": [None, 7000, None],
                "value_high": [None, 8000, None],
            }
        )
    ).collect()
    middle = tighten_by_series(claims).row(1, named=True)
    assert (middle["value_low"], middle["value_high"]) == (7000.0, None)


def test_a_snapshot_is_never_tightened_by_cumulative_neighbours():
    claims = apply_bounds(
        pl.DataFrame(
            {
                "claimant_id": ["a"] * 3,
                "subject_side": ["x"] * 3,
                "population": ["military"] * 3,
                "metric": ["wounded"] * 3,
                "method": ["reported"] * 3,
                "period_type": ["cumulative", "snapshot", "cumulative"],
                "as_of_date": [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)],
                "qualifier": ["exact", "about", "exact"],
                "value": [5000, 1000, 6000],
                "value_low": [None] * 3,
                "value_high": [None] * 3,
            }
        )
    ).collect()
    snapshot = tighten_by_series(claims).row(1, named=True)
    assert (snapshot["value_low"], snapshot["value_high"], snapshot["is_tightened"]) == (900.0, 1100.0, False)
