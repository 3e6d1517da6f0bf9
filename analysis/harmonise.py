"""Like for like or not at all: select comparable claims and convert metrics only on request.

Comparing claims of different metrics raises LikeForLikeError. A conversion is an explicit call
with its assumption as a parameter, and every converted claim carries that assumption as text in
its `assumption` column, which every later table, chart and sentence repeats.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis import arguments, intervals
from analysis import vocabulary as vocab
from analysis.arguments import refusing
from analysis.errors import ParameterError

# Published wounded-to-killed ratios (data/raw/wounded_to_killed_references.csv, each with its
# source): about 2.5:1 for Soviet troops at Kursk (1943) to 10:1 for the US Army and 13:1 for the
# USMC in Afghanistan. The default conversion range spans them: wide on purpose, since nothing in
# a claim says where this war sits. Narrow it only with a cited reason.
DEFAULT_WOUNDED_TO_KILLED = (2.5, 13.0)
UNCONVERTED = "unconverted"  # the interval as stated, on converted rows (intervals.cols(UNCONVERTED))
FACTOR_LOW, FACTOR_HIGH, FACTOR_CENTRAL = "factor_low", "factor_high", "factor_central"  # the conversion applied

# Conversions the engine knows, from -> to. Each is a function of the wounded:killed range.
SUPPORTED_CONVERSIONS = {
    ("personnel_losses", "killed_and_wounded"),
    ("personnel_losses", "killed"),
    ("killed_and_wounded", "killed"),
    ("killed", "killed_and_wounded"),
}


# Conversions a report makes on its own (with the assumption shown). Reading a count of the
# dead as a larger total (killed -> killed and wounded) would put words in a claimant's mouth,
# so it is only done when a caller asks convert_metric for it.
AUTOMATIC = {"killed": ("killed_and_wounded", "personnel_losses"), "killed_and_wounded": ("personnel_losses",)}


class LikeForLikeError(ValueError):
    """Two different metrics were compared without an explicit conversion."""


@dataclass(frozen=True)
class Conversion:
    """An explicit request to read one metric as another, with its assumption."""

    to_metric: str
    wounded_to_killed: tuple[float, float] = DEFAULT_WOUNDED_TO_KILLED

    @refusing(name="Conversion")
    def __post_init__(self) -> None:
        arguments.one_of("to_metric", self.to_metric, vocab.METRIC, what="metric", source="the vocabulary")
        # stored as two floats, whatever sequence of numbers was given
        object.__setattr__(
            self, "wounded_to_killed", arguments.ratio_range("wounded_to_killed", self.wounded_to_killed)
        )


def cumulative(claims: pl.DataFrame) -> pl.DataFrame:
    """Only claims that count since the start: period and incident claims never enter a series."""
    return claims.filter(pl.col("period_type") == "cumulative")


SELECTED_COLUMNS = (
    "period_type",
    "subject_side",
    "population",
    "metric",
    "claimant_id",
    "role",
    "as_of_date",
    "period_start_date",
)


@refusing
def select_claims(
    claims: pl.DataFrame,
    *,
    subject_side: str,
    population: str,
    metric: str | None = None,
    claimants: list[str] | None = None,
    roles: list[str] | None = None,
    start=None,
    end=None,
    period_type: str = "cumulative",
    incident_date=None,
) -> pl.DataFrame:
    """Claims about one side's losses, optionally by metric, claimant, role, window: cumulative
    ones, or counts at one moment (period_type snapshot), or the tallies of the incident of
    `incident_date` (period_type incident).

    Refuses (errors.ParameterError, analysis.arguments) a value outside its vocabulary, a
    value no claim of `claims` holds (a side, claimant, metric... that would select nothing), one
    string for a list, a date that is not a date or an ISO string, and an end before the start.
    An empty result then means only that the values, each in the data, do not meet."""
    arguments.frame("claims", claims, SELECTED_COLUMNS)
    if not isinstance(subject_side, str):  # sides have no vocabulary: the data's are listed
        arguments.one_of(
            "subject_side", subject_side, _present(claims, "subject_side"), what="side", source="these claims"
        )
    arguments.one_of("population", population, vocab.POPULATION, what="population", source="the vocabulary")
    if metric is not None:
        arguments.one_of("metric", metric, vocab.METRIC, what="metric", source="the vocabulary")
    arguments.one_of("period_type", period_type, vocab.PERIOD_TYPE, what="period type", source="the vocabulary")
    if claimants is not None:
        claimants = arguments.some_of("claimants", claimants, None, what="claimant", source="these claims")
    if roles is not None:
        roles = arguments.some_of("roles", roles, vocab.ROLE, what="role", source="the vocabulary")
    start, end = arguments.window(start, end)
    incident = arguments.incident_date("incident_date", incident_date, period_type, tallies="selected")
    conditions = [
        pl.col("period_type") == period_type,
        pl.col("subject_side") == subject_side,
        pl.col("population") == population,
    ]
    if period_type == "incident":
        conditions.append(pl.col("period_start_date") == pl.lit(incident, pl.Date))
    if metric is not None:
        conditions.append(pl.col("metric") == metric)
    if claimants is not None:
        conditions.append(pl.col("claimant_id").is_in(claimants))
    if roles is not None:
        conditions.append(pl.col("role").is_in(roles))
    if start is not None:
        conditions.append(pl.col("as_of_date") >= pl.lit(start, pl.Date))
    if end is not None:
        conditions.append(pl.col("as_of_date") <= pl.lit(end, pl.Date))
    selected = claims.filter(*conditions)
    _require_in_data(
        claims,
        selected,
        subject_side=subject_side,
        population=population,
        metric=metric,
        period_type=period_type,
        incident_date=incident,
        claimants=claimants,
        roles=roles,
    )
    if "assumption" not in selected.columns:
        selected = selected.with_columns(assumption=pl.lit(None, pl.String))
    return selected


def _present(claims: pl.DataFrame, column: str) -> list[str]:
    return sorted(v for v in claims[column].unique().to_list() if v is not None)


def _require_in_data(claims: pl.DataFrame, selected: pl.DataFrame, **values) -> None:
    """Each value asked for is held by some claim. Looked up in the selection first (small, and
    enough whenever every value was found there), in all of `claims` only for the others."""
    if selected.is_empty():
        side = values["subject_side"]
        arguments.one_of("subject_side", side, _present(claims, "subject_side"), what="side", source="these claims")
        for name in ("population", "metric", "period_type"):
            value = values[name]
            if value is not None and value not in (present := _present(claims, name)):
                arguments.in_data(name, value, present, what=name.replace("_", " "))
        incident = values["incident_date"]
        if incident is not None:
            dates = claims.filter(pl.col("period_type") == "incident")["period_start_date"].unique().sort()
            if incident not in dates.to_list():
                held = arguments.listing(d.isoformat() for d in dates if d)
                raise ParameterError(
                    "incident_date", f"no incident of {incident.isoformat()} in these claims; incidents: {held}"
                )
    for name, column, what in (("claimants", "claimant_id", "claimant"), ("roles", "role", "role")):
        asked = values[name]
        if asked is None:
            continue
        found = set(selected[column].unique().to_list()) if selected.height else set()
        missing = [v for v in asked if v not in found]
        if missing:
            present = _present(claims, column)
            unknown = [v for v in missing if v not in present]
            if unknown and name == "claimants":
                arguments.some_of(name, unknown, present, what=what, source="these claims")
            for value in unknown:
                arguments.in_data(name, value, present, what=what)


def require_like_for_like(left: pl.DataFrame, right: pl.DataFrame) -> str:
    """The one metric both frames share; LikeForLikeError naming both metrics otherwise, and
    naming both populations where they differ (fighters against everyone is a share, not a ratio)."""
    if "population" in left.columns and "population" in right.columns:
        populations = sorted({*left["population"].unique().to_list(), *right["population"].unique().to_list()})
        if len(populations) > 1:
            raise LikeForLikeError(
                f"Not like for like: cannot divide claims about different populations {populations}. A count "
                f"of some of the dead (e.g. military) against a count of all of them is a share of the total: "
                f"use compare.share_of_total(part, total, ...), which pairs them by the same time rule."
            )
    left_metrics = sorted(set(left["metric"].unique().to_list()))
    right_metrics = sorted(set(right["metric"].unique().to_list()))
    if len(left_metrics) > 1 or len(right_metrics) > 1:
        raise LikeForLikeError(f"each side of a comparison needs one metric; got {left_metrics} and {right_metrics}")
    if left_metrics and right_metrics and left_metrics != right_metrics:
        a, b = left_metrics[0], right_metrics[0]
        options = sorted(f"{frm} → {to}" for frm, to in SUPPORTED_CONVERSIONS if frm in (a, b))
        raise LikeForLikeError(
            f"Not like for like: cannot compare '{a}' with '{b}'. Different metrics count different "
            f"things; convert one side explicitly, e.g. convert_metric(claims, Conversion(to_metric="
            f"'{b if (a, b) in SUPPORTED_CONVERSIONS else a}', wounded_to_killed=(2.5, 13.0))), "
            f"or combine_killed_and_wounded(...) for a claimant's own killed + wounded. "
            f"Supported conversions from these metrics: {', '.join(options) or 'none'}."
        )
    return (left_metrics or right_metrics or [""])[0]


@refusing
def convert_metric(claims: pl.DataFrame, conversion: Conversion) -> pl.DataFrame:
    """Read every claim as `conversion.to_metric`; the assumption goes into each row's text.
    A metric the data hold that cannot be read as the target is LikeForLikeError (the data's
    refusal, not the argument's: the target itself is checked by Conversion)."""
    arguments.frame("claims", claims, ("metric",))
    if not isinstance(conversion, Conversion):
        raise ParameterError(
            "conversion", f"must be a Conversion(to_metric, wounded_to_killed), got {arguments.shown(conversion)}"
        )
    to = conversion.to_metric
    r_low, r_high = conversion.wounded_to_killed
    r_mid = (r_low + r_high) / 2
    parts = []
    metrics = claims["metric"].unique()
    # The usual input holds one metric: then the frame is its only group, without copying it.
    groups = (
        {(metrics[0],): claims}
        if len(metrics) == 1
        else claims.partition_by("metric", as_dict=True, maintain_order=True)
    )
    for metric, group in groups.items():
        metric = metric[0]
        if metric == to:
            parts.append(group)
            continue
        if (metric, to) not in SUPPORTED_CONVERSIONS:
            raise LikeForLikeError(
                f"no conversion from '{metric}' to '{to}'; supported: "
                + ", ".join(f"{a} → {b}" for a, b in sorted(SUPPORTED_CONVERSIONS))
            )
        text, factor = _conversion_rule(metric, to, r_low, r_high, r_mid)
        # The stated interval and the factor stay on the row: a difference between two claims
        # converted with the same factor is the converted difference of what they stated
        # (compare.implied_daily_rates), not the difference of two independently widened reads.
        converted = group.with_columns(intervals.from_claim(name=UNCONVERTED)).with_columns(
            intervals.scale(UNCONVERTED, *factor, out="value")
        )
        converted = converted.with_columns(
            pl.lit(factor[0]).alias(FACTOR_LOW),
            pl.lit(factor[1]).alias(FACTOR_HIGH),
            pl.lit(factor[2]).alias(FACTOR_CENTRAL),
            metric=pl.lit(to),
            original_metric=pl.lit(metric),
            assumption=_join_assumption(pl.col("assumption") if "assumption" in group.columns else None, text),
            value_is_converted=pl.lit(True),
        )
        parts.append(converted.drop("value_is_low_exclusive"))
    out = pl.concat(parts, how="diagonal_relaxed") if parts else claims
    return out.with_columns(
        original_metric=pl.coalesce(
            pl.col("original_metric") if "original_metric" in out.columns else pl.lit(None, pl.String), pl.col("metric")
        ),
    )


def _conversion_rule(metric: str, to: str, r_low: float, r_high: float, r_mid: float):
    ratio = f"a wounded:killed ratio between {r_low:g} and {r_high:g}"
    if (metric, to) == ("personnel_losses", "killed_and_wounded"):
        return (
            f"'{metric}' read as killed and wounded (the source does not define it; it may also "
            f"include captured and missing)",
            (1.0, 1.0, 1.0),
        )
    if (metric, to) == ("personnel_losses", "killed"):
        return (
            f"'{metric}' read as killed and wounded, then killed = total ÷ (1 + wounded:killed) with {ratio}",
            (1 / (1 + r_high), 1 / (1 + r_low), 1 / (1 + r_mid)),
        )
    if (metric, to) == ("killed_and_wounded", "killed"):
        return (
            f"killed = killed and wounded ÷ (1 + wounded:killed) with {ratio}",
            (1 / (1 + r_high), 1 / (1 + r_low), 1 / (1 + r_mid)),
        )
    if (metric, to) == ("killed", "killed_and_wounded"):
        return (f"killed and wounded = killed × (1 + wounded:killed) with {ratio}", (1 + r_low, 1 + r_high, 1 + r_mid))
    raise LikeForLikeError(f"no conversion from '{metric}' to '{to}'")


def _join_assumption(existing: pl.Expr | None, text: str) -> pl.Expr:
    if existing is None:
        return pl.lit(text)
    return pl.when(existing.is_null()).then(pl.lit(text)).otherwise(existing + pl.lit("; " + text))


def combine_killed_and_wounded(claims: pl.DataFrame) -> pl.DataFrame:
    """A claimant's own killed + wounded stated the same day as of the same date, as one
    killed_and_wounded claim (outlets often carried the two figures of one briefing separately).

    Not a conversion: both numbers are the claimant's, so no assumption is needed beyond the sum.
    Claims that already are killed_and_wounded are kept as they are.
    """
    key = ["claimant_id", "statement_date", "subject_side", "population", "as_of_date", "period_type"]
    lazy = claims.lazy()  # one query: a briefing's claims are few, so per-call overhead dominates
    killed = lazy.filter(pl.col("metric") == "killed")
    wounded = lazy.filter(pl.col("metric") == "wounded").select(
        *key,
        pl.col("claim_id").alias("wounded_claim_id"),
        pl.col("statement_id").alias("wounded_statement_id"),
        *intervals.from_claim(name="w"),
        pl.col("value").alias("wounded_value"),
        pl.col("qualifier").alias("wounded_qualifier"),
    )
    pairs = (
        killed.join(wounded, on=key, how="inner")
        .with_columns(statement_id=pl.col("statement_id") + "+" + pl.col("wounded_statement_id"))
        .with_columns(intervals.from_claim(name="k"))
    )
    summed = (
        pairs.with_columns(intervals.add("k", "w", "value"))
        .with_columns(
            claim_id=pl.col("claim_id") + "+" + pl.col("wounded_claim_id"),
            metric=pl.lit("killed_and_wounded"),
            original_metric=pl.lit("killed + wounded"),
            value=pl.col("value") + pl.col("wounded_value"),
            qualifier=pl.when(pl.col("qualifier") == pl.col("wounded_qualifier"))
            .then(pl.col("qualifier"))
            .otherwise(pl.lit("mixed")),
            assumption=pl.lit(None, pl.String),
            stated_low=pl.lit(None, pl.Int64),
            stated_high=pl.lit(None, pl.Int64),  # two statements, no one range
        )
        .drop(
            "wounded_claim_id",
            "wounded_statement_id",
            "wounded_value",
            "wounded_qualifier",
            *intervals.cols("k"),
            *intervals.cols("w"),
            "value_is_low_exclusive",
        )
    )
    existing = lazy.filter(pl.col("metric") == "killed_and_wounded")
    if "assumption" not in claims.columns:
        existing = existing.with_columns(assumption=pl.lit(None, pl.String))
    return pl.concat([existing, summed], how="diagonal_relaxed").sort("as_of_date", "claimant_id", "claim_id").collect()


def comparable_metrics(stated: set[str] | list[str]) -> list[str]:
    """The metrics a comparison can be made in from claims stated in `stated`: each stated
    metric, killed and wounded when both are stated (summed), and what AUTOMATIC converts."""
    stated = set(stated)
    found = set(stated)
    if {"killed", "wounded"} <= stated:
        found.add("killed_and_wounded")
    found |= {to for to, sources in AUTOMATIC.items() if stated & set(sources)}
    return sorted(found)


@refusing
def harmonise_to(claims: pl.DataFrame, metric: str, wounded_to_killed: tuple[float, float]) -> pl.DataFrame:
    """The claims in `metric`: as stated, a claimant's own killed + wounded summed, or converted
    (with its assumption) from a broader total, unless the claimant stated `metric` itself that day.
    `metric` is checked against the vocabulary only: it is a target, and an empty result says that
    nothing in these claims is stated in it or convertible to it (comparable_metrics)."""
    arguments.frame("claims", claims, ("metric", "claimant_id", "as_of_date", "claim_id"))
    arguments.one_of("metric", metric, vocab.METRIC, what="metric", source="the vocabulary")
    wounded_to_killed = arguments.ratio_range("wounded_to_killed", wounded_to_killed)
    stated = claims.filter(pl.col("metric") == metric)
    if metric == "killed_and_wounded":
        stated = combine_killed_and_wounded(claims)
    sources = claims.filter(pl.col("metric").is_in(AUTOMATIC.get(metric, ())))
    converted = pl.DataFrame()
    if not sources.is_empty():
        converted = convert_metric(sources, Conversion(metric, wounded_to_killed)).join(
            stated.select("claimant_id", "as_of_date"), on=["claimant_id", "as_of_date"], how="anti"
        )
    if "assumption" not in stated.columns:
        stated = stated.with_columns(assumption=pl.lit(None, pl.String))
    out = pl.concat([stated, converted], how="diagonal_relaxed") if not converted.is_empty() else stated
    if "original_metric" not in out.columns:
        out = out.with_columns(original_metric=pl.col("metric"))
    return out.with_columns(original_metric=pl.coalesce("original_metric", "metric")).sort(
        "as_of_date", "claimant_id", "claim_id"
    )
