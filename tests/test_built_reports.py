"""The built reports as a reader sees them keep the rules of DESIGN.md §7: every direction word
agrees with the dates of its sentence, no rate in a report's data falls below zero, every figure
quoted as stated is the claim's own figure in its own metric, and no ratio is made between
figures further apart than the report's pair_within_days (unless both are final tolls).

Reads the real catalog (reports.yml, the real data) and the fictional sparse war's catalog as
conftest.py's `site` builds them, once a test run. Slow: real kernels."""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis import formatting
from analysis.publish import ARTIFACT_MIME
from tests.fixture_data import SITES

pytestmark = pytest.mark.slow

DATE = r"(\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4})"
DIRECTION = re.compile(r"(\d[\d,]*) days? (earlier|later)|the same as-of date")
AS_OF = re.compile(r"as of " + DATE, re.IGNORECASE)


@pytest.fixture(params=sorted(SITES))
def built(request, site):
    return site(request.param)


def visible_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def sentences(page: str) -> list[str]:
    """Every list item and paragraph of a report's narrative, as read."""
    return [visible_text(m) for m in re.findall(r"<(?:li|p)\b[^>]*>(.*?)</(?:li|p)>", page, re.S)]


def parse_date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d %B %Y").date()


def raw_claims(data_dir: Path) -> dict[str, dict]:
    """Every claim as written in the raw files (claims.csv and series), by claim id, with its metric."""
    out = {}
    for conflict in sorted(p.parent for p in data_dir.glob("*/conflict.yml")):
        with open(conflict / "claims.csv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out[row["claim_id"]] = row
        meta = yaml.safe_load((conflict / "conflict.yml").read_text(encoding="utf-8"))
        for series in meta.get("series") or []:
            with open(conflict / series["path"], newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    out[f"{series['series_id']}.{row['date']}"] = {
                        "qualifier": row["qualifier"],
                        "value": row["value"],
                        "value_low": "",
                        "value_high": "",
                        "metric": series["metric"],
                        "source_term": series.get("source_term") or "",
                    }
    return out


def as_stated(claim: dict) -> str:
    """The figure in words from the raw file's own qualifier, numbers, metric and words for it."""
    number = lambda key: int(claim[key]) if claim.get(key) else None  # noqa: E731
    return formatting.claim_text(
        claim["qualifier"],
        number("value"),
        number("value_low"),
        number("value_high"),
        claim["metric"],
        claim.get("source_term") or None,
    )


def pages(built):
    entries, out, _ = built
    return [(entry, (out / f"{entry['slug']}.html").read_text(encoding="utf-8")) for entry in entries]


def test_every_direction_word_agrees_with_the_dates_of_its_sentence(built):
    checked = 0
    for entry, page in pages(built):
        for sentence in sentences(page):
            for match in DIRECTION.finditer(sentence):
                dates = [parse_date(d) for d in AS_OF.findall(sentence[: match.start()])]
                assert len(dates) >= 2, (entry["slug"], sentence)
                first, second = dates[-2], dates[-1]
                if match.group(0) == "the same as-of date":
                    assert first == second, (entry["slug"], sentence)
                else:
                    days = int(match.group(1).replace(",", ""))
                    signed = days if match.group(2) == "later" else -days
                    assert (second - first).days == signed, (entry["slug"], sentence)
                checked += 1
    assert checked > 0


def test_no_rate_in_a_reports_data_falls_below_zero(built):
    entries, out, _ = built
    rates_seen = 0
    for entry in entries:
        notebook = nbformat.read(out / entry["slug"] / f"{entry['slug']}.ipynb", as_version=4)
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                artifact = output.get("data", {}).get(ARTIFACT_MIME)
                if not artifact or artifact.get("kind") != "chart":
                    continue
                for key, value in numbers(artifact["spec"]):
                    if key.startswith(("rate_", "increase_")):
                        rates_seen += 1
                        assert value >= 0, (entry["slug"], artifact["name"], key, value)
    if any("compare" in e["notebook"] for e in entries):
        assert rates_seen > 0


def numbers(node, key: str = ""):
    """(field name, number) of every number in a chart spec's inline data."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from numbers(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from numbers(v, key)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield key, node


def test_every_figure_quoted_as_stated_is_the_claims_own(built):
    entries, out, data_dir = built
    claims = raw_claims(data_dir)
    quoted = 0
    for entry, page in pages(built):
        for claim_id, text in re.findall(r'<span class="cc-stated" data-claim="([^"]+)">(.*?)</span>', page):
            assert html.unescape(text) == as_stated(claims[html.unescape(claim_id)]), (entry["slug"], claim_id)
            quoted += 1
        for table in (out / entry["slug"] / "tables").glob("*.csv"):
            with open(table, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    for figure, ids in (
                        ("figure", "claim_id"),
                        ("opposing_figure", "opposing_claim_id"),
                        ("official_figure", "official_claim_id"),
                        ("claim", "claim_id"),
                        ("part_figure", "part_claim_id"),
                        ("total_figure", "total_claim_id"),
                    ):
                        if figure in row:
                            expected = " and ".join(
                                as_stated(claims[i])
                                for i in sorted(row[ids].split("+"), key=lambda i: claims[i]["metric"])
                            )
                            assert row[figure] == expected, (entry["slug"], table.name, row[ids])
                            quoted += 1
    assert quoted > 0


def test_no_ratio_between_figures_further_apart_than_the_tolerance(built):
    entries, out, _ = built
    for entry, page in pages(built):
        if "compare" not in entry["notebook"]:
            continue
        within = int(re.search(r"<dt>pair_within_days</dt><dd>(\d+)</dd>", page).group(1))
        ratios = out / entry["slug"] / "tables" / "ratios.csv"
        if ratios.exists():
            with open(ratios, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    assert int(row["staleness_days"]) <= within or row["is_final_tolls"] == "true", row
        for sentence in sentences(page):
            if " times " in sentence or re.match(r"(Latest|Lowest|Highest)( and |, |: )", sentence):
                match = DIRECTION.search(sentence)
                assert match, (entry["slug"], sentence)
                if match.group(1):
                    days = int(match.group(1).replace(",", ""))
                    assert days <= within or "final tolls" in sentence, (entry["slug"], sentence)
            if "not compared" in sentence:
                assert " times " not in sentence


def test_the_sparse_war_shows_its_opposing_over_official_comparisons(site):
    entries, out, _ = site("sparse")
    for slug in ("ruritania-losses", "borduria-losses"):
        page = (out / f"{slug}.html").read_text(encoding="utf-8")
        assert "Opposing over official claims, each paired" in page
        assert (out / slug / "charts" / "ratio.svg").exists() and (out / slug / "tables" / "ratios.csv").exists()
    ruritania = visible_text((out / "ruritania-losses.html").read_text(encoding="utf-8"))
    assert "both are final tolls, given after the fighting ended on 15 June 2024" in ruritania
    assert "a revision downwards" in ruritania and "pair_within_days45" in ruritania.replace("\n", "")


def test_every_page_says_how_current_its_data_are_and_a_figure_has_one_age(built):
    entries, out, _ = built
    for entry, page in pages(built):
        assert re.search(r"Data as of " + DATE + r" · built " + DATE, visible_text(page)), entry["slug"]
    index = visible_text((out / "index.html").read_text(encoding="utf-8"))
    assert re.search(r"Index built " + DATE, index)
    assert len(re.findall(r"Data as of " + DATE, index)) == len(entries)  # each report's data date
    ages: dict[str, set[str]] = {}
    for entry in entries:
        table = out / entry["slug"] / "tables" / "latest_claims.csv"
        with open(table, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                ages.setdefault(row["claim_id"], set()).add(row["age_days"])
    assert ages and all(len(found) == 1 for found in ages.values()), {k: v for k, v in ages.items() if len(v) > 1}


def test_the_sparse_war_says_what_its_sources_said(site):
    """Open-ended ranges, the sources' own words, snapshots, everyone counts and a joint briefing,
    through to the text a reader sees."""
    _, out, _ = site("sparse")
    overview = visible_text((out / "ruritania-borduria-overview.html").read_text(encoding="utf-8"))
    assert "at least 7,000–8,000 “manpower losses” (personnel losses)" in overview
    assert "Counts at one moment" in overview
    assert "1,140 “currently in hospital” (wounded) on 20 June 2024" in overview
    assert (
        "Ruritania's losses, combatants and civilians together" in overview
        and "at least 1,295 “named dead” (killed)" in overview
    )
    assert "Szohôd (MoD), speaking also for Szohôd (General Staff)" in overview
    assert "Szohôd (MoD) (a joint statement, also for Szohôd (General Staff))" in overview
    with open(out / "ruritania-borduria-overview" / "tables" / "latest_claims.csv", newline="", encoding="utf-8") as fh:
        assert not [r for r in csv.DictReader(fh) if "in_hospital" in r["claim_id"]]  # never a latest total
    ruritania = visible_text((out / "ruritania-losses.html").read_text(encoding="utf-8"))
    assert "“fallen” (killed)" in ruritania and "1,140" not in ruritania


def test_the_real_reports_carry_the_records_newest_estimates(site):
    _, out, _ = site("real")
    russia = visible_text((out / "russia-military-losses.html").read_text(encoding="utf-8"))
    for claimant in ("CSIS", "The Economist", "GCHQ", "Mediazona/Meduza"):
        assert claimant in russia, claimant
    assert "2026" in russia
    ukraine = visible_text((out / "ukraine-military-losses.html").read_text(encoding="utf-8"))
    assert "at least 60,000–100,000 “have died” (killed)" in ukraine
    assert "at least 60,435 “have been killed”" in ukraine
    overview = visible_text((out / "conflict-overview.html").read_text(encoding="utf-8"))
    assert "more than 70,000 “considered missing” (missing)" in overview


MEASURE = """JSON.stringify({
  scroll_width: document.documentElement.scrollWidth,
  height: document.documentElement.scrollHeight,
  charts: document.querySelectorAll('.vega-embed svg, .vega-embed canvas').length,
  smallest_chart_text: Math.min(999, ...Array.from(document.querySelectorAll('.vega-embed svg text'))
                                  .map(t => parseFloat(getComputedStyle(t).fontSize)).filter(x => x > 0))})"""


def test_every_real_page_fits_a_phone_and_a_desk(site):
    """At 390 px no page scrolls sideways and chart text stays at least 10 CSS px; at 1280 px no
    report is taller than 9,000 px with its collapsed sections closed; every file is under 1.5 MB."""
    import json

    from analysis.report.offline import Browser, find_chromium

    if find_chromium() is None:
        pytest.fail("Chromium is needed for this test (CI installs Debian's chromium)")
    entries, out, _ = site("real")
    pages = [out / "index.html", *(out / f"{e['slug']}.html" for e in entries)]
    with Browser() as browser:
        for page in pages:
            assert page.stat().st_size < 1_500_000, page.name
            for width in (1280, 390):
                found = {}

                def measure(session, found=found):
                    found.update(
                        json.loads(
                            browser.send("Runtime.evaluate", {"expression": MEASURE, "returnByValue": True}, session)[
                                "result"
                            ]["value"]
                        )
                    )

                browser.check(page, width=width, inspect=measure)
                assert found["scroll_width"] <= width, (page.name, width, found)
                if found["charts"]:
                    assert found["smallest_chart_text"] >= 10, (page.name, width, found)
                if width == 1280:
                    assert found["height"] <= 9000, (page.name, found)


# A party's own words for the dead or for its adversary: a report may show them only as that
# party's words (a quoted source term, a quote, a source's title), never in its own sentences.
PARTY_TERMS = re.compile(
    r"\b(terrorists?|terror|martyrs?|martyred|martyrdom|eliminated|eliminat\w+|liquidat\w+|neutrali[sz]ed|"
    r"massacres?|genocid\w*|zionists?|occupation forces|resistance fighters|the resistance|enemy|enemies|"
    r"invaders|aggressors?|heroes|heroic|nazis?|special military operation|savages?|barbaric|"
    r"freedom fighters)\b",
    re.IGNORECASE,
)
QUOTED = re.compile(r"“[^”]*”|‘[^’]*’|\"[^\"]*\"")


def own_words(page: str) -> str:
    """A page's visible text less everything that carries a source's words: quoted figures
    (cc-stated spans), tables (their cells are the data as stated: quotes, titles, figures),
    scripts and styles (chart data), the parameters list, and text in quotation marks."""
    page = re.sub(r"<(script|style|table)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'<span class="cc-stated"[^>]*>.*?</span>', " ", page, flags=re.S)
    return QUOTED.sub(" ", visible_text(page))


def test_reports_speak_in_neutral_terms_and_quote_a_partys_terms_as_its_words(built):
    """Issue #14, item 5. The check is sharp: the same scan over the raw quotes finds the terms."""
    entries, out, data_dir = built
    for entry, page in pages(built):
        found = sorted({m.group(0).lower() for m in PARTY_TERMS.finditer(own_words(page))})
        assert not found, (entry["slug"], found)
    quotes = " ".join(claim.get("quote") or "" for claim in raw_claims(data_dir).values())
    if (data_dir / "gaza-war").exists():
        assert {"terrorists", "eliminated", "massacre"} <= {m.group(0).lower() for m in PARTY_TERMS.finditer(quotes)}


def test_the_neutral_voice_scan_finds_a_term_in_our_words_and_passes_it_in_a_source_s():
    page = (
        "<p>The army said 5 terrorists died; the ministry counted “martyrs”.</p>"
        '<p><span class="cc-stated" data-claim="x">17,000 “terrorists eliminated” (killed)</span></p>'
        "<table><tr><td>massacre</td></tr></table>"
    )
    assert [m.group(0) for m in PARTY_TERMS.finditer(own_words(page))] == ["terrorists"]
