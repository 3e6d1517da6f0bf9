"""The site index (reports/index.html) for readers: reports grouped by conflict with the overview
first, each with its headline (analysis.publish.publish_headline) and data date, build details folded away,
failures marked, headlines kept across cached rebuilds, and a filter box that works offline and
fits a phone. Slow: builds run real kernels."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from analysis import formatting
from analysis.dataset import load_conflict
from analysis.publish import ARTIFACT_MIME
from analysis.report.offline import Browser, PageResult, find_chromium
from tests.fixture_data import CONFLICT_ID, VALID_DATA
from tests.test_report_build import NOTEBOOKS, claims_build, manifest

pytestmark = pytest.mark.slow

OTHER_ID = "ruritania-grand-fenwick"
# catalog order: the overview of the first conflict comes fourth, after a report of the other conflict
ENTRIES = [
    ("a-wounded", "Freedonia's injured", "headline.ipynb", {"conflict": CONFLICT_ID, "topic": "wounded"}),
    ("b-killed", "Fenwick's dead", "headline.ipynb", {"conflict": OTHER_ID, "topic": "killed"}),
    ("a-no-headline", "A report from before headlines", "claims_chart.ipynb", {"conflict": CONFLICT_ID}),
    (
        "a-overview",
        "The whole war at a glance",
        "headline.ipynb",
        {"conflict": CONFLICT_ID, "topic": "", "is_overview": True},
    ),
    ("a-failing", "A report that fails", "failing.ipynb", {"conflict": CONFLICT_ID}),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict:
    """Two conflicts, five reports (one without a headline, one failing), built twice: cold, then
    again with nothing changed (every good report a cache hit)."""
    root = tmp_path_factory.mktemp("index")
    data = root / "data"
    shutil.copytree(VALID_DATA / CONFLICT_ID, data / CONFLICT_ID)
    shutil.copytree(VALID_DATA / CONFLICT_ID, data / OTHER_ID)
    meta = data / OTHER_ID / "conflict.yml"
    text = meta.read_text(encoding="utf-8").replace(f"conflict_id: {CONFLICT_ID}", f"conflict_id: {OTHER_ID}")
    text = text.replace("\nname: ", "\nname: The Grand Fenwick campaign, a copy of ", 1)
    meta.write_text(text, encoding="utf-8")
    catalog = root / "catalog.yml"
    catalog.write_text(
        yaml.safe_dump(
            {
                "data_dir": "data",
                "reports": [
                    {"slug": slug, "title": title, "notebook": str(NOTEBOOKS / notebook), "parameters": parameters}
                    for slug, title, notebook, parameters in ENTRIES
                ],
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    out = root / "out"
    first = claims_build("--catalog", catalog, "--out", out)
    assert first.returncode == 1, first.stdout + first.stderr  # a-failing
    cold = (out / "index.html").read_bytes()
    again = claims_build("--catalog", catalog, "--out", out)
    assert again.returncode == 1, again.stdout + again.stderr
    return {"out": out, "data": data, "cold": cold, "statuses": {s: r["status"] for s, r in manifest(out).items()}}


def soup(site) -> BeautifulSoup:
    return BeautifulSoup((site["out"] / "index.html").read_text(encoding="utf-8"), "html.parser")


def published_headline(out: Path, slug: str) -> dict | None:
    """The headline artifact in the report's executed notebook, as the notebook published it."""
    nb = json.loads((out / slug / f"{slug}.ipynb").read_text(encoding="utf-8"))
    docs = [
        o["data"][ARTIFACT_MIME]
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if ARTIFACT_MIME in (o.get("data") or {}) and o["data"][ARTIFACT_MIME]["kind"] == "headline"
    ]
    assert len(docs) <= 1
    return docs[0] if docs else None


def conflict_name(data: Path, conflict: str) -> str:
    return yaml.safe_load((data / conflict / "conflict.yml").read_text(encoding="utf-8"))["name"]


# ------------------------------------------------------------------------------ the page


def test_the_second_build_is_a_cache_hit_and_keeps_every_headline(site):
    assert site["statuses"] == {
        "a-wounded": "up-to-date",
        "b-killed": "up-to-date",
        "a-no-headline": "up-to-date",
        "a-overview": "up-to-date",
        "a-failing": "failed",
    }
    assert (site["out"] / "index.html").read_bytes() == site["cold"]
    state = json.loads((site["out"] / ".build" / "state.json").read_text(encoding="utf-8"))
    for slug in ("a-wounded", "b-killed", "a-overview"):
        assert state["reports"][slug]["headline"] == published_headline(site["out"], slug)
        assert (
            soup(site).select_one(f"#report-{slug} .headline").get_text() == state["reports"][slug]["headline"]["text"]
        )


def test_reports_are_grouped_by_conflict_with_the_overview_first(site):
    page = soup(site)
    groups = page.select("main section.conflict")
    assert [g.h2.get_text() for g in groups] == [
        conflict_name(site["data"], CONFLICT_ID),
        conflict_name(site["data"], OTHER_ID),
    ]
    order = [[li["id"].removeprefix("report-") for li in g.select("li.report")] for g in groups]
    catalog_order = [slug for slug, *_ in ENTRIES]
    first = [s for s in catalog_order if s.startswith("a-")]
    assert order == [["a-overview"] + [s for s in first if s != "a-overview"], ["b-killed"]]
    assert page.html["lang"] == "en" and len(page.find_all("h1")) == 1
    assert all(li.h3 for g in groups for li in g.select("li.report"))
    assert "Overview" in page.select_one("#report-a-overview .meta").get_text()
    assert "Overview" not in page.select_one("#report-a-wounded").get_text()


def test_each_report_shows_its_title_headline_and_data_date(site):
    page = soup(site)
    for slug, title, _, parameters in ENTRIES:
        item = page.select_one(f"#report-{slug}")
        heading = item.h3
        assert heading.get_text() == title
        if slug == "a-failing":
            assert heading.a is None
            continue
        assert heading.a["href"] == f"{slug}.html"
        headline = published_headline(site["out"], slug)
        as_of = load_conflict(parameters["conflict"], site["data"]).data_as_of
        shown = item.select_one(".meta time")
        assert shown["datetime"] == as_of.isoformat() and shown.get_text() == formatting.date(as_of)
        if headline is None:  # a notebook without publish_headline: the title only
            assert item.select_one(".headline") is None
        else:
            assert item.select_one(".headline").get_text() == headline["text"]
            assert headline["data_as_of"] == as_of.isoformat()


def test_build_details_are_folded_away_and_a_failure_is_marked_for_readers(site):
    page = soup(site)
    for slug, _, notebook, parameters in ENTRIES:
        item = page.select_one(f"#report-{slug}")
        details = item.find("details")
        assert details is not None and not details.has_attr("open")
        assert details.summary.get_text() == "Build details"
        assert all(code.find_parent("details") is details for code in item.find_all("code"))
        folded = details.get_text()
        for name in parameters:
            assert name in folded
        assert notebook in folded
    failing = page.select_one("#report-a-failing")
    notice = failing.select_one(".notice")
    assert notice is not None and "failed" in notice.get_text() and notice.find_parent("details") is None
    assert "failed" in failing.find("details").get_text()
    assert all(page.select_one(f"#report-{slug} .notice") is None for slug, *_ in ENTRIES if slug != "a-failing")


def test_without_javascript_every_report_shows_and_the_filter_box_stays_hidden(site):
    page = soup(site)
    assert page.select_one("#filter-box").has_attr("hidden")
    assert page.select_one("label[for=filter]") is not None and page.select_one("input#filter") is not None
    assert len(page.select("li.report")) == len(ENTRIES)
    assert not any(li.has_attr("hidden") for li in page.select("li.report, section.conflict"))
    scripts = page.find_all("script")
    assert len(scripts) == 1 and not scripts[0].has_attr("src")


# ---------------------------------------------------------------------------- in Chromium


def open_page(browser: Browser, path: Path, width: int) -> str:
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session)
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": True},
        session,
    )
    browser.events.clear()
    browser.send("Page.navigate", {"url": path.resolve().as_uri()}, session)
    deadline = time.monotonic() + 30
    while not any(e.get("method") == "Page.loadEventFired" for e in browser.events):
        assert time.monotonic() < deadline, "the index did not load"
        browser.pump(0.1)
    return session


def evaluate(browser: Browser, session: str, expression: str):
    reply = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
    assert "exceptionDetails" not in reply, reply
    return reply["result"].get("value")  # undefined has none


VISIBLE = """Array.from(document.querySelectorAll('li.report'))
  .filter(li => li.offsetParent !== null).map(li => li.id.replace('report-', ''))"""


def type_filter(browser: Browser, session: str, text: str) -> list[str]:
    evaluate(
        browser,
        session,
        f"""(() => {{ const box = document.getElementById('filter');
      box.value = {json.dumps(text)}; box.dispatchEvent(new Event('input', {{bubbles: true}})); }})()""",
    )
    return evaluate(browser, session, VISIBLE)


@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (.ci/run installs it)")
def test_the_filter_works_offline_and_the_page_fits_a_phone(site):
    index = site["out"] / "index.html"
    state = json.loads((site["out"] / ".build" / "state.json").read_text(encoding="utf-8"))
    searchable = {
        slug: f"{title} {(state['reports'][slug].get('headline') or {}).get('text', '')}".lower()
        for slug, title, *_ in ENTRIES
    }
    conflict_of = {slug: parameters["conflict"] for slug, _, _, parameters in ENTRIES}
    headline_word = published_headline(site["out"], "a-wounded")["text"].split()[3]
    title_word = "Fenwick's"
    assert headline_word.lower() not in dict((s, t.lower()) for s, t, *_ in ENTRIES)["a-wounded"]
    with Browser() as browser:
        session = open_page(browser, index, 390)
        assert evaluate(browser, session, "!document.getElementById('filter-box').hidden")
        assert evaluate(browser, session, VISIBLE) == soup_order(site)
        for word in (headline_word.upper(), title_word):
            expected = [slug for slug in soup_order(site) if word.lower() in searchable[slug]]
            assert 0 < len(expected) < len(ENTRIES), word
            assert type_filter(browser, session, word) == expected
            assert evaluate(browser, session, "document.getElementById('filter-status').textContent") != ""
            groups = evaluate(
                browser,
                session,
                """Array.from(document.querySelectorAll('section.conflict'))
                .filter(s => !s.hidden).map(s => s.id)""",
            )
            assert groups == list(dict.fromkeys(f"conflict-{conflict_of[slug]}" for slug in expected))
        assert type_filter(browser, session, "zzzz-no-such-word") == []
        assert type_filter(browser, session, "") == soup_order(site)
        # a phone: no horizontal scroll, even with every "Build details" open (long fingerprints)
        assert evaluate(browser, session, "document.documentElement.scrollWidth") <= 390
        evaluate(browser, session, "document.querySelectorAll('details').forEach(d => d.open = true)")
        assert evaluate(browser, session, "document.documentElement.scrollWidth") <= 390
        size = evaluate(browser, session, "parseFloat(getComputedStyle(document.querySelector('.headline')).fontSize)")
        assert size >= 16
        result = PageResult(index)
        browser._collect(result, session)
        assert not result.console_errors and not result.network, result.line()


def soup_order(site) -> list[str]:
    return [li["id"].removeprefix("report-") for li in soup(site).select("li.report")]
