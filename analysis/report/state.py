"""The build's memory between runs, <out>/.build/state.json: per report its key, status, outputs
(sha256 and size of every file), headline and last run time; per conflict its checked facts.

A report is stale when its key changed, its last run failed, or a file it wrote is gone or changed
(outputs_intact). The state is rewritten atomically after each report, so a killed build loses at
most the report it was writing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analysis.report import fingerprint as fp
from analysis.report.files import atomic_write

STATE_FORMAT = 1


def load_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("format") == STATE_FORMAT:
            return state
    except (OSError, ValueError):
        pass
    return {"format": STATE_FORMAT, "reports": {}, "facts": {}}


def save_state(path: Path, state: dict) -> None:
    atomic_write(path, (json.dumps(state, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def outputs_intact(out: Path, outputs: dict[str, dict]) -> bool:
    """Every file a report wrote is still there with the same content."""
    if not outputs:
        return False
    for rel, meta in outputs.items():
        path = out / rel
        try:
            if path.stat().st_size != meta["bytes"] or fp.sha256_file(path) != meta["sha256"]:
                return False
        except OSError:
            return False
    return True


def record_outcome(state: dict, slug: str, outcome: Any, key_parts: dict[str, str], out: Path) -> None:
    """Record a finished report (runs.Outcome): a build's outputs, or a failure that keeps the
    last good HTML (and its headline, which the index shows) when there is one."""
    previous = state["reports"].get(slug) or {}
    if outcome.status == "built":
        record = {
            "key": outcome.key,
            "status": "ok",
            "outputs": outcome.outputs,
            "has_html": True,
            "seconds": outcome.seconds.get("execute", 0.0),
            "parts": key_parts,
            "headline": outcome.headline,
        }
    else:
        has_html = bool(previous.get("has_html")) and (out / f"{slug}.html").is_file()
        record = {
            "key": outcome.key,
            "status": "failed",
            "outputs": previous.get("outputs") or {},
            "has_html": has_html,
            "seconds": outcome.seconds.get("execute", 0.0),
            "parts": key_parts,
            "headline": previous.get("headline") if has_html else None,
        }
    state["reports"][slug] = record
