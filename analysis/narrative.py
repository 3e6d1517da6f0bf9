"""The report's sections from the data: the header, key numbers with exact figures, dates and
qualifiers, the assumptions behind them, caveats, the sources, and the overview's summary.

The one module pages (and publish, for tables) take every text of a page from: it re-exports the
headlines (analysis.headlines), a claim in words (analysis.wording) and the HTML plumbing
(analysis.markup: autoescaped templates, links only for http(s) URLs, tables).
"""

from __future__ import annotations

import polars as pl

from analysis import formatting
from analysis.bounds import TIGHTENING_RULE, about_rule
from analysis.headlines import headline, overview_headline
from analysis.markup import render, safe_url, table_html
from analysis.views import CompareView, OverviewView, sources
from analysis.vocabulary import METRIC_LABEL
from analysis.wording import (
    describe_claim,
    describe_ratio,
    describe_subject,
    direction,
    percent_interval,
    stated_parts,
    stated_text,
)

__all__ = [
    "assumptions",
    "caveats",
    "direction",
    "header",
    "headline",
    "key_numbers",
    "overview_headline",
    "overview_summary",
    "render",
    "report_intro",
    "safe_url",
    "sources_table",
    "stated_parts",
    "stated_text",
    "table_html",
]


def header(title: str, conflict, params: dict, lead: str | None = None) -> str:
    """Title, the headline sentence, conflict, 'Data as of … · built …' and the report's parameters."""
    return render(
        "header.html.j2",
        title=title,
        conflict=conflict.name,
        params=params,
        lead=lead,
        data_as_of=conflict.data_as_of,
        built=formatting.build_date(),
    )


def report_intro(population: str) -> str:
    """What the report compares, in words that fit its population."""
    if population == "civilian":
        return (
            "What each source counts of civilians killed and injured: monitoring missions' verified counts "
            "(floors by construction, which their authors say fall short of the real toll), estimates, and "
            "governments' statements. Every figure keeps who said it, when, as of when, its source and its "
            "hedging; figures in other metrics are converted only under an assumption stated wherever the "
            "result appears."
        )
    return (
        "What a side says about its own losses (official), what its adversary claims about the same losses "
        "(opposing), and what third parties and independent counters find. Every figure keeps who said it, "
        "when, as of when, its source and the source's own hedging; figures in other metrics are converted "
        "only under an assumption stated wherever the result appears."
    )


def key_numbers(view: CompareView) -> str:
    """The key-numbers paragraph: what each side says, the like-for-like ratio, the gap."""
    p = view.params
    everything = p.conflict.claims
    metric = METRIC_LABEL[p.metric]
    like = None
    if view.like_for_like.height:
        row = view.like_for_like.sort("official_as_of_date").tail(1).row(0, named=True)
        like = {
            "official": describe_claim(row, "official_", everything),
            "opposing": describe_claim(row, "opposing_", everything),
            "direction": direction(row["later_by_days"]),
            "is_final_tolls": row["is_final_tolls"],
            "ratio": describe_ratio(row),
            "ratio_central": formatting.significant(row["ratio_central"], 2),
        }
    latest = [describe_claim(r, claims=everything) | {"role": r["role"]} for r in view.latest.iter_rows(named=True)]
    ratio_rows: list[dict] = []
    for r in view.ratio_key.iter_rows(named=True):
        same_pair = next((x for x in ratio_rows if x["pair"] == (r["num_claim_id"], r["den_claim_id"])), None)
        if same_pair:  # one pair can be the latest, the lowest and the highest: say it once
            same_pair["labels"].append(r["which"])
            same_pair["which"] = ", ".join(same_pair["labels"][:-1]) + " and " + same_pair["labels"][-1]
            continue
        ratio_rows.append(
            {
                "which": r["which"],
                "labels": [r["which"]],
                "pair": (r["num_claim_id"], r["den_claim_id"]),
                "ratio": describe_ratio(r),
                "num": describe_claim(r, "num_", everything),
                "den": describe_claim(r, "den_", everything),
                "direction": direction(r["later_by_days"]),
                "is_final_tolls": r["is_final_tolls"],
            }
        )
    independents = []
    compared = (
        set(view.independent_vs_official.filter(pl.col("is_comparable"))["num_claim_id"].to_list())
        if view.independent_vs_official.height
        else set()
    )
    for r in view.independent_vs_official.iter_rows(named=True):
        if not r["is_comparable"] and r["num_claim_id"] in compared:
            continue  # compared with another official figure: the nearest of this one need not be named
        independents.append(
            {
                "num": describe_claim(r, "num_", everything),
                "den": describe_claim(r, "den_", everything),
                "direction": direction(r["later_by_days"]),
                "is_comparable": r["is_comparable"],
                "is_final_tolls": r["is_final_tolls"],
                "ratio": describe_ratio(r) if r["is_comparable"] else None,
                "is_dependent": r["is_dependent"],
                "is_across_truce": r.get("is_across_truce"),
            }
        )
    shares = [
        {
            "part": describe_claim(r, "part_", everything),
            "total": describe_claim(r, "total_", everything),
            "population": r["part_population"],
            "direction": direction(r["later_by_days"]),
            "share": percent_interval(r["share_low"], r["share_high"], r.get("share_is_low_exclusive")),
            "implied": formatting.interval(r["implied_ratio_low"], r["implied_ratio_high"], significant_digits=2)
            if r["implied_ratio_central"] is not None
            else None,
        }
        for r in _latest_per(view.shares, ["part_claimant_id", "part_population"], "part_as_of_date")
    ]
    claimed = [
        {
            "claim": describe_claim(r, claims=everything),
            "metric": r["metric"],
            "part": describe_claim(r, "part_", everything) if r.get("part_claim_id") else None,
            "total": describe_claim(r, "total_", everything) if r.get("part_claim_id") else None,
            "implied": _implied_text(r) if r.get("part_claim_id") else None,
        }
        for r in view.claimed_ratios.iter_rows(named=True)
    ]
    other_counts = (
        [
            describe_claim(r, claims=everything)
            | {"role": r["role"], "period_type": r["period_type"], "start": r["period_start_date"]}
            for r in view.other_counts.iter_rows(named=True)
        ]
        if view.other_counts.height
        else []
    )
    at_truces = (
        [
            {
                "label": r["at_label"],
                "date": r["at_date"],
                "claim": describe_claim(r, claims=everything),
                "days_before": r["days_before"],
            }
            for r in view.at_truces.filter(pl.col("role") == "official").iter_rows(named=True)
        ]
        if view.at_truces.height
        else []
    )
    wk = [
        {
            "who": r["claimant_short_name"],
            "as_of": r["as_of_date"],
            "wounded": formatting.stated_value(
                r["wounded_qualifier"], r["wounded_value"], r["wounded_value_low"], r["wounded_value_high"]
            ),
            "killed": formatting.stated_value(
                r["killed_qualifier"], r["killed_value"], r["killed_value_low"], r["killed_value_high"]
            ),
            "ratio": formatting.interval(r["ratio_low"], r["ratio_high"], significant_digits=2),
            "references": r["references"],
            "dates": r["dates"],
            "lowest": formatting.significant(r["lowest"], 2) if r["lowest"] is not None else "?",
            "highest": formatting.significant(r["highest"], 2) if r["highest"] is not None else "?",
        }
        for r in _latest_ratio_per_claimant(view.wounded_killed.filter(pl.col("subject_side") == p.subject_side))
    ]
    return render(
        "key_numbers.html.j2",
        subject=describe_subject(p),
        population=p.population,
        metric=metric,
        end=view.end,
        like=like,
        latest=latest,
        ratios=ratio_rows,
        independents=independents,
        wounded_killed=wk,
        stale_after=view.stale_after_days,
        within=view.tolerance_days,
        end_date=view.end_date,
        data_as_of=view.data_as_of,
        has_both_roles=bool(p.official and p.opposing),
        shares=shares,
        claimed=claimed,
        at_truces=at_truces,
        has_truces=bool(view.truces.height),
        other_counts=other_counts,
    )


def _latest_ratio_per_claimant(ratios: pl.DataFrame) -> list[dict]:
    """Each claimant's latest wounded:killed, with how many dates it has and their range: a daily
    series gives one every day, and a paragraph per day would bury the page."""
    if ratios.is_empty():
        return []
    return (
        ratios.sort("as_of_date")
        .group_by("claimant_id", maintain_order=True)
        .agg(
            pl.all().last(),
            pl.len().alias("dates"),
            pl.col("ratio_central").min().alias("lowest"),
            pl.col("ratio_central").max().alias("highest"),
        )
        .sort("as_of_date", "claimant_id")
        .to_dicts()
    )


def _implied_text(r: dict) -> str:
    """What the counts beside a claimed ratio or share imply, in the claim's own unit."""
    if r["metric"] == "civilians_per_combatant":
        return (
            formatting.interval(r["implied_low"], r["implied_high"], significant_digits=2)
            + " non-combatants per combatant"
        )
    return formatting.interval(r["implied_low"], r["implied_high"], significant_digits=2) + "% non-combatants"


def _latest_per(frame: pl.DataFrame, key: list[str], date: str) -> list[dict]:
    """The latest row of each group, in date order."""
    if frame.is_empty():
        return []
    return frame.sort(date).group_by(key, maintain_order=True).last().sort(date).to_dicts()


def assumptions(view: CompareView) -> str:
    p = view.params
    items = [about_rule(p.about_max_share) + "."]
    if p.period_type == "cumulative":
        items.append(TIGHTENING_RULE + ".")
    elif p.period_type == "snapshot":
        items.append(
            "Counts at one moment rise and fall as people enter and leave the state counted (taken, "
            "released, dead): each figure is shown as stated, never narrowed by another, differenced into "
            "a rate or read as a revision when it falls."
        )
    else:
        items.append(
            "One incident's tallies rise as its dead are identified and fall when a count is corrected: "
            "each is shown as stated, never narrowed by another or differenced into a rate; a lower later "
            "tally is named as a revision."
        )
    items += [f"Conversion: {text}." for text in view.assumptions]
    items.append(
        f"Two claimants' figures are compared only when their as-of dates are at most "
        f"{formatting.days(view.tolerance_days)} apart (this report's pair_within_days), each figure with "
        f"the other's nearest; further apart, the text names the nearest figure and the gap instead of a "
        f"ratio. Nothing is carried forward: a figure that stops being updated is shown with its age."
    )
    if view.truces.height:
        spans = "; ".join(
            f"{t['name']}, {formatting.date(t['start_date'])} to "
            f"{formatting.date(t['end_date']) if t['end_date'] else 'the latest data (still holding)'}"
            for t in view.truces.iter_rows(named=True)
        )
        items.append(
            f"Truces in this window: {spans} (each with its source in the data). Two figures are compared "
            f"only within one stretch of fighting or of truce, never across a truce's start or end, where "
            f"a count's pace changes; implied daily rates never average across one either."
        )
    if view.end_date:
        items.append(
            f"The fighting ended on {formatting.date(view.end_date)}: implied daily rates stop there, and "
            f"two figures both dated after it are compared as final tolls whatever the days between them."
        )
    items.append(
        f"Ages are measured on {formatting.date(view.data_as_of)}, the latest as-of date in this "
        f"conflict's data; a figure more than {formatting.days(view.stale_after_days)} older is marked stale."
    )
    items.append("Open ends ('more than', 'at least', 'up to') stay open in every ratio and gap.")
    return render("list.html.j2", heading="Assumptions", items=items)


def caveats(view: CompareView) -> str:
    items = []
    # an empty conflict's `latest` has no age columns
    stale = view.latest.filter(pl.col("is_stale")) if "is_stale" in view.latest.columns else view.latest.clear()
    for r in stale.iter_rows(named=True):
        items.append(
            f"Latest figure from {r['claimant_short_name']}: as of {formatting.date(r['as_of_date'])}, "
            f"{formatting.days(r['age_days'])} before {formatting.date(view.data_as_of)}, the date of the "
            f"newest figure in the data — stale, not current."
        )
    names = view.params.conflict.claims.select(
        pl.col("claim_id").alias("derived_from"), pl.col("claimant_short_name").alias("source_name")
    )
    dependent = view.claims.filter(pl.col("is_dependent")).join(names, on="derived_from", how="left")
    for (who, source), rows in dependent.group_by("claimant_short_name", "source_name", maintain_order=True):
        dates = ", ".join(formatting.date(d) for d in rows["as_of_date"].sort())
        items.append(
            f"{who}'s figure(s) of {dates} copy or are computed from {source}'s: not independent corroboration."
        )
    if view.claims.filter(pl.col("original_metric") == "personnel_losses").height:
        items.append(
            "'Personnel losses' is an undefined total (at least killed and wounded, possibly captured "
            "and missing). It is never a death toll; here it is converted only under the stated assumption."
        )
    low = view.claims.filter(pl.col("confidence") == "low")
    for r in low.iter_rows(named=True):
        items.append(
            f"Weakly sourced: {r['claimant_short_name']}, {formatting.date(r['statement_date'])} ({r['outlet']})."
        )
    for r in view.revisions.iter_rows(named=True):
        items.append(
            f"{r['claimant_short_name']}'s figure fell from "
            f"{formatting.stated_value(r['previous_qualifier'], r['previous_value'])} as of "
            f"{formatting.date(r['previous_as_of_date'])} to "
            f"{formatting.stated_value(r['qualifier'], r['value'], r.get('stated_low'), r.get('stated_high'))} "
            f"as of {formatting.date(r['as_of_date'])}: a revision downwards ("
            + (
                "a tally of one past incident falls only when corrected"
                if view.params.period_type == "incident"
                else "a cumulative count cannot fall, so it is not drawn as a negative rate"
            )
            + ")."
        )
    if view.not_comparable.height:
        counts = view.not_comparable.group_by("metric").len().sort("metric")
        listed = ", ".join(f"{n} {METRIC_LABEL[m]}" for m, n in counts.iter_rows())
        items.append(f"Left out as not comparable with {METRIC_LABEL[view.params.metric]}: {listed} claim(s).")
    shown = set(view.claims["claimant_id"].to_list()) if view.claims.height else set()
    for r in view.params.conflict.claimants.filter(
        pl.col("claimant_id").is_in(sorted(shown)), pl.col("notes").is_not_null()
    ).iter_rows(named=True):
        items.append(f"About {r['short_name']}: {r['notes']}")
    return render("list.html.j2", heading="Caveats", items=items)


def sources_table(claims: pl.DataFrame) -> str:
    """One row per source document (a bulk series is one row with its date span), with links."""
    rows = sources(claims).to_dicts()
    return render("sources.html.j2", rows=rows)


def overview_summary(view: OverviewView) -> str:
    groups = []
    for (side, population), rows in view.ladder.group_by("subject_side", "population", maintain_order=True):
        phrase = view.params.conflict.subject_phrase(side, population)
        groups.append(
            {
                "subject": phrase[:1].upper() + phrase[1:],
                "count": rows.height,
                "claims": [
                    describe_claim(r, claims=view.params.conflict.claims) | {"role": r["role"]}
                    for r in rows.iter_rows(named=True)
                ],
            }
        )
    snapshots = [
        describe_claim(r, claims=view.params.conflict.claims)
        | {"role": r["role"], "side": view.params.conflict.side_label(r["subject_side"]), "population": r["population"]}
        for r in view.snapshots.iter_rows(named=True)
    ]
    conflict = view.params.conflict

    def placed(r: dict) -> dict:
        return describe_claim(r, claims=conflict.claims) | {
            "role": r["role"],
            "subject": conflict.subject_phrase(r["subject_side"], r["population"]),
        }

    incidents = [placed(r) | {"incident": r["period_start_date"]} for r in view.incidents.iter_rows(named=True)]
    ratios = [placed(r) for r in view.ratios.iter_rows(named=True)]
    return render(
        "overview.html.j2",
        groups=groups,
        end=view.end,
        name=conflict.name,
        snapshots=snapshots,
        incidents=incidents,
        ratios=ratios,
    )
