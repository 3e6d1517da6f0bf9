"""Accessibility audit of built reports: axe-core run inside headless Chromium, network blocked.

    python -m analysis.report.audit reports/index.html reports/*.html

Each page is opened as analysis.report.offline opens it (Debian's chromium, a dead proxy, the
charts awaited), then axe-core (`tools/axe/node_modules/axe-core/axe.min.js`, pinned in
tools/axe/package-lock.json, installed with `npm ci --prefix tools/axe`; .ci/run does it) is
injected with Runtime.evaluate and `axe.run(document, {resultTypes: ['violations']})` is awaited.
Every violation is printed with its rule id, impact, help text and the failing nodes' selectors;
the exit code is 1 when any page has a serious or critical one (FAILING_IMPACTS), else 0.
Minor and moderate violations are listed but do not fail.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from analysis.report.offline import Browser, PageResult

REPO = Path(__file__).resolve().parents[2]
AXE_DIR = REPO / "tools" / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
IMPACTS = ("minor", "moderate", "serious", "critical")
FAILING_IMPACTS = ("serious", "critical")
NODES_SHOWN = 8  # selectors printed per rule; the count says how many more failed

RUN_AXE = """(async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return JSON.stringify({
    version: axe.version,
    violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t).join(' '),
                                summary: (n.failureSummary || '').slice(0, 400)}))
    }))
  });
})()"""


@dataclass
class Violation:
    rule: str
    impact: str
    help: str
    help_url: str
    nodes: list[dict]

    @property
    def failing(self) -> bool:
        return self.impact in FAILING_IMPACTS


@dataclass
class AuditResult:
    path: Path
    page: PageResult | None = None
    axe_version: str = ""
    violations: list[Violation] = field(default_factory=list)

    @property
    def failing(self) -> list[Violation]:
        return [v for v in self.violations if v.failing]

    @property
    def ok(self) -> bool:
        return not self.failing

    def counts(self) -> dict[str, int]:
        """Violated rules per impact (a rule counts once, whatever its number of nodes)."""
        return {impact: sum(v.impact == impact for v in self.violations) for impact in IMPACTS}

    def lines(self) -> str:
        counts = ", ".join(f"{n} {impact}" for impact, n in self.counts().items() if n) or "no violations"
        text = f"{'ok' if self.ok else 'FAILED'}: {self.path}: axe {self.axe_version}: {counts}"
        order = {impact: i for i, impact in enumerate(reversed(IMPACTS))}
        for v in sorted(self.violations, key=lambda v: (order.get(v.impact, len(order)), v.rule)):
            text += f"\n  [{v.impact}] {v.rule}: {v.help} ({len(v.nodes)} node(s)) {v.help_url}"
            for node in v.nodes[:NODES_SHOWN]:
                text += f"\n      {node['target']}"
            if len(v.nodes) > NODES_SHOWN:
                text += f"\n      … and {len(v.nodes) - NODES_SHOWN} more"
        return text


def axe_source() -> str:
    """The pinned axe-core bundle; a clear error (never a silent pass) when it is not installed."""
    if not AXE_SCRIPT.is_file():
        raise FileNotFoundError(
            f"axe-core is not installed: {AXE_SCRIPT} is missing; "
            f"run `npm ci --prefix {AXE_DIR.relative_to(REPO)}` (.ci/run does)"
        )
    return AXE_SCRIPT.read_text(encoding="utf-8")


def run_axe(browser: Browser, session: str, source: str) -> tuple[str, list[Violation]]:
    """Inject axe-core into the loaded page of `session` and run it; (axe version, violations)."""
    injected = browser.send("Runtime.evaluate", {"expression": source, "returnByValue": True}, session)
    if "exceptionDetails" in injected:
        raise RuntimeError(f"injecting axe-core failed: {injected['exceptionDetails']}")
    reply = browser.send(
        "Runtime.evaluate", {"expression": RUN_AXE, "awaitPromise": True, "returnByValue": True}, session
    )
    if "exceptionDetails" in reply:
        details = reply["exceptionDetails"]
        raise RuntimeError(f"axe.run failed: {(details.get('exception') or {}).get('description') or details}")
    data = json.loads(reply["result"]["value"])
    return data["version"], [
        Violation(v["id"], v["impact"] or "unknown", v["help"], v["helpUrl"], v["nodes"]) for v in data["violations"]
    ]


def audit_pages(paths: list[Path], browser: Browser | None = None, width: int = 1200) -> list[AuditResult]:
    """Audit every page; one browser for all (opened here unless given)."""
    source = axe_source()
    if browser is None:
        with Browser() as own:
            return audit_pages(paths, own, width)
    results = []
    for path in paths:
        result = AuditResult(Path(path))

        def inspect(session: str, result: AuditResult = result) -> None:
            result.axe_version, result.violations = run_axe(browser, session, source)

        result.page = browser.check(Path(path), width=width, inspect=inspect)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        description="Audit reports with axe-core in headless Chromium; exit 1 on any serious or critical violation."
    )
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--width", type=int, default=1200, help="viewport width in CSS pixels (default 1200)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.pages if not p.is_file()]
    if missing:
        print(f"audit: no such page: {', '.join(missing)}", file=sys.stderr)
        return 2
    results = audit_pages(args.pages, width=args.width)
    for result in results:
        print(result.lines())
    failed = sum(not r.ok for r in results)
    totals = {impact: sum(r.counts()[impact] for r in results) for impact in IMPACTS}
    print(
        f"accessibility audit: {len(results) - failed} page(s) without serious or critical violations, "
        f"{failed} with; violated rules over all pages: " + ", ".join(f"{n} {impact}" for impact, n in totals.items())
    )
    return 1 if failed else 0


# ------------------------------------------------------------------------------------ print

PRINT_CONTENTS = """JSON.stringify({
  tables: Array.from(document.querySelectorAll('div.cc-table table')).map(t => {
    const th = t.querySelectorAll('thead th');
    return th.length ? th[th.length - 1].textContent.trim() : '';
  }),
  charts: Array.from(document.querySelectorAll('div[id^="altair-viz-"]')).map(d =>
    Array.from(d.querySelectorAll('.role-title-text text')).map(t => {
      const lines = t.querySelectorAll('tspan');  // a title of several lines: one tspan each
      return lines.length ? Array.from(lines).map(s => s.textContent.trim()).join(' ') : t.textContent.trim();
    }).join(' '))
})"""


@dataclass
class PrintResult:
    path: Path
    pdf: bytes
    table_last_headers: list[str]  # the last column header of every published table on the page
    chart_titles: list[str]  # the title drawn in every chart


def print_to_pdf(path: Path, browser: Browser) -> PrintResult:
    """The page as Chromium prints it (print stylesheet, CSS page sizes), with what must be in it."""
    import base64

    found: dict = {}

    def inspect(session: str) -> None:
        found.update(
            json.loads(
                browser.send("Runtime.evaluate", {"expression": PRINT_CONTENTS, "returnByValue": True}, session)[
                    "result"
                ]["value"]
            )
        )
        found["pdf"] = base64.b64decode(
            browser.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True}, session)["data"]
        )

    page = browser.check(Path(path), inspect=inspect)
    if not page.ok:
        raise RuntimeError(page.line())
    return PrintResult(Path(path), found["pdf"], found["tables"], found["charts"])


if __name__ == "__main__":
    sys.exit(main())
