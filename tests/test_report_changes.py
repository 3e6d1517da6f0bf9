"""What changed between builds (analysis/report/: changes.py compares, history.py records,
change_pages.py renders): changes.json, the Atom feed changes.xml, each report's "Data last changed"
and corrections, published.json and the page a removed report's URL keeps.

The end-to-end tests build a small catalog over a copy of the fixture data four times, as a
maintainer would: a first build (the baseline), the same again, a build after correcting one
claim's value, removing one claim, adding one and two series records (with their CHANGELOG lines),
and a build after taking one report out of the catalog. Then the whole sequence again elsewhere,
which must give the same bytes. Slow: builds run real kernels."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import feedparser
import pytest
import yaml
from bs4 import BeautifulSoup

from analysis import formatting, narrative
from analysis.report import change_pages, changes
from analysis.report.catalog import CatalogError, read_catalog
from tests.fixture_data import CONFLICT_ID, VALID_DATA
from tests.test_report_build import NOTEBOOKS, claims_build, manifest

CORRECTED = "sy_general_staff_2022-03-01.fr.military.personnel_losses"  # about 5,500 -> about 5,800
REMOVED = "fr_war_office_2022-03-02.fr.military.wounded"  # about 1,600 wounded
ADDED = "ledger_watch_2022-05-20.fr.military.wounded"
SERIES = "sy_general_staff_personnel"
DATES = {"first": dt.date(2027, 1, 1), "fix": dt.date(2027, 1, 15), "drop": dt.date(2027, 1, 20)}
CHANGELOG_HEAD = """# Changes to raw data

| date | file | change | reason | source |
|---|---|---|---|---|
"""
OLD_LINE = (
    "| 2026-11-30 | freedonia-sylvania/conflict.yml | added: the fictional conflict | a test fixture | "
    "tests/fixtures/README.md |\n"
)
NEW_LINES = (
    f"| 2027-01-12 | freedonia-sylvania/claims.csv | {CORRECTED}: about 5,500 → about 5,800 | the bulletin "
    "was misread: its figure is 5,800 | https://example.org/sylvania/bulletin-2022-03-01 |\n"
    f"| 2027-01-12 | freedonia-sylvania/claims.csv | {REMOVED} removed | the War Office withdrew the "
    "figure | https://example.org/freedonia/withdrawn |\n"
)
REPORTS = [  # slug, title, notebook, parameters
    (
        "personnel",
        "Freedonian personnel losses",
        "claims_chart.ipynb",
        {"conflict": CONFLICT_ID, "subject_side": "freedonia", "population": "military", "metric": "personnel_losses"},
    ),
    (
        "sylvania",
        "Sylvanian soldiers killed",
        "claims_chart.ipynb",
        {
            "conflict": CONFLICT_ID,
            "subject_side": "sylvania",
            "population": "military",
            "metric": "killed",
            "official": ["sy_president"],
            "independent": ["marsovia_intelligence"],
        },
    ),
    ("war-overview", "The whole war", "headline.ipynb", {"conflict": CONFLICT_ID, "topic": "", "is_overview": True}),
]


def epoch(day: dt.date) -> str:
    return str(int(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC).timestamp()))


def write_catalog(path: Path, slugs: list[str]) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "data_dir": "data",
                "reports": [
                    {"slug": slug, "title": title, "notebook": str(NOTEBOOKS / notebook), "parameters": parameters}
                    for slug, title, notebook, parameters in REPORTS
                    if slug in slugs
                ],
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )


def build(root: Path, day: dt.date, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(day))
    result = claims_build("--catalog", root / "catalog.yml", "--out", root / "out")
    assert result.returncode == 0, result.stdout + result.stderr


def edit_data(data: Path) -> None:
    """Correct one value, remove one claim, add one, append two series records, and say why."""
    claims = data / CONFLICT_ID / "claims.csv"
    lines = claims.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [
        line.replace(",about,5500,", ",about,5800,") if line.startswith(CORRECTED) else line
        for line in lines
        if not line.startswith(REMOVED)
    ]
    lines.append(
        f"{ADDED},ledger_watch_2022-05-20,freedonia,military,wounded,at_least,2100,,,cumulative,,"
        '2022-05-01,named_list,high,,"and at least 2,100 wounded",\n'
    )
    claims.write_text("".join(lines), encoding="utf-8")
    with open(data / CONFLICT_ID / "series" / f"{SERIES}.csv", "a", encoding="utf-8") as fh:
        fh.write("2022-03-16,7300,about\n2022-03-17,7350,about\n")
    changelog = data / "CHANGELOG.md"
    changelog.write_text(CHANGELOG_HEAD + NEW_LINES + OLD_LINE, encoding="utf-8")


def run_sequence(root: Path, monkeypatch) -> dict:
    """The four builds; the published files after each, by step."""
    shutil.copytree(VALID_DATA / CONFLICT_ID, root / "data" / CONFLICT_ID)
    (root / "data" / "CHANGELOG.md").write_text(CHANGELOG_HEAD + OLD_LINE, encoding="utf-8")
    out = root / "out"
    write_catalog(root / "catalog.yml", [r[0] for r in REPORTS])
    steps: dict[str, dict] = {}

    def snapshot(step: str) -> None:
        steps[step] = {
            "files": {
                name: (out / name).read_bytes()
                for name in ("changes.json", "changes.xml", "published.json", "index.html")
            },
            "statuses": {slug: r["status"] for slug, r in manifest(out).items()},
            "html": {slug: (out / f"{slug}.html").read_text(encoding="utf-8") for slug, *_ in REPORTS},
        }

    build(root, DATES["first"], monkeypatch)
    snapshot("first")
    build(root, DATES["first"], monkeypatch)
    snapshot("again")
    edit_data(root / "data")
    build(root, DATES["fix"], monkeypatch)
    snapshot("fix")
    write_catalog(root / "catalog.yml", ["personnel", "war-overview"])
    build(root, DATES["drop"], monkeypatch)
    snapshot("drop")
    return {"root": root, "out": out, "steps": steps}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        return run_sequence(tmp_path_factory.mktemp("changes"), monkeypatch)


def history(site, step: str) -> dict:
    return json.loads(site["steps"][step]["files"]["changes.json"])


def page(site, step: str, name: str = "index.html") -> BeautifulSoup:
    files = site["steps"][step]
    text = files["files"][name].decode() if name in files["files"] else files["html"][name.removesuffix(".html")]
    return BeautifulSoup(text, "html.parser")


def feed(site, step: str):
    parsed = feedparser.parse(site["steps"][step]["files"]["changes.xml"])
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def text(node) -> str:
    return " ".join(node.get_text().split())


# ------------------------------------------------------------------- the baseline


@pytest.mark.slow
def test_a_first_build_records_nothing_and_says_since_when(site):
    assert history(site, "first") == {"format": 1, "first_build": {CONFLICT_ID: "2027-01-01"}, "entries": []}
    section = page(site, "first").select_one("#what-changed")
    assert "No changes recorded since the first build on 1 January 2027." in text(section)
    parsed = feed(site, "first")
    assert parsed.entries == [] and parsed.feed.updated == "2027-01-01T00:00:00+00:00"
    # each report: the latest CHANGELOG date of its conflict's files
    for slug, *_ in REPORTS:
        assert "Data last changed 30 November 2026" in text(page(site, "first", f"{slug}.html").select_one(".cc-dates"))


@pytest.mark.slow
def test_a_build_without_changes_adds_no_entry_and_rebuilds_nothing(site):
    assert site["steps"]["again"]["files"] == site["steps"]["first"]["files"]
    assert set(site["steps"]["again"]["statuses"].values()) == {"up-to-date"}


# ----------------------------------------------------------------- the must-show test


@pytest.mark.slow
def test_a_corrected_value_shows_in_the_index_the_report_and_the_feed(site):
    before, after = "about 5,500 personnel losses", "about 5,800 personnel losses"
    assert formatting.claim_text("about", 5500, None, None, "personnel_losses") == before
    # changes.json
    [entry] = history(site, "fix")["entries"]
    assert entry["date"] == "2027-01-15" and entry["id"] == f"tag:casualty-claims,2027-01-15:{CONFLICT_ID}:1"
    [corrected] = entry["corrected"]
    assert corrected["claim_id"] == CORRECTED and corrected["claimant"] == "General Staff of Sylvania"
    assert (corrected["before"], corrected["after"]) == (before, after)
    assert corrected["fields"] == [{"field": "value", "old": "5500", "new": "5800"}]
    assert corrected["reasons"] == [
        {
            "date": "2027-01-12",
            "reason": "the bulletin was misread: its figure is 5,800",
            "source": "https://example.org/sylvania/bulletin-2022-03-01",
        }
    ]
    assert [r["slug"] for r in entry["reports"]] == ["personnel", "war-overview"]  # not the Sylvanian report

    # the index: date, counts, the reports, the change and its reason
    article = page(site, "fix").select_one("#what-changed article")
    assert article["id"] == "change-2027-01-15-freedonia-sylvania-1"
    words = text(article)
    assert words.startswith(
        "15 January 2027 · The Freedonia–Sylvania war (fictional test fixture): 1 corrected, 3 added, 1 removed"
    )
    assert f"General Staff of Sylvania: {before} → {after} ({CORRECTED}; value “5500” → “5800”)" in words
    assert "the bulletin was misread: its figure is 5,800" in words
    assert {a["href"] for a in article.select("a")} == {"personnel.html", "war-overview.html"}

    # the report that shows the claim (its table's CSV has the claim id): the date and the correction
    out = site["out"]
    with open(out / "personnel" / "tables" / "claims.csv", encoding="utf-8") as fh:
        assert CORRECTED in {row["claim_id"] for row in csv.DictReader(fh)}
    report = page(site, "fix", "personnel.html")
    assert "Data last changed 15 January 2027" in text(report.select_one(".cc-dates"))
    block = text(report.select_one(".cc-corrections"))
    assert f"15 January 2027: General Staff of Sylvania, {before} → {after}" in block
    assert "the bulletin was misread" in block and f"({REMOVED})" in block  # the removal too
    # the other side's report: rebuilt (the conflict's data changed), but no correction touches it
    sylvania = page(site, "fix", "sylvania.html")
    assert sylvania.select_one(".cc-corrections") is None
    assert "Data last changed 30 November 2026" in text(sylvania.select_one(".cc-dates"))

    # the feed: valid Atom, the entry names the claim and the figures before and after
    parsed = feed(site, "fix")
    [item] = parsed.entries
    assert item.id == entry["id"] and item.updated == "2027-01-15T00:00:00+00:00"
    assert item.title == "The Freedonia–Sylvania war (fictional test fixture): 1 corrected, 3 added, 1 removed"
    content = BeautifulSoup(item.content[0].value, "html.parser")
    assert f"{before} → {after}" in text(content) and CORRECTED in text(content)
    assert "the bulletin was misread" in text(content)
    assert item.link == "index.html#change-2027-01-15-freedonia-sylvania-1"
    assert {a["href"] for a in content.select("a")} == {"personnel.html", "war-overview.html"}
    assert parsed.feed.updated == "2027-01-15T00:00:00+00:00"


@pytest.mark.slow
def test_removed_and_added_claims_and_series_records_are_recorded(site):
    [entry] = history(site, "fix")["entries"]
    assert entry["counts"] == {"corrected": 1, "added": 3, "removed": 1}
    [removed] = entry["removed"]
    assert removed["claim_id"] == REMOVED and removed["figure"] == "about 1,600 wounded"
    assert removed["reasons"][0]["reason"] == "the War Office withdrew the figure"
    [added] = entry["added"]
    assert added["claim_id"] == ADDED and added["figure"] == "at least 2,100 wounded"
    [series] = entry["added_series"]  # summarised, not listed record by record
    assert series["text"] == f"2 new daily records of {SERIES}, 2022-03-16 to 2022-03-17"
    assert [line["date"] for line in entry["changelog"]] == ["2027-01-12", "2027-01-12"]  # not the old line
    words = text(page(site, "fix").select_one("#what-changed"))
    assert f"Freedonian War Office: about 1,600 wounded as of 2 March 2022 ({REMOVED})" in words
    assert f"Ledger Watch (open-source investigators): at least 2,100 wounded as of 1 May 2022 ({ADDED})" in words
    assert f"2 new daily records of {SERIES}, 2022-03-16 to 2022-03-17" in words


# ------------------------------------------------------------ incremental, stable links


@pytest.mark.slow
def test_a_report_not_rebuilt_keeps_its_data_last_changed(site):
    statuses = site["steps"]["drop"]["statuses"]
    assert statuses == {"personnel": "up-to-date", "war-overview": "up-to-date"}
    assert site["steps"]["drop"]["html"]["personnel"] == site["steps"]["fix"]["html"]["personnel"]
    assert history(site, "drop") == history(site, "fix")  # a catalog change is not a data change


@pytest.mark.slow
def test_a_removed_report_keeps_its_url_as_a_page_saying_so(site):
    out = site["out"]
    published = json.loads(site["steps"]["drop"]["files"]["published.json"])["reports"]
    assert published["sylvania"] == {
        "conflict": CONFLICT_ID,
        "first_built": "2027-01-01",
        "last_built": "2027-01-15",
        "removed": "2027-01-20",
        "title": "Sylvanian soldiers killed",
    }
    assert published["personnel"] == {
        "conflict": CONFLICT_ID,
        "first_built": "2027-01-01",
        "last_built": "2027-01-15",
        "title": "Freedonian personnel losses",
    }
    tombstone = BeautifulSoup((out / "sylvania.html").read_text(encoding="utf-8"), "html.parser")
    assert "This report was removed from the catalog on 20 January 2027." in text(tombstone)
    assert {a["href"] for a in tombstone.select("main a")} == {"index.html", "war-overview.html"}
    index = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert tombstone.select_one("style").string == index.select_one("style").string  # the index's look
    assert not (out / "sylvania").exists()  # its notebook, charts and tables went with it
    assert index.select_one("#report-sylvania") is None


@pytest.mark.slow
def test_every_slug_ever_published_still_resolves(site):
    out = site["out"]
    published = json.loads((out / "published.json").read_text(encoding="utf-8"))["reports"]
    assert set(published) == {slug for slug, *_ in REPORTS}
    for slug in published:
        assert (out / f"{slug}.html").is_file(), slug
    # the index's links and the feed's links point at pages that exist
    for link in BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser").select(
        "a[href$='.html']"
    ):
        assert (out / link["href"]).is_file(), link["href"]


@pytest.mark.slow
def test_the_published_claims_csv_the_next_build_compares_with_is_the_data_packages(site):
    path = site["out"] / "data" / CONFLICT_ID / "claims.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == changes.CLAIMS_CSV_COLUMNS
    assert [r["claim_id"] for r in rows] == sorted(r["claim_id"] for r in rows)
    row = next(r for r in rows if r["claim_id"] == CORRECTED)
    assert (row["value"], row["as_of_date"], row["is_dependent"], row["derived_from"]) == (
        "5800",
        "2022-03-01",
        "false",
        "",
    )


@pytest.mark.slow
def test_two_identical_build_sequences_give_identical_bytes(site, tmp_path, monkeypatch):
    again = run_sequence(tmp_path, monkeypatch)
    for step, files in site["steps"].items():
        for name, data in files["files"].items():
            assert again["steps"][step]["files"][name] == data, (step, name)
    for name in ("sylvania.html", "personnel.html"):
        assert (again["out"] / name).read_bytes() == (site["out"] / name).read_bytes()


# ------------------------------------------------------------------------ fast units


def rows(*specs: dict) -> dict[str, dict[str, str]]:
    base = {c: "" for c in changes.CLAIMS_CSV_COLUMNS}
    return {s["claim_id"]: {**base, **s} for s in specs}


def test_compare_by_claim_id_lists_each_corrected_field():
    a = {
        "claim_id": "a",
        "qualifier": "about",
        "value": "100",
        "metric": "killed",
        "subject_side": "x",
        "population": "military",
        "claimant_name": "A",
        "as_of_date": "2022-03-01",
    }
    previous = rows(a, {**a, "claim_id": "gone"})
    current = rows({**a, "value": "120.0", "quote": "about 120"}, {**a, "claim_id": "new"})
    diff = changes.compare(previous, current)
    assert diff.added == ["new"] and diff.removed == ["gone"]
    assert diff.corrected == {"a": [("value", "100", "120.0"), ("quote", "", "about 120")]}
    # the same figure written as 100 or 100.0, a neutralised formula, a column the old file lacks
    same = changes.compare(rows({**a, "quote": "'=1+1"}), rows({**a, "value": "100.0", "quote": "=1+1"}))
    assert same.empty
    older = {"a": {k: v for k, v in rows(a)["a"].items() if k != "source_term"}}
    assert changes.compare(older, rows({**a, "source_term": "dead"})).empty


def test_series_records_are_summarised_and_corrections_named_in_words():
    a = {
        "claim_id": "s.2022-03-02",
        "qualifier": "exact",
        "value": "10",
        "metric": "killed",
        "subject_side": "x",
        "population": "all",
        "claimant_name": "Ministry",
        "as_of_date": "2022-03-02",
        "source": "series:s",
    }
    current = rows(
        *({**a, "claim_id": f"s.2022-03-{d:02}", "as_of_date": f"2022-03-{d:02}"} for d in range(2, 14)),
        {
            **a,
            "claim_id": "c",
            "source": "claims.csv",
            "qualifier": "about",
            "value": "16100",
            "metric": "personnel_losses",
            "source_term": "personnel",
        },
    )
    previous = rows(
        {
            **a,
            "claim_id": "c",
            "source": "claims.csv",
            "qualifier": "about",
            "value": "16000",
            "metric": "personnel_losses",
            "source_term": "personnel",
        }
    )
    diff = changes.compare(previous, current)
    scope = changes.Scope("war", "x", "military")
    entry = changes.make_entry(
        diff,
        previous,
        current,
        date="2027-01-15",
        conflict_id="war",
        conflict_name="The war",
        data_as_of="2022-03-13",
        number=1,
        changelog=[],
        reports=[("r", "R", scope)],
    )
    assert entry["summary"] == "1 corrected, 12 added"
    assert (
        entry["added"] == []
        and entry["added_series"][0]["text"] == "12 new daily records of s, 2022-03-02 to 2022-03-13"
    )
    after = narrative.stated_text(
        {"qualifier": "about", "value": 16100, "metric": "personnel_losses", "source_term": "personnel"}
    )
    assert entry["corrected"][0]["after"] == after == "about 16,100 “personnel” (personnel losses)"
    assert entry["reports"] == []  # population all is not in a report about the military alone
    assert changes.Scope("war", "x", "all").touches([["x", "military"]])  # but a report of all shows its military


def test_changelog_lines_are_read_by_conflict_and_matched_by_whole_id(tmp_path):
    path = tmp_path / "CHANGELOG.md"
    path.write_text(
        CHANGELOG_HEAD + "| 2027-01-02 | war/claims.csv, statements.csv | a.killed: 1 → 2 \\| b | why | "
        "https://e.org/x |\n| 2027-01-03 | LICENSE.md | licence | law | – |\n",
        encoding="utf-8",
    )
    first, second = changes.read_changelog(path)
    assert (first.date, first.change, first.reason) == ("2027-01-02", "a.killed: 1 → 2 | b", "why")
    assert first.is_about("war") and not second.is_about("war")
    assert first.mentions(["a.killed"]) and not first.mentions(["a.kill"]) and not first.mentions(["killed"])
    assert changes.read_changelog(tmp_path / "missing.md") == []


def test_the_feed_is_atom_deterministic_and_absolute_with_a_site_url():
    entry = {
        "id": "tag:casualty-claims,2027-01-15:war:1",
        "date": "2027-01-15",
        "conflict_id": "war",
        "conflict_name": "The <war>",
        "data_as_of": "2022-03-13",
        "summary": "1 removed",
        "counts": {"removed": 1},
        "reports": [{"slug": "r", "title": "R & co"}],
        "corrected": [],
        "added": [],
        "added_series": [],
        "changelog": [],
        "removed": [
            {
                "claim_id": "c",
                "claimant": "<b>M</b>",
                "figure": "10 killed",
                "as_of_date": "2022-03-01",
                "scopes": [],
                "reasons": [],
            }
        ],
    }
    history = {"format": 1, "first_build": {"war": "2027-01-01"}, "entries": [entry]}
    data = change_pages.feed_bytes(history, updated="2027-01-15", site_url="https://example.org/claims/")
    assert data == change_pages.feed_bytes(history, updated="2027-01-15", site_url="https://example.org/claims/")
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0 and parsed.version == "atom10"
    assert parsed.feed.generator == "casualty-claims" and "feedgen" not in data.decode()
    [item] = parsed.entries
    assert item.title == "The <war>: 1 removed"
    assert item.link == "https://example.org/claims/index.html#change-2027-01-15-war-1"
    assert '<a href="https://example.org/claims/r.html">R &amp; co</a>' in item.content[0].value
    assert "&lt;b&gt;M&lt;/b&gt;" in item.content[0].value  # escaped once in the HTML, and by lxml in the XML
    assert any(
        link.rel == "self" and link.href == "https://example.org/claims/changes.xml" for link in parsed.feed.links
    )


def test_last_changed_ends_the_line_of_dates_of_the_report_header():
    import nbformat

    class Conflict:
        name, data_as_of = "The war", dt.date(2026, 8, 22)

    header = narrative.header("A report", Conflict(), {"conflict": "war"})
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", data={"text/html": header})])]
    )
    context = {
        "last_changed": "2027-01-15",
        "corrections": [
            {
                "date": "2027-01-15",
                "kind": "corrected",
                "claim_id": "c",
                "claimant": "M",
                "before": "10 killed",
                "after": "12 killed",
                "fields": [{"field": "value", "old": "10", "new": "12"}],
                "reasons": [{"date": "2027-01-12", "reason": "misread", "source": "https://e.org"}],
            }
        ],
    }
    html = change_pages.annotate_notebook(nb, context).cells[0].outputs[0]["data"]["text/html"]
    soup = BeautifulSoup(html, "html.parser")
    dates = text(soup.select_one(".cc-dates"))
    assert dates.startswith("The war · Data as of 22 August 2026 · built ")
    assert dates.endswith(" · Data last changed 15 January 2027")
    assert soup.select_one("header + .cc-corrections") is not None
    assert "M, 10 killed → 12 killed (c; value “10” → “12”)" in text(soup.select_one(".cc-corrections"))
    # a notebook without that header: a first output with both
    bare = change_pages.annotate_notebook(nbformat.v4.new_notebook(), context)
    assert 'class="cc-dates">Data last changed' in bare.cells[0].outputs[0]["data"]["text/html"]


def test_site_url_is_an_optional_catalog_key(tmp_path):
    (tmp_path / "data").mkdir()
    catalog = tmp_path / "catalog.yml"
    entry = "reports: [{slug: a, title: A, notebook: x.ipynb}]\ndata_dir: data\n"
    catalog.write_text(entry, encoding="utf-8")
    assert read_catalog(catalog).site_url is None
    catalog.write_text(entry + "site_url: https://example.org/claims\n", encoding="utf-8")
    assert read_catalog(catalog).site_url == "https://example.org/claims/"
    catalog.write_text(entry + "site_url: javascript:alert(1)\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="site_url must be an http"):
        read_catalog(catalog)
