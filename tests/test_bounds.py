"""bounds: every qualifier becomes an interval; open ends stay open; 'about' has one rule."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.bounds import ABOUT_RULE, about_half_width, apply_bounds

NULL = None


def bounds(qualifier: str, value: int | None, low: int | None = None, high: int | None = None) -> dict:
    frame = pl.DataFrame({"qualifier": [qualifier], "value": [value], "value_low": [low], "value_high": [high]},
                         schema={"qualifier": pl.String, "value": pl.Int64, "value_low": pl.Int64,
                                 "value_high": pl.Int64})
    return apply_bounds(frame).collect().row(0, named=True)


@pytest.mark.parametrize("qualifier, value, low, high, expected", [
    ("exact", 498, NULL, NULL, (498.0, 498.0, False, 498.0)),
    ("about", 16100, NULL, NULL, (16050.0, 16150.0, False, 16100.0)),
    ("at_least", 1203, NULL, NULL, (1203.0, NULL, False, 1203.0)),
    ("more_than", 12000, NULL, NULL, (12000.0, NULL, True, 12000.0)),
    ("up_to", 155, NULL, NULL, (NULL, 155.0, False, 155.0)),
    ("range", NULL, 7000, 15000, (7000.0, 15000.0, False, 11000.0)),
    ("range", 10000, 8000, 12000, (8000.0, 12000.0, False, 10000.0)),
])
def test_every_qualifier_becomes_low_high_exclusive_and_central(qualifier, value, low, high, expected):
    row = bounds(qualifier, value, low, high)
    assert (row["value_low"], row["value_high"], row["is_low_exclusive"], row["value_central"]) == expected
    assert row["value"] == value


@pytest.mark.parametrize("value, low, high", [
    (16100, 16050, 16150),
    (9000, 8500, 9500),
    (0, 0, 0),
    (16103, 16102.5, 16103.5),
    (1_000_000, 500_000, 1_500_000),
    (500_000, 450_000, 550_000),
    (1300, 1250, 1350),
    (10, 5, 15),
    (7, 6.5, 7.5),
])
def test_about_is_the_interval_that_rounds_to_the_stated_figure(value, low, high):
    row = bounds("about", value)
    assert (row["value_low"], row["value_high"]) == (low, high)


def test_about_rule_is_documented_with_the_seed_example():
    assert "16,100" in ABOUT_RULE and "16,050" in ABOUT_RULE and "16,150" in ABOUT_RULE


def test_output_types():
    out = apply_bounds(pl.DataFrame({"qualifier": ["exact", "range"], "value": [1, None],
                                     "value_low": [None, 1], "value_high": [None, 3]},
                                    schema={"qualifier": pl.String, "value": pl.Int64,
                                            "value_low": pl.Int64, "value_high": pl.Int64}))
    assert isinstance(out, pl.LazyFrame)
    schema = out.collect_schema()
    assert (schema["value"], schema["value_low"], schema["value_high"], schema["value_central"],
            schema["is_low_exclusive"]) == (pl.Int64, pl.Float64, pl.Float64, pl.Float64, pl.Boolean)


def test_accepts_a_lazy_frame_and_keeps_other_columns():
    lazy = pl.LazyFrame({"claim_id": ["a"], "qualifier": ["up_to"], "value": [5],
                         "value_low": [None], "value_high": [None]},
                        schema={"claim_id": pl.String, "qualifier": pl.String, "value": pl.Int64,
                                "value_low": pl.Int64, "value_high": pl.Int64})
    row = apply_bounds(lazy).collect().row(0, named=True)
    assert row["claim_id"] == "a" and row["value_low"] is None and row["value_high"] == 5.0


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**12))
def test_about_interval_is_centred_and_one_unit_of_the_last_nonzero_digit_wide(value):
    row = bounds("about", value)
    digits = str(value)
    unit = 10 ** (len(digits) - len(digits.rstrip("0")))
    assert row["value_low"] < value < row["value_high"]
    assert row["value_high"] - row["value_low"] == unit
    assert (row["value_low"] + row["value_high"]) / 2 == value


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=20))
def test_about_half_width_is_vectorised(values):
    got = pl.DataFrame({"v": values}).select(about_half_width(pl.col("v"))).to_series().to_list()
    expected = [0.0 if v == 0 else 10 ** (len(str(v)) - len(str(v).rstrip("0"))) / 2 for v in values]
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**63 - 1) | st.none(), min_size=1, max_size=20))
def test_about_half_width_counts_zeros_like_the_written_number_over_all_of_int64(values):
    got = pl.DataFrame({"v": values}, schema={"v": pl.Int64}).select(about_half_width(pl.col("v"))).to_series().to_list()
    expected = [None if v is None else 0.0 if v == 0 else 10 ** (len(str(v)) - len(str(v).rstrip("0"))) / 2
                for v in values]
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(qualifier=st.sampled_from(["exact", "about", "at_least", "more_than", "up_to"]),
       value=st.integers(min_value=0, max_value=10**12))
def test_the_stated_value_is_always_inside_its_interval(qualifier, value):
    row = bounds(qualifier, value)
    low, high = row["value_low"], row["value_high"]
    assert low is None or low <= value
    assert high is None or value <= high
    assert row["is_low_exclusive"] == (qualifier == "more_than")
    assert (low is None) == (qualifier == "up_to")
    assert (high is None) == (qualifier in ("at_least", "more_than"))
