"""<out>/manifest.json: what varies from one build to the next and is kept out of the reports
(timings, versions of the tools, host, per report its status, reason, key, kernel and outputs),
so the reports themselves stay byte-identical across builds."""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from analysis import __version__
from analysis.report.files import atomic_write

VERSIONED_PACKAGES = (
    "papermill",
    "nbclient",
    "nbconvert",
    "nbformat",
    "jupyter_client",
    "ipykernel",
    "altair",
    "vl-convert-python",
    "vegafusion",
    "polars",
    "pandera",
)


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def write_manifest(
    path: Path,
    *,
    started_at: dt.datetime,
    seconds: float,
    exit_code: int,
    options: Any,
    jobs: int,
    cpus: int,
    catalog: str,
    out: str,
    fingerprints: dict,
    reasons: dict[str, str],
    outcomes: list[Any],
) -> None:
    """`options` is the build's runner.Options, `outcomes` its runs.Outcome list in catalog order."""
    manifest = {
        "tool": "claims build",
        "package_version": __version__,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "exit_code": exit_code,
        "host": platform.node(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpus": cpus,
        "jobs": jobs,
        "force": options.force,
        "only": list(options.only),
        "catalog": catalog,
        "out": out,
        "versions": package_versions(),
        "fingerprints": fingerprints,
        "reports": [
            {
                "slug": o.slug,
                "status": o.status,
                "reason": reasons.get(o.slug),
                "key": o.key,
                "kernel": o.kernel,
                "seconds": o.seconds,
                "cells": o.cells,
                "error": o.error,
                "outputs": o.outputs,
            }
            for o in outcomes
        ],
    }
    atomic_write(path, (json.dumps(manifest, indent=1, sort_keys=False) + "\n").encode("utf-8"))
