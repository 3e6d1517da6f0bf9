"""A claim in words, as the source stated it and then as read: who, the stated figure(s) with their
qualifier and the source's own term, the figure read in the report's metric, as of when, from
where; the direction of a pair in time; a ratio's interval; whose losses a report is about.

The pieces every sentence of the headline and the report's sections is built from, one way
everywhere (analysis.narrative re-exports stated_parts, stated_text and direction).
"""

from __future__ import annotations

import polars as pl

from analysis import formatting
from analysis.vocabulary import METRIC_LABEL

STATED_FIELDS = ("qualifier", "value", "stated_low", "stated_high", "original_metric", "metric", "source_term")


def stated_text(row: dict) -> str:
    """'about 16,100 “personnel” (personnel losses)', '70,000–80,000 killed and wounded': one claim as
    stated, in the source's own words where they are recorded."""
    metric = row.get("original_metric") or row["metric"]
    return formatting.claim_text(
        row["qualifier"], row["value"], row.get("stated_low"), row.get("stated_high"), metric, row.get("source_term")
    )


def stated_parts(row: dict, prefix: str = "", claims: pl.DataFrame | None = None) -> list[dict]:
    """What the source said, claim by claim: [{claim_id, text}], from the claim's own qualifier,
    value and stated range ends in its own metric, never from a converted interval. A
    claimant's own killed + wounded (claim id 'a+b') is its two stated figures, looked up in
    `claims` (the conflict's claims)."""
    g = lambda k: row.get(prefix + k)  # noqa: E731
    claim_id = g("claim_id") or ""
    if "+" in claim_id and claims is not None:
        ids = claim_id.split("+")
        parts = claims.filter(pl.col("claim_id").is_in(ids)).sort("metric")
        return [{"claim_id": r["claim_id"], "text": stated_text(r)} for r in parts.iter_rows(named=True)]
    return [{"claim_id": claim_id, "text": stated_text({k: g(k) for k in STATED_FIELDS})}]


def describe_claim(row: dict, prefix: str = "", claims: pl.DataFrame | None = None) -> dict:
    """A claim's words: who, the stated figure(s), what it was read as, as of when, from where."""
    g = lambda k: row.get(prefix + k)  # noqa: E731
    original = g("original_metric") or g("metric")
    converted = original != g("metric") and original in METRIC_LABEL
    joint = g("speaks_for_names")
    return {
        "who": (g("claimant_short_name") or g("claimant_id")) + (f", speaking also for {joint}" if joint else ""),
        "parts": stated_parts(row, prefix, claims),
        "converted": converted,
        "as_metric": formatting.interval(
            g("value_low"), g("value_high"), is_low_exclusive=bool(g("is_low_exclusive")), digits=0
        )
        + " "
        + METRIC_LABEL.get(g("metric"), g("metric")),
        "as_of": g("as_of_date"),
        "statement_date": g("statement_date"),
        "outlet": g("outlet"),
        "url": g("url"),
        "age_days": g("age_days"),
        "is_stale": g("is_stale"),
    }


def describe_subject(p) -> str:
    """Whose losses a compare report is about, in words, with the kind of count when it is not
    a total: "Israel's losses, combatants and civilians together, in the incident of 7 October 2023"."""
    phrase = p.conflict.subject_phrase(p.subject_side, p.population)
    if p.period_type == "incident":
        return f"{phrase}, the toll of {formatting.date(p.incident_date)}"
    if p.period_type == "snapshot":
        return f"{phrase}, counted at one moment"
    return phrase


def direction(later_by_days: int | None) -> str:
    """How the second figure of a pair stands in time to the first: '12 days later', '3 days
    earlier', 'the same as-of date'. From the signed gap, never from its absolute value."""
    if later_by_days is None:
        return "?"
    if later_by_days == 0:
        return "the same as-of date"
    return f"{formatting.days(abs(later_by_days))} {'later' if later_by_days > 0 else 'earlier'}"


def describe_ratio(r: dict) -> str:
    """A ratio's interval to two significant digits, its open end kept open: '3.0–3.2', 'more than 5.2'."""
    return formatting.interval(
        r["ratio_low"], r["ratio_high"], significant_digits=2, is_low_exclusive=bool(r.get("ratio_is_low_exclusive"))
    )


def percent_interval(low, high, is_low_exclusive=False) -> str:
    """A share as percentages: '38–47%', 'at least 12%'."""
    scale = lambda v: None if v is None else 100 * v  # noqa: E731
    return (
        formatting.interval(scale(low), scale(high), significant_digits=2, is_low_exclusive=bool(is_low_exclusive))
        + "%"
    )
