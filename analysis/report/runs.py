"""Running the stale reports of a build: `jobs` notebooks at a time, each exported as it finishes.

Each notebook runs in its own new kernel (kernel.py: forked by the warm zygote, or started
fresh) through papermill (execute.py), on a pool of `jobs` threads, longest first (by its last
run's time) so that a slow report does not run alone at the end. A finished notebook goes to one
export thread (export.py: normalised .ipynb, HTML, PNG/SVG, CSV), staged under <out>/.build/tmp
and moved into place (folder swap, HTML last by rename), so the next kernel starts at once and no
report is ever half-written. Each outcome is recorded in the build's state as it comes.

A failing notebook does not stop the others: its executed notebook is kept as
<out>/<slug>/<slug>.failed.ipynb and its last good HTML stays. Ctrl-C or SIGTERM kills every
kernel and keeps the finished reports; a full or read-only output folder stops every report alike
(`unwritable`), for the build to say once.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.report import fingerprint as fp
from analysis.report.catalog import Entry, read_notebook
from analysis.report.console import Progress, Say, display_path
from analysis.report.files import atomic_write, replace_dir, unwritable, write_tree

if TYPE_CHECKING:
    from analysis.report.execute import NotebookRun
    from analysis.report.export import ReportContext
    from analysis.report.kernel import ReportKernels


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


@dataclass
class RunTask:
    entry: Entry
    parameters: dict
    outcome: Outcome
    started: float = field(default_factory=time.perf_counter)
    nb: Any = None
    error: dict | None = None
    finished: bool = False


def start_kernels(data_dir: Path, log_dir: Path, *, warm: bool, cwd: Path) -> ReportKernels:
    """The build's kernels (the zygote starts warming up now). They see the catalog's data folder,
    a fixed hash seed (set iteration order) and no debugpy warning about frozen modules, and they
    publish charts for the build: rendered to SVG and PNG in the kernels, in parallel, not one by
    one in this process (analysis.publish.render_for_build)."""
    from analysis.report.kernel import ReportKernels

    env = dict(os.environ)
    env.update(
        {
            "CLAIMS_DATA_DIR": str(data_dir),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "PYTHONHASHSEED": "0",
        }
    )
    return ReportKernels(env, log_dir, warm=warm, cwd=cwd, for_build=True)


class ReportRuns:
    """One build's runs: its kernels, where it writes, and what it does with each finished report.

    `record(entry, outcome)` keeps an outcome in the build's state; `context_of(entry, parameters)`
    is what the report's page says about its build (export.ReportContext)."""

    def __init__(
        self,
        kernels: ReportKernels,
        out: Path,
        *,
        jobs: int,
        progress: str,
        say: Say,
        reasons: dict[str, str],
        record: Callable[[Entry, Outcome], None],
        context_of: Callable[[Entry, dict], ReportContext],
    ):
        self.kernels = kernels
        self.out = out
        self.build_dir = out / ".build"
        self.jobs = jobs
        self.progress = Progress(progress, say)
        self.say = say
        self.reasons = reasons
        self.record = record
        self.context_of = context_of
        self.cancel = threading.Event()
        self.unwritable: OSError | None = None  # a full or read-only output folder stops every report

    def run(
        self, stale: list[Entry], parameters: dict[str, dict], keys: dict[str, str], last_seconds: dict[str, float]
    ) -> tuple[dict[str, Outcome], bool]:
        """Execute `jobs` notebooks at a time; export each on one export thread as it finishes,
        so the next kernel starts at once. `last_seconds`: each report's time in the build that
        last ran it. Returns ({slug: Outcome}, whether interrupted)."""
        from analysis.report.execute import LogsToFile, register_engine
        from analysis.report.export import VegaAssets
        from analysis.report.kernel_process import block_slow_imports

        block_slow_imports()  # this process imports papermill and nbconvert: same jsonschema tax
        assets = VegaAssets(self.build_dir / "cache")
        assets.start()  # in its own process, while the kernels run
        register_engine()
        quiet = LogsToFile(self.build_dir / "logs" / "build.log")
        progress = self.progress
        progress.start([e.slug for e in stale])
        outcomes: dict[str, Outcome] = {}
        interrupted = False
        previous_sigterm = None
        if threading.current_thread() is threading.main_thread():
            previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
        executors = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="report")
        exporter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export")
        exporter.submit(_warm_up_export)
        running: dict = {}
        try:
            # longest first (by the last run's time), so that a slow report does not run alone at the end
            order = sorted(stale, key=lambda e: -last_seconds.get(e.slug, 0.0))
            for entry in order:
                task = RunTask(entry, parameters[entry.slug], Outcome(entry.slug, "failed", keys[entry.slug]))
                running[executors.submit(self._execute_task, task)] = task
            pending = set(running)
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    task = running[future]
                    if future.result() == "export":
                        progress.phase(task.entry.slug, "exporting")
                        follow = exporter.submit(self._export_task, task, assets)
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
        return outcomes, interrupted

    def _execute_task(self, task: RunTask) -> str:
        """Run one notebook; return "export" to hand it to the export thread, else "done"."""
        outcome = task.outcome
        try:
            if self.cancel.is_set():
                outcome.status = "interrupted"
                return "done"
            task.started = time.perf_counter()
            run = self._execute(task.entry, task.parameters, outcome)
            task.nb, task.error, outcome.cells = run.nb, run.error, run.cells
            outcome.seconds["execute"] = round(time.perf_counter() - task.started, 3)
            return "done" if self.cancel.is_set() else "export"
        except Exception as exc:  # noqa: BLE001 - one report's failure must not stop the others
            self._stop_if_unwritable(exc)
            outcome.error = {"cell": None, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
            outcome.seconds["total"] = round(time.perf_counter() - task.started, 3)
            self.record(task.entry, outcome)
            task.finished = True
            return "done"

    def _export_task(self, task: RunTask, assets) -> str:
        outcome = task.outcome
        exported = time.perf_counter()
        staging = self.build_dir / "tmp" / f"{task.entry.slug}.{os.getpid()}"
        try:
            if self.cancel.is_set():
                outcome.status = "interrupted"
                return "done"
            self._export(task.entry, task.parameters, task.nb, task.error, outcome, staging, assets)
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
                self.record(task.entry, outcome)
                task.finished = True
        return "done"

    def _stop_if_unwritable(self, exc: Exception) -> None:
        """A full or read-only output folder fails every report alike: stop them all, say it once."""
        if isinstance(exc, OSError) and unwritable(exc) and self.unwritable is None:
            self.unwritable = exc
            self.cancel.set()

    def _execute(self, entry: Entry, parameters: dict, outcome: Outcome) -> NotebookRun:
        """Run the notebook in a new kernel, with its progress, deadline and log."""
        from analysis.report.execute import code_cells, run_notebook

        cells = code_cells(entry.notebook, parameters)
        self.progress.started(entry.slug, cells, self.reasons.get(entry.slug, ""))
        argv, outcome.kernel = self.kernels.argv()
        log_path = self.build_dir / "logs" / f"{entry.slug}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_bytes(b"")
        run = run_notebook(
            entry.notebook,
            parameters,
            manager_class=self.kernels.manager_class(argv, log_path),
            timeout=entry.timeout,
            on_cell=lambda done: self.progress.cell(entry.slug, done, cells),
        )
        if run.error is not None:
            run.error["kernel_log"] = display_path(log_path)
        return run

    def _export(self, entry: Entry, parameters: dict, nb, error, outcome: Outcome, staging: Path, assets) -> None:
        from analysis.report import export

        source_ids = {c.get("id") for c in read_notebook(entry.notebook).get("cells", []) if c.get("id")}
        nb = export.normalise_notebook(nb, source_ids, entry.notebook_rel)
        if error is not None:
            failed = self.out / entry.slug / f"{entry.slug}.failed.ipynb"
            atomic_write(failed, export.notebook_bytes(nb))
            error["failed_notebook"] = display_path(failed)
            outcome.error = error
            outcome.status = "failed"
            return
        files, artifacts = export.export_report(nb, self.context_of(entry, parameters), assets)
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


def _warm_up_export() -> None:
    """Import nbconvert and make the exporter on the export thread before the first report needs
    it. Charts are rendered in the kernels (publish.render_for_build), so vl-convert is not started
    here. A failure stays in this future unread: the first export repeats it, with the report."""
    from analysis.report.export import _exporter

    _exporter()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
