"""The library's public functions refuse impossible requests with one error (issue #15, item 2).

Example tests name every refusal; property tests (hypothesis) throw arbitrary strings, numbers,
dates and lists at the public API and require, for every call, either a frame whose rows all satisfy
the request or errors.ParameterError naming the argument: never another exception, and never an
empty result for a value that no claim holds.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import arguments
from analysis import vocabulary as vocab
from analysis.align import align, flag_stale
from analysis.compare import (
    floor_coverage,
    implied_daily_rates,
    latest_claims,
    merge_consecutive_rates,
    nearest_comparison,
    ratio_over_time,
    share_of_total,
)
from analysis.dataset import list_conflicts, load_claims, load_conflict
from analysis.errors import ParameterError
from analysis.harmonise import Conversion, LikeForLikeError, convert_metric, harmonise_to, select_claims
from analysis.params import check_compare_parameters, check_overview_parameters
from analysis.references import wounded_to_killed_references
from analysis.views import compare_view, overview_view
from tests.fixture_data import CONFLICT_ID, VALID_DATA

# Small and reproducible on a shared 2-core machine and in CI: the same examples every run.
PROPERTY = settings(
    max_examples=75, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def claims() -> pl.DataFrame:
    return load_claims(CONFLICT_ID, VALID_DATA)


SIDE = dict(subject_side="freedonia", population="military")


def refused(call, argument: str, *fragments: str) -> ParameterError:
    """The call raises ParameterError naming `argument` (and each fragment), in one line."""
    with pytest.raises(ParameterError) as caught:
        call()
    message = str(caught.value)
    assert caught.value.argument == argument, message
    assert f"{argument}: " in message and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return caught.value


# ------------------------------------------------------------------------- the one error class


def test_the_error_is_a_value_error_and_a_type_error_in_one_line_naming_the_function(claims):
    error = refused(
        lambda: select_claims(claims, **SIDE, claimants=["fr_war_offic"]),
        "claimants",
        "select_claims: claimants: unknown claimant 'fr_war_offic'; valid (these claims): fr_war_office, ledger_watch",
    )
    assert isinstance(error, ValueError) and isinstance(error, TypeError)
    assert error.function == "select_claims"
    assert error._render_traceback_() == [f"ParameterError: {error}"], "Jupyter shows one line"


def test_the_notebook_parameters_raise_the_same_class():
    from analysis import params

    assert params.ParameterError is ParameterError
    refused(
        lambda: check_compare_parameters(
            conflict=CONFLICT_ID,
            subject_side="freedonia",
            population="military",
            metric="killed",
            start=2024,
            data_dir=VALID_DATA,
        ),
        "start",
    )


def test_a_very_long_or_multiline_value_is_shown_on_one_short_line(claims):
    value = "x\n" * 500
    error = refused(lambda: select_claims(claims, **SIDE, claimants=[value]), "claimants")
    assert len(str(error)) < 600


# ------------------------------------------------------------------------------- select_claims


@pytest.mark.parametrize(
    "override, argument, fragments",
    [
        (
            {"subject_side": "atlantis"},
            "subject_side",
            ["unknown side 'atlantis'; valid (these claims): freedonia, sylvania"],
        ),
        ({"subject_side": 3}, "subject_side", ["must be one side (a string), got 3 (int)"]),
        ({"population": "soldiers"}, "population", ["unknown population 'soldiers'; valid (the vocabulary): military"]),
        (
            {"population": "all"},
            "population",
            ["population 'all' is in the vocabulary but in none of these claims; in these claims: civilian, military"],
        ),
        ({"metric": "deaths"}, "metric", ["unknown metric 'deaths'; valid (the vocabulary): killed"]),
        ({"metric": "captured"}, "metric", ["metric 'captured' is in the vocabulary but in none of these claims"]),
        ({"claimants": "fr_war_office"}, "claimants", ["not one string: write ['fr_war_office']"]),
        ({"claimants": ["fr_war_office", "nobody"]}, "claimants", ["unknown claimant 'nobody'"]),
        ({"claimants": []}, "claimants", ["an empty list selects nothing"]),
        ({"claimants": [1, 2]}, "claimants", ["must be a list of claimant ids (strings), got [1, 2]"]),
        ({"roles": "official"}, "roles", ["not one string"]),
        ({"roles": ["officials"]}, "roles", ["unknown role 'officials'; valid (the vocabulary): official, opposing"]),
        ({"period_type": "daily"}, "period_type", ["unknown period type 'daily'"]),
        ({"period_type": "snapshot"}, "period_type", ["period type 'snapshot' is in the vocabulary but in none"]),
        ({"period_type": "incident"}, "incident_date", ["required with period_type 'incident'"]),
        ({"incident_date": "2022-11-01"}, "incident_date", ["None otherwise"]),
        (
            {"period_type": "incident", "incident_date": "2022-11-02"},
            "incident_date",
            ["no incident of 2022-11-02 in these claims; incidents: 2022-11-01"],
        ),
        ({"start": 2024}, "start", ["must be a date or a string YYYY-MM-DD or None, got 2024 (int)"]),
        ({"start": "01/02/2024"}, "start", ["must be written YYYY-MM-DD (ISO 8601), got '01/02/2024'"]),
        ({"start": "2024-2-1"}, "start", ["must be written YYYY-MM-DD"]),
        ({"start": "20240201"}, "start", ["must be written YYYY-MM-DD"]),  # date.fromisoformat would take it
        ({"end": "2024-02-30"}, "end", ["is not a calendar date: '2024-02-30'"]),
        ({"end": "2022-06-01\n"}, "end", ["must be written YYYY-MM-DD"]),
        ({"start": dt.datetime(2022, 3, 1, 23, 30)}, "start", ["must be a date, not a datetime", "pass value.date()"]),
        ({"start": "2022-06-01", "end": "2022-05-01"}, "end", ["2022-05-01 is before start 2022-06-01"]),
    ],
)
def test_select_claims_refuses(claims, override, argument, fragments):
    refused(lambda: select_claims(claims, **{**SIDE, **override}), argument, *fragments)


def test_select_claims_refuses_what_is_not_claims():
    refused(lambda: select_claims("claims.csv", **SIDE), "claims", "must be a polars DataFrame, got str")
    refused(lambda: select_claims(pl.DataFrame({"x": [1]}), **SIDE), "claims", "lacks the column(s) period_type")


def test_select_claims_accepts_dates_and_iso_strings_alike(claims):
    as_text = select_claims(claims, **SIDE, start="2022-03-01", end="2022-06-30")
    as_dates = select_claims(claims, **SIDE, start=dt.date(2022, 3, 1), end=dt.date(2022, 6, 30))
    assert as_text.height > 0 and as_text.equals(as_dates)
    assert as_text["as_of_date"].is_between(dt.date(2022, 3, 1), dt.date(2022, 6, 30)).all()


def test_an_empty_selection_of_values_each_in_the_data_is_an_answer_not_an_error(claims):
    """Every value is held by some claim; they just do not meet (a window before the war)."""
    empty = select_claims(claims, **SIDE, claimants=["fr_war_office"], start="2000-01-01", end="2000-12-31")
    assert empty.is_empty() and "assumption" in empty.columns


# -------------------------------------------------------------------------- the other functions


def test_load_conflict_and_load_claims_refuse_an_unknown_conflict_and_a_missing_directory(tmp_path):
    refused(
        lambda: load_conflict("freedonia", VALID_DATA),
        "conflict_id",
        "load_conflict: conflict_id: unknown conflict 'freedonia'; valid (the data directory): elbonia-krakozhia",
    )
    refused(lambda: load_claims(2024, VALID_DATA), "conflict_id", "load_claims: conflict_id: must be one conflict")
    refused(lambda: load_conflict(CONFLICT_ID, tmp_path / "nowhere"), "data_dir", "is not a directory")
    refused(lambda: list_conflicts(42), "data_dir", "must be a directory path")
    refused(lambda: load_conflict(CONFLICT_ID, VALID_DATA, about_max_share=math.nan), "about_max_share")


def test_references_refuse_a_data_dir_that_is_not_one(tmp_path):
    refused(lambda: wounded_to_killed_references(tmp_path / "nowhere"), "data_dir", "wounded_to_killed_references:")
    assert wounded_to_killed_references(tmp_path).is_empty(), "a directory without the file has no references"


@pytest.mark.parametrize(
    "value, fragment",
    [
        ((13, 2.5), "0 < low <= high"),
        ((0, 3), "0 < low <= high"),
        ((-1, 3), "0 < low <= high"),
        ((2.5, math.inf), "finite"),
        ((math.nan, 3), "finite"),
        ((3,), "two numbers"),
        ("3:1", "two numbers"),
        ((True, 3), "two numbers"),
        (("2.5", "13"), "two numbers"),
    ],
)
def test_a_wounded_to_killed_range_must_be_two_positive_finite_numbers_in_order(claims, value, fragment):
    refused(lambda: Conversion("killed", value), "wounded_to_killed", "Conversion: wounded_to_killed", fragment)
    refused(lambda: harmonise_to(claims, "killed", value), "wounded_to_killed", "harmonise_to:", fragment)


def test_conversions_refuse_unknown_metrics_and_what_is_no_conversion(claims):
    refused(lambda: Conversion("dead"), "to_metric", "Conversion: to_metric: unknown metric 'dead'")
    refused(lambda: harmonise_to(claims, "dead", (2.5, 13)), "metric", "harmonise_to: metric: unknown metric")
    refused(lambda: convert_metric(claims, "killed"), "conversion", "must be a Conversion")
    assert Conversion("killed", [2, 10]).wounded_to_killed == (2.0, 10.0)


@pytest.mark.parametrize("tolerance", [-1, 7.0, "7", True, None])
def test_a_tolerance_must_be_a_whole_number_of_days(claims, tolerance):
    killed = select_claims(claims, **SIDE, metric="killed")
    refused(
        lambda: nearest_comparison(killed, killed, tolerance_days=tolerance),
        "tolerance_days",
        "nearest_comparison: tolerance_days: must be a whole number of days >= 0",
    )
    refused(lambda: floor_coverage(claims, tolerance_days=tolerance), "tolerance_days", "floor_coverage:")
    if tolerance is not None:  # None is align's and ratio_over_time's 'however far apart'
        refused(lambda: ratio_over_time(killed, killed, tolerance_days=tolerance), "tolerance_days", "ratio_over_time:")
        refused(lambda: align(killed, killed, tolerance_days=tolerance), "tolerance_days", "align:")


def test_the_comparisons_refuse_bad_dates_and_days(claims):
    killed = select_claims(claims, **SIDE, metric="killed")
    refused(lambda: latest_claims(claims, "31/12/2022"), "end", "latest_claims: end: must be written YYYY-MM-DD")
    refused(lambda: latest_claims(claims, None), "end", "must be a date or a string YYYY-MM-DD, got None")
    refused(lambda: latest_claims(claims, "2022-12-31", stale_after_days=-3), "stale_after_days")
    refused(lambda: latest_claims(claims, "2022-12-31", reference_date=2022), "reference_date")
    refused(
        lambda: ratio_over_time(killed, killed, end_date="2022-02-29"),
        "end_date",
        "ratio_over_time:",
        "is not a calendar date",
    )
    refused(lambda: ratio_over_time(killed, "killed"), "denominator", "must be a polars DataFrame")
    refused(lambda: align(killed, killed, prefixes=("a_", "a_")), "prefixes", "two different strings")
    refused(lambda: flag_stale(claims, "2022-12-31T00:00"), "reference_date", "flag_stale:")
    refused(lambda: implied_daily_rates(claims, end_date=dt.datetime(2022, 5, 1)), "end_date", "not a datetime")
    rates = implied_daily_rates(killed)
    refused(lambda: merge_consecutive_rates(rates, 1), "max_segments", "must be a whole number >= 2")
    refused(lambda: share_of_total(killed, killed, tolerance_days=-1), "tolerance_days", "share_of_total:")


def test_iso_strings_and_dates_give_the_same_comparisons(claims):
    as_text = latest_claims(claims, "2022-06-30", reference_date="2022-12-30")
    as_dates = latest_claims(claims, dt.date(2022, 6, 30), reference_date=dt.date(2022, 12, 30))
    assert as_text.height > 0 and as_text.equals(as_dates)


def test_views_refuse_parameters_that_were_not_checked():
    refused(
        lambda: compare_view({"conflict": CONFLICT_ID}),
        "params",
        "compare_view: params: must be the CompareParameters of analysis.params.check_compare_parameters",
    )
    overview = check_overview_parameters(conflict=CONFLICT_ID, data_dir=VALID_DATA)
    refused(lambda: overview_view(overview, stale_after_days="30"), "stale_after_days", "overview_view:")
    assert overview_view(overview).latest.height > 0


# -------------------------------------------------------------- one rule for all three gates


def test_the_parameter_gate_and_the_notebook_parameters_use_the_library_rules():
    """The same value is refused with the same reason by the parameter table (which the catalog
    applies), the notebook's check and the library function: one rule (analysis.arguments)."""
    from analysis.parameters import check_parameters

    def gate():
        raise check_parameters({"start": "01/02/2024"}, [], lambda conflict: None).refused[0]

    reasons = set()
    for call in (
        gate,
        lambda: check_compare_parameters(
            conflict=CONFLICT_ID,
            subject_side="freedonia",
            population="military",
            metric="killed",
            start="01/02/2024",
            data_dir=VALID_DATA,
        ),
        lambda: arguments.date("start", "01/02/2024"),
    ):
        with pytest.raises(ParameterError) as caught:
            call()
        reasons.add(caught.value.reason)
    assert reasons == {"must be written YYYY-MM-DD (ISO 8601), got '01/02/2024'"}


# ------------------------------------------------------------------------------ properties


def anything_but(valid: list[str]) -> st.SearchStrategy:
    """Values from the data and the vocabulary, near misses and junk of other types."""
    near = st.sampled_from(valid).map(lambda v: v + "x") if valid else st.nothing()
    return st.one_of(
        st.sampled_from(valid) if valid else st.nothing(),
        near,
        st.text(max_size=12),
        st.integers(),
        st.none(),
        st.floats(allow_nan=True),
        st.lists(st.sampled_from(valid or ["x"]), max_size=2),
    )


def lists_of(valid: list[str]) -> st.SearchStrategy:
    member = st.one_of(st.sampled_from(valid), st.sampled_from(valid).map(str.upper), st.text(max_size=8))
    return st.one_of(
        st.none(),
        st.lists(member, max_size=3),
        st.lists(st.sampled_from(valid), min_size=1, max_size=3),
        st.sampled_from(valid),
        st.tuples(st.sampled_from(valid)),
        st.frozensets(st.sampled_from(valid)),
        st.integers(),
        st.lists(st.integers(), min_size=1, max_size=2),
    )


def dates() -> st.SearchStrategy:
    days = st.dates(min_value=dt.date(2021, 12, 1), max_value=dt.date(2023, 2, 1))
    return st.one_of(
        st.none(),
        days,
        days.map(dt.date.isoformat),
        days.map(lambda d: d.strftime("%d/%m/%Y")),
        days.map(lambda d: f"{d.year}-{d.month}-{d.day}"),
        st.datetimes(min_value=dt.datetime(2022, 1, 1), max_value=dt.datetime(2022, 12, 31)),
        st.integers(min_value=-(10**6), max_value=10**6),
        st.text(max_size=12),
        st.from_regex(r"\A20[0-9]{2}-[0-9]{2}-[0-9]{2}\Z"),
    )


def as_date(value) -> dt.date | None:
    return value if value is None or isinstance(value, dt.date) else dt.date.fromisoformat(value)


@PROPERTY
@given(data=st.data())
def test_select_claims_either_satisfies_the_request_or_refuses_naming_the_argument(claims, data):
    present = {
        c: sorted(set(claims[c].drop_nulls()))
        for c in ("subject_side", "population", "metric", "claimant_id", "role", "period_type")
    }
    days = st.dates(min_value=dt.date(2021, 12, 1), max_value=dt.date(2023, 2, 1))
    valid = dict(
        subject_side=st.sampled_from(present["subject_side"]),
        population=st.sampled_from(present["population"]),
        metric=st.one_of(st.none(), st.sampled_from(present["metric"])),
        claimants=st.one_of(st.none(), st.lists(st.sampled_from(present["claimant_id"]), min_size=1, max_size=3)),
        roles=st.one_of(st.none(), st.lists(st.sampled_from(present["role"]), min_size=1, max_size=2)),
        start=st.one_of(st.none(), days, days.map(dt.date.isoformat)),
        end=st.one_of(st.none(), days, days.map(dt.date.isoformat)),
        period_type=st.sampled_from(["cumulative", "period"]),
        incident_date=st.none(),
    )
    junk = dict(
        subject_side=anything_but(present["subject_side"]),
        population=anything_but(list(vocab.POPULATION)),
        metric=anything_but(list(vocab.METRIC)),
        claimants=lists_of(present["claimant_id"]),
        roles=lists_of(list(vocab.ROLE)),
        start=dates(),
        end=dates(),
        period_type=st.sampled_from([*vocab.PERIOD_TYPE, "Cumulative", 1]),
        incident_date=st.one_of(st.just("2022-11-01"), dates()),
    )
    # A few arguments spoiled at a time (none in some examples), the others valid: both the
    # refusals and the accepted requests are exercised.
    spoiled = data.draw(st.sets(st.sampled_from(sorted(valid)), max_size=3), "spoiled")
    request = {name: data.draw(junk[name] if name in spoiled else valid[name], name) for name in valid}
    try:
        selected = select_claims(claims, **request)
    except ParameterError as error:
        assert error.argument in request or error.argument == "claims", str(error)
        assert str(error).startswith(f"select_claims: {error.argument}: ") and "\n" not in str(error)
        return
    # Accepted: every row satisfies the request ...
    start, end = as_date(request["start"]), as_date(request["end"])
    assert (selected["subject_side"] == request["subject_side"]).all()
    assert (selected["population"] == request["population"]).all()
    assert (selected["period_type"] == request["period_type"]).all()
    if request["metric"] is not None:
        assert (selected["metric"] == request["metric"]).all()
    if request["claimants"] is not None:
        assert isinstance(request["claimants"], (list, tuple, set, frozenset)), "a string is never a list"
        assert selected["claimant_id"].is_in(list(request["claimants"])).all()
    if request["roles"] is not None:
        assert selected["role"].is_in(list(request["roles"])).all()
    if start is not None:
        assert (selected["as_of_date"] >= start).all()
    if end is not None:
        assert (selected["as_of_date"] <= end).all()
    assert start is None or end is None or start <= end
    # ... and every value asked for is held by some claim: nothing was silently unmatched.
    for name, column in (
        ("subject_side", "subject_side"),
        ("population", "population"),
        ("metric", "metric"),
        ("period_type", "period_type"),
    ):
        if request[name] is not None and selected.is_empty():
            assert request[name] in present[column], (name, request[name])
    for name, column in (("claimants", "claimant_id"), ("roles", "role")):
        if request[name] is not None:
            assert set(request[name]) <= set(present[column]), (name, request[name])


@PROPERTY
@given(start=dates(), end=dates())
def test_a_window_either_bounds_every_selected_date_or_is_refused(claims, start, end):
    try:
        selected = select_claims(claims, **SIDE, start=start, end=end)
    except ParameterError as error:
        assert error.argument in ("start", "end"), str(error)
        return
    first, last = as_date(start), as_date(end)
    assert not isinstance(start, dt.datetime) and not isinstance(end, dt.datetime)
    assert first is None or last is None or first <= last, "a window that ends before it starts"
    assert selected["as_of_date"].is_between(first or dt.date.min, last or dt.date.max).all()


@PROPERTY
@given(
    conflict_id=anything_but(list_conflicts(VALID_DATA)),
    about=st.one_of(
        st.none(), st.floats(min_value=-1, max_value=2), st.sampled_from([0.05, 0.1, 1]), st.text(max_size=3)
    ),
)
def test_load_conflict_either_loads_the_named_conflict_or_refuses(conflict_id, about):
    try:
        conflict = load_conflict(conflict_id, VALID_DATA, about_max_share=about)
    except ParameterError as error:
        assert error.argument in ("conflict_id", "about_max_share"), str(error)
        return
    assert conflict.conflict_id == conflict_id and conflict.about_max_share == (about or conflict.about_max_share)


@PROPERTY
@given(end=dates(), reference=dates(), stale=st.one_of(st.integers(-5, 400), st.floats(), st.text(max_size=3)))
def test_latest_claims_either_stays_within_its_end_or_refuses(claims, end, reference, stale):
    try:
        latest = latest_claims(claims, end, stale_after_days=stale, reference_date=reference)
    except ParameterError as error:
        assert error.argument in ("end", "reference_date", "stale_after_days"), str(error)
        assert str(error).startswith(f"latest_claims: {error.argument}: ")
        return
    assert isinstance(stale, int) and stale >= 0
    assert (latest["as_of_date"] <= as_date(end)).all()
    on = as_date(reference) or as_date(end)
    assert (latest["age_days"] == [(on - d).days for d in latest["as_of_date"]]).all()


@PROPERTY
@given(
    tolerance=st.one_of(st.integers(-3, 400), st.floats(), st.none(), st.text(max_size=3), st.booleans()),
    end_date=dates(),
)
def test_ratio_over_time_pairs_within_the_tolerance_or_refuses(claims, tolerance, end_date):
    official = select_claims(claims, **SIDE, claimants=["fr_war_office"], metric="killed")
    opposing = select_claims(claims, **SIDE, claimants=["sy_general_staff"], metric="killed")
    try:
        ratios = ratio_over_time(opposing, official, tolerance_days=tolerance, end_date=end_date)
    except ParameterError as error:
        assert error.argument in ("tolerance_days", "end_date"), str(error)
        return
    assert tolerance is None or (isinstance(tolerance, int) and not isinstance(tolerance, bool) and tolerance >= 0)
    if tolerance is not None:
        assert ((ratios["staleness_days"] <= tolerance) | ratios["is_final_tolls"]).all()


@PROPERTY
@given(
    to_metric=anything_but(list(vocab.METRIC)),
    ratio=st.one_of(
        st.tuples(st.floats(), st.floats()),
        st.tuples(st.integers(-2, 20), st.integers(-2, 20)),
        st.lists(st.floats(min_value=0.5, max_value=20), max_size=3),
        st.text(max_size=4),
    ),
)
def test_a_conversion_either_reads_every_claim_as_its_metric_or_refuses(claims, to_metric, ratio):
    personnel = select_claims(claims, **SIDE, metric="personnel_losses")
    try:
        conversion = Conversion(to_metric, ratio)
    except ParameterError as error:
        assert error.argument in ("to_metric", "wounded_to_killed"), str(error)
        return
    low, high = conversion.wounded_to_killed
    assert math.isfinite(low) and math.isfinite(high) and 0 < low <= high
    try:
        converted = convert_metric(personnel, conversion)
    except LikeForLikeError as error:  # a valid target the data's metric cannot be read as: the data's refusal
        assert "no conversion from 'personnel_losses'" in str(error)
        return
    assert (converted["metric"] == to_metric).all() and converted.height == personnel.height
