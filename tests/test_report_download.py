"""A report forwarded alone still gives its data: copied into an empty folder and opened with the
network blocked, a table's CSV and a chart's PNG download from the one HTML file.

Reads one report of the fictional sparse war, built with the real notebook (conftest.py's `site`,
once a test run); drives Debian's Chromium over the DevTools protocol
(analysis.report.offline.Browser: the network goes to a dead proxy)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from analysis.report.offline import Browser, find_chromium

pytestmark = pytest.mark.slow

SLUG = "ruritania-losses"


@pytest.fixture(scope="module")
def built(site) -> Path:
    return site("sparse")[1]


def wait_for_file(folder: Path, pattern: str, seconds: float = 20.0) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload") and p.stat().st_size]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"nothing matching {pattern} was downloaded into {folder}: {sorted(folder.iterdir())}")


def test_a_report_alone_in_an_empty_folder_downloads_its_csv_and_a_png_offline(built, tmp_path):
    if find_chromium() is None:
        pytest.fail("Chromium is needed for this test (CI installs Debian's chromium)")
    alone = tmp_path / "forwarded"
    alone.mkdir()
    page = alone / f"{SLUG}.html"
    shutil.copy(built / f"{SLUG}.html", page)  # nothing beside it: no tables/ or charts/ folder
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    expected_csv = (built / SLUG / "tables" / "latest.csv").read_bytes()

    with Browser() as browser:
        browser.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Page.navigate", {"url": page.as_uri()}, session)
        browser.pump(4)

        def run(expression: str):
            reply = browser.send(
                "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session
            )
            assert "exceptionDetails" not in reply, reply
            return reply["result"].get("value")

        assert run("document.querySelectorAll('svg.marks, canvas.marks').length") >= 3  # the charts drew
        # the table's link: its CSV is inside the page
        name = run(
            "(() => { const a = document.querySelector('a[data-csv-gzip][download$=\"-latest.csv\"]');"
            " a.click(); return a.getAttribute('download'); })()"
        )
        csv = wait_for_file(downloads, name)
        assert csv.read_bytes() == expected_csv
        # a chart's menu: vega-embed's own PNG export (it renders the PNG in the page on mousedown)
        run(
            "(() => { const a = Array.from(document.querySelectorAll('#altair-viz-ladder .vega-actions a'))"
            ".find(x => x.download && x.download.endsWith('.png'));"
            " a.dispatchEvent(new MouseEvent('mousedown', {bubbles: true})); return true; })()"
        )
        browser.pump(1.5)
        run(
            "(() => { const a = Array.from(document.querySelectorAll('#altair-viz-ladder .vega-actions a'))"
            ".find(x => x.download && x.download.endsWith('.png')); a.click(); return a.href.slice(0, 22); })()"
        )
        png = wait_for_file(downloads, "*.png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # the menu offers only what works offline
        actions = run(
            "Array.from(document.querySelectorAll('#altair-viz-ladder .vega-actions a')).map(a => a.textContent)"
        )
        assert actions and all(("PNG" in a or "SVG" in a) for a in actions), actions
        requests = [
            e["params"]["request"]["url"]
            for e in browser.events
            if e.get("method") == "Network.requestWillBeSent"
            and not e["params"]["request"]["url"].startswith(("file:", "data:", "blob:", "about:"))
        ]
        assert requests == []
        browser.send("Target.closeTarget", {"targetId": target})
