"""`claims build`: the catalog's reports, checked first, run in parallel, written atomically.

One driver process (this one) runs every notebook through papermill, each in its own fresh
kernel process, `jobs` at a time (threads here; the work happens in the kernels). `Build.run`
takes the lock; `Build._run_locked` reads as the other steps, one method each:

1. lock      fcntl.flock on <out>/.build.lock: a second build waits (or refuses, --no-wait)
2. catalog   structure of reports.yml (files.py, catalog.py); a bad catalog stops here
3. keys      content hashes per report (keys.py, fingerprint.py) against <out>/.build/state.json
             (state.py), with what changed since the previous build (history.py): only stale
             reports run (or all with --force); failed ones always run again
4. check     data (analysis.dataset.load_conflict, cached by data + code fingerprint) and every
             entry's parameters (checks.py); any problem stops the build before a run
5. run       the stale reports (runs.py): papermill with our engine (execute.py) in kernels started
             by kernel.py (warm from the zygote, or ordinary), per-report deadline, progress
             (console.py) by cell; each exported (export.py) as it finishes: normalised .ipynb,
             HTML, PNG/SVG, CSV staged under <out>/.build/tmp, then moved into place
6. record    state.json after each report; the data packages (datapackage.py) and what changed
             (history.py); index.html (index.py, deterministic); manifest.json (manifest.py: what
             varies: timings, versions, host)

A failing notebook does not stop the others: its last good HTML stays, its executed notebook is
kept as <out>/<slug>/<slug>.failed.ipynb, the summary names the cell and the error, and the exit
code is 1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import __version__, formatting
from analysis.parameters import ConflictFacts
from analysis.report import fingerprint as fp
from analysis.report import keys as report_keys
from analysis.report.catalog import Catalog, CatalogError, Entry, read_catalog
from analysis.report.checks import check_reports
from analysis.report.console import Say, display_path
from analysis.report.files import BuildLock, BuildLocked, unwritable, write_made_from
from analysis.report.history import SiteChanges
from analysis.report.keys import conflict_of
from analysis.report.runs import Outcome, ReportRuns, start_kernels
from analysis.report.state import load_state, record_outcome, save_state

if TYPE_CHECKING:
    from analysis.report.export import ReportContext
    from analysis.report.kernel import ReportKernels

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


@dataclass
class Options:
    catalog: Path  # the project's reports.yml (analysis.project finds it for `claims build`)
    out: Path  # the output folder (`claims build`: reports/ beside the catalog)
    only: tuple[str, ...] = ()
    data_dir: Path | None = None  # CLAIMS_DATA_DIR, over the catalog's data_dir
    jobs: int | None = None
    force: bool = False
    wait: bool = True
    warm_kernels: bool = True
    progress: str = "auto"  # auto | rich | plain | none


def default_jobs() -> int:
    """One job per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class Build:
    """One `claims build`: `run` takes the lock and says what stopped it; `_run_locked` is the
    sequence of steps of the module docstring, one method each."""

    def __init__(self, options: Options, say: Say | None = None):
        self.options = options
        self.say = say or Say()
        self.out = Path(options.out).resolve()
        self.build_dir = self.out / ".build"
        self.state_path = self.build_dir / "state.json"
        self.state: dict = {}
        self.state_lock = threading.Lock()
        self.kernels: ReportKernels | None = None  # the zygote, live kernels, their zmq context
        self.started_at = dt.datetime.now(dt.UTC)
        self.t0 = time.perf_counter()
        self.key_parts: dict[str, dict[str, str]] = {}
        self.reasons: dict[str, str] = {}  # why each stale report runs
        self.conflict_facts: dict[str, ConflictFacts] = {}  # from the checks; the index shows their data dates
        self.package_links: dict[str, str] = {}
        self.package_problems: list[str] = []

    # -- entry point
    def run(self) -> int:
        lock = BuildLock(self.out / ".build.lock")
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            lock.acquire(wait=self.options.wait, on_wait=lambda m: self.say(m, err=True))
        except BuildLocked as exc:
            self.say(f"error: {exc}", err=True)
            return EXIT_LOCKED
        except OSError as exc:
            if not unwritable(exc):
                raise
            self.say(
                f"error: cannot write to the output folder {display_path(self.out)}: {_os_error(exc)}; "
                "nothing was changed",
                err=True,
            )
            return EXIT_FAILED
        try:
            return self._run_locked()
        except OSError as exc:
            if not unwritable(exc):
                raise
            # Files are written aside and renamed into place: each report is as it was or complete.
            self.say(
                f"error: cannot write to the output folder {display_path(self.out)}: {_os_error(exc)}; "
                "the build stopped, every report is as it was or complete",
                err=True,
            )
            return EXIT_FAILED
        finally:
            if self.kernels is not None:
                self.kernels.close()
            for leftover in ("tmp", "trash"):  # staging folders: nothing outlives a build
                shutil.rmtree(self.build_dir / leftover, ignore_errors=True)
            lock.release()

    def _run_locked(self) -> int:
        try:
            catalog = self._read_catalog()
            state = self.state = load_state(self.state_path)
            keys, stale = self._keys(catalog, state)
            if stale:  # started before the checks: the zygote warms up while they run
                self.kernels = start_kernels(
                    catalog.data_dir, self.build_dir / "logs", warm=self.options.warm_kernels, cwd=catalog.path.parent
                )
            parameters = self._check(catalog, state)
        except Invalid as exc:
            return self._invalid(exc.problems)
        outcomes, interrupted = self._run(catalog, stale, parameters, keys, state)
        if not interrupted:
            # The data packages are the published data the next build compares against: written
            # only by a build that ran to its end, like the record of what changed.
            self._write_packages(catalog, state)
            # changes.json, changes.xml, published.json, removed reports' pages
            built = [slug for slug, outcome in outcomes.items() if outcome.status == "built"]
            self.changes.publish(catalog, state, built, conflict_of, catalog.site_url)
        self._write_index(catalog, keys, state, parameters)
        code = self._exit_code(outcomes, interrupted)
        self._write_manifest(catalog, outcomes, code)
        self._summary(catalog, outcomes, interrupted)
        return code

    # -- the steps
    def _read_catalog(self) -> Catalog:
        """reports.yml, checked for structure (catalog.py), and the --only slugs in it."""
        options = self.options
        try:
            catalog = read_catalog(options.catalog, display_path(options.catalog), options.data_dir)
        except CatalogError as exc:
            raise Invalid(exc.problems) from None
        unknown = [s for s in options.only if s not in catalog.slugs]
        if unknown:
            raise Invalid(
                [f"--only: unknown report(s) {', '.join(unknown)}; the catalog has: {', '.join(catalog.slugs)}"]
            )
        shutil.rmtree(self.build_dir / "tmp", ignore_errors=True)  # leftovers of a killed build
        return catalog

    def _keys(self, catalog: Catalog, state: dict) -> tuple[dict[str, str], list[Entry]]:
        """Every report's cache key (keys.py), with what its page shows of the changes since the
        previous build (history.py); and the selected reports that must run (why: self.reasons)."""
        self.fingerprints = report_keys.fingerprints(catalog)
        self.changes = SiteChanges.prepare(
            catalog, self.out, conflict_of, self.fingerprints, formatting.build_date(), say=self.say
        )
        for entry in catalog.entries:
            changes = self.changes.key_part(entry)
            self.key_parts[entry.slug] = report_keys.key_parts(entry, catalog, self.fingerprints, changes)
        keys = {slug: fp.digest_json(parts) for slug, parts in self.key_parts.items()}
        for entry in self._selected(catalog):
            previous = state["reports"].get(entry.slug)
            parts = self.key_parts[entry.slug]
            reason = report_keys.stale_reason(previous, keys[entry.slug], parts, self.out, force=self.options.force)
            if reason:
                self.reasons[entry.slug] = reason
        return keys, [e for e in self._selected(catalog) if e.slug in self.reasons]

    def _selected(self, catalog: Catalog) -> list[Entry]:
        """The reports this build is about: all, or those named by --only."""
        return [e for e in catalog.entries if not self.options.only or e.slug in self.options.only]

    def _check(self, catalog: Catalog, state: dict) -> dict[str, dict]:
        """The data and every entry's parameters (checks.py): each report's parameters, or Invalid."""
        checked = check_reports(catalog, state, self.fingerprints, save_state=self._save_state, say=self.say)
        self.conflict_facts = checked.facts
        if checked.problems:
            raise Invalid(checked.problems)
        return checked.parameters

    def _run(
        self, catalog: Catalog, stale: list[Entry], parameters: dict[str, dict], keys: dict[str, str], state: dict
    ) -> tuple[dict[str, Outcome], bool]:
        """Run the stale reports (runs.py); every selected report's outcome, and whether interrupted."""
        outcomes = {
            e.slug: Outcome(e.slug, "up-to-date", keys[e.slug], outputs=state["reports"][e.slug]["outputs"])
            for e in self._selected(catalog)
            if e.slug not in self.reasons
        }
        if not stale:
            return outcomes, False
        jobs = min(self.options.jobs or default_jobs(), len(stale))
        self.say(
            f"building {len(stale)} of {len(catalog.entries)} report(s) with {jobs} job(s)"
            + (", warm kernels" if self.kernels.zygote else "")
        )
        runs = ReportRuns(
            self.kernels,
            self.out,
            jobs=jobs,
            progress=self.options.progress,
            say=self.say,
            reasons=self.reasons,
            record=self._record,
            context_of=lambda entry, parameters: self._report_context(catalog, entry, parameters),
        )
        last_seconds = {e.slug: (state["reports"].get(e.slug) or {}).get("seconds", 0.0) for e in stale}
        ran, interrupted = runs.run(stale, parameters, keys, last_seconds)
        if runs.unwritable is not None:
            raise runs.unwritable
        outcomes.update(ran)
        return outcomes, interrupted

    def _invalid(self, problems: list[str]) -> int:
        for problem in problems:
            self.say(problem, err=True)
        self.say(f"invalid: {len(problems)} problem(s); nothing was run", err=True)
        return EXIT_INVALID

    def _save_state(self) -> None:
        with self.state_lock:
            save_state(self.state_path, self.state)

    def _record(self, entry: Entry, outcome: Outcome) -> None:
        """Keep a finished report in the state at once (report threads call it)."""
        with self.state_lock:
            record_outcome(self.state, entry.slug, outcome, self.key_parts.get(entry.slug, {}), self.out)
            save_state(self.state_path, self.state)

    def _report_context(self, catalog: Catalog, entry: Entry, parameters: dict) -> ReportContext:
        """What a report's page says about its build: title, notebook, parameters, data, changes."""
        from analysis.report import export

        data_label, data_fingerprint = report_keys.data_label(catalog, entry, self.fingerprints)
        return export.ReportContext(
            entry.slug,
            entry.title,
            entry.notebook_rel,
            parameters,
            data_label,
            data_fingerprint,
            __version__,
            data_changes=self.changes.report_context(entry),
        )

    # -- open data packages (datapackage.py)
    def _write_packages(self, catalog: Catalog, state: dict) -> None:
        """<out>/data/<conflict-id>/ for each conflict with a report, rewritten only when its data or
        the code changed (or a file of it did); the index links each one."""
        from analysis.report import datapackage

        conflicts = [c for c in map(conflict_of, catalog.entries) if c in self.conflict_facts]
        published = datapackage.publish(
            self.out,
            conflicts,
            catalog.data_dir,
            state,
            code=self.fingerprints["code"],
            data=self.fingerprints["data"],
            save=self._save_state,
        )
        self.package_links, self.package_problems = published.links, published.problems
        for conflict in published.written:
            self.say(f"data package: {conflict} -> {display_path(self.out / datapackage.package_href(conflict))}")
        for problem in published.problems:
            self.say(f"FAILED {problem}", err=True)

    # -- index, manifest, summary
    def _write_index(self, catalog: Catalog, keys: dict, state: dict, parameters: dict) -> None:
        """index.html for readers (analysis/report/index.py): from the state, so a report not
        rebuilt in this run keeps its headline."""
        from analysis.report import index

        reports = []
        for entry in catalog.entries:
            reports.append(
                index.report_row(
                    entry.slug,
                    entry.title,
                    entry.notebook_rel,
                    state["reports"].get(entry.slug) or {},
                    key=keys[entry.slug],
                    out=self.out,
                    parameters=parameters.get(entry.slug, entry.parameters),
                    conflict_id=conflict_of(entry),
                    conflict_facts=self.conflict_facts,
                    data=report_keys.data_label(catalog, entry, self.fingerprints),
                )
            )
        context = {
            "title": "Casualty claims: reports",
            "catalog_name": catalog.path.name,
            "package_version": __version__,
            "built": formatting.build_date(),
            "packages": self.package_links,
            "changes": self.changes.index_context(),
        }
        inputs = fp.digest_json(
            {"code": self.fingerprints["code"], "reports": [dataclasses.asdict(r) for r in reports], **context}
        )
        write_made_from(
            self.out / "index.html",
            inputs,
            lambda: index.render_index(reports, **context).encode("utf-8"),
            self.out / ".build" / "index-inputs",
        )

    def _exit_code(self, outcomes: dict[str, Outcome], interrupted: bool) -> int:
        if interrupted:
            return EXIT_INTERRUPTED
        failed = any(o.status == "failed" for o in outcomes.values()) or self.package_problems
        return EXIT_FAILED if failed else EXIT_OK

    def _write_manifest(self, catalog: Catalog, outcomes: dict[str, Outcome], code: int) -> None:
        from analysis.report.manifest import write_manifest

        write_manifest(
            self.out / "manifest.json",
            started_at=self.started_at,
            seconds=time.perf_counter() - self.t0,
            exit_code=code,
            options=self.options,
            jobs=self.options.jobs or default_jobs(),
            cpus=default_jobs(),
            catalog=display_path(catalog.path),
            out=display_path(self.out),
            fingerprints=self.fingerprints,
            reasons=self.reasons,
            outcomes=[outcomes[e.slug] for e in catalog.entries if e.slug in outcomes],
        )

    def _summary(self, catalog: Catalog, outcomes: dict[str, Outcome], interrupted: bool) -> None:
        counts: dict[str, int] = {}
        for outcome in outcomes.values():
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        for entry in catalog.entries:
            outcome = outcomes.get(entry.slug)
            if outcome and outcome.status == "failed" and outcome.error:
                error = outcome.error
                self.say(
                    f"FAILED {entry.slug} ({entry.notebook_rel}): "
                    f"{('cell ' + error['cell'] + ': ') if error.get('cell') else ''}{error['error']}",
                    err=True,
                )
                for extra in ("failed_notebook", "kernel_log"):
                    if error.get(extra):
                        self.say(f"       {extra.replace('_', ' ')}: {error[extra]}", err=True)
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        elapsed = time.perf_counter() - self.t0
        self.say(
            f"{'interrupted' if interrupted else 'done'}: {parts or 'nothing to do'} "
            f"in {elapsed:.2f} s -> {display_path(self.out / 'index.html')}"
        )


class Invalid(Exception):
    """The catalog, the data or a report's parameters are wrong: every problem, and nothing runs."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _os_error(exc: OSError) -> str:
    return f"{exc.strerror or exc}" + (f" ({display_path(Path(exc.filename))})" if exc.filename else "")


def build(options: Options, say: Say | None = None) -> int:
    return Build(options, say).run()
