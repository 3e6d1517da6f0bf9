"""`claims build`: the catalog's reports, checked first, run in parallel, written atomically.

One driver process (this one) runs every notebook through papermill, each in its own fresh
kernel process, `jobs` at a time (threads here; the work happens in the kernels). Steps:

1. lock      fcntl.flock on <out>/.build.lock: a second build waits (or refuses, --no-wait)
2. catalog   structure of reports.yml (files.py, catalog.py); a bad catalog stops here
3. keys      content hashes per report (fingerprint.py) against <out>/.build/state.json
             (state.py): only stale reports run (or all with --force); failed ones always run again
4. check     data (analysis.dataset.load_conflict, cached by data + code fingerprint) and every
             entry's parameters (types, vocabularies); any problem stops the build before a run
5. run       papermill with our engine (execute.py) in kernels started by kernel.py (warm from
             the zygote, or ordinary), per-report deadline, progress (console.py) by cell
6. export    normalised .ipynb, HTML, PNG/SVG, CSV staged under <out>/.build/tmp, then moved into
             place (folder swap, HTML last by rename): never a half-written report
7. record    state.json after each report; the data packages (datapackage.py) and what changed
             (changes.py); index.html (index.py, deterministic); manifest.json (manifest.py: what
             varies: timings, versions, host)

A failing notebook does not stop the others: its last good HTML stays, its executed notebook is
kept as <out>/<slug>/<slug>.failed.ipynb, the summary names the cell and the error, and the exit
code is 1.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import signal
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import __version__, formatting
from analysis.report import fingerprint as fp
from analysis.report.catalog import (
    Catalog,
    CatalogError,
    ConflictFacts,
    Entry,
    check_entries,
    notebook_parameters,
    read_catalog,
    read_notebook,
)
from analysis.report.console import Progress, Say
from analysis.report.files import BuildLock, BuildLocked, atomic_write, replace_dir, write_if_changed, write_tree
from analysis.report.history import SiteChanges
from analysis.report.state import load_state, outputs_intact, record_outcome, save_state

if TYPE_CHECKING:
    from analysis.report.execute import NotebookRun
    from analysis.report.kernel import ReportKernels

PACKAGE = Path(__file__).resolve().parents[1]  # the analysis package's own code (fingerprinted)
LOCK_NAME = "requirements.lock"  # the project's lock, beside its catalog, when it has one

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


@dataclass
class Outcome:
    slug: str
    status: str  # built | up-to-date | failed | interrupted
    key: str
    seconds: dict[str, float] = field(default_factory=dict)
    cells: int = 0
    error: dict | None = None
    outputs: dict[str, dict] = field(default_factory=dict)
    kernel: str = ""
    headline: dict | None = None  # the notebook's headline artifact (analysis.publish.publish_headline)


def default_jobs() -> int:
    """One job per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


# -------------------------------------------------------------------------------- state

# ---------------------------------------------------------------------------------- build


class Build:
    def __init__(self, options: Options, say: Say | None = None):
        self.options = options
        self.say = say or Say()
        self.out = Path(options.out).resolve()
        self.build_dir = self.out / ".build"
        self.state_path = self.build_dir / "state.json"
        self.cache_dir = self.build_dir / "cache"
        self.state_lock = threading.Lock()
        self.cancel = threading.Event()
        self.kernels: ReportKernels | None = None  # the zygote, live kernels, their zmq context
        self.started_at = dt.datetime.now(dt.UTC)
        self.t0 = time.perf_counter()
        self.key_parts: dict[str, dict[str, str]] = {}
        self.reasons: dict[str, str] = {}
        self.conflict_facts: dict[str, ConflictFacts] = {}  # from the checks; the index shows their data dates
        self.unwritable: OSError | None = None  # a full or read-only output folder stops the whole build

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
                f"error: cannot write to the output folder {_display(self.out)}: {_os_error(exc)}; nothing was changed",
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
                f"error: cannot write to the output folder {_display(self.out)}: {_os_error(exc)}; "
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
        options = self.options
        try:
            catalog = read_catalog(options.catalog, _display(options.catalog), options.data_dir)
        except CatalogError as exc:
            return self._invalid(exc.problems)
        unknown = [s for s in options.only if s not in catalog.slugs]
        if unknown:
            return self._invalid(
                [f"--only: unknown report(s) {', '.join(unknown)}; the catalog has: {', '.join(catalog.slugs)}"]
            )
        shutil.rmtree(self.build_dir / "tmp", ignore_errors=True)  # leftovers of a killed build
        state = self.state = load_state(self.state_path)
        self.fingerprints = self._fingerprints(catalog)
        # what changed since the previous build (history.py): part of each report's key and page
        self.changes = SiteChanges.prepare(
            catalog, self.out, self._conflict_of, self.fingerprints, formatting.build_date(), say=self.say
        )
        keys = {e.slug: self._key(e, catalog) for e in catalog.entries}
        selected = [e for e in catalog.entries if not options.only or e.slug in options.only]
        stale = [e for e in selected if self._is_stale(e, keys[e.slug], state)]
        if stale:  # started before the checks: the zygote warms up while they run
            from analysis.report.kernel import ReportKernels

            self.kernels = ReportKernels(
                self._kernel_env(catalog),
                self.build_dir / "logs",
                warm=options.warm_kernels,
                cwd=catalog.path.parent,
                for_build=True,  # charts rendered in the kernels, in parallel (publish.render_for_build)
            )

        problems, parameters = self._check(catalog, state)
        if problems:
            return self._invalid(problems)
        outcomes: dict[str, Outcome] = {}
        for entry in selected:
            if entry not in stale:
                outcomes[entry.slug] = Outcome(
                    entry.slug, "up-to-date", keys[entry.slug], outputs=state["reports"][entry.slug]["outputs"]
                )
        interrupted = False
        if stale:
            interrupted = self._run_reports(catalog, stale, parameters, keys, state, outcomes)
            if self.unwritable is not None:
                raise self.unwritable
        if not interrupted:
            # The data packages are the published data the next build compares against: written
            # only by a build that ran to its end, like the record of what changed.
            self._write_packages(catalog, state)
            # changes.json, changes.xml, published.json, removed reports' pages
            self.changes.publish(
                catalog,
                state,
                [s for s, o in outcomes.items() if o.status == "built"],
                self._conflict_of,
                catalog.site_url,
            )
        self._write_index(catalog, keys, state, parameters)
        code = self._exit_code(outcomes, interrupted)
        self._write_manifest(catalog, outcomes, code)
        self._summary(catalog, outcomes, interrupted)
        return code

    def _invalid(self, problems: list[str]) -> int:
        for problem in problems:
            self.say(problem, err=True)
        self.say(f"invalid: {len(problems)} problem(s); nothing was run", err=True)
        return EXIT_INVALID

    # -- fingerprints and keys
    def _fingerprints(self, catalog: Catalog) -> dict:
        data: dict[str, str] = {}
        for entry in catalog.entries:
            conflict = self._conflict_of(entry)
            label = conflict or "*"
            if label not in data:
                folder = catalog.data_dir / conflict if conflict else catalog.data_dir
                data[label] = fp.data_fingerprint(folder) if folder.is_dir() else "missing"
        return {
            "code": fp.code_fingerprint(PACKAGE),
            "lock": fp.lock_fingerprint(catalog.path.parent / LOCK_NAME),
            "data": data,
        }

    def _conflict_of(self, entry: Entry) -> str | None:
        """The conflict a report reads: its `conflict` parameter, else the notebook's default."""
        if entry.conflict:
            return entry.conflict
        try:
            value = notebook_parameters(read_notebook(entry.notebook)).get("conflict")
        except (OSError, ValueError):
            return None
        return value if isinstance(value, str) else None

    def _data_label(self, catalog: Catalog, entry: Entry) -> tuple[str, str]:
        """(the data folder as shown to readers, its fingerprint): no host-specific paths."""
        conflict = self._conflict_of(entry)
        folder = catalog.data_dir / conflict if conflict else catalog.data_dir
        return _relative(folder, catalog.path.parent), self.fingerprints["data"][conflict or "*"]

    def _key(self, entry: Entry, catalog: Catalog) -> str:
        """The report's cache key: the digest of its parts (see fingerprint.py)."""
        parts = self._key_parts(entry, catalog)
        self.key_parts[entry.slug] = parts
        return fp.digest_json(parts)

    def _key_parts(self, entry: Entry, catalog: Catalog) -> dict[str, str]:
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
                    "data_dir": _relative(catalog.data_dir, catalog.path.parent),
                }
            ),
            "parameters": fp.digest_json(entry.parameters),
            "notebook": notebook,
            "data": self.fingerprints["data"][self._conflict_of(entry) or "*"],
            "code": self.fingerprints["code"],
            "lock": self.fingerprints["lock"],
            "changes": self.changes.key_part(entry),
        }

    def _is_stale(self, entry: Entry, key: str, state: dict) -> bool:
        """Whether to run the report; the reason goes to the manifest (and the progress lines)."""
        previous = state["reports"].get(entry.slug)
        if self.options.force:
            reason = "forced (--force)"
        elif not previous:
            reason = "new (never built here)"
        elif previous.get("status") != "ok":
            reason = "failed last time"
        elif previous.get("key") != key:
            old = previous.get("parts") or {}
            changed = [name for name, digest in self.key_parts[entry.slug].items() if old.get(name) != digest]
            reason = "changed: " + ", ".join(changed or ["format"])
        elif not outputs_intact(self.out, previous.get("outputs") or {}):
            reason = "outputs missing or modified"
        else:
            return False
        self.reasons[entry.slug] = reason
        return True

    # -- checks
    def _check(self, catalog: Catalog, state: dict) -> tuple[list[str], dict[str, dict]]:
        from analysis.load import conflict_dirs

        conflicts = [d.name for d in conflict_dirs(catalog.data_dir)]
        facts: dict[str, ConflictFacts] = {}
        data_problems: list[str] = []

        def facts_for(conflict: str) -> ConflictFacts:
            if conflict not in facts:
                facts[conflict] = self._facts(catalog, conflict, state, data_problems)
            return facts[conflict]

        problems, parameters = check_entries(catalog, conflicts, facts_for)
        for entry in catalog.entries:  # the index names each report's conflict and its data date
            conflict = self._conflict_of(entry)
            if conflict in conflicts:
                facts_for(conflict)
        self.conflict_facts = facts
        return data_problems + problems, parameters

    def _facts(self, catalog: Catalog, conflict: str, state: dict, problems: list[str]) -> ConflictFacts:
        """A validated conflict's sides and claimants, from cache when data and code are unchanged."""
        data = self.fingerprints["data"].get(conflict) or fp.data_fingerprint(catalog.data_dir / conflict)
        cached = state["facts"].get(conflict)
        if cached and cached.get("data") == data and cached.get("code") == self.fingerprints["code"]:
            return ConflictFacts.from_json(cached["facts"])
        from analysis.dataset import load_conflict
        from analysis.errors import DataValidationError

        try:
            loaded = load_conflict(conflict, catalog.data_dir)
        except DataValidationError as exc:
            problems.extend(str(p) for p in sorted(exc.problems))
            problems.append(f"{_display(catalog.data_dir / conflict)}: data invalid; run `claims validate`")
            return ConflictFacts(conflict, (), {})
        facts = ConflictFacts.from_conflict(loaded)
        with self.state_lock:
            state["facts"][conflict] = {"data": data, "code": self.fingerprints["code"], "facts": facts.to_json()}
            save_state(self.state_path, state)
        self.say(f"data: {conflict} valid (fingerprint {fp.short(data)})")
        return facts

    # -- running
    def _kernel_env(self, catalog: Catalog) -> dict[str, str]:
        """What kernels see: the catalog's data folder, a fixed hash seed (set iteration order),
        no debugpy warning about frozen modules."""
        env = dict(os.environ)
        env.update(
            {
                "CLAIMS_DATA_DIR": str(catalog.data_dir),
                "PYDEVD_DISABLE_FILE_VALIDATION": "1",
                "PYTHONHASHSEED": "0",
            }
        )
        return env

    def _run_reports(self, catalog, stale, parameters, keys, state, outcomes) -> bool:
        """Execute `jobs` notebooks at a time; export each on one export thread as it finishes,
        so the next kernel starts at once. Returns True when interrupted."""
        from analysis.report.kernel_process import block_slow_imports

        block_slow_imports()  # this process imports papermill and nbconvert: same jsonschema tax
        jobs = min(self.options.jobs or default_jobs(), len(stale))
        progress = Progress(self.options.progress, self.say)
        self.say(
            f"building {len(stale)} of {len(catalog.entries)} report(s) with {jobs} job(s)"
            + (", warm kernels" if self.kernels.zygote else "")
        )
        from analysis.report.execute import LogsToFile, register_engine
        from analysis.report.export import VegaAssets

        assets = VegaAssets(self.cache_dir)
        assets.start()  # in its own process, while the kernels run
        register_engine()
        quiet = LogsToFile(self.build_dir / "logs" / "build.log")
        progress.start([e.slug for e in stale])
        interrupted = False
        previous_sigterm = None
        if threading.current_thread() is threading.main_thread():
            previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
        executors = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="report")
        exporter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export")
        exporter.submit(_warm_up_export)
        running: dict = {}
        try:
            # longest first (by the last run's time), so that a slow report does not run alone at the end
            order = sorted(stale, key=lambda e: -(state["reports"].get(e.slug) or {}).get("seconds", 0.0))
            for entry in order:
                task = RunTask(entry, parameters[entry.slug], Outcome(entry.slug, "failed", keys[entry.slug]))
                running[executors.submit(self._execute_task, catalog, task, progress)] = task
            pending = set(running)
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    task = running[future]
                    if future.result() == "export":
                        progress.phase(task.entry.slug, "exporting")
                        follow = exporter.submit(self._export_task, catalog, task, state, assets)
                        running[follow] = task
                        pending.add(follow)
                    else:
                        outcomes[task.entry.slug] = task.outcome
                        progress.done(task.outcome)
        except KeyboardInterrupt:
            interrupted = True
            self.cancel.set()
            self.say("interrupted: stopping kernels; finished reports are kept, nothing half-written", err=True)
            self.kernels.kill_all()
        finally:
            executors.shutdown(wait=True, cancel_futures=True)
            exporter.shutdown(wait=True, cancel_futures=True)
            progress.stop()
            quiet.close()
            if previous_sigterm is not None:
                signal.signal(signal.SIGTERM, previous_sigterm)
        for task in running.values():
            if task.entry.slug not in outcomes:
                if task.outcome.status not in ("built", "failed") or not task.finished:
                    task.outcome.status = "interrupted"
                outcomes[task.entry.slug] = task.outcome
        return interrupted

    def _execute_task(self, catalog: Catalog, task: RunTask, progress: Progress) -> str:
        """Run one notebook; return "export" to hand it to the export thread, else "done"."""
        outcome = task.outcome
        try:
            if self.cancel.is_set():
                outcome.status = "interrupted"
                return "done"
            task.started = time.perf_counter()
            run = self._execute(task.entry, task.parameters, progress, outcome)
            task.nb, task.error, outcome.cells = run.nb, run.error, run.cells
            outcome.seconds["execute"] = round(time.perf_counter() - task.started, 3)
            return "done" if self.cancel.is_set() else "export"
        except Exception as exc:  # noqa: BLE001 - one report's failure must not stop the others
            self._stop_if_unwritable(exc)
            outcome.error = {"cell": None, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
            outcome.seconds["total"] = round(time.perf_counter() - task.started, 3)
            self._record(task.entry, outcome, self.state)
            task.finished = True
            return "done"

    def _export_task(self, catalog: Catalog, task: RunTask, state: dict, assets) -> str:
        outcome = task.outcome
        exported = time.perf_counter()
        staging = self.build_dir / "tmp" / f"{task.entry.slug}.{os.getpid()}"
        try:
            if self.cancel.is_set():
                outcome.status = "interrupted"
                return "done"
            self._export(catalog, task.entry, task.parameters, task.nb, task.error, outcome, staging, assets)
        except Exception as exc:  # noqa: BLE001 - one report's failure must not stop the others
            self._stop_if_unwritable(exc)
            outcome.status = "failed"
            outcome.error = outcome.error or {
                "cell": None,
                "error": f"export: {type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
            }
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            outcome.seconds["export"] = round(time.perf_counter() - exported, 3)
            outcome.seconds["total"] = round(time.perf_counter() - task.started, 3)
            if outcome.status in ("built", "failed"):
                self._record(task.entry, outcome, state)
                task.finished = True
        return "done"

    def _stop_if_unwritable(self, exc: Exception) -> None:
        """A full or read-only output folder fails every report alike: stop them all, say it once."""
        if isinstance(exc, OSError) and unwritable(exc) and self.unwritable is None:
            self.unwritable = exc
            self.cancel.set()

    def _execute(self, entry, parameters, progress, outcome) -> NotebookRun:
        """Run the notebook in a new kernel, with its progress, deadline and log."""
        from analysis.report.execute import code_cells, run_notebook

        cells = code_cells(entry.notebook, parameters)
        progress.started(entry.slug, cells, self.reasons.get(entry.slug, ""))
        argv, outcome.kernel = self.kernels.argv()
        log_path = self.build_dir / "logs" / f"{entry.slug}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_bytes(b"")
        run = run_notebook(
            entry.notebook,
            parameters,
            manager_class=self.kernels.manager_class(argv, log_path),
            timeout=entry.timeout,
            on_cell=lambda done: progress.cell(entry.slug, done, cells),
        )
        if run.error is not None:
            run.error["kernel_log"] = _display(log_path)
        return run

    def _export(self, catalog, entry, parameters, nb, error, outcome, staging, bundle) -> None:
        from analysis.report import export

        source_ids = {c.get("id") for c in read_notebook(entry.notebook).get("cells", []) if c.get("id")}
        nb = export.normalise_notebook(nb, source_ids, entry.notebook_rel)
        if error is not None:
            failed = self.out / entry.slug / f"{entry.slug}.failed.ipynb"
            atomic_write(failed, export.notebook_bytes(nb))
            error["failed_notebook"] = _display(failed)
            outcome.error = error
            outcome.status = "failed"
            return
        data_label, data_fingerprint = self._data_label(catalog, entry)
        context = export.ReportContext(
            entry.slug,
            entry.title,
            entry.notebook_rel,
            parameters,
            data_label,
            data_fingerprint,
            __version__,
            data_changes=self.changes.report_context(entry),
        )
        files, artifacts = export.export_report(nb, context, bundle)
        outcome.headline = export.headline_of(artifacts)
        html_rel = f"{entry.slug}.html"
        html = files.pop(html_rel)
        if self.cancel.is_set():
            outcome.status = "interrupted"
            return
        write_tree(staging, files)
        replace_dir(staging / entry.slug, self.out / entry.slug, self.build_dir / "trash")
        atomic_write(self.out / html_rel, html)
        files[html_rel] = html
        outcome.outputs = {
            rel: {"sha256": fp.sha256_bytes(data), "bytes": len(data)} for rel, data in sorted(files.items())
        }
        outcome.status = "built"

    def _record(self, entry: Entry, outcome: Outcome, state: dict) -> None:
        with self.state_lock:
            record_outcome(state, entry.slug, outcome, self.key_parts.get(entry.slug, {}), self.out)
            save_state(self.state_path, state)

    # -- open data packages (datapackage.py)
    package_links: dict[str, str] = {}
    package_problems: list[str] = []

    def _write_packages(self, catalog: Catalog, state: dict) -> None:
        """<out>/data/<conflict-id>/ for each conflict with a report, rewritten only when its data or
        the code changed (or a file of it did); the index links each one."""
        from analysis.report import datapackage

        conflicts = [c for c in map(self._conflict_of, catalog.entries) if c in self.conflict_facts]
        published = datapackage.publish(
            self.out,
            conflicts,
            catalog.data_dir,
            state,
            code=self.fingerprints["code"],
            data=self.fingerprints["data"],
            save=lambda: save_state(self.state_path, state),
        )
        self.package_links, self.package_problems = published.links, published.problems
        for conflict in published.written:
            self.say(f"data package: {conflict} -> {_display(self.out / datapackage.package_href(conflict))}")
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
                    conflict_id=self._conflict_of(entry),
                    conflict_facts=self.conflict_facts,
                    data=self._data_label(catalog, entry),
                )
            )
        html = index.render_index(
            reports,
            title="Casualty claims: reports",
            catalog_name=catalog.path.name,
            package_version=__version__,
            built=formatting.build_date(),
            packages=self.package_links,
            changes=self.changes.index_context(),
        )
        write_if_changed(self.out / "index.html", html.encode("utf-8"))

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
            catalog=_display(catalog.path),
            out=_display(self.out),
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
            f"in {elapsed:.2f} s -> {_display(self.out / 'index.html')}"
        )


@dataclass
class RunTask:
    entry: Entry
    parameters: dict
    outcome: Outcome
    started: float = field(default_factory=time.perf_counter)
    nb: Any = None
    error: dict | None = None
    finished: bool = False


def _warm_up_export() -> None:
    """Import nbconvert and make the exporter on the export thread before the first report needs
    it. Charts are rendered in the kernels (publish.render_for_build), so vl-convert is not started
    here. A failure stays in this future unread: the first export repeats it, with the report."""
    from analysis.report.export import _exporter

    _exporter()


def unwritable(exc: OSError) -> bool:
    """The output folder cannot take files: read-only, full, over quota or not ours."""
    return exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM)


def _os_error(exc: OSError) -> str:
    return f"{exc.strerror or exc}" + (f" ({_display(Path(exc.filename))})" if exc.filename else "")


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _relative(path: Path, base: Path) -> str:
    """path relative to base when inside it (e.g. data/raw/russia-ukraine), else its last two parts."""
    path, base = Path(path).resolve(), Path(base).resolve()
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return "/".join(path.parts[-2:])


def _display(path: Path) -> str:
    """A path relative to the working directory when inside it (messages), else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def build(options: Options, say: Say | None = None) -> int:
    return Build(options, say).run()
