"""Everything a report notebook shows, computed from checked parameters: pure frames, no display.

A view is the analysis of one question ("Russia's military losses, in killed") for the chosen
claimants and window; charts and narrative only present it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from analysis.align import DEFAULT_STALE_AFTER_DAYS, DEFAULT_TOLERANCE_DAYS
from analysis.compare import (floor_coverage, implied_daily_rates, latest_claims, ratio_over_time, ratio_summary,
                              wounded_to_killed)
from analysis.harmonise import Conversion, combine_killed_and_wounded, convert_metric, select_claims
from analysis.params import CompareParameters, OverviewParameters

ROLE_ORDER = ["official", "opposing", "third_party", "independent"]
# Conversions a report makes on its own (with the assumption shown). Reading a count of the
# dead as a larger total (killed -> killed and wounded) would put words in a claimant's mouth,
# so it is only done when a caller asks convert_metric for it.
AUTOMATIC = {"killed": ("killed_and_wounded", "personnel_losses"), "killed_and_wounded": ("personnel_losses",)}


@dataclass(frozen=True)
class CompareView:
    params: CompareParameters
    claims: pl.DataFrame  # the chosen claimants' cumulative claims, in params.metric (converted where needed)
    not_comparable: pl.DataFrame  # their claims in other metrics, left out of the comparison
    ratios: pl.DataFrame  # opposing / official, aligned by as-of date
    ratio_key: pl.DataFrame  # latest, lowest, highest ratio
    independent_vs_official: pl.DataFrame  # each independent claimant's latest against the official latest
    rates: pl.DataFrame  # implied daily rates between consecutive claims of one claimant
    wounded_killed: pl.DataFrame  # the official side's own wounded:killed
    coverage: pl.DataFrame  # named/verified counts over estimates
    latest: pl.DataFrame  # each claimant's latest claim up to `end`, with age and staleness
    like_for_like: pl.DataFrame  # opposing 'personnel losses' read as killed and wounded over official killed + wounded
    end: dt.date
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS

    @property
    def assumptions(self) -> list[str]:
        texts = pl.concat([f.select(pl.col("assumption").cast(pl.String)) for f in
                           (self.claims, self.ratios, self.like_for_like) if "assumption" in f.columns])
        return sorted(t for t in texts["assumption"].unique().to_list() if t)


def harmonise_to(claims: pl.DataFrame, metric: str, wounded_to_killed: tuple[float, float]) -> pl.DataFrame:
    """The claims in `metric`: as stated, a claimant's own killed + wounded summed, or converted
    (with its assumption) from a broader total, unless the claimant stated `metric` itself that day."""
    stated = claims.filter(pl.col("metric") == metric)
    if metric == "killed_and_wounded":
        stated = combine_killed_and_wounded(claims)
    sources = claims.filter(pl.col("metric").is_in(AUTOMATIC.get(metric, ())))
    converted = pl.DataFrame()
    if not sources.is_empty():
        converted = convert_metric(sources, Conversion(metric, wounded_to_killed)).join(
            stated.select("claimant_id", "as_of_date"), on=["claimant_id", "as_of_date"], how="anti")
    if "assumption" not in stated.columns:
        stated = stated.with_columns(assumption=pl.lit(None, pl.String))
    out = pl.concat([stated, converted], how="diagonal_relaxed") if not converted.is_empty() else stated
    if "original_metric" not in out.columns:
        out = out.with_columns(original_metric=pl.col("metric"))
    return out.with_columns(original_metric=pl.coalesce("original_metric", "metric")).sort(
        "as_of_date", "claimant_id", "claim_id")


def compare_view(params: CompareParameters, *, tolerance_days: int = DEFAULT_TOLERANCE_DAYS,
                 stale_after_days: int = DEFAULT_STALE_AFTER_DAYS) -> CompareView:
    chosen = {"official": params.official, "opposing": params.opposing, "independent": params.independent}
    everyone = [c for group in chosen.values() for c in group]
    base = select_claims(params.conflict.claims, subject_side=params.subject_side, population=params.population,
                         claimants=everyone, start=params.start, end=params.end)
    claims = harmonise_to(base, params.metric, params.wounded_to_killed)
    shown = set(claims["claim_id"].str.split("+").explode(empty_as_null=True).to_list())
    not_comparable = base.filter(~pl.col("claim_id").is_in(list(shown)))
    end = params.end or (base["as_of_date"].max() if base.height else params.conflict.start_date)

    def role(name: str) -> pl.DataFrame:
        return claims.filter(pl.col("claimant_id").is_in(list(chosen[name])))

    official, opposing, independent = role("official"), role("opposing"), role("independent")
    ratios = ratio_over_time(opposing, official, tolerance_days=tolerance_days, stale_after_days=stale_after_days) \
        if official.height and opposing.height else pl.DataFrame()
    latest = latest_claims(claims, end, stale_after_days=stale_after_days) if claims.height else claims
    latest_official = latest.filter(pl.col("claimant_id").is_in(list(chosen["official"])))
    latest_independent = latest.filter(pl.col("claimant_id").is_in(list(chosen["independent"])))
    independent_vs_official = pl.DataFrame()
    if latest_official.height and latest_independent.height:
        independent_vs_official = ratio_over_time(latest_independent, latest_official, tolerance_days=100_000,
                                                  stale_after_days=stale_after_days)
    own = base.filter(pl.col("claimant_id").is_in(list(chosen["official"])))
    return CompareView(
        params=params, claims=claims, not_comparable=not_comparable, ratios=ratios,
        ratio_key=ratio_summary(ratios) if ratios.height else ratios,
        independent_vs_official=independent_vs_official,
        rates=implied_daily_rates(claims.filter(~pl.col("claim_id").str.contains(r"\+"))) if claims.height else claims,
        wounded_killed=wounded_to_killed(own) if own.height else own,
        coverage=floor_coverage(base) if base.height else pl.DataFrame(),
        latest=latest, like_for_like=like_for_like(base, chosen, tolerance_days),
        end=end, tolerance_days=tolerance_days, stale_after_days=stale_after_days)


def like_for_like(base: pl.DataFrame, chosen: dict, tolerance_days: int) -> pl.DataFrame:
    """The closest like-for-like reading of an undefined opposing total: it against the
    official side's own killed + wounded of the same dates (the seed article's 3.1)."""
    official = combine_killed_and_wounded(base.filter(pl.col("claimant_id").is_in(list(chosen["official"]))))
    opposing = base.filter(pl.col("claimant_id").is_in(list(chosen["opposing"])),
                           pl.col("metric") == "personnel_losses")
    if official.is_empty() or opposing.is_empty():
        return pl.DataFrame()
    read_as = convert_metric(opposing, Conversion("killed_and_wounded"))
    # Pair from the official side (a few dates) to the nearest opposing figure, then express
    # the ratio the usual way round: opposing over official.
    swapped = ratio_over_time(official, read_as, tolerance_days=tolerance_days)
    if swapped.is_empty():
        return pl.DataFrame()
    return swapped.select(
        pl.all().exclude("^ratio_.*$", "^gap_.*$").name.map(
            lambda c: c.replace("num_", "official_", 1) if c.startswith("num_")
            else c.replace("den_", "opposing_", 1) if c.startswith("den_") else c),
        (pl.col("den_value_low") / pl.col("num_value_high")).alias("ratio_low"),
        (pl.col("den_value_high") / pl.col("num_value_low")).alias("ratio_high"),
        (pl.col("den_value_central") / pl.col("num_value_central")).alias("ratio_central"),
    )


@dataclass(frozen=True)
class OverviewView:
    params: OverviewParameters
    latest: pl.DataFrame  # every claimant's latest cumulative claim per side, population and metric
    ladder: pl.DataFrame  # the latest claims ordered for a ladder per side and population
    statements: pl.DataFrame  # the sources: one row per statement (series summarised)
    end: dt.date
    freshest: pl.DataFrame  # each claimant's newest cumulative claim, whatever its side or metric


def overview_view(params: OverviewParameters, *, stale_after_days: int = DEFAULT_STALE_AFTER_DAYS) -> OverviewView:
    claims = params.conflict.claims
    end = claims["as_of_date"].max() if claims.height else params.conflict.start_date
    latest = latest_claims(claims, end, stale_after_days=stale_after_days) if claims.height else claims
    ladder = latest.sort("subject_side", "population", "metric", "value_central", descending=[False, False, False, True])
    freshest = (latest.sort("as_of_date", "claim_id").group_by("claimant_id", maintain_order=True).last()
                .sort("role", "claimant_id") if latest.height else latest)
    return OverviewView(params, latest, ladder, sources(claims), end, freshest)


def sources(claims: pl.DataFrame) -> pl.DataFrame:
    """One row per source document behind the claims; a bulk series is one row with its date span."""
    series = claims.filter(pl.col("source").str.starts_with("series:"))
    curated = claims.filter(~pl.col("source").str.starts_with("series:"))
    docs = curated.group_by("statement_id").agg(
        pl.first("statement_date"), pl.first("claimant_short_name"), pl.first("speaker"), pl.first("outlet"),
        pl.first("title"), pl.first("url"), pl.len().alias("claims"))
    spans = series.group_by("source").agg(
        pl.min("statement_date").alias("statement_date"), pl.max("statement_date").alias("last_date"),
        pl.first("claimant_short_name"), pl.first("speaker"), pl.first("outlet"), pl.first("title"),
        pl.first("url"), pl.len().alias("claims")).rename({"source": "statement_id"})
    return pl.concat([docs, spans], how="diagonal_relaxed").sort("statement_date", "statement_id")
