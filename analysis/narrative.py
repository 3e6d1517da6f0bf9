"""Sentences from the data: key numbers with exact figures, dates and qualifiers, the assumptions
behind them, caveats, and the sources. Output is HTML built by autoescaping jinja2 templates:
every text from the data (quotes, names, outlets) is shown literally, and links are only made
for http(s) URLs, with rel="noopener noreferrer"."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from urllib.parse import urlsplit

import jinja2
import polars as pl

from analysis import formatting
from analysis.bounds import TIGHTENING_RULE, about_rule
from analysis.columns import label as column_label
from analysis.views import CompareView, OverviewView, sources
from analysis.vocabulary import ARTIFACT_NAME, METRIC_LABEL, is_url


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analysis", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(date=formatting.date, days=formatting.days, number=formatting.number, safe_url=safe_url)
    env.globals["label"] = column_label  # a column's title, from the column dictionary
    return env


def safe_url(url) -> str | None:
    """The URL when it passes the data's URL rule (vocabulary.URL_PATTERN), else None: templates
    then show the text without a link (the data are validated on load; this is checked again)."""
    return url if is_url(url) else None


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


def headline(view: CompareView) -> str:
    """One sentence that answers the report's question, in plain text: what the side admits, what
    its adversary claims, the newest independent figure (each as stated, with its date) and the
    latest ratio that can honestly be made (figures paired in time), with its interval."""
    p = view.params
    everything = p.conflict.claims
    subject = _subject(p)

    clauses = []
    official, opposing = (_latest_of(view.claims, (role,), everything) for role in ("official", "opposing"))
    independent = _latest_of(view.claims, ("independent", "third_party"), everything, prefer_stated=True)
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
            f"{_ratio(r)} times {r['den_claimant_short_name']}'s figure as of "
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


def _subject(p) -> str:
    """Whose losses a compare report is about, in words, with the kind of count when it is not
    a total: "Israel's losses, combatants and civilians together, in the incident of 7 October 2023"."""
    phrase = p.conflict.subject_phrase(p.subject_side, p.population)
    if p.period_type == "incident":
        return f"{phrase}, the toll of {formatting.date(p.incident_date)}"
    if p.period_type == "snapshot":
        return f"{phrase}, counted at one moment"
    return phrase


def _latest_of(
    claims: pl.DataFrame, roles: tuple[str, ...], everything: pl.DataFrame, prefer_stated: bool = False
) -> dict | None:
    """The words of the latest of these roles' claims; `prefer_stated`: the latest stated in its own
    metric, if any, before a converted one (a count of deaths says more than a converted total)."""
    rows = claims.filter(pl.col("role").is_in(list(roles))) if claims.height else claims
    if prefer_stated and "original_metric" in rows.columns:
        stated = rows.filter(pl.col("original_metric").fill_null(pl.col("metric")) == pl.col("metric"))
        rows = stated if stated.height else rows
    if rows.is_empty():
        return None
    return _claim(rows.sort("as_of_date", "claim_id").tail(1).row(0, named=True), claims=everything)


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
        for roles, verb in (
            (("official",), "reports"),
            (("opposing",), "claims"),
            (("independent", "third_party"), "newest independent or third-party figure"),
        ):
            c = _latest_of(rows, roles, conflict.claims)
            if c is None:
                continue
            said.append(f"{c['who']} {verb} {_said(c)}" if len(roles) == 1 else f"the {verb}: {c['who']}, {_said(c)}")
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


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


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


STATED_FIELDS = ("qualifier", "value", "stated_low", "stated_high", "original_metric", "metric", "source_term")


def stated_text(row: dict) -> str:
    """'about 16,100 “personnel” (personnel losses)', '70,000–80,000 killed and wounded': one claim as
    stated, in the source's own words where they are recorded."""
    metric = row.get("original_metric") or row["metric"]
    return formatting.claim_text(
        row["qualifier"], row["value"], row.get("stated_low"), row.get("stated_high"), metric, row.get("source_term")
    )


def _claim(row: dict, prefix: str = "", claims: pl.DataFrame | None = None) -> dict:
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


def direction(later_by_days: int | None) -> str:
    """How the second figure of a pair stands in time to the first: '12 days later', '3 days
    earlier', 'the same as-of date'. From the signed gap, never from its absolute value."""
    if later_by_days is None:
        return "?"
    if later_by_days == 0:
        return "the same as-of date"
    return f"{formatting.days(abs(later_by_days))} {'later' if later_by_days > 0 else 'earlier'}"


def _ratio(r: dict) -> str:
    return formatting.interval(
        r["ratio_low"], r["ratio_high"], significant_digits=2, is_low_exclusive=bool(r.get("ratio_is_low_exclusive"))
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
            "official": _claim(row, "official_", everything),
            "opposing": _claim(row, "opposing_", everything),
            "direction": direction(row["later_by_days"]),
            "is_final_tolls": row["is_final_tolls"],
            "ratio": _ratio(row),
            "ratio_central": formatting.significant(row["ratio_central"], 2),
        }
    latest = [_claim(r, claims=everything) | {"role": r["role"]} for r in view.latest.iter_rows(named=True)]
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
                "ratio": _ratio(r),
                "num": _claim(r, "num_", everything),
                "den": _claim(r, "den_", everything),
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
                "num": _claim(r, "num_", everything),
                "den": _claim(r, "den_", everything),
                "direction": direction(r["later_by_days"]),
                "is_comparable": r["is_comparable"],
                "is_final_tolls": r["is_final_tolls"],
                "ratio": _ratio(r) if r["is_comparable"] else None,
                "is_dependent": r["is_dependent"],
                "is_across_truce": r.get("is_across_truce"),
            }
        )
    shares = [
        {
            "part": _claim(r, "part_", everything),
            "total": _claim(r, "total_", everything),
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
            "claim": _claim(r, claims=everything),
            "metric": r["metric"],
            "part": _claim(r, "part_", everything) if r.get("part_claim_id") else None,
            "total": _claim(r, "total_", everything) if r.get("part_claim_id") else None,
            "implied": _implied_text(r) if r.get("part_claim_id") else None,
        }
        for r in view.claimed_ratios.iter_rows(named=True)
    ]
    other_counts = (
        [
            _claim(r, claims=everything)
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
                "claim": _claim(r, claims=everything),
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
        subject=_subject(p),
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


def percent_interval(low, high, is_low_exclusive=False) -> str:
    """A share as percentages: '38–47%', 'at least 12%'."""
    scale = lambda v: None if v is None else 100 * v  # noqa: E731
    return (
        formatting.interval(scale(low), scale(high), significant_digits=2, is_low_exclusive=bool(is_low_exclusive))
        + "%"
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


def table_html(
    frame: pl.DataFrame, max_rows: int, *, name: str, title: str | None = None, collapsed: bool = False
) -> str:
    """A published table as readers see it: text without quotes, people as whole numbers and
    ratios to two significant digits (the CSV keeps every digit), '—' for no value, links to http(s)
    sources by host name; the first `max_rows` rows. A long text that is the same on every row (an
    assumption) is said once above the table, not repeated per row. Alignment and widths are set
    per column (a <style> for the element id `cc-table-<name>`), not per cell, to keep long tables
    small. `collapsed`: inside a closed <details> whose summary is the title."""
    if not ARTIFACT_NAME.match(name):
        raise ValueError(f"table_html: name {name!r} must be 1-64 of a-z, 0-9, '-', '_'")
    constant = [
        c
        for c, dtype in frame.schema.items()
        if dtype == pl.String
        and frame.height > 1
        and frame[c].n_unique() == 1
        and frame[c][0] is not None
        and len(frame[c][0]) > 40
    ]
    stated_once = [{"label": c.replace("_", " "), "text": frame[c][0]} for c in constant]
    frame = frame.drop(constant)
    rows = [
        [_cell(v, column) for v, column in zip(row, frame.columns, strict=True)]
        for row in frame.head(max_rows).iter_rows()
    ]
    columns = []
    for i, label in enumerate(frame.columns):
        cells = [r[i] for r in rows if r[i]["kind"] != "null"]
        columns.append(
            {
                "label": label.replace("_", " "),
                "kind": cells[0]["kind"] if cells else "text",
                "wide": any(c["kind"] == "text" and len(c["text"]) > 40 for c in cells),
            }
        )
    rounded = any(c["rounded"] for r in rows for c in r)
    return render(
        "table.html.j2",
        name=name,
        columns=columns,
        rows=rows,
        shown=min(frame.height, max_rows),
        total=frame.height,
        title=title,
        rounded=rounded,
        collapsed=collapsed,
        stated_once=stated_once,
    )


def _cell(value, column: str = "") -> dict:
    """{kind, text, href, rounded} of one table cell; numbers for reading by what the column holds
    (formatting.reading_number)."""
    kind, text, href, rounded = "text", str(value), None, False
    if value is None:
        kind, text = "null", "—"
    elif isinstance(value, bool):
        kind, text = "bool", "yes" if value else "no"
    elif isinstance(value, (int, float)):
        kind, text = "num", formatting.reading_number(value, column)
        rounded = float(text.replace(",", "")) != value
    elif isinstance(value, (dt.date, dt.datetime)):
        kind, text = "date", value.isoformat()
    elif isinstance(value, str) and safe_url(value):
        kind, text, href = "link", urlsplit(value).hostname or value, value
    return {"kind": kind, "text": text, "href": href, "rounded": rounded}


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
                    _claim(r, claims=view.params.conflict.claims) | {"role": r["role"]}
                    for r in rows.iter_rows(named=True)
                ],
            }
        )
    snapshots = [
        _claim(r, claims=view.params.conflict.claims)
        | {"role": r["role"], "side": view.params.conflict.side_label(r["subject_side"]), "population": r["population"]}
        for r in view.snapshots.iter_rows(named=True)
    ]
    conflict = view.params.conflict

    def placed(r: dict) -> dict:
        return _claim(r, claims=conflict.claims) | {
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
