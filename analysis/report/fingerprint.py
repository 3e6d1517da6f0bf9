"""Content hashes for incremental builds: what a report depends on, hashed, never timestamped.

A report's cache key is the sha256 of (canonical JSON of):
- the catalog entry (slug, title, notebook path, parameters after normalisation, timeout),
- the notebook's content (cell types, sources and tags, kernel name, language: saving outputs in
  JupyterLab does not invalidate a report; editing a cell does),
- the data it reads: every file under the data folder of its `conflict` (path + sha256),
- the analysis code: every module and template under analysis/ (CODE_SUFFIXES; not __pycache__,
  not Markdown),
- the lock: the project's requirements.lock (else the installed distributions), and the Python version,
- BUILD_FORMAT, bumped when the build's own output format changes in a way the code hash misses.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

BUILD_FORMAT = 1
IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The file's SHA-256 (hex), read in blocks: build inputs and outputs, and the sources that
    `claims import-series` records. Here, not in analysis.load: a no-op build reads only hashes and
    must not import polars (load does, at import)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def digest_json(value: object) -> str:
    return sha256_bytes(canonical_json(value).encode("utf-8"))


def tree_files(root: Path, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    """Every regular file under root (sorted), skipping caches and hidden files."""
    files = []
    for path in sorted(Path(root).rglob("*")):
        rel = path.relative_to(root).parts
        if any(part in IGNORED_PARTS or part.startswith(".") for part in rel):
            continue
        if path.is_file() and (suffixes is None or path.suffix in suffixes):
            files.append(path)
    return files


def tree_digest(root: Path, suffixes: tuple[str, ...] | None = None) -> str:
    """sha256 over (relative path, content sha256) of every file under root."""
    root = Path(root)
    listing = [[p.relative_to(root).as_posix(), sha256_file(p)] for p in tree_files(root, suffixes)]
    return digest_json(listing)


def data_fingerprint(conflict_dir: Path) -> str:
    """The fingerprint of one conflict's data folder (conflict.yml, CSVs, series, licences)."""
    return tree_digest(conflict_dir)


CODE_SUFFIXES = (".py", ".j2", ".json", ".css", ".js", ".html", ".yml", ".yaml", ".csv", ".txt")


def code_fingerprint(package_dir: Path) -> str:
    """The analysis package's code: modules and templates (not its Markdown documentation)."""
    return tree_digest(package_dir, CODE_SUFFIXES)


def lock_fingerprint(lock_file: Path) -> str:
    """The project's requirements.lock; a project without one (made by `claims init`, run from an
    installed package) has the environment's installed distributions and versions instead, so an
    upgrade still makes its reports stale."""
    lock_file = Path(lock_file)
    lock = sha256_file(lock_file) if lock_file.is_file() else digest_json(installed_distributions())
    return digest_json({"lock": lock, "python": platform.python_version()})


def installed_distributions() -> list[list[str]]:
    from importlib import metadata

    return sorted({(d.metadata["Name"] or "").lower(): d.version for d in metadata.distributions()}.items())


def notebook_fingerprint(notebook: dict) -> str:
    """What of a notebook decides its run: cells (type, source, tags), kernel and language."""
    cells = []
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        cells.append(
            [
                cell.get("cell_type"),
                "".join(source) if isinstance(source, list) else source,
                sorted((cell.get("metadata") or {}).get("tags") or []),
            ]
        )
    meta = notebook.get("metadata") or {}
    return digest_json(
        {
            "cells": cells,
            "kernel": (meta.get("kernelspec") or {}).get("name"),
            "language": (meta.get("language_info") or {}).get("name"),
        }
    )


def short(fingerprint: str) -> str:
    """The 12-character form shown to readers (footer, index)."""
    return fingerprint[:12]
