"""The first sentence a reader sees: one per report that answers its question (what the side
admits, what its adversary claims, the newest independent figure, and the latest honest ratio with
its interval), and the overview's one per leading question.

Plain text (the header template escapes it); analysis.narrative re-exports both headlines.
"""

from __future__ import annotations

import polars as pl

from analysis import formatting
from analysis.views import CompareView, OverviewView
from analysis.vocabulary import METRIC_LABEL, roles_shown_as
from analysis.wording import describe_claim, describe_ratio, describe_subject, direction


def headline(view: CompareView) -> str:
    """One sentence that answers the report's question, in plain text: what the side admits, what
    its adversary claims, the newest independent figure (each as stated, with its date) and the
    latest ratio that can honestly be made (figures paired in time), with its interval."""
    p = view.params
    everything = p.conflict.claims
    subject = describe_subject(p)

    clauses = []
    official, opposing = (_latest_of(view.claims, role, everything) for role in ("official", "opposing"))
    independent = _latest_of(view.claims, "independent", everything, prefer_stated=True)
    if official:
        clauses.append(f"{official['who']} last gave {_said(official)}")
    if opposing:
        clauses.append(f"{opposing['who']} claims {_said(opposing)}")
    if not opposing and view.other_counts.height:
        theirs = view.other_counts.filter(pl.col("role") == "opposing")
        if theirs.height:
            who = ", ".join(theirs["claimant_short_name"].unique(maintain_order=True).to_list())
            clauses.append(
                f"{who} claimed only counts of single incidents or stretches of days "
                f"({theirs.height} such claims), not totals to compare"
            )
    if independent:
        clauses.append(
            "the latest independent or third-party figure"
            f"{'' if independent['converted'] else ' in ' + METRIC_LABEL[p.metric]}, "
            f"{independent['who']}'s, is {_said(independent)}"
        )
    if not clauses:
        return f"No figures on {subject} in this window."
    sentence = f"{subject[:1].upper()}{subject[1:]}, {METRIC_LABEL[p.metric]}: " + "; ".join(clauses)
    latest_ratio = view.ratio_key.filter(pl.col("which") == "latest") if view.ratio_key.height else view.ratio_key
    if latest_ratio.height:
        r = latest_ratio.row(0, named=True)
        sentence += (
            f". The latest honest comparison, figures at most {formatting.days(view.tolerance_days)} apart"
            f"{' or both final tolls' if view.end_date else ''}: "
            f"{r['num_claimant_short_name']}'s claim as of {formatting.date(r['num_as_of_date'])} is "
            f"{describe_ratio(r)} times {r['den_claimant_short_name']}'s figure as of "
            f"{formatting.date(r['den_as_of_date'])}, {direction(r['later_by_days'])}"
            + (
                f"; both are final tolls, given after the fighting ended on {formatting.date(view.end_date)}"
                if r["is_final_tolls"]
                else ""
            )
        )
    elif p.official and p.opposing:
        sentence += (
            f". No opposing and official figures fall within {formatting.days(view.tolerance_days)} of "
            f"each other, so no ratio is given"
        )
    return sentence + "."


def _latest_of(claims: pl.DataFrame, shown: str, everything: pl.DataFrame, prefer_stated: bool = False) -> dict | None:
    """The words of the latest claim a report role (vocabulary.REPORT_ROLES) shows; `prefer_stated`:
    the latest stated in its own metric, if any, before a converted one (a count of deaths says more
    than a converted total)."""
    rows = claims.filter(pl.col("role").is_in(roles_shown_as(shown))) if claims.height else claims
    if prefer_stated and "original_metric" in rows.columns:
        stated = rows.filter(pl.col("original_metric").fill_null(pl.col("metric")) == pl.col("metric"))
        rows = stated if stated.height else rows
    if rows.is_empty():
        return None
    return describe_claim(rows.sort("as_of_date", "claim_id").tail(1).row(0, named=True), claims=everything)


def _said(c: dict) -> str:
    """'about 16,100 “personnel”, read as … as of 25 March 2022': a claim as stated, then as read."""
    text = " and ".join(part["text"] for part in c["parts"])
    read = f", read as {c['as_metric']}" if c["converted"] else ""
    return f"{text}{read} as of {formatting.date(c['as_of'])}"


def overview_headline(view: OverviewView) -> str:
    """The overview's first sentence: for each of the conflict's leading questions (conflict.yml
    `overview_leads`; by default each side's military dead), what the side itself last reported,
    what its adversary claims and the newest independent or third-party figure."""
    conflict = view.params.conflict
    parts = []
    killed = view.latest.filter(pl.col("metric") == "killed") if view.latest.height else view.latest
    for side, population in overview_leads(conflict):
        rows = (
            killed.filter(pl.col("subject_side") == side, pl.col("population") == population)
            if killed.height
            else killed
        )
        said = []
        for shown, verb in (
            ("official", "reports"),
            ("opposing", "claims"),
            ("independent", "newest independent or third-party figure"),
        ):
            c = _latest_of(rows, shown, conflict.claims)
            if c is None:
                continue
            said.append(
                f"{c['who']} {verb} {_said(c)}" if shown != "independent" else f"the {verb}: {c['who']}, {_said(c)}"
            )
        if said:
            phrase = conflict.subject_phrase(side, population)
            parts.append(f"{phrase[:1].upper()}{phrase[1:]}, killed: " + "; ".join(said))
    if not parts:
        return f"No figures on the dead in {conflict.name} yet."
    return ". ".join(parts) + "."


def overview_leads(conflict) -> list[tuple[str, str]]:
    """(side, population) pairs the overview leads with: conflict.yml `overview_leads`, or each
    side's military."""
    leads = conflict.meta.get("overview_leads")
    if leads:
        return [(str(lead["side"]), str(lead["population"])) for lead in leads]
    return [(side, "military") for side in conflict.sides["side_id"].to_list()]
