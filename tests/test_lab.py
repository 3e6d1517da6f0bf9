"""Charts in a real JupyterLab, offline (issue #15): run in Lab and reopened from papermill.

A browser test: a JupyterLab server on a free port of 127.0.0.1 with a random token, its root a
temporary copy of notebooks/compare_claims.ipynb, driven by headless Chromium
(analysis.report.offline.Browser) whose every request other than to 127.0.0.1 meets a closed
proxy. Each test counts the charts Lab's own vega renderer drew against the charts the notebook
published, requires a console without errors and no request off the machine, and saves a
screenshot under reports/.lab-screenshots/ (printed; run pytest with -s to see the path). The
server, its kernels and Chromium are stopped at the end, and no process of theirs may survive.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from analysis.publish import ARTIFACT_MIME, LAB_VEGA_MIME
from analysis.report.offline import LOCAL_SCHEMES, Browser, PageResult, find_chromium
from tests.fixture_data import descendants, still_running

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "compare_claims.ipynb"
SCREENSHOTS = ROOT / "reports" / ".lab-screenshots"
BIN = Path(sys.executable).parent
TIMEOUT = 240.0  # a shared 2-core machine: Lab's first load and a kernel's start take a while

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (.ci/run installs it)"),
]

# Lab's notebook panel, from the app Lab exposes (LabApp.expose_app_in_browser).
STATE = """(() => {
  const app = window.jupyterapp;
  const panel = app && app.shell && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext || !panel.context || !panel.context.isReady) {
    return JSON.stringify({ready: false});
  }
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const vegas = Array.from(panel.node.querySelectorAll('.jp-RenderedVega5'));
  return JSON.stringify({
    ready: true,
    kernel: kernel ? kernel.status : null,
    executed: cells.filter(c => c.model.executionCount !== null).length,
    code_cells: cells.length,
    untrusted: cells.filter(c => c.model.outputs.length > 0 && !c.model.trusted).length,
    vega: vegas.length,
    drawn: vegas.filter(v => v.querySelector('canvas, svg')).length,
    // Lab's renderer stores a PNG of each chart it drew in the output (what nbconvert then shows).
    pngs: cells.map(c => Array.from({length: c.model.outputs.length}, (_, i) => c.model.outputs.get(i).data)
      .filter(d => d['application/vnd.vega.v5+json'] && d['image/png']).length).reduce((a, b) => a + b, 0),
    errors: Array.from(panel.node.querySelectorAll('.jp-OutputArea-output'))
      .map(o => o.textContent).filter(t => /Error loading script|Javascript Error|Traceback/.test(t))
      .map(t => t.slice(0, 300)),
  });
})()"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def published_charts(path: Path) -> list[str]:
    """The charts an executed notebook published (its artifact documents), in order."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        output["data"][ARTIFACT_MIME]["name"]
        for cell in nb["cells"]
        for output in cell.get("outputs", [])
        if (output.get("data") or {}).get(ARTIFACT_MIME, {}).get("kind") == "chart"
    ]


class LabServer:
    """`jupyter lab` on a free port of 127.0.0.1 with a random token; settings, workspaces, runtime
    files and the notebook-trust database all in the temporary folder (nothing from the user's)."""

    def __init__(self, root: Path, home: Path):
        self.port, self.token = free_port(), secrets.token_hex(24)
        settings = home / "settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True)
        # Every cell in the DOM (no windowing), so every chart is drawn and counted; no news toast.
        (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
        (home / "settings" / "@jupyterlab" / "apputils-extension").mkdir()
        (home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            '{"fetchNews": "false"}'
        )
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            # the notebook's copy is outside any project: the data as an analyst names it there
            "CLAIMS_DATA_DIR": str(ROOT / "data" / "raw"),
        }
        self.log = (home / "lab.log").open("wb")
        self.proc = subprocess.Popen(
            [
                str(BIN / "jupyter"),
                "lab",
                "--no-browser",
                f"--port={self.port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}",
                "--allow-root",
                "--ServerApp.port_retries=0",
                "--LabApp.expose_app_in_browser=True",
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                f"--LabApp.user_settings_dir={home / 'settings'}",
                f"--LabApp.workspaces_dir={home / 'workspaces'}",
                "--NotebookNotary.db_file=:memory:",
            ],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                self.api("GET", "/api/status")
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"jupyter lab did not start; its log: {(home / 'lab.log').read_text()[-2000:]}"
                    ) from None
                time.sleep(0.5)

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=b"" if method == "POST" else None,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 (127.0.0.1 only)
            body = reply.read()
        return json.loads(body) if body else None

    def url(self, notebook: str) -> str:
        return f"{self.base}/lab/tree/{notebook}?token={self.token}"

    def stop(self) -> dict:
        """Shut down the kernels and the server (its own API, then a signal if it hangs); every
        process it had (psutil), to check that none survived."""
        processes = {psutil.Process(self.proc.pid): "jupyter lab", **descendants(self.proc.pid)}
        if self.proc.poll() is None:
            try:
                self.api("POST", "/api/shutdown")
            except OSError:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return processes


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the notebook and of a papermill run of it, and a Chromium."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / "compare_claims.ipynb")
    env = dict(os.environ, CLAIMS_DATA_DIR=str(ROOT / "data" / "raw"))  # outside any project (no reports.yml upwards)
    subprocess.run(
        [
            str(BIN / "papermill"),
            "--log-level",
            "WARNING",
            "-k",
            "python3",
            str(NOTEBOOK),
            str(root / "executed.ipynb"),
            "--cwd",
            str(root),
        ],
        check=True,
        env=env,
        timeout=600,
    )
    server = LabServer(root, home)
    browser = None
    try:
        browser = Browser(timeout=TIMEOUT, allow_loopback=True)
        yield server, browser, root
    finally:
        if browser is not None:
            chromium = {psutil.Process(browser.proc.pid): "chromium", **descendants(browser.proc.pid)}
            browser.close()
            assert not still_running(chromium), "chromium survived"
        processes = server.stop()
        time.sleep(0.5)
        left = still_running(processes)
        assert not left, f"processes of the Lab server survived: {left}"


def open_in_lab(
    server: LabServer, browser: Browser, notebook: str, run_all: bool, charts: int, screenshot: Path
) -> tuple[dict, PageResult]:
    """Open a notebook in Lab (running all its cells if `run_all`), wait until `charts` vega
    outputs drew or the time is up; the last state, and the console and network problems."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        browser.events.clear()
        browser.send("Page.navigate", {"url": server.url(notebook)}, session)
        state: dict = {"ready": False}
        last: dict = {}
        begun = time.monotonic()
        started = False
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            browser.pump(0.5)
            state = json.loads(
                browser.send("Runtime.evaluate", {"expression": STATE, "returnByValue": True}, session)["result"].get(
                    "value"
                )
                or '{"ready": false}'
            )
            if state != last:
                print(f"{time.monotonic() - begun:6.1f} s: {state}")
                last = state
            if not state["ready"]:
                continue
            if run_all and not started:
                if state["kernel"] != "idle":
                    continue
                browser.send(
                    "Runtime.evaluate",
                    {"expression": "window.jupyterapp.commands.execute('notebook:run-all-cells') && 'started'"},
                    session,
                )
                started = True
                continue
            done = state["drawn"] >= charts and (
                not run_all or (state["executed"] == state["code_cells"] and state["kernel"] == "idle")
            )
            if done or state["errors"]:
                browser.pump(2.0)  # late console messages, and Lab's own PNG of each chart
                break
        result = PageResult(Path(notebook), charts=charts, rendered=state.get("drawn", 0))
        browser._collect(result, session, allowed=(*LOCAL_SCHEMES, server.base + "/"))
        # One screenshot per chart, scrolled into Lab's view (Lab scrolls inside its own panel).
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        for index in range(state.get("vega", 0)):
            browser.send(
                "Runtime.evaluate",
                {
                    "expression": "document.querySelectorAll('.jp-RenderedVega5')"
                    f"[{index}].scrollIntoView({{block: 'center'}})"
                },
                session,
            )
            browser.pump(0.5)
            shot = browser.send("Page.captureScreenshot", {"format": "png"}, session)
            path = screenshot.with_name(f"{screenshot.stem}-chart{index + 1}.png")
            path.write_bytes(base64.b64decode(shot["data"]))
            print(f"\nscreenshot of {notebook} in JupyterLab, chart {index + 1}: {path}")
        return state, result
    finally:
        browser.send("Target.closeTarget", {"targetId": target})


def test_charts_draw_offline_when_the_notebook_runs_in_lab(lab):
    server, browser, root = lab
    charts = published_charts(root / "executed.ipynb")  # what the same notebook publishes
    assert len(charts) >= 5, charts
    state, result = open_in_lab(
        server,
        browser,
        "compare_claims.ipynb",
        run_all=True,
        charts=len(charts),
        screenshot=SCREENSHOTS / "compare_claims-run.png",
    )
    assert state["ready"] and state["executed"] == state["code_cells"], state
    assert state["vega"] == len(charts) and state["drawn"] == len(charts), (state, charts)
    assert state["pngs"] == len(charts), state  # saved from Lab, plain nbconvert shows each chart
    assert not state["errors"], state["errors"]
    assert not result.console_errors, result.console_errors
    assert not result.network, result.network


def test_charts_draw_offline_in_a_reopened_untrusted_papermill_run(lab):
    server, browser, root = lab
    charts = published_charts(root / "executed.ipynb")
    nb = json.loads((root / "executed.ipynb").read_text(encoding="utf-8"))
    chart_outputs = [
        o["data"]
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if (o.get("data") or {}).get(ARTIFACT_MIME, {}).get("kind") == "chart"
    ]
    # Lab's own renderer takes every chart: the vega MIME type, and no text/html to outrank it.
    assert all(LAB_VEGA_MIME in data and "text/html" not in data for data in chart_outputs)
    state, result = open_in_lab(
        server,
        browser,
        "executed.ipynb",
        run_all=False,
        charts=len(charts),
        screenshot=SCREENSHOTS / "compare_claims-reopened.png",
    )
    assert state["ready"] and state["untrusted"] > 0, state  # untrusted: no script of an output runs
    assert state["vega"] == len(charts) and state["drawn"] == len(charts), (state, charts)
    assert not state["errors"], state["errors"]
    assert not result.console_errors, result.console_errors
    assert not result.network, result.network
