"""Everything a report notebook shows, computed from checked parameters: pure frames, no display.

A view is the analysis of one question ("Russia's military losses, in killed") for the chosen
claimants and window; charts and narrative only present it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from analysis import arguments, intervals
from analysis.align import DEFAULT_STALE_AFTER_DAYS, align
from analysis.arguments import refusing
from analysis.compare import (
    claimed_against_implied,
    figures_at,
    floor_coverage,
    implied_daily_rates,
    latest_claims,
    merge_consecutive_rates,
    nearest_comparison,
    ratio_over_time,
    ratio_summary,
    share_of_total,
    wounded_to_killed,
)
from analysis.errors import ParameterError
from analysis.harmonise import Conversion, combine_killed_and_wounded, convert_metric, harmonise_to, select_claims
from analysis.params import CompareParameters, OverviewParameters
from analysis.references import wounded_to_killed_references
from analysis.vocabulary import RATIO_METRICS, SERIES_SOURCE_PREFIX

RATE_SEGMENTS = 48  # a daily series' rates are shown as about this many longer averages


@dataclass(frozen=True)
class CompareView:
    params: CompareParameters
    claims: pl.DataFrame  # the chosen claimants' cumulative claims, in params.metric (converted where needed)
    not_comparable: pl.DataFrame  # their claims in other metrics, left out of the comparison
    ratios: pl.DataFrame  # opposing / official, paired by as-of date (align's one rule)
    ratio_key: pl.DataFrame  # latest, lowest, highest ratio
    independent_vs_official: pl.DataFrame  # each independent's latest against the nearest official figure
    rates: pl.DataFrame  # implied daily rates between consecutive claims of one claimant
    rates_drawn: pl.DataFrame  # the same, a daily series merged into longer spans; no revisions
    revisions: pl.DataFrame  # consecutive figures of one claimant that fell: revisions downwards
    wounded_killed: pl.DataFrame  # the official side's own wounded:killed
    coverage: pl.DataFrame  # named/verified counts over estimates
    latest: pl.DataFrame  # each claimant's latest claim up to `end`, with its age on `data_as_of`
    like_for_like: pl.DataFrame  # opposing 'personnel losses' read as killed and wounded over official killed + wounded
    shares: (
        pl.DataFrame
    )  # population all: counts of some of the dead (fighters, civilians) as shares of the official total
    claimed_ratios: pl.DataFrame  # claimed ratios and shares among the dead beside what the counts imply
    at_truces: pl.DataFrame  # each claimant's figure when each truce began
    other_counts: pl.DataFrame  # the same losses counted over one incident or period: not totals, never compared
    end: dt.date  # the window's end (the data's date when the window is open)
    data_as_of: dt.date  # the latest as-of date of the conflict's data: ages are measured from it
    tolerance_days: int
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS

    @property
    def end_date(self) -> dt.date | None:
        """When the fighting ended (conflict.yml), if it has."""
        return self.params.conflict.end_date

    @property
    def truces(self) -> pl.DataFrame:
        """The conflict's truces that overlap the window (none for one incident's tallies)."""
        truces = self.params.conflict.truces
        if self.params.period_type == "incident":
            return truces.clear()
        start = self.params.start or self.params.conflict.start_date
        return truces.filter(
            pl.col("start_date") <= self.end, pl.col("end_date").is_null() | (pl.col("end_date") >= start)
        )

    @property
    def assumptions(self) -> list[str]:
        texts = pl.concat(
            [
                f.select(pl.col("assumption").cast(pl.String))
                for f in (self.claims, self.ratios, self.like_for_like)
                if "assumption" in f.columns
            ]
        )
        return sorted(t for t in texts["assumption"].unique().to_list() if t)


def _checked(params, kind: type, check: str, stale_after_days) -> int:
    """A view's parameters come checked (analysis.params); anything else is refused, not guessed at."""
    if not isinstance(params, kind):
        raise ParameterError(
            "params", f"must be the {kind.__name__} of analysis.params.{check}(...), got {arguments.shown(params)}"
        )
    return arguments.days("stale_after_days", stale_after_days)


@refusing
def compare_view(params: CompareParameters, *, stale_after_days: int = DEFAULT_STALE_AFTER_DAYS) -> CompareView:
    stale_after_days = _checked(params, CompareParameters, "check_compare_parameters", stale_after_days)
    chosen = {"official": params.official, "opposing": params.opposing, "independent": params.independent}
    everyone = [c for group in chosen.values() for c in group]
    conflict = params.conflict
    within, end_date, truces = params.pair_within_days, conflict.end_date, conflict.truces
    if params.period_type == "incident":
        truces = truces.clear()  # one past incident's tallies do not change pace with the fighting
    base = select_claims(
        conflict.claims,
        subject_side=params.subject_side,
        population=params.population,
        claimants=everyone,
        start=params.start,
        end=params.end,
        period_type=params.period_type,
        incident_date=params.incident_date,
    )
    if params.period_type != "cumulative":
        # Counts at one moment, or one incident's tallies, are compared by the rules of totals
        # (nearest in date, within the tolerance) but never differenced into rates (below).
        base = base.with_columns(period_type=pl.lit("cumulative"))
    claims = harmonise_to(base, params.metric, params.wounded_to_killed)
    shown = set(claims["claim_id"].str.split("+").explode(empty_as_null=True).to_list())
    # claimed ratios and shares have their own section (shares); they are not left out
    not_comparable = base.filter(~pl.col("claim_id").is_in(list(shown)), ~pl.col("metric").is_in(list(RATIO_METRICS)))
    data_as_of = conflict.data_as_of
    end = min(params.end, data_as_of) if params.end else data_as_of

    def role(name: str) -> pl.DataFrame:
        return claims.filter(pl.col("claimant_id").is_in(list(chosen[name])))

    official, opposing = role("official"), role("opposing")
    ratios = (
        ratio_over_time(
            opposing,
            official,
            tolerance_days=within,
            stale_after_days=stale_after_days,
            end_date=end_date,
            truces=truces,
        )
        if official.height and opposing.height
        else pl.DataFrame()
    )
    latest = (
        latest_claims(claims, end, stale_after_days=stale_after_days, reference_date=data_as_of)
        if claims.height
        else claims
    )
    latest_independent = latest.filter(pl.col("claimant_id").is_in(list(chosen["independent"])))
    independent_vs_official = pl.DataFrame()
    if official.height and latest_independent.height:
        independent_vs_official = nearest_comparison(
            latest_independent,
            official,
            tolerance_days=within,
            stale_after_days=stale_after_days,
            end_date=end_date,
            truces=truces,
        )
    own = base.filter(pl.col("claimant_id").is_in(list(chosen["official"])))
    single = claims.filter(~pl.col("claim_id").str.contains(r"\+"))  # a sum of two claims is no series point
    rates = implied_daily_rates(single, end_date=end_date, truces=truces) if single.height else single
    if params.period_type == "snapshot":
        rates = rates.clear()  # a count at one moment falls as people leave it: no rate, no revision
    falls = rates.filter(pl.col("is_revision_down")) if rates.height else rates
    if params.period_type == "incident":
        rates = rates.clear()  # one incident's toll rises as the dead are identified: no rate of fighting
    drawn = (
        merge_consecutive_rates(rates.filter(~pl.col("is_revision_down"), ~pl.col("is_across_truce")), RATE_SEGMENTS)
        if rates.height
        else rates
    )
    shares = _shares(params, official, within, end_date, truces)
    return CompareView(
        params=params,
        claims=claims,
        not_comparable=not_comparable,
        ratios=ratios,
        ratio_key=ratio_summary(ratios) if ratios.height else ratios,
        independent_vs_official=independent_vs_official,
        rates=rates,
        rates_drawn=drawn,
        revisions=falls,
        wounded_killed=wounded_to_killed(own, wounded_to_killed_references(conflict.data_dir)) if own.height else own,
        coverage=floor_coverage(base, tolerance_days=within, end_date=end_date, truces=truces)
        if base.height
        else pl.DataFrame(),
        latest=latest,
        like_for_like=like_for_like(base, chosen, within, end_date, truces),
        shares=shares,
        claimed_ratios=_claimed_ratios(params, shares, within, truces),
        at_truces=_at_truces(claims, truces, end, within) if params.period_type == "cumulative" else pl.DataFrame(),
        other_counts=_other_counts(params),
        end=end,
        data_as_of=data_as_of,
        tolerance_days=within,
        stale_after_days=stale_after_days,
    )


def _other_counts(params: CompareParameters) -> pl.DataFrame:
    """Claims about the same side, population and metric that count one incident or one period
    (a battle, a few days): listed beside a report of totals, never compared with them."""
    if params.period_type != "cumulative":
        return pl.DataFrame()
    claims = params.conflict.claims
    return claims.filter(
        pl.col("subject_side") == params.subject_side,
        pl.col("population") == params.population,
        pl.col("metric") == params.metric,
        pl.col("period_type").is_in(["incident", "period"]),
        *_in_window(params),
    ).sort("as_of_date", "claim_id")


def _in_window(params: CompareParameters) -> list[pl.Expr]:
    """The report's window on as-of dates, as filters (none for an open end)."""
    return [
        *([pl.col("as_of_date") >= params.start] if params.start else []),
        *([pl.col("as_of_date") <= params.end] if params.end else []),
    ]


def _shares(
    params: CompareParameters, official: pl.DataFrame, within: int, end_date: dt.date | None, truces: pl.DataFrame
) -> pl.DataFrame:
    """With population all: every claimant's count of the side's combatants as a share of the
    official total (all claimants: an adversary's count of fighters is the point of the
    comparison, whoever the report names), each paired with the nearest official total (the
    report's first official claimant on a tie). Counts of civilians are not read as shares: the
    ones sources give are categories (women and children; one kind of weapon; a wider area) that
    are not 'the civilians among the dead'."""
    if params.population != "all" or params.period_type != "cumulative" or official.is_empty():
        return pl.DataFrame()
    totals = official.filter(~pl.col("claim_id").str.contains(r"\+"))
    claims = params.conflict.claims
    if claims.filter(pl.col("population") == "military", pl.col("metric") == params.metric).is_empty():
        return pl.DataFrame()  # no count of combatants in this metric: select_claims would refuse 'military'
    parts = select_claims(
        params.conflict.claims,
        subject_side=params.subject_side,
        population="military",
        metric=params.metric,
        start=params.start,
        end=params.end,
    )
    shares = share_of_total(parts, totals, tolerance_days=within, end_date=end_date, truces=truces)
    if shares.is_empty():
        return shares
    order = {claimant: i for i, claimant in enumerate(params.official)}
    return (
        shares.with_columns(_order=pl.col("total_claimant_id").replace_strict(order, default=len(order)))
        .sort("staleness_days", "_order")
        .group_by("part_claim_id", maintain_order=True)
        .first()
        .drop("_order")
        .sort("part_as_of_date", "part_claimant_id")
    )


def _claimed_ratios(params: CompareParameters, shares: pl.DataFrame, within: int, truces: pl.DataFrame) -> pl.DataFrame:
    """Claimed ratios and shares among the side's dead, beside the counts' own."""
    if params.population != "all" or params.period_type != "cumulative":
        return pl.DataFrame()
    claims = params.conflict.claims
    claimed = claims.filter(
        pl.col("subject_side") == params.subject_side, pl.col("metric").is_in(list(RATIO_METRICS)), *_in_window(params)
    )
    if claimed.is_empty():
        return pl.DataFrame()
    compared = (
        claimed_against_implied(claimed, shares, tolerance_days=within, truces=truces)
        if shares.height
        else pl.DataFrame()
    )
    # every claim is listed, with or without counts of its dates to set beside it
    unmatched = claimed.join(compared.select("claim_id"), on="claim_id", how="anti") if compared.height else claimed
    return pl.concat([compared, unmatched], how="diagonal_relaxed").sort("as_of_date", "claim_id")


def _at_truces(claims: pl.DataFrame, truces: pl.DataFrame, end: dt.date, within: int) -> pl.DataFrame:
    """Each claimant's figure when each truce of the window began (as of that day or at most
    `within` days before)."""
    starting = truces.filter(pl.col("start_date") <= end)
    if starting.is_empty() or claims.is_empty():
        return pl.DataFrame()
    at = figures_at(
        claims.filter(~pl.col("claim_id").str.contains(r"\+")),
        starting.select(pl.col("start_date").alias("date"), pl.col("name").alias("label")),
    )
    # a figure from long before a truce is not the count 'when it began'
    return at.filter(pl.col("days_before") <= within) if at.height else at


def like_for_like(
    base: pl.DataFrame,
    chosen: dict,
    tolerance_days: int,
    end_date: dt.date | None = None,
    truces: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The closest like-for-like reading of an undefined opposing total: it against the
    official side's own killed + wounded of the same dates (the seed article's 3.1).

    Paired from the official side (a few dates) to the nearest opposing figure, and divided the
    usual way round: opposing over official, by interval arithmetic (analysis.intervals)."""
    official = combine_killed_and_wounded(base.filter(pl.col("claimant_id").is_in(list(chosen["official"]))))
    opposing = base.filter(
        pl.col("claimant_id").is_in(list(chosen["opposing"])), pl.col("metric") == "personnel_losses"
    )
    if official.is_empty() or opposing.is_empty():
        return pl.DataFrame()
    read_as = convert_metric(opposing, Conversion("killed_and_wounded"))
    pairs = align(
        official,
        read_as,
        tolerance_days=tolerance_days,
        end_date=end_date,
        prefixes=("official_", "opposing_"),
        truces=truces,
    )
    if pairs.is_empty():
        return pl.DataFrame()
    return (
        pairs.with_columns(
            *intervals.from_claim("opposing_", "_opposing"), *intervals.from_claim("official_", "_official")
        )
        .with_columns(intervals.divide("_opposing", "_official", "ratio"))
        .drop(intervals.cols("_opposing") + intervals.cols("_official"))
    )


@dataclass(frozen=True)
class OverviewView:
    params: OverviewParameters
    latest: pl.DataFrame  # every claimant's latest cumulative claim per side, population and metric
    ladder: pl.DataFrame  # the latest claims ordered for a ladder per side and population
    statements: pl.DataFrame  # the sources: one row per statement (series summarised)
    end: dt.date
    freshest: pl.DataFrame  # each claimant's newest cumulative claim, whatever its side or metric
    snapshots: pl.DataFrame  # counts at one moment (period_type snapshot), as stated: never summed nor differenced
    ratios: pl.DataFrame  # claimed ratios and shares among the dead, as stated: never on a count axis
    incidents: pl.DataFrame  # each claimant's latest tally of each incident (period_type incident)


@refusing
def overview_view(params: OverviewParameters, *, stale_after_days: int = DEFAULT_STALE_AFTER_DAYS) -> OverviewView:
    stale_after_days = _checked(params, OverviewParameters, "check_overview_parameters", stale_after_days)
    everything = params.conflict.claims
    is_ratio = pl.col("metric").is_in(list(RATIO_METRICS))
    claims = everything.filter(~is_ratio)
    end = params.conflict.data_as_of
    latest = latest_claims(claims, end, stale_after_days=stale_after_days) if claims.height else claims
    ladder = latest.sort(
        "subject_side", "population", "metric", "value_central", descending=[False, False, False, True]
    )
    freshest = (
        latest.sort("as_of_date", "claim_id")
        .group_by("claimant_id", maintain_order=True)
        .last()
        .sort("role", "claimant_id")
        if latest.height
        else latest
    )
    snapshots = claims.filter(pl.col("period_type") == "snapshot").sort("subject_side", "as_of_date", "claim_id")
    ratios = everything.filter(is_ratio).sort("subject_side", "as_of_date", "claim_id")
    incidents = (
        claims.filter(pl.col("period_type") == "incident")
        .sort("as_of_date", "claim_id")
        .group_by("claimant_id", "subject_side", "population", "metric", "period_start_date", maintain_order=True)
        .last()
        .sort(
            "period_start_date",
            "subject_side",
            "population",
            "metric",
            "value_central",
            descending=[False, False, False, False, True],
        )
    )
    return OverviewView(params, latest, ladder, sources(everything), end, freshest, snapshots, ratios, incidents)


def sources(claims: pl.DataFrame) -> pl.DataFrame:
    """One row per source document behind the claims; a bulk series is one row with its date span."""
    series = claims.filter(pl.col("source").str.starts_with(SERIES_SOURCE_PREFIX))
    curated = claims.filter(~pl.col("source").str.starts_with(SERIES_SOURCE_PREFIX))
    docs = curated.group_by("statement_id").agg(
        pl.first("statement_date"),
        pl.first("claimant_short_name"),
        pl.first("speaks_for_names"),
        pl.first("speaker"),
        pl.first("outlet"),
        pl.first("title"),
        pl.first("url"),
        pl.len().alias("claims"),
    )
    spans = (
        series.group_by("source")
        .agg(
            pl.min("statement_date").alias("statement_date"),
            pl.max("statement_date").alias("last_date"),
            pl.first("claimant_short_name"),
            pl.first("speaker"),
            pl.first("outlet"),
            pl.first("title"),
            pl.first("url"),
            pl.len().alias("claims"),
        )
        .rename({"source": "statement_id"})
    )
    return pl.concat([docs, spans], how="diagonal_relaxed").sort("statement_date", "statement_id")
