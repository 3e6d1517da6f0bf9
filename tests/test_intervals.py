"""Property tests: any values inside the input bounds give a result inside the output bounds,
and open ends stay open."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import intervals

counts = st.integers(min_value=0, max_value=5_000_000)


@st.composite
def interval_with_point(draw, positive=False):
    """An interval (low, high, exclusive) with optional open ends, and a value inside it."""
    a = draw(counts)
    b = draw(counts)
    low, high = sorted((a, b))
    if positive:
        low = max(low, 1)
        high = max(high, low)
    is_low_exclusive = draw(st.booleans()) and low < high
    point = draw(st.floats(min_value=low, max_value=high, allow_nan=False))
    if is_low_exclusive and point == low:
        point = (low + high) / 2
    open_low = draw(st.booleans())
    open_high = draw(st.booleans())
    if open_high:  # an open ceiling admits values above any stated number
        point = point + draw(st.floats(min_value=0, max_value=1e6))
    return {
        "low": None if open_low else float(low),
        "high": None if open_high else float(high),
        "is_low_exclusive": False if open_low else is_low_exclusive,
        "central": float(point),
        "point": float(point),
    }


def frame(**named):
    data = {}
    for name, iv in named.items():
        for part in intervals.PARTS:
            data[f"{name}_{part}"] = [iv[part]]
    schema = {k: (pl.Boolean if k.endswith("is_low_exclusive") else pl.Float64) for k in data}
    return pl.DataFrame(data, schema=schema)


def inside(result: dict, value: float) -> bool:
    low, high = result["out_low"], result["out_high"]
    tol = 1e-9 * max(1.0, abs(value))
    if low is not None and (value < low - tol or (result["out_is_low_exclusive"] and value < low - tol)):
        return False
    return not (high is not None and value > high + tol)


def run(exprs, df):
    return df.select(exprs).row(0, named=True)


@settings(max_examples=300, deadline=None)
@given(interval_with_point(), interval_with_point())
def test_sum_contains_every_sum_of_members(a, b):
    out = run(intervals.add("a", "b", "out"), frame(a=a, b=b))
    assert inside(out, a["point"] + b["point"])
    if a["high"] is None or b["high"] is None:
        assert out["out_high"] is None
    if a["low"] is None or b["low"] is None:
        assert out["out_low"] is None


@settings(max_examples=300, deadline=None)
@given(interval_with_point(), interval_with_point())
def test_difference_contains_every_difference(a, b):
    out = run(intervals.subtract("a", "b", "out"), frame(a=a, b=b))
    assert inside(out, a["point"] - b["point"])
    if a["high"] is None or b["low"] is None:
        assert out["out_high"] is None


@settings(max_examples=300, deadline=None)
@given(interval_with_point(), interval_with_point(positive=True))
def test_ratio_contains_every_ratio(a, b):
    if b["point"] <= 0:
        return
    out = run(intervals.divide("a", "b", "out"), frame(a=a, b=b))
    assert inside(out, a["point"] / b["point"])
    if a["high"] is None or b["low"] is None:
        assert out["out_high"] is None, "an open end must stay open"
    if a["low"] is None or b["high"] is None:
        assert out["out_low"] is None, "an open end must stay open"


@settings(max_examples=200, deadline=None)
@given(
    interval_with_point(),
    st.floats(min_value=0.01, max_value=20),
    st.floats(min_value=0.01, max_value=20),
    st.floats(min_value=0, max_value=1),
)
def test_scale_contains_every_scaled_member(a, k1, k2, t):
    k_low, k_high = sorted((k1, k2))
    k = k_low + t * (k_high - k_low)
    out = run(intervals.scale("a", k_low, k_high, k, "out"), frame(a=a))
    assert inside(out, a["point"] * k)


@settings(max_examples=300, deadline=None)
@given(
    interval_with_point(),
    interval_with_point(),
    st.floats(min_value=0.01, max_value=20),
    st.floats(min_value=0.01, max_value=20),
    st.floats(min_value=0, max_value=1),
)
def test_a_difference_scaled_by_a_factor_range_contains_every_scaled_difference(a, b, k1, k2, t):
    """How a converted series' increase is read (compare.implied_daily_rates): the difference
    can be below zero, and its ends then take the other end of the factor."""
    k_low, k_high = sorted((k1, k2))
    k = k_low + t * (k_high - k_low)
    df = frame(a=a, b=b).with_columns(intervals.subtract("a", "b", "d"))
    out = run(intervals.scale_by_columns("d", pl.lit(k_low), pl.lit(k_high), pl.lit(k), "out"), df)
    assert inside(out, (a["point"] - b["point"]) * k)
    if a["low"] is None or b["high"] is None:
        assert out["out_low"] is None, "an open end must stay open"
    if a["high"] is None or b["low"] is None:
        assert out["out_high"] is None, "an open end must stay open"


def test_ratio_with_zero_denominator_floor_leaves_the_ceiling_open():
    a = {"low": 10.0, "high": 20.0, "is_low_exclusive": False, "central": 15.0}
    b = {"low": 0.0, "high": 5.0, "is_low_exclusive": False, "central": 2.5}
    out = run(intervals.divide("a", "b", "out"), frame(a=a, b=b))
    assert out["out_low"] == 2.0 and out["out_high"] is None


def test_exclusive_floor_propagates_through_a_ratio():
    a = {"low": 100.0, "high": None, "is_low_exclusive": True, "central": 100.0}
    b = {"low": 10.0, "high": 10.0, "is_low_exclusive": False, "central": 10.0}
    out = run(intervals.divide("a", "b", "out"), frame(a=a, b=b))
    assert out == {"out_low": 10.0, "out_high": None, "out_is_low_exclusive": True, "out_central": 10.0}
