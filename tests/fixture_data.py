"""Paths and helpers for the fixture data in tests/fixtures/ (imported by the test modules).

- valid/                      the data dir of three valid, FICTIONAL conflicts:
  freedonia-sylvania/         the tiny two-sided war most tests use (CONFLICT_ID)
  elbonia-krakozhia/          a health authority counting everyone, hostages, truces (HEALTH_AUTHORITY_ID)
  pottsylvania-fenwick-zubrowka/  three belligerents, an end date (THREE_SIDES_ID)
- broken/<NN_name>/           copies with exactly one fault each (of freedonia-sylvania alone, or
                              of all of valid/); broken/EXPECTED.csv says where each fault is
                              reported and which rule it breaks
- multiple_faults/            a copy with three faults in three different files

The fixtures are static files so that editors can open them; no test writes to them.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
VALID_DATA = FIXTURES / "valid"  # a data dir: holds three conflict folders
CONFLICT_ID = "freedonia-sylvania"  # the one most tests name
HEALTH_AUTHORITY_ID = "elbonia-krakozhia"  # shaped like a second real war: counts of everyone, truces
THREE_SIDES_ID = "pottsylvania-fenwick-zubrowka"  # three belligerents
VALID_CONFLICT_IDS = sorted([CONFLICT_ID, HEALTH_AUTHORITY_ID, THREE_SIDES_ID])
VALID_CONFLICT = VALID_DATA / CONFLICT_ID
BROKEN = FIXTURES / "broken"
EXPECTED_CSV = BROKEN / "EXPECTED.csv"
MULTIPLE_FAULTS = FIXTURES / "multiple_faults"
SPARSE_DATA = FIXTURES / "sparse"  # a data dir: a sparse war with a ceasefire and final tolls
SPARSE_ID = "ruritania-borduria"
REAL_DATA = REPO / "data" / "raw"
SHARED_DATA = REPO / ".." / "shared" / "data"
NOTEBOOKS = REPO / "tests" / "fixtures" / "notebooks"  # small notebooks that the build tests run
CLAIMS = Path(sys.executable).parent / "claims"
# The catalogs that several test files read built (conftest.py's `site` fixture builds each once):
# name -> (catalog, data dir).
SITES = {"real": (REPO / "reports.yml", REAL_DATA), "sparse": (SPARSE_DATA / "catalog.yml", SPARSE_DATA)}


@dataclass(frozen=True)
class Expected:
    """One row of broken/EXPECTED.csv: where the single fault of a fixture is reported."""

    fixture: str
    file: str  # relative to the fixture dir (the data dir), as the validator prints it
    line: int | None  # None: the problem is about the whole file
    column: str | None
    rule_fragment: str

    @property
    def data_dir(self) -> Path:
        return BROKEN / self.fixture

    @property
    def location(self) -> str:
        """How a reported problem line starts: `file:line: ` or, without a line, `file: `."""
        return f"{self.file}: " if self.line is None else f"{self.file}:{self.line}: "


def read_expected() -> list[Expected]:
    with EXPECTED_CSV.open(encoding="utf-8", newline="") as fh:
        return [
            Expected(
                row["fixture"],
                row["file"],
                int(row["line"]) if row["line"] else None,
                row["column"] or None,
                row["rule_fragment"],
            )
            for row in csv.DictReader(fh)
        ]


def run_cli(*args: object, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run `python -m analysis ARGS` in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "analysis", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def claims_command() -> list[str]:
    """The `claims` entry point of this environment (or `python -m analysis` where it is not installed)."""
    return [str(CLAIMS)] if CLAIMS.exists() else [sys.executable, "-m", "analysis"]


def claims_build(*args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `claims build --progress plain ARGS` in a fresh process, as a maintainer would."""
    return subprocess.run(
        [*claims_command(), "build", "--progress", "plain", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def descendants(pid: int) -> dict[psutil.Process, str]:
    """{process: command line} of every process below `pid` now. A build's kernels run in their
    own sessions but stay its descendants, so a test checks what its own build started, never
    every kernel on the machine (under pytest-xdist other workers' builds run at the same time)."""
    found = {}
    for process in psutil.Process(pid).children(recursive=True):
        try:
            found[process] = " ".join(process.cmdline())
        except psutil.NoSuchProcess:  # ended between the listing and the reading
            continue
    return found


def still_running(processes: dict[psutil.Process, str]) -> dict[int, str]:
    """{pid: command line} of those processes still alive. A zombie (dead, waiting for its parent)
    is not; psutil tells a reused pid from the process it once was."""
    alive = {}
    for process, command in processes.items():
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive[process.pid] = command
        except psutil.NoSuchProcess:
            continue
    return alive


def copy_valid(tmp_path: Path) -> Path:
    """A writable copy of the valid fixture's data dir under tmp_path; returns the data dir."""
    target = tmp_path / "data"
    shutil.copytree(VALID_DATA, target)
    return target


def edit_line(path: Path, line: int, old: str, new: str) -> None:
    """Replace `old` (which must occur once) in physical line `line` of a text file."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[line - 1].count(old) == 1, (path, line, old, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new)
    path.write_text("\n".join(lines), encoding="utf-8")


def digest_tree(folder: Path) -> dict[str, str]:
    """sha256 of every file under folder, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
