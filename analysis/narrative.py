"""Sentences from the data: key numbers with exact figures, dates and qualifiers, the assumptions
behind them, caveats, and the sources. Output is HTML built by autoescaping jinja2 templates:
every text from the data (quotes, names, outlets) is shown literally, and links are only made
for http(s) URLs, with rel="noopener noreferrer"."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from urllib.parse import urlsplit

import jinja2
import polars as pl

from analysis import formatting
from analysis.bounds import ABOUT_RULE
from analysis.vocabulary import ARTIFACT_NAME, METRIC_LABEL
from analysis.views import CompareView, OverviewView, sources

SAFE_URL = re.compile(r"^https?://[^\s\"'<>`]+$", re.IGNORECASE)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("analysis", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters.update(date=formatting.date, days=formatting.days, number=formatting.number,
                       safe_url=safe_url)
    return env


def safe_url(url) -> str | None:
    """The URL when it is http(s), else None: templates then show the text without a link."""
    return url if isinstance(url, str) and SAFE_URL.match(url) else None


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def _claim(row: dict, prefix: str = "") -> dict:
    """A claim's words: who, the stated figure, in which metric, as of when, from where."""
    g = lambda k: row.get(prefix + k)  # noqa: E731
    original = g("original_metric") or g("metric")
    converted = original != g("metric")
    return {
        "who": g("claimant_short_name") or g("claimant_id"),
        "stated": formatting.claim_text(g("qualifier"), g("value"), g("value_low"), g("value_high"), original)
        if not converted or g("qualifier") != "mixed" else formatting.number(g("value")) + " " + METRIC_LABEL[original],
        "converted": converted,
        "as_metric": formatting.interval(g("value_low"), g("value_high"), is_low_exclusive=bool(g("is_low_exclusive")),
                                         digits=0) + " " + METRIC_LABEL.get(g("metric"), g("metric")),
        "as_of": g("as_of_date"), "statement_date": g("statement_date"),
        "outlet": g("outlet"), "url": g("url"), "age_days": g("age_days"), "is_stale": g("is_stale"),
    }


def key_numbers(view: CompareView) -> str:
    """The key-numbers paragraph: what each side says, the like-for-like ratio, the gap."""
    p = view.params
    metric = METRIC_LABEL[p.metric]
    like = None
    if view.like_for_like.height:
        row = view.like_for_like.sort("official_as_of_date").tail(1).row(0, named=True)
        parts = _official_parts(view, row["official_claim_id"])
        like = {"as_of": row["official_as_of_date"], "official_who": row["official_claimant_short_name"],
                "official_parts": parts, "opposing": _claim(row, "opposing_"),
                "staleness": row["staleness_days"],
                "ratio": formatting.interval(row["ratio_low"], row["ratio_high"], digits=2),
                "ratio_central": f"{row['ratio_central']:.1f}"}
    latest = [_claim(r) | {"role": r["role"]} for r in view.latest.iter_rows(named=True)]
    ratio_rows: list[dict] = []
    for r in view.ratio_key.iter_rows(named=True):
        same_pair = next((x for x in ratio_rows if x["pair"] == (r["num_claim_id"], r["den_claim_id"])), None)
        if same_pair:  # one pair can be the latest, the lowest and the highest: say it once
            same_pair["labels"].append(r["which"])
            same_pair["which"] = ", ".join(same_pair["labels"][:-1]) + " and " + same_pair["labels"][-1]
            continue
        ratio_rows.append({"which": r["which"], "labels": [r["which"]], "pair": (r["num_claim_id"], r["den_claim_id"]),
                           "ratio": formatting.interval(r["ratio_low"], r["ratio_high"], digits=2,
                                                        is_low_exclusive=r["ratio_is_low_exclusive"]),
                           "num": _claim(r, "num_"), "den": _claim(r, "den_"), "staleness": r["staleness_days"]})
    independents = []
    for r in view.independent_vs_official.iter_rows(named=True):
        independents.append({"num": _claim(r, "num_"), "den": _claim(r, "den_"), "staleness": r["staleness_days"],
                             "ratio": formatting.interval(r["ratio_low"], r["ratio_high"], digits=2,
                                                          is_low_exclusive=r["ratio_is_low_exclusive"]),
                             "is_dependent": r["is_dependent"]})
    wk = [{"who": r["claimant_short_name"], "as_of": r["as_of_date"],
           "wounded": formatting.stated_value(r["wounded_qualifier"], r["wounded_value"],
                                              r["wounded_value_low"], r["wounded_value_high"]),
           "killed": formatting.stated_value(r["killed_qualifier"], r["killed_value"],
                                             r["killed_value_low"], r["killed_value_high"]),
           "ratio": formatting.interval(r["ratio_low"], r["ratio_high"], digits=2), "references": r["references"]}
          for r in view.wounded_killed.filter(pl.col("subject_side") == p.subject_side).iter_rows(named=True)]
    return render("key_numbers.html.j2", side=p.conflict.side_label(p.subject_side), population=p.population,
                  metric=metric, end=view.end, like=like, latest=latest, ratios=ratio_rows,
                  independents=independents, wounded_killed=wk, stale_after=view.stale_after_days)


def _official_parts(view: CompareView, combined_id: str) -> list[str]:
    ids = combined_id.split("+")
    rows = view.params.conflict.claims.filter(pl.col("claim_id").is_in(ids)).sort("metric")
    return [formatting.claim_text(r["qualifier"], r["value"], r["value_low"], r["value_high"], r["metric"])
            for r in rows.iter_rows(named=True)]


def assumptions(view: CompareView) -> str:
    items = [ABOUT_RULE + "."]
    items += [f"Conversion: {text}." for text in view.assumptions]
    items.append(f"Claims are paired by as-of date within {view.tolerance_days} days; the gap between the two "
                 f"dates is shown as staleness. Nothing is carried forward: a figure that stops being "
                 f"updated is shown with its age.")
    items.append(f"A claim more than {view.stale_after_days} days older than the reference date is marked stale.")
    items.append("Open ends ('more than', 'at least', 'up to') stay open in every ratio and gap.")
    return render("list.html.j2", heading="Assumptions", items=items)


def caveats(view: CompareView) -> str:
    items = []
    # an empty conflict's `latest` has no age columns
    stale = view.latest.filter(pl.col("is_stale")) if "is_stale" in view.latest.columns else view.latest.clear()
    for r in stale.iter_rows(named=True):
        items.append(f"Latest figure from {r['claimant_short_name']}: as of {formatting.date(r['as_of_date'])}, "
                     f"{formatting.days(r['age_days'])} before {formatting.date(view.end)} — stale, not current.")
    names = view.params.conflict.claims.select(pl.col("claim_id").alias("derived_from"),
                                               pl.col("claimant_short_name").alias("source_name"))
    dependent = view.claims.filter(pl.col("is_dependent")).join(names, on="derived_from", how="left")
    for (who, source), rows in dependent.group_by("claimant_short_name", "source_name", maintain_order=True):
        dates = ", ".join(formatting.date(d) for d in rows["as_of_date"].sort())
        items.append(f"{who}'s figure(s) of {dates} copy or are computed from {source}'s: "
                     f"not independent corroboration.")
    if view.claims.filter(pl.col("original_metric") == "personnel_losses").height:
        items.append("'Personnel losses' is an undefined total (at least killed and wounded, possibly captured "
                     "and missing). It is never a death toll; here it is converted only under the stated assumption.")
    low = view.claims.filter(pl.col("confidence") == "low")
    for r in low.iter_rows(named=True):
        items.append(f"Weakly sourced: {r['claimant_short_name']}, {formatting.date(r['statement_date'])} "
                     f"({r['outlet']}).")
    if view.not_comparable.height:
        counts = view.not_comparable.group_by("metric").len().sort("metric")
        listed = ", ".join(f"{n} {METRIC_LABEL[m]}" for m, n in counts.iter_rows())
        items.append(f"Left out as not comparable with {METRIC_LABEL[view.params.metric]}: {listed} claim(s).")
    return render("list.html.j2", heading="Caveats", items=items)


def table_html(frame: pl.DataFrame, max_rows: int, *, name: str, title: str | None = None) -> str:
    """A published table as readers see it: text without quotes, numbers with separators and
    rounded for reading (the CSV keeps every digit), '—' for no value, links to http(s) sources by
    host name; the first `max_rows` rows. Alignment and widths are set per column (a <style> for
    the element id `cc-table-<name>`), not per cell, to keep long tables small."""
    if not ARTIFACT_NAME.match(name):
        raise ValueError(f"table_html: name {name!r} must be 1-64 of a-z, 0-9, '-', '_'")
    rows = [[_cell(v) for v in row] for row in frame.head(max_rows).iter_rows()]
    columns = []
    for i, label in enumerate(frame.columns):
        cells = [r[i] for r in rows if r[i]["kind"] != "null"]
        columns.append({"label": label.replace("_", " "), "kind": cells[0]["kind"] if cells else "text",
                        "wide": any(c["kind"] == "text" and len(c["text"]) > 40 for c in cells)})
    rounded = any(c["rounded"] for r in rows for c in r)
    return render("table.html.j2", name=name, columns=columns, rows=rows, shown=min(frame.height, max_rows),
                  total=frame.height, title=title, rounded=rounded)


def _cell(value) -> dict:
    """{kind, text, href, rounded} of one table cell."""
    kind, text, href, rounded = "text", str(value), None, False
    if value is None:
        kind, text = "null", "—"
    elif isinstance(value, bool):
        kind, text = "bool", "yes" if value else "no"
    elif isinstance(value, (int, float)):
        kind, text = "num", formatting.table_number(value)
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
        groups.append({"side": view.params.conflict.side_label(side), "population": population,
                       "claims": [_claim(r) | {"role": r["role"]} for r in rows.iter_rows(named=True)]})
    return render("overview.html.j2", groups=groups, end=view.end, name=view.params.conflict.name)
