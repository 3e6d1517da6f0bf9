"""The engine's comparisons work on row numbers and key columns and gather the wide text columns
once (for speed on a million claims). These tests hold them to the plain formulation they
replaced, which sorts, filters and joins whole frames: same rows, same order, same values, on
random claim frames with nulls, ties, repeated ids and same-day duplicates."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis import intervals
from analysis.align import PAIR_FIELDS, _empty_pairs, align, flag_stale
from analysis.bounds import apply_bounds
from analysis.compare import (
    ESTIMATE_METHODS,
    FLOOR_METHODS,
    floor_coverage,
    implied_daily_rates,
    latest_claims,
    ratio_over_time,
    ratio_summary,
    wounded_to_killed,
)
from analysis.harmonise import combine_killed_and_wounded, cumulative, require_like_for_like

REFERENCES = pl.DataFrame(
    {
        "population": ["military", "military"],
        "description": ["Study A", "Study B"],
        "ratio_low": [2.5, 10.0],
        "ratio_high": [2.5, 13.0],
    }
)


def random_claims(seed: int) -> pl.DataFrame:
    rng = random.Random(seed)
    n = rng.choice([0, 1, 3, 20, 200])

    def pick(*values):
        return [rng.choice(values) for _ in range(n)]

    frame = pl.DataFrame(
        {
            "claim_id": [f"c{rng.randint(0, n)}" if rng.random() < 0.1 else f"c{i}" for i in range(n)],
            "statement_id": [f"s{i // 2}" for i in range(n)],
            "claimant_id": pick("a", "b", "c", None),
            "claimant_short_name": pick("A", "B"),
            "role": pick("official", "opposing", "third_party"),
            "independence_group": pick("g1", "g2", None),
            "subject_side": pick("x", "y"),
            "population": pick("military", "civilian"),
            "metric": pick("killed", "wounded") if rng.random() < 0.5 else ["killed"] * n,
            "method": pick("reported", "named_list", "verified_count", "estimate", "model", None),
            "qualifier": pick("exact", "about", "at_least", "more_than", "up_to"),
            "value": [rng.randint(0, 3000) for _ in range(n)],
            "value_low": [None] * n,
            "value_high": [None] * n,
            "period_type": pick(*["cumulative"] * 5, "period"),
            "as_of_date": [
                None if rng.random() < 0.03 else dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 40))
                for _ in range(n)
            ],
            "statement_date": [dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 3)) for _ in range(n)],
            "derived_from": pick(None, "c1"),
            "derived_from_group": pick("g1", None),
            "speaker": pick("a speaker", None),
            "quote": pick("a quote", "another, with a comma"),
            "url": pick("https://example.org/a"),
            "outlet": pick("an outlet"),
            "confidence": pick("high"),
        },
        schema_overrides={
            "value": pl.Int64,
            "value_low": pl.Int64,
            "value_high": pl.Int64,
            "as_of_date": pl.Date,
            "statement_date": pl.Date,
        },
    )
    frame = frame.with_columns(pl.col(pl.Null).cast(pl.String))  # an empty frame's text columns
    return apply_bounds(frame).collect()


# --- the plain formulations -------------------------------------------------------------------


def reference_align(left, right, *, tolerance_days=7, stale_after_days=30, prefixes=("num_", "den_")):
    require_like_for_like(left, right)
    lp, rp = prefixes

    def fields(frame, prefix):
        present = [c for c in PAIR_FIELDS if c in frame.columns]
        missing = [pl.lit(None).alias(c) for c in PAIR_FIELDS if c not in frame.columns]
        return frame.select(*present, *missing).select(pl.all().name.prefix(prefix))

    l_all, r_all = fields(left, lp), fields(right, rp)
    pieces = []
    for _, l_frame in l_all.partition_by(f"{lp}claimant_id", as_dict=True).items():
        l_frame = l_frame.sort(f"{lp}as_of_date", f"{lp}claim_id")
        for _, r_frame in r_all.partition_by(f"{rp}claimant_id", as_dict=True).items():
            r_frame = r_frame.sort(f"{rp}as_of_date", f"{rp}claim_id").with_columns(
                pl.col(f"{rp}as_of_date").alias("_right_date")
            )
            pieces.append(
                l_frame.join_asof(
                    r_frame,
                    left_on=f"{lp}as_of_date",
                    right_on="_right_date",
                    strategy="nearest",
                    tolerance=dt.timedelta(days=tolerance_days),
                )
                .filter(pl.col(f"{rp}claim_id").is_not_null())
                .drop("_right_date")
            )
    if not pieces:
        return _empty_pairs(l_all, r_all)
    gap = (pl.col(f"{rp}as_of_date") - pl.col(f"{lp}as_of_date")).dt.total_days()
    staleness = gap.abs()
    same_group = pl.col(f"{lp}independence_group") == pl.col(f"{rp}independence_group")
    derived = (pl.col(f"{lp}derived_from_group") == pl.col(f"{rp}independence_group")).fill_null(False) | (
        pl.col(f"{rp}derived_from_group") == pl.col(f"{lp}independence_group")
    ).fill_null(False)
    return (
        pl.concat(pieces, how="vertical_relaxed")
        .with_columns(
            later_by_days=gap,
            staleness_days=staleness,
            is_stale=staleness > stale_after_days,
            is_final_tolls=pl.lit(False),
            is_dependent=same_group.fill_null(False) | derived,
            is_across_truce=pl.lit(False),
        )
        .sort(f"{lp}as_of_date", f"{lp}claimant_id", f"{rp}claimant_id", maintain_order=True)
    )


def reference_phase(date, truces):
    """Which stretch a date lies in, counted the plain way: boundaries passed (truce starts, and
    the days after truce ends)."""
    if date is None or truces is None:
        return 0
    passed = 0
    for start, end in truces:
        passed += date >= start
        passed += end is not None and date > end
    return passed


def reference_rates(claims, truces=None):
    """truces: [(start, end or None, name)], sorted, not overlapping."""
    key = ["claimant_id", "subject_side", "population", "metric", "method"]
    if "original_metric" in claims.columns:
        key.append("original_metric")
    ordered = (
        cumulative(claims)
        .sort(*key, "as_of_date", "claim_id")
        .unique(subset=[*key, "as_of_date"], keep="last", maintain_order=True)
    )
    previous = {
        c: pl.col(c).shift(1).over(key)
        for c in (
            "claim_id",
            "as_of_date",
            "value_low",
            "value_high",
            "is_low_exclusive",
            "value_central",
            "qualifier",
            "value",
        )
    }
    with_previous = ordered.with_columns(
        previous_claim_id=previous["claim_id"],
        previous_as_of_date=previous["as_of_date"],
        previous_qualifier=previous["qualifier"],
        previous_value=previous["value"],
        prev_low=previous["value_low"],
        prev_high=previous["value_high"],
        prev_is_low_exclusive=previous["is_low_exclusive"],
        prev_central=previous["value_central"],
    ).filter(pl.col("previous_claim_id").is_not_null())
    days = (pl.col("as_of_date") - pl.col("previous_as_of_date")).dt.total_days()
    # a cumulative count does not fall: an increase is at least zero unless certainly negative
    # (a revision downwards, which gets no rate)
    revised = pl.col("increase_high").is_not_null() & (pl.col("increase_high") < 0)
    return (
        with_previous.with_columns(intervals.from_claim(name="cur"), days=days)
        .with_columns(intervals.subtract("cur", "prev", "increase"))
        .with_columns(is_revision_down=revised)
        .with_columns(
            pl.when(revised).then(pl.col(c)).otherwise(pl.max_horizontal(c, pl.lit(0.0))).alias(c)
            for c in ("increase_low", "increase_central")
        )
        .with_columns(intervals.divide_by_days("increase", pl.col("days"), "rate"))
        .with_columns(
            pl.when(revised).then(None).otherwise(pl.col(c)).alias(c) for c in ("rate_low", "rate_high", "rate_central")
        )
        .drop(intervals.cols("cur"))
        .with_columns(_phase_columns(truces))
        .with_columns(
            pl.when(pl.col("is_across_truce")).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("rate_low", "rate_high", "rate_central")
        )
    )


def _phase_columns(truces) -> list[pl.Expr]:
    spans = [(start, end) for start, end, _ in truces or []]
    names = {2 * i + 1: name for i, (_, _, name) in enumerate(truces or [])}
    here = pl.col("as_of_date").map_elements(
        lambda d: reference_phase(d, spans), return_dtype=pl.Int32, skip_nulls=False
    )
    before = pl.col("previous_as_of_date").map_elements(
        lambda d: reference_phase(d, spans), return_dtype=pl.Int32, skip_nulls=False
    )
    return [
        here.alias("phase"),
        (here != before).alias("is_across_truce"),
        pl.when(here == before).then(here.map_elements(lambda p: names.get(p), return_dtype=pl.String)).alias("truce"),
    ]


def reference_latest(claims, end):
    key = ["claimant_id", "subject_side", "population", "metric"]
    latest = (
        cumulative(claims)
        .filter(pl.col("as_of_date") <= pl.lit(end).cast(pl.Date))
        .sort("as_of_date", "claim_id")
        .group_by(key, maintain_order=True)
        .last()
    )
    return flag_stale(latest, end).sort("role", "claimant_id", "metric")


def reference_summary(ratios):
    if ratios.is_empty():
        return ratios.with_columns(which=pl.lit(None, pl.String))
    ordered = ratios.filter(pl.col("ratio_central").is_not_null()).sort("num_as_of_date", "num_claim_id")
    if ordered.is_empty():
        return ordered.with_columns(which=pl.lit(None, pl.String))
    return pl.concat(
        [
            ordered.tail(1).with_columns(which=pl.lit("latest")),
            ordered.sort("ratio_central", "num_as_of_date").head(1).with_columns(which=pl.lit("lowest")),
            ordered.sort("ratio_central", "num_as_of_date").tail(1).with_columns(which=pl.lit("highest")),
        ]
    )


def reference_coverage(claims):
    base = cumulative(claims)
    floors = base.filter(pl.col("method").is_in(FLOOR_METHODS)).with_columns(
        value_low=pl.col("value").cast(pl.Float64),
        value_high=pl.col("value").cast(pl.Float64),
        is_low_exclusive=pl.lit(False),
        value_central=pl.col("value").cast(pl.Float64),
    )
    estimates = base.filter(pl.col("method").is_in(ESTIMATE_METHODS))
    pieces = []
    for (side, population, metric), group in floors.partition_by(
        "subject_side", "population", "metric", as_dict=True
    ).items():
        matching = estimates.filter(
            pl.col("subject_side") == side, pl.col("population") == population, pl.col("metric") == metric
        )
        if not matching.is_empty():
            pieces.append(ratio_over_time(group, matching).rename(lambda c: c.replace("ratio_", "coverage_")))
    return pl.concat(pieces, how="vertical_relaxed") if pieces else pl.DataFrame()


def reference_wounded_to_killed(claims):
    key = ["claimant_id", "statement_date", "subject_side", "population", "as_of_date"]
    base = cumulative(claims)
    killed = base.filter(pl.col("metric") == "killed").select(
        *key,
        pl.col("claim_id").alias("killed_claim_id"),
        pl.col("value").alias("killed_value"),
        pl.col("qualifier").alias("killed_qualifier"),
        pl.col("stated_low").alias("killed_value_low"),
        pl.col("stated_high").alias("killed_value_high"),
        *intervals.from_claim(name="killed"),
    )
    wounded = base.filter(pl.col("metric") == "wounded").select(
        *key,
        "claimant_short_name",
        "role",
        "url",
        "outlet",
        pl.col("claim_id").alias("wounded_claim_id"),
        pl.col("value").alias("wounded_value"),
        pl.col("qualifier").alias("wounded_qualifier"),
        pl.col("stated_low").alias("wounded_value_low"),
        pl.col("stated_high").alias("wounded_value_high"),
        *intervals.from_claim(name="wounded"),
    )
    references = "Study A 2.5; Study B 10–13"
    return (
        wounded.join(killed, on=key, how="inner")
        .with_columns(intervals.divide("wounded", "killed", "ratio"))
        .with_columns(references=pl.when(pl.col("population") == "military").then(pl.lit(references)))
        .drop(intervals.cols("killed") + intervals.cols("wounded"))
        .sort("as_of_date", "claimant_id")
    )


# --- the comparisons against them -------------------------------------------------------------

SEEDS = range(60)


@pytest.mark.parametrize("seed", SEEDS)
def test_rates_latest_coverage_and_wounded_to_killed_match_the_plain_formulation(seed):
    claims = random_claims(seed)
    assert_frame_equal(implied_daily_rates(claims), reference_rates(claims), check_exact=True)
    assert_frame_equal(
        latest_claims(claims, dt.date(2022, 1, 20)), reference_latest(claims, dt.date(2022, 1, 20)), check_exact=True
    )
    assert_frame_equal(floor_coverage(claims), reference_coverage(claims), check_exact=True)
    assert_frame_equal(wounded_to_killed(claims, REFERENCES), reference_wounded_to_killed(claims), check_exact=True)
    converted = claims.with_columns(original_metric=pl.col("metric"))
    assert_frame_equal(implied_daily_rates(converted), reference_rates(converted), check_exact=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_align_and_ratio_summary_match_the_plain_formulation(seed):
    claims = random_claims(seed)
    killed = claims.filter(pl.col("metric") == "killed", pl.col("population") == "military")  # like for like
    left, right = killed.filter(pl.col("role") == "official"), killed.filter(pl.col("role") != "official")
    tolerance = seed % 10
    assert_frame_equal(
        align(left, right, tolerance_days=tolerance),
        reference_align(left, right, tolerance_days=tolerance),
        check_exact=True,
    )
    ratios = ratio_over_time(left, right, tolerance_days=tolerance)
    assert_frame_equal(ratio_summary(ratios), reference_summary(ratios), check_exact=True)


def test_combine_killed_and_wounded_is_ordered_as_before():
    for seed in SEEDS:
        claims = random_claims(seed)
        combined = combine_killed_and_wounded(claims)
        assert combined.equals(combined.sort("as_of_date", "claimant_id", "claim_id"))


TRUCES = [(dt.date(2022, 1, 6), dt.date(2022, 1, 9), "Truce A"), (dt.date(2022, 1, 18), None, "Truce B")]


def _truce_frame(truces):
    from analysis.dataset import TRUCE_SCHEMA

    return pl.DataFrame(
        [
            {
                "truce_id": f"t{i}",
                "name": name,
                "start_date": start,
                "end_date": end,
                "url": "https://x.test",
                "quote": "q",
            }
            for i, (start, end, name) in enumerate(truces)
        ],
        schema=TRUCE_SCHEMA,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_rates_with_truces_match_the_plain_formulation(seed):
    """No rate across a truce's start or end; the phase and truce named the plain way."""
    claims = random_claims(seed)
    truces = _truce_frame(TRUCES)
    assert_frame_equal(implied_daily_rates(claims, truces=truces), reference_rates(claims, TRUCES), check_exact=True)
