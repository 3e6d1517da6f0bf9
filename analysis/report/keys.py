"""Which reports a build runs, and why: each report's cache key, and the reason it is stale.

A report's key is the digest of its parts (fingerprint.py says how each is hashed): its catalog
entry, its parameters, its notebook's cells, its conflict's data folder, the analysis code, the
lock, and what its page shows from the history of changes (history.py). A report runs when the
build is forced, when it is new or failed last time, when its key changed (the reason names the
parts that did), or when its outputs are missing or modified. The reason is printed with its
progress and kept in the manifest.
"""

from __future__ import annotations

from pathlib import Path

from analysis.report import fingerprint as fp
from analysis.report.catalog import Catalog, Entry, notebook_parameters, read_notebook
from analysis.report.state import outputs_intact

PACKAGE = Path(__file__).resolve().parents[1]  # the analysis package's own code (fingerprinted)
LOCK_NAME = "requirements.lock"  # the project's lock, beside its catalog, when it has one


def conflict_of(entry: Entry) -> str | None:
    """The conflict a report reads: its `conflict` parameter, else the notebook's default."""
    if entry.conflict:
        return entry.conflict
    try:
        value = notebook_parameters(read_notebook(entry.notebook)).get("conflict")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, str) else None


def fingerprints(catalog: Catalog) -> dict:
    """{"code", "lock", "data": {conflict (or "*" for the whole data folder): fingerprint}}."""
    data: dict[str, str] = {}
    for entry in catalog.entries:
        conflict = conflict_of(entry)
        label = conflict or "*"
        if label not in data:
            folder = catalog.data_dir / conflict if conflict else catalog.data_dir
            data[label] = fp.data_fingerprint(folder) if folder.is_dir() else "missing"
    return {
        "code": fp.code_fingerprint(PACKAGE),
        "lock": fp.lock_fingerprint(catalog.path.parent / LOCK_NAME),
        "data": data,
    }


def data_label(catalog: Catalog, entry: Entry, fingerprints: dict) -> tuple[str, str]:
    """(the data folder as shown to readers, its fingerprint): no host-specific paths."""
    conflict = conflict_of(entry)
    folder = catalog.data_dir / conflict if conflict else catalog.data_dir
    return relative(folder, catalog.path.parent), fingerprints["data"][conflict or "*"]


def key_parts(entry: Entry, catalog: Catalog, fingerprints: dict, changes: str) -> dict[str, str]:
    """The digests the report's key is made of; `changes`: what its page shows from the history
    (history.SiteChanges.key_part)."""
    try:
        notebook = fp.notebook_fingerprint(read_notebook(entry.notebook))
    except (OSError, ValueError):
        notebook = "unreadable"
    return {
        "entry": fp.digest_json(
            {
                "format": fp.BUILD_FORMAT,
                "slug": entry.slug,
                "title": entry.title,
                "notebook_path": entry.notebook_rel,
                "timeout": entry.timeout,
                "data_dir": relative(catalog.data_dir, catalog.path.parent),
            }
        ),
        "parameters": fp.digest_json(entry.parameters),
        "notebook": notebook,
        "data": fingerprints["data"][conflict_of(entry) or "*"],
        "code": fingerprints["code"],
        "lock": fingerprints["lock"],
        "changes": changes,
    }


def stale_reason(previous: dict | None, key: str, parts: dict[str, str], out: Path, *, force: bool) -> str | None:
    """Why the report must run (`previous`: its record in the build's state), or None: up to date."""
    if force:
        return "forced (--force)"
    if not previous:
        return "new (never built here)"
    if previous.get("status") != "ok":
        return "failed last time"
    if previous.get("key") != key:
        old = previous.get("parts") or {}
        changed = [name for name, digest in parts.items() if old.get(name) != digest]
        return "changed: " + ", ".join(changed or ["format"])
    if not outputs_intact(out, previous.get("outputs") or {}):
        return "outputs missing or modified"
    return None


def relative(path: Path, base: Path) -> str:
    """path relative to base when inside it (e.g. data/raw/russia-ukraine), else its last two parts."""
    path, base = Path(path).resolve(), Path(base).resolve()
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return "/".join(path.parts[-2:])
