"""What the report notebooks call: one line per section, so notebooks stay thin.

    page = compare_page(conflict=..., subject_side=..., ...)   # checks the parameters first
    page.key_numbers()      # a section of narrative (HTML)
    page.cumulative()       # a chart, displayed and handed to the report build

Charts and tables go through analysis.publish.publish, which displays them and marks them
for export (PNG, SVG, CSV). Narrative is escaped HTML from analysis.narrative.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis import charts, formatting, narrative
from analysis.params import check_compare_parameters, check_overview_parameters
from analysis.publish import publish, publish_headline
from analysis.views import CompareView, OverviewView, compare_view, overview_view
from analysis.vocabulary import METRIC_LABEL


class Html:
    """An HTML fragment that Jupyter displays (and nbconvert keeps) as text/html."""

    def __init__(self, html: str):
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return "<html fragment>"


def source_line(conflict) -> str:
    """The line every chart carries, so an exported PNG or SVG lifted into an article is attributed."""
    return (
        f"Source: casualty-claims, {conflict.name}; data as of {formatting.date(conflict.data_as_of)}, "
        f"built {formatting.date(formatting.build_date())}"
    )


@dataclass
class ComparePage:
    view: CompareView

    @property
    def _quantity(self) -> str:
        p = self.view.params
        return f"{p.conflict.subject_phrase(p.subject_side, p.population)}, {METRIC_LABEL[p.metric]}"

    def _subtitle(self, extra: str = "") -> list[str]:
        p = self.view.params
        window = (
            f"{formatting.date(p.start) if p.start else 'start'} to "
            f"{formatting.date(p.end) if p.end else formatting.date(self.view.end)}"
        )
        lines = [
            f"Metric: {METRIC_LABEL[p.metric]} · {window}" + (f" · {extra}" if extra else ""),
            source_line(p.conflict),
        ]
        return lines

    def header(self) -> Html:
        """The first screen's text: title, the headline sentence, the data date and build date."""
        p = self.view.params
        lead = narrative.headline(self.view)
        publish_headline(
            lead,
            conflict_id=p.conflict.conflict_id,
            conflict_name=p.conflict.name,
            data_as_of=p.conflict.data_as_of,
            is_overview=False,
        )
        return Html(narrative.header(p.title, p.conflict, p.as_dict(), lead=lead))

    def latest(self) -> None:
        """A compact table of each claimant's latest figure, right under the ladder."""
        if self.view.latest.is_empty():
            return
        publish(
            "latest",
            _latest_table(self.view.latest, self.view.params.conflict.claims),
            title="Each claimant's latest figure",
        )

    def key_numbers(self) -> Html:
        p = self.view.params
        return Html(_section("Key numbers", narrative.report_intro(p.population)) + narrative.key_numbers(self.view))

    def assumptions(self) -> Html:
        return Html(_section("Assumptions and caveats") + narrative.assumptions(self.view))

    def caveats(self) -> Html:
        return Html(narrative.caveats(self.view))

    def sources(self) -> Html:
        return Html(_section("Sources") + narrative.sources_table(self.view.claims))

    def cumulative(self) -> None:
        p = self.view.params
        what = {
            "cumulative": "cumulative figures",
            "snapshot": "counts at one moment",
            "incident": f"tallies of the incident of {formatting.date(p.incident_date)}",
        }[p.period_type]
        _show(
            _section(
                "Claims over time",
                f"Each claimant's {what} by the date they count up to (the as-of date). "
                "Bands show the interval a qualifier implies; triangles mark open-ended figures. A figure "
                "that stops being updated is not carried forward.",
            )
        )
        if self.view.claims.is_empty():
            return self._nothing("No figures in this window.")
        chart = charts.cumulative_chart(
            self.view.claims,
            p.conflict,
            title=f"Claims over time: {self._quantity}",
            subtitle=self._subtitle(),
            stale_after_days=self.view.stale_after_days,
            count=p.period_type,
            truces=p.period_type != "incident",
            description=(
                f"The {what} each claimant gave for {self._quantity}, by as-of date, with the "
                f"interval each figure's qualifier implies."
            ),
        )
        publish("cumulative", chart)

    def ratio(self) -> None:
        """Opposing over official: only in a report that has both (a side nobody opposes has no such section)."""
        p = self.view.params
        if not (p.official and p.opposing):
            return
        _show(
            _section(
                "Opposing over official",
                "The adversary's claims divided by the side's own figures. Each "
                "claim is paired with the other side's figure nearest in as-of date; figures further apart "
                "are not compared.",
            )
        )
        if self.view.ratios.is_empty():
            return self._nothing(
                f"No opposing and official figures fall within "
                f"{formatting.days(self.view.tolerance_days)} of each other, so none is compared."
            )
        chart = charts.ratio_chart(
            self.view.ratios,
            self.view.params.conflict,
            title="Opposing over official claims",
            subtitle=self._subtitle(
                f"paired within {formatting.days(self.view.tolerance_days)}"
                + (" or as final tolls" if self.view.end_date else "")
            ),
            description=f"The ratio of the opposing side's claims to the official figures for {self._quantity}, "
            f"with its interval, over time.",
        )
        publish("ratio", chart)

    def shares(self) -> None:
        """With population all: counts of some of the dead (fighters, civilians) against the official
        total of the same dates, and claimed ratios among the dead beside what the counts imply."""
        if self.view.shares.is_empty() and self.view.claimed_ratios.is_empty():
            return
        _show(
            _section(
                "Part of the dead against the total",
                "A count of fighters or of civilians is a part of all the dead, not the same quantity: it "
                "is read as a share of the official total of the same dates (paired as every comparison "
                "here is), never divided as a ratio of two tolls.",
            )
        )
        everything = self.view.params.conflict.claims
        if self.view.shares.height:
            publish(
                "shares",
                _shares_table(self.view.shares, everything),
                title="Counts of part of the dead as a share of the total, paired by date",
                collapsed=True,
            )
        if self.view.claimed_ratios.height:
            publish(
                "claimed_ratios",
                _claimed_table(self.view.claimed_ratios, everything),
                title="Claimed ratios and shares among the dead, beside what counts imply",
                collapsed=True,
            )

    def rates(self) -> None:
        if self.view.rates_drawn.is_empty():
            return
        _show(
            _section(
                "Implied daily rates",
                "The average daily increase between consecutive figures of one "
                "claimant — never computed across claimants or metrics.",
            )
        )
        chart = charts.rates_chart(
            self.view.rates_drawn,
            self.view.params.conflict,
            title="Implied average daily rates",
            subtitle=self._subtitle("between consecutive figures of one claimant"),
            description=f"Average daily increase implied by consecutive cumulative figures of each claimant "
            f"for {self._quantity}.",
        )
        publish("rates", chart)

    def ladder(self) -> None:
        """The chart that answers the headline: every claimant's latest figure on one axis."""
        if self.view.latest.is_empty():
            return self._nothing("No figures in this window.")
        chart = charts.ladder_chart(
            self.view.latest,
            self.view.params.conflict,
            title="The claims ladder: latest figures",
            subtitle=self._subtitle(f"as of {formatting.date(self.view.end)}"),
            description=f"Each claimant's latest figure for {self._quantity}, largest first (the table below "
            f"lists them): "
            + "; ".join(
                f"{r['claimant']}, {r['figure_as_stated']} as of {formatting.date(r['as_of'])}"
                for r in _latest_table(self.view.latest, self.view.params.conflict.claims).iter_rows(named=True)
            )
            + ".",
        )
        publish("ladder", chart)

    def staleness(self) -> None:
        if self.view.latest.is_empty():
            return
        _show(_section("How old is each figure?", "A figure that has not been updated is stale, not current."))
        chart = charts.staleness_chart(
            self.view.latest,
            self.view.params.conflict,
            title="How old is each latest figure?",
            subtitle=self._subtitle(f"age on {formatting.date(self.view.end)}"),
            stale_after_days=self.view.stale_after_days,
            description=f"Days between each claimant's latest figure for {self._quantity} and "
            f"{formatting.date(self.view.end)}.",
        )
        publish("staleness", chart)

    def tables(self) -> None:
        """The figures behind the charts, collapsed (every row and digit in each table's CSV)."""
        _show(
            _section(
                "The figures",
                "The tables behind the charts; each opens on a click and downloads as CSV with every row and digit.",
            )
        )
        everything = self.view.params.conflict.claims
        publish(
            "latest_claims",
            _claims_table(self.view.latest, everything),
            title="Latest figure of each claimant",
            collapsed=True,
        )
        if self.view.ratios.height:
            publish(
                "ratios",
                _ratio_table(self.view.ratios, everything),
                title="Opposing over official, paired by date",
                collapsed=True,
            )
        publish("claims", _claims_table(self.view.claims, everything), title="Every figure compared", collapsed=True)

    @staticmethod
    def _nothing(message: str) -> None:
        _show(narrative.render("text.html.j2", text=message))


@dataclass
class OverviewPage:
    view: OverviewView

    def header(self) -> Html:
        p = self.view.params
        lead = narrative.overview_headline(self.view)
        publish_headline(
            lead,
            conflict_id=p.conflict.conflict_id,
            conflict_name=p.conflict.name,
            data_as_of=p.conflict.data_as_of,
            is_overview=True,
        )
        return Html(narrative.header(p.title, p.conflict, {"conflict": p.conflict.conflict_id}, lead=lead))

    def summary(self) -> Html:
        return Html(narrative.overview_summary(self.view))

    def ladders(self) -> None:
        conflict = self.view.params.conflict
        for (side, population, metric), latest in self.view.latest.group_by(
            "subject_side", "population", "metric", maintain_order=True
        ):
            if latest.height < 2:
                continue
            label = f"{conflict.subject_phrase(side, population)}, {METRIC_LABEL[metric]}"
            chart = charts.ladder_chart(
                latest,
                conflict,
                title=f"Latest figures: {label}",
                subtitle=[f"As stated, no conversion · as of {formatting.date(self.view.end)}", source_line(conflict)],
                description=f"Each claimant's latest figure for {label}, largest first.",
            )
            publish(f"ladder-{side}-{population}-{metric}".replace("_", "-"), chart)

    def staleness(self) -> None:
        if self.view.freshest.is_empty():
            return ComparePage._nothing("No figures in this conflict yet.")
        chart = charts.staleness_chart(
            self.view.freshest,
            self.view.params.conflict,
            title="How old is each claimant's latest figure?",
            subtitle=[f"Age on {formatting.date(self.view.end)}", source_line(self.view.params.conflict)],
            description="Days between each claimant's latest figure and the newest figure in the data.",
        )
        publish("staleness", chart)

    def tables(self) -> None:
        publish(
            "latest_claims",
            _claims_table(self.view.latest, self.view.params.conflict.claims),
            title="Latest figure of each claimant",
        )
        if self.view.snapshots.height:
            publish(
                "snapshots",
                _claims_table(self.view.snapshots, self.view.params.conflict.claims),
                title="Counts at one moment (never summed, compared as totals or turned into rates)",
            )

    def sources(self) -> Html:
        return Html(narrative.sources_table(self.view.params.conflict.claims))


def compare_page(**parameters) -> ComparePage:
    """Check the compare_claims notebook's parameters, then compute everything it shows."""
    params = check_compare_parameters(**parameters)
    return ComparePage(compare_view(params))


def overview_page(**parameters) -> OverviewPage:
    params = check_overview_parameters(**parameters)
    return OverviewPage(overview_view(params))


def _section(heading: str, intro: str | None = None) -> str:
    return narrative.render("section.html.j2", heading=heading, intro=intro)


def _show(html: str) -> None:
    from IPython.display import display

    display(Html(html))


def _latest_table(latest: pl.DataFrame, everything: pl.DataFrame) -> pl.DataFrame:
    """Claimant, role, the figure as stated, as of, age, source: what a reader needs at a glance."""
    return pl.DataFrame(
        [
            {
                "claimant": r["claimant_short_name"],
                "role": r["role"].replace("_", " "),
                "figure_as_stated": " and ".join(part["text"] for part in narrative.stated_parts(r, claims=everything)),
                "as_of": r["as_of_date"],
                "age_days": r.get("age_days"),
                "source": r["url"],
            }
            for r in latest.sort("value_central", descending=True, nulls_last=True).iter_rows(named=True)
        ],
        infer_schema_length=None,
    )


def _claims_table(claims: pl.DataFrame, everything: pl.DataFrame) -> pl.DataFrame:
    """Readable columns: who, the figure as stated (the source's words and metric), what it is
    compared as (its interval after any conversion), when, the source."""
    if claims.is_empty():
        return pl.DataFrame({"claimant": [], "figure": []}, schema={"claimant": pl.String, "figure": pl.String})
    rows = []
    for r in claims.iter_rows(named=True):
        rows.append(
            {
                "claimant": r["claimant_short_name"],
                "role": r["role"],
                "figure": " and ".join(part["text"] for part in narrative.stated_parts(r, claims=everything)),
                "compared_as": METRIC_LABEL[r["metric"]],
                "compared_low": r["value_low"],
                "compared_high": r["value_high"],
                "as_of_date": r["as_of_date"],
                "statement_date": r["statement_date"],
                "age_days": r.get("age_days"),
                "is_stale": r.get("is_stale"),
                "assumption": r.get("assumption"),
                "derived_from": r.get("derived_from"),
                "outlet": r["outlet"],
                "url": r["url"],
                "claim_id": r["claim_id"],
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def _ratio_table(ratios: pl.DataFrame, everything: pl.DataFrame) -> pl.DataFrame:
    """One row per compared pair: both figures as stated, their dates, the signed gap, the ratio."""
    return ratios.select(
        pl.col("num_claimant_short_name").alias("opposing"),
        pl.col("num_as_of_date").alias("opposing_as_of"),
        _stated(ratios, "num_", everything).alias("opposing_figure"),
        pl.col("den_claimant_short_name").alias("official"),
        pl.col("den_as_of_date").alias("official_as_of"),
        _stated(ratios, "den_", everything).alias("official_figure"),
        pl.col("later_by_days").alias("official_later_by_days"),
        "is_final_tolls",
        "ratio_low",
        "ratio_central",
        "ratio_high",
        "staleness_days",
        "is_stale",
        "is_dependent",
        "assumption",
        pl.col("num_claim_id").alias("opposing_claim_id"),
        pl.col("den_claim_id").alias("official_claim_id"),
    )


def _stated(frame: pl.DataFrame, prefix: str, everything: pl.DataFrame) -> pl.Series:
    """Each row's figure(s) as the source stated them (narrative.stated_parts), for a table."""
    return pl.Series(
        f"{prefix}figure",
        [
            " and ".join(part["text"] for part in narrative.stated_parts(r, prefix, everything))
            if r.get(f"{prefix}claim_id")
            else None
            for r in frame.iter_rows(named=True)
        ],
        dtype=pl.String,
    )


def _shares_table(shares: pl.DataFrame, everything: pl.DataFrame) -> pl.DataFrame:
    """One row per pair: the part and the total as stated, their dates, the share (and the
    non-combatants per combatant a count of fighters implies)."""
    percent = [pl.col(f"share_{end}") * 100 for end in ("low", "central", "high")]
    return shares.select(
        pl.col("part_claimant_short_name").alias("counted_by"),
        pl.col("part_population").alias("part"),
        _stated(shares, "part_", everything).alias("part_figure"),
        pl.col("part_as_of_date").alias("part_as_of"),
        pl.col("total_claimant_short_name").alias("total_by"),
        _stated(shares, "total_", everything).alias("total_figure"),
        pl.col("total_as_of_date").alias("total_as_of"),
        pl.col("later_by_days").alias("total_later_by_days"),
        percent[0].alias("share_pct_low"),
        percent[1].alias("share_pct_central"),
        percent[2].alias("share_pct_high"),
        "implied_ratio_low",
        "implied_ratio_central",
        "implied_ratio_high",
        pl.col("part_claim_id"),
        pl.col("total_claim_id"),
    )


def _claimed_table(claimed: pl.DataFrame, everything: pl.DataFrame) -> pl.DataFrame:
    """Each claimed ratio or share as stated, and the counts of its dates beside it."""
    has_pair = "part_claim_id" in claimed.columns
    columns = [
        pl.col("claimant_short_name").alias("claimant"),
        _stated(claimed, "", everything).alias("claim"),
        pl.col("as_of_date"),
        pl.col("metric"),
    ]
    if has_pair:
        columns += [
            pl.col("part_claimant_short_name").alias("counted_by"),
            _stated(claimed, "part_", everything).alias("count_of_fighters"),
            pl.col("part_as_of_date").alias("count_as_of"),
            _stated(claimed, "total_", everything).alias("total"),
            pl.col("total_as_of_date").alias("total_as_of"),
            *(pl.col(f"implied_{end}").alias(f"implied_ratio_or_share_{end}") for end in ("low", "central", "high")),
        ]
    return claimed.select(*columns, "url", "claim_id")


__all__ = ["compare_page", "overview_page", "ComparePage", "OverviewPage", "Html"]
