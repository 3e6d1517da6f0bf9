import datetime as dt

import polars as pl
import pytest

from analysis.harmonise import (
    DEFAULT_WOUNDED_TO_KILLED,
    Conversion,
    LikeForLikeError,
    combine_killed_and_wounded,
    convert_metric,
    cumulative,
    require_like_for_like,
    select_claims,
)


def test_select_claims_filters_side_population_metric_window_and_excludes_period_claims(ru_ua):
    selected = select_claims(
        ru_ua.claims,
        subject_side="ukraine",
        population="military",
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
    )
    assert selected.height > 0
    assert set(selected["subject_side"]) == {"ukraine"} and set(selected["period_type"]) == {"cumulative"}
    assert selected["as_of_date"].min() >= dt.date(2024, 1, 1)
    # Belousov's 2024-only figure (more than 560,000) is a period claim and must not be here
    assert 560000 not in selected["value"].to_list()
    assert "assumption" in selected.columns


def test_unsupported_conversion_names_the_supported_ones(ru_ua):
    killed = select_claims(ru_ua.claims, subject_side="russia", population="military", metric="killed")
    with pytest.raises(LikeForLikeError, match="no conversion from 'killed' to 'personnel_losses'"):
        convert_metric(killed, Conversion("personnel_losses"))


@pytest.mark.parametrize("bad", [(0, 3), (4, 3), (-1, 2)])
def test_conversion_needs_a_positive_ordered_range(bad):
    with pytest.raises(ValueError, match="wounded_to_killed"):
        Conversion("killed", wounded_to_killed=bad)


def test_default_wounded_to_killed_range_spans_the_published_studies():
    assert DEFAULT_WOUNDED_TO_KILLED == (2.5, 13.0)


def test_killed_and_wounded_to_killed_divides_by_one_plus_the_ratio_range(ru_ua):
    kw = select_claims(
        ru_ua.claims,
        subject_side="russia",
        population="military",
        claimants=["us_government"],
        metric="killed_and_wounded",
    ).filter(pl.col("as_of_date") == dt.date(2022, 8, 8))
    row = convert_metric(kw, Conversion("killed", (2.5, 13.0))).row(0, named=True)
    assert row["value_low"] == pytest.approx(70000 / 14) and row["value_high"] == pytest.approx(80000 / 3.5)
    assert row["metric"] == "killed" and "÷ (1 + wounded:killed)" in row["assumption"]


def test_combine_sums_one_briefings_killed_and_wounded_even_across_outlets(ru_ua):
    moscow = select_claims(ru_ua.claims, subject_side="russia", population="military", claimants=["ru_mod"])
    combined = combine_killed_and_wounded(moscow)
    assert combined["value"].to_list() == [498 + 1597, 1351 + 3825]
    assert combined["assumption"].null_count() == combined.height, "a claimant's own sum needs no assumption"


def test_like_for_like_guard_needs_one_metric_per_side(ru_ua):
    mixed = select_claims(ru_ua.claims, subject_side="russia", population="military", claimants=["ru_mod"])
    with pytest.raises(LikeForLikeError, match="one metric"):
        require_like_for_like(mixed, mixed)


def test_cumulative_keeps_only_cumulative(ru_ua):
    assert set(cumulative(ru_ua.claims)["period_type"]) == {"cumulative"}
