import datetime as dt

import polars as pl
import pytest

from analysis.align import align, flag_stale
from analysis.harmonise import select_claims


def series(claims, claimant, metric):
    return select_claims(claims, subject_side="russia", population="military", claimants=[claimant], metric=metric)


def test_pairs_carry_staleness_and_never_reach_beyond_the_tolerance(ru_ua):
    kyiv = series(ru_ua.claims, "ua_general_staff", "personnel_losses")
    uk = series(ru_ua.claims, "uk_defence_intelligence", "killed_and_wounded")
    # different metrics: alignment refuses
    with pytest.raises(ValueError, match="Not like for like"):
        align(uk, kyiv)
    moscow = series(ru_ua.claims, "ru_mod", "killed")
    nato = series(ru_ua.claims, "nato", "killed")
    pairs = align(moscow, nato, tolerance_days=3)
    assert pairs.height == 1
    assert pairs.row(0, named=True)["staleness_days"] == 2
    assert align(moscow, nato, tolerance_days=1).is_empty()


def test_stale_pairs_are_flagged(ru_ua):
    moscow = series(ru_ua.claims, "ru_mod", "killed")
    mediazona = series(ru_ua.claims, "mediazona_bbc", "killed")
    pairs = align(moscow, mediazona, tolerance_days=1000, stale_after_days=30)
    assert pairs.height == moscow.height
    assert pairs.filter(pl.col("staleness_days") > 30)["is_stale"].all()


def test_negative_tolerance_is_refused(ru_ua):
    moscow = series(ru_ua.claims, "ru_mod", "killed")
    with pytest.raises(ValueError, match="tolerance_days"):
        align(moscow, moscow, tolerance_days=-1)


def test_flag_stale_measures_age_from_the_reference_date(ru_ua):
    moscow = series(ru_ua.claims, "ru_mod", "killed")
    flagged = flag_stale(moscow, dt.date(2022, 4, 24), stale_after_days=30)
    ages = dict(zip(flagged["as_of_date"], flagged["age_days"], strict=True))
    assert ages[dt.date(2022, 3, 25)] == 30
    assert flagged.filter(pl.col("as_of_date") == dt.date(2022, 3, 2))["is_stale"].item() is True
