"""Accessibility (issue #13, item 8): axe-core audits built reports in headless Chromium.

Reads the fictional sparse war's catalog (tests/fixtures/sparse/catalog.yml: both real notebooks
and the index) as conftest.py's `site` builds it, once a test run; audits every page, and requires
no serious or critical violation; a page with a deliberate violation must fail, in the API and in
the CLI's exit code.

axe-core comes from tools/axe (pinned in its package-lock.json). When it is not installed, the
tests install it as CI does (`npm ci --prefix tools/axe`) and fail loudly if they cannot: an
audit that silently did not run would pass every page. Slow: real kernels."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.report import audit
from analysis.report.offline import find_chromium
from tests.fixture_data import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (.ci/run installs it)"),
]

SPARSE_SLUGS = ["ruritania-losses", "borduria-losses", "ruritania-borduria-overview"]


def ensure_axe() -> Path:
    """The axe-core bundle, installed the way .ci/run installs it when it is missing."""
    if not audit.AXE_SCRIPT.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"axe-core is not installed ({audit.AXE_SCRIPT}) and npm is not on PATH")
        result = subprocess.run(
            [npm, "ci", "--prefix", str(audit.AXE_DIR), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"npm ci --prefix tools/axe failed:\n{result.stdout}{result.stderr}"
    assert audit.AXE_SCRIPT.is_file(), audit.AXE_SCRIPT
    return audit.AXE_SCRIPT


@pytest.fixture(scope="module")
def sparse_build(site) -> Path:
    ensure_axe()
    return site("sparse")[1]


@pytest.fixture(scope="module")
def broken_page(sparse_build, tmp_path_factory) -> Path:
    """A built report with two deliberate violations: an <img> without alt (critical) and a
    scrolling region a keyboard cannot reach (serious). Written to a folder of its own: the
    built site is shared with other tests."""
    html = (sparse_build / f"{SPARSE_SLUGS[0]}.html").read_text(encoding="utf-8")
    pixel = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    injected = (
        f'<img src="{pixel}" width="40" height="40">'
        '<div id="cc-broken-scroll" style="overflow:auto;width:80px;height:40px">'
        '<p style="width:400px">A paragraph wider than the box that scrolls it.</p></div>'
    )
    broken, count = re.subn(r"(<main[^>]*>)", lambda m: m.group(1) + injected, html, count=1)
    assert count == 1, "the report has a <main> element"
    path = tmp_path_factory.mktemp("broken") / "broken-a11y.html"
    path.write_text(broken, encoding="utf-8")
    return path


def test_every_page_has_no_serious_or_critical_violation(sparse_build):
    pages = [sparse_build / "index.html"] + [sparse_build / f"{slug}.html" for slug in SPARSE_SLUGS]
    results = audit.audit_pages(pages)
    report = "\n".join(r.lines() for r in results)
    assert [r.path for r in results] == pages
    assert all(r.axe_version == _pinned_version() for r in results), report
    assert all(r.page.ok for r in results), "\n".join(r.page.line() for r in results)
    assert all(r.ok for r in results), report


def test_a_deliberate_violation_fails_the_audit(broken_page):
    [result] = audit.audit_pages([broken_page])
    failing = {v.rule: v for v in result.failing}
    assert not result.ok
    assert failing["image-alt"].impact == "critical"
    assert any("img" in node["target"] for node in failing["image-alt"].nodes)
    assert "scrollable-region-focusable" in failing
    assert any("#cc-broken-scroll" in node["target"] for node in failing["scrollable-region-focusable"].nodes)


def test_cli_exits_non_zero_and_names_the_rule_and_node(sparse_build, broken_page):
    command = [sys.executable, "-m", "analysis.report.audit"]
    good = subprocess.run(
        [*command, str(sparse_build / "index.html"), str(sparse_build / f"{SPARSE_SLUGS[0]}.html")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "2 page(s) without serious or critical violations, 0 with" in good.stdout
    bad = subprocess.run([*command, str(broken_page)], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert re.search(r"\[critical\] image-alt: .*\n\s+.*img", bad.stdout), bad.stdout
    assert "#cc-broken-scroll" in bad.stdout
    missing = subprocess.run(
        [*command, str(sparse_build / "no-such-page.html")], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert missing.returncode == 2 and "no such page" in missing.stderr


def _pinned_version() -> str:
    import json

    lock = json.loads((audit.AXE_DIR / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"]["node_modules/axe-core"]["version"]
