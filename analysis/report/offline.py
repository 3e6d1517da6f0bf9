"""Open reports in headless Chromium with the network blocked; check every chart rendered.

    python -m analysis.report.offline reports/*.html [--screenshot reports/.build/shot.png]

For each page: no request leaves the machine (a proxy on a closed port blocks the network, and
any request that is not file:, data: or about: is reported), every altair chart container
holds an <svg> or a <canvas> drawn by vega-embed, and the console shows no error (console.error,
uncaught exceptions, failed loads). Exit 0 when every page passes, 1 otherwise.

Uses Debian's `chromium` (or $CHROMIUM) through the DevTools protocol over a websocket
(websocket-client, already in the lock as a Jupyter dependency): no browser download, no Node.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--disable-dev-shm-usage",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:", "chrome-error:", "devtools:")

COUNT_CHARTS = """(() => {
  const divs = Array.from(document.querySelectorAll('div[id^="altair-viz-"]'));
  return JSON.stringify({
    charts: divs.length,
    rendered: divs.filter(d => d.querySelector('svg, canvas')).length,
    errors: divs.filter(d => d.querySelector('.error')).map(d => d.textContent.slice(0, 300)),
    height: Math.ceil(document.documentElement.scrollHeight)
  });
})()"""


def find_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


@dataclass
class PageResult:
    path: Path
    charts: int = 0
    rendered: int = 0
    console_errors: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)
    chart_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.charts == self.rendered and not self.console_errors and not self.network and not self.chart_errors

    def line(self) -> str:
        status = "ok" if self.ok else "FAILED"
        text = f"{status}: {self.path}: {self.rendered}/{self.charts} charts rendered"
        for label, items in (
            ("console error", self.console_errors),
            ("network request", self.network),
            ("chart error", self.chart_errors),
        ):
            text += "".join(f"\n    {label}: {item}" for item in items)
        return text


class Browser:
    """A headless Chromium driven over the DevTools protocol (one page at a time)."""

    def __init__(self, chromium: str | None = None, timeout: float = 60.0, allow_loopback: bool = False):
        """`allow_loopback`: requests to 127.0.0.1/localhost go through (a local server such as
        JupyterLab, tests/test_lab.py); every other request still meets the closed proxy."""
        import websocket  # websocket-client

        self.binary = chromium or find_chromium()
        if not self.binary:
            raise FileNotFoundError("no chromium found (install Debian's `chromium`, or set $CHROMIUM)")
        self.profile = Path(tempfile.mkdtemp(prefix="claims-chromium-"))
        flags = [f for f in CHROMIUM_FLAGS if not (allow_loopback and f == "--proxy-bypass-list=<-loopback>")]
        self.proc = subprocess.Popen(
            [self.binary, *flags, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and len(port_file.read_text().split()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"{self.binary} did not start its DevTools endpoint")
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=timeout, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        self.timeout = timeout

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        message_id = next(self.ids)
        message = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def pump(self, seconds: float) -> None:
        """Collect events for a while."""
        import websocket

        self.ws.settimeout(seconds)
        try:
            while True:
                self.events.append(json.loads(self.ws.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        finally:
            self.ws.settimeout(self.timeout)

    def check(
        self,
        path: Path,
        screenshot: Path | None = None,
        width: int = 1200,
        inspect: Callable[[str], object] | None = None,
    ) -> PageResult:
        """Open a page, wait for its charts, collect problems; `inspect(session)` then runs on the
        loaded page (e.g. analysis.report.audit's axe run, a print to PDF) before the screenshot."""
        url = Path(path).resolve().as_uri()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.send(f"{domain}.enable", session=session)
            self.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session,
            )
            self.events.clear()
            self.send("Page.navigate", {"url": url}, session)
            result = PageResult(Path(path))
            deadline = time.monotonic() + self.timeout
            loaded = False
            while time.monotonic() < deadline:
                self.pump(0.25)
                loaded = loaded or any(e.get("method") == "Page.loadEventFired" for e in self.events)
                if not loaded:
                    continue
                state = json.loads(
                    self.send("Runtime.evaluate", {"expression": COUNT_CHARTS, "returnByValue": True}, session)[
                        "result"
                    ]["value"]
                )
                result.charts, result.rendered = state["charts"], state["rendered"]
                result.chart_errors = state["errors"]
                if result.rendered == result.charts or result.chart_errors:
                    self.pump(0.5)  # late console messages
                    break
            self._collect(result, session)
            if inspect is not None:
                inspect(session)
            if screenshot is not None:
                self.send(
                    "Emulation.setDeviceMetricsOverride",
                    {"width": width, "height": min(state["height"], 16000), "deviceScaleFactor": 1, "mobile": False},
                    session,
                )
                self.pump(0.3)
                shot = self.send("Page.captureScreenshot", {"format": "png"}, session)
                Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
                Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
            return result
        finally:
            self.send("Target.closeTarget", {"targetId": target})

    def _collect(self, result: PageResult, session: str, allowed: tuple[str, ...] = LOCAL_SCHEMES) -> None:
        """Console errors, uncaught exceptions, failed loads and requests to URLs outside `allowed`."""
        for event in self.events:
            if event.get("sessionId") not in (None, session):
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                result.console_errors.append(f"console.{params['type']}: {text[:300]}")
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                text = (details.get("exception") or {}).get("description") or details.get("text", "")
                result.console_errors.append(f"uncaught: {text[:300]}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                result.console_errors.append(
                    f"{entry.get('source')}: {entry.get('text', '')[:300]} {entry.get('url', '')}".strip()
                )
            elif method == "Network.requestWillBeSent":
                request_url = params.get("request", {}).get("url", "")
                if not request_url.startswith(allowed):
                    result.network.append(request_url)

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def check_pages(paths: list[Path], screenshot_of_first: Path | None = None) -> list[PageResult]:
    with Browser() as browser:
        return [browser.check(p, screenshot_of_first if i == 0 else None) for i, p in enumerate(paths)]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Open reports offline in headless Chromium and check them.")
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--screenshot", type=Path, help="PNG of the first page, full length")
    args = parser.parse_args(argv)
    results = check_pages(args.pages, args.screenshot)
    for result in results:
        print(result.line())
    failed = sum(not r.ok for r in results)
    print(f"offline check: {len(results) - failed} page(s) ok, {failed} with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
