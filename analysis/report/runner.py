"""`claims build`: the catalog's reports, checked first, run in parallel, written atomically.

One driver process (this one) runs every notebook through papermill, each in its own fresh
kernel process, `jobs` at a time (threads here; the work happens in the kernels). Steps:

1. lock      fcntl.flock on <out>/.build.lock: a second build waits (or refuses, --no-wait)
2. catalog   structure of reports.yml (files.py, catalog.py); a bad catalog stops here
3. keys      content hashes per report (fingerprint.py) against <out>/.build/state.json: only
             stale reports run (or all with --force); failed reports always run again
4. check     data (analysis.dataset.load_conflict, cached by data + code fingerprint) and every
             entry's parameters (types, vocabularies); any problem stops the build before a run
5. run       papermill with our engine (kernel.py: warm zygote, or ordinary kernels), per-report
             deadline, progress per report (cells) and overall
6. export    normalised .ipynb, HTML, PNG/SVG, CSV staged under <out>/.build/tmp, then moved into
             place (folder swap, HTML last by rename): never a half-written report
7. record    state.json after each report; index.html (deterministic); manifest.json (what
             varies: timings, versions, host)

A failing notebook does not stop the others: its last good HTML stays, its executed notebook is
kept as <out>/<slug>/<slug>.failed.ipynb, the summary names the cell and the error, and the exit
code is 1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from analysis import __version__, formatting
from analysis.report import fingerprint as fp
from analysis.report.changes import SiteChanges
from analysis.report.collect import BUILD_ENV
from analysis.report.catalog import (Catalog, CatalogError, ConflictFacts, Entry, check_entries,
                                     notebook_parameters, read_catalog, read_notebook)
from analysis.report.files import (BuildLock, BuildLocked, atomic_write, replace_dir, write_if_changed,
                                   write_tree)

PACKAGE = Path(__file__).resolve().parents[1]  # the analysis package's own code (fingerprinted)
LOCK_NAME = "requirements.lock"  # the project's lock, beside its catalog, when it has one
STATE_FORMAT = 1
ENGINE_NAME = "casualty-claims"
START_TIMEOUT = 120  # seconds for a kernel to start (a loaded CI machine can be slow)
VERSIONED_PACKAGES = ("papermill", "nbclient", "nbconvert", "nbformat", "jupyter_client", "ipykernel",
                      "altair", "vl-convert-python", "vegafusion", "polars", "pandera")

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
    headline: dict | None = None  # the notebook's headline artifact (collect.publish_headline)


def default_jobs() -> int:
    """One job per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


# ------------------------------------------------------------------------------- output

class Say:
    """Plain messages to stdout/stderr (click-free, so tests can call build() directly)."""

    def __init__(self, stream=None, err=None):
        self.stream = stream or sys.stdout
        self.err = err or sys.stderr
        self.lock = threading.Lock()

    def __call__(self, message: str, err: bool = False) -> None:
        with self.lock:
            target = self.err if err else self.stream
            target.write(message + "\n")
            target.flush()


class Progress:
    """Progress per report (cells done) and overall; rich bars on a terminal, lines otherwise."""

    def __init__(self, mode: str, say: Say):
        self.say = say
        self.mode = mode
        self.rich = None
        self.tasks: dict[str, Any] = {}
        self.total = 0
        self.finished = 0
        self.lock = threading.Lock()

    def start(self, slugs: list[str]) -> None:
        self.total = len(slugs)
        if self.mode == "auto":
            self.mode = "rich" if self.say.stream.isatty() else "plain"
        if self.mode == "rich":
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                       TextColumn, TimeElapsedColumn)

            self.rich = RichProgress(TextColumn("{task.description:<40}"), BarColumn(),
                                     MofNCompleteColumn(), TextColumn("{task.fields[status]:<24}"),
                                     TimeElapsedColumn(), console=Console(file=self.say.stream),
                                     transient=False)
            self.rich.start()
            self.tasks["__all__"] = self.rich.add_task("[bold]all reports", total=self.total,
                                                       status="")
            for slug in slugs:
                self.tasks[slug] = self.rich.add_task(slug, total=None, status="queued")

    def started(self, slug: str, cells: int, reason: str = "") -> None:
        if self.rich:
            self.rich.update(self.tasks[slug], total=cells, completed=0, status="running")
        elif self.mode == "plain":
            self.say(f"  start    {slug} ({cells} cells; {reason})")

    def cell(self, slug: str, done: int, total: int) -> None:
        if self.rich:
            self.rich.update(self.tasks[slug], completed=done, total=max(total, done),
                             status=f"cell {done}/{total}")

    def phase(self, slug: str, status: str) -> None:
        if self.rich:
            self.rich.update(self.tasks[slug], status=status)

    def done(self, outcome: Outcome) -> None:
        with self.lock:
            self.finished += 1
            finished = self.finished
        seconds = outcome.seconds.get("total", 0.0)
        if self.rich:
            task = self.tasks[outcome.slug]
            total = next(t.total for t in self.rich.tasks if t.id == task) or 1
            self.rich.update(task, total=total, completed=total if outcome.status == "built" else None,
                             status=f"{outcome.status} {seconds:.1f} s")
            self.rich.update(self.tasks["__all__"], completed=finished)
        elif self.mode == "plain":
            self.say(f"  [{finished}/{self.total}] {outcome.status:<7} {outcome.slug} ({seconds:.1f} s)")

    def stop(self) -> None:
        if self.rich:
            self.rich.stop()
            self.rich = None


# -------------------------------------------------------------------------------- state

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


# ------------------------------------------------------------------------------ kernels

class Zygote:
    """The warm kernel parent (kernel.py --zygote), alive for one build."""

    def __init__(self, env: dict[str, str], log_path: Path, cwd: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="claims-kernels-"))  # short: AF_UNIX path limit
        self.socket = str(self.dir / "zygote.sock")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "analysis.report.kernel", "--zygote", self.socket],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     env=env, cwd=str(cwd))
        self._ready: bool | None = None
        self._lock = threading.Lock()

    def ready(self, timeout: float = 60.0) -> bool:
        with self._lock:
            if self._ready is None:
                import select

                readable, _, _ = select.select([self.proc.stdout], [], [], timeout)
                self._ready = bool(readable) and self.proc.stdout.readline().strip() == b"ready"
            return self._ready

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "analysis.report.kernel", "--via", self.socket]

    def stop(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()  # EOF: the zygote kills its kernels and exits
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)


class KernelRegistry:
    """Live kernel processes (the launchers jupyter_client started), to kill on Ctrl-C."""

    def __init__(self):
        self.lock = threading.Lock()
        self.processes: set[Any] = set()

    def add(self, proc) -> None:
        with self.lock:
            self.processes.add(proc)

    def discard(self, proc) -> None:
        with self.lock:
            self.processes.discard(proc)

    def kill_all(self) -> None:
        with self.lock:
            procs = list(self.processes)
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                try:
                    proc.kill()
                except OSError:
                    pass


def kernel_manager_class(argv: list[str], env: dict[str, str], log_path: Path, registry: KernelRegistry):
    """An AsyncKernelManager that starts our kernel command, logging to log_path."""
    import zmq
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    spec = KernelSpec(argv=[*argv, "-f", "{connection_file}"], display_name="casualty-claims report kernel",
                      language="python", env=env, resource_dir=str(PACKAGE / "report"))

    class SpecManager(KernelSpecManager):
        def get_kernel_spec(self, kernel_name, *args, **kwargs):
            return spec

    class QuickConnectClient(AsyncKernelClient):
        def _context_default(self):
            # The client connects before the new kernel has bound its ports; zmq then retries
            # every 100 ms, and a missed first IOPub message costs jupyter_client another 0.2 s
            # in wait_for_ready: ~0.3 s per report, measured with strace. Retry every 5 ms.
            context = super()._context_default()
            context.setsockopt(zmq.RECONNECT_IVL, 5)
            return context

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            """jupyter_client's loop (kernel_info until its reply, then one IOPub message to know
            IOPub is subscribed), with a 0.02 s IOPub wait instead of 0.2 s: the kernel's first
            status message is usually published before the subscription arrives."""
            from queue import Empty

            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.02)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    class ReportKernelManager(AsyncKernelManager):
        @default("client_factory")
        def _client_factory_default(self):
            return QuickConnectClient

        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return SpecManager()

        @default("transport")
        def _transport_default(self):
            return "tcp"  # ipc would need absolute socket paths shared by kernel and client cwd

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            log_path.parent.mkdir(parents=True, exist_ok=True)
            self._claims_log = open(log_path, "ab")
            kw["stdout"] = self._claims_log
            kw["stderr"] = self._claims_log
            kw["stdin"] = subprocess.DEVNULL
            await super()._async_launch_kernel(kernel_cmd, **kw)
            process = getattr(self.provisioner, "process", None)
            if process is not None:
                self._claims_process = process
                registry.add(process)

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            # jupyter_client polls a killed kernel every 0.1 s; a kernel dies in a few ms, and the
            # next report waits for this one's cleanup: 0.1 s x reports / jobs of idle wall time
            await super()._async_wait(pollinterval=min(pollinterval, 0.005))

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            process = getattr(self, "_claims_process", None)
            if process is not None:
                registry.discard(process)
            log = getattr(self, "_claims_log", None)
            if log is not None and not log.closed:
                log.close()

    return ReportKernelManager


def register_engine() -> None:
    """Our papermill engine: nbclient's, plus a handle on the notebook for failures/timeouts."""
    from papermill.engines import NBClientEngine, papermill_engines

    class ClaimsEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            holder = kwargs.pop("claims_holder", None)
            if holder is not None:
                holder.append(nb_man)
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(ENGINE_NAME, ClaimsEngine)


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
        self.registry = KernelRegistry()
        self.zygote: Zygote | None = None
        self.started_at = dt.datetime.now(dt.timezone.utc)
        self.t0 = time.perf_counter()
        self.key_parts: dict[str, dict[str, str]] = {}
        self.reasons: dict[str, str] = {}
        self.conflict_facts: dict[str, ConflictFacts] = {}  # from the checks; the index shows their data dates

    # -- entry point
    def run(self) -> int:
        self.out.mkdir(parents=True, exist_ok=True)
        lock = BuildLock(self.out / ".build.lock")
        try:
            lock.acquire(wait=self.options.wait, on_wait=lambda m: self.say(m, err=True))
        except BuildLocked as exc:
            self.say(f"error: {exc}", err=True)
            return EXIT_LOCKED
        try:
            return self._run_locked()
        finally:
            if self.zygote is not None:
                self.zygote.stop()
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
            return self._invalid([f"--only: unknown report(s) {', '.join(unknown)}; "
                                  f"the catalog has: {', '.join(catalog.slugs)}"])
        shutil.rmtree(self.build_dir / "tmp", ignore_errors=True)  # leftovers of a killed build
        state = self.state = load_state(self.state_path)
        self.fingerprints = self._fingerprints(catalog)
        # what changed since the previous build (changes.py): part of each report's key and page
        self.changes = SiteChanges.prepare(catalog, self.out, self._conflict_of, self.fingerprints,
                                           formatting.build_date(), say=self.say)
        keys = {e.slug: self._key(e, catalog) for e in catalog.entries}
        selected = [e for e in catalog.entries if not options.only or e.slug in options.only]
        stale = [e for e in selected if self._is_stale(e, keys[e.slug], state)]
        if stale and options.warm_kernels and sys.platform.startswith("linux"):
            self.zygote = Zygote(self._kernel_env(catalog), self.build_dir / "logs" / "zygote.log",
                                 catalog.path.parent)

        problems, parameters = self._check(catalog, state)
        if problems:
            return self._invalid(problems)
        outcomes: dict[str, Outcome] = {}
        for entry in selected:
            if entry not in stale:
                outcomes[entry.slug] = Outcome(entry.slug, "up-to-date", keys[entry.slug],
                                               outputs=state["reports"][entry.slug]["outputs"])
        interrupted = False
        if stale:
            interrupted = self._run_reports(catalog, stale, parameters, keys, state, outcomes)
        if not interrupted:
            # The data packages are the published data the next build compares against: written
            # only by a build that ran to its end, like the record of what changed.
            self._write_packages(catalog, state)
            # changes.json, changes.xml, published.json, removed reports' pages
            self.changes.publish(catalog, state, [s for s, o in outcomes.items() if o.status == "built"],
                                 self._conflict_of, catalog.site_url)
        self._write_index(catalog, keys, state, parameters)
        code = self._exit_code(outcomes, interrupted)
        self._write_manifest(catalog, keys, outcomes, code)
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
        return {"code": fp.code_fingerprint(PACKAGE), "lock": fp.lock_fingerprint(catalog.path.parent / LOCK_NAME),
                "data": data}

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
            "entry": fp.digest_json({"format": fp.BUILD_FORMAT, "slug": entry.slug, "title": entry.title,
                                     "notebook_path": entry.notebook_rel, "timeout": entry.timeout,
                                     "data_dir": _relative(catalog.data_dir, catalog.path.parent)}),
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
            state["facts"][conflict] = {"data": data, "code": self.fingerprints["code"],
                                        "facts": facts.to_json()}
            save_state(self.state_path, state)
        self.say(f"data: {conflict} valid (fingerprint {fp.short(data)})")
        return facts

    # -- running
    def _kernel_env(self, catalog: Catalog) -> dict[str, str]:
        """What kernels see: the catalog's data folder, a fixed hash seed (set iteration order),
        no debugpy warning about frozen modules, and the request to render charts to SVG and PNG
        in the kernel (collect.BUILD_ENV: in parallel, not one by one in this process; without
        altair's schema check, which the tests make)."""
        env = dict(os.environ)
        env.update({"CLAIMS_DATA_DIR": str(catalog.data_dir), "PYDEVD_DISABLE_FILE_VALIDATION": "1",
                    "PYTHONHASHSEED": "0", BUILD_ENV: "1"})
        return env

    def _run_reports(self, catalog, stale, parameters, keys, state, outcomes) -> bool:
        """Execute `jobs` notebooks at a time; export each on one export thread as it finishes,
        so the next kernel starts at once. Returns True when interrupted."""
        from analysis.report.kernel import block_slow_imports

        block_slow_imports()  # this process imports papermill and nbconvert: same jsonschema tax
        jobs = min(self.options.jobs or default_jobs(), len(stale))
        progress = Progress(self.options.progress, self.say)
        self.say(f"building {len(stale)} of {len(catalog.entries)} report(s) with {jobs} job(s)"
                 + (", warm kernels" if self.zygote else ""))
        from analysis.report.export import VegaAssets

        assets = VegaAssets(self.cache_dir)
        assets.start()  # in its own process, while the kernels run
        register_engine()
        env = self._kernel_env(catalog)
        quiet = _LogsToFile(self.build_dir / "logs" / "build.log")
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
                running[executors.submit(self._execute_task, catalog, task, env, progress)] = task
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
            self.say("interrupted: stopping kernels; finished reports are kept, nothing half-written",
                     err=True)
            self.registry.kill_all()
            if self.zygote is not None:
                self.zygote.stop()
                self.zygote = None
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

    def _execute_task(self, catalog: Catalog, task: RunTask, env: dict, progress: Progress) -> str:
        """Run one notebook; return "export" to hand it to the export thread, else "done"."""
        outcome = task.outcome
        try:
            if self.cancel.is_set():
                outcome.status = "interrupted"
                return "done"
            task.started = time.perf_counter()
            task.nb, task.error, outcome.cells = self._execute(catalog, task.entry, task.parameters, env,
                                                               progress, outcome)
            outcome.seconds["execute"] = round(time.perf_counter() - task.started, 3)
            return "done" if self.cancel.is_set() else "export"
        except Exception as exc:  # noqa: BLE001 - one report's failure must not stop the others
            outcome.error = {"cell": None, "error": f"{type(exc).__name__}: {exc}",
                             "traceback": traceback.format_exc()}
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
        except Exception as exc:  # noqa: BLE001
            outcome.status = "failed"
            outcome.error = outcome.error or {"cell": None, "error": f"export: {type(exc).__name__}: {exc}",
                                              "traceback": traceback.format_exc()}
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            outcome.seconds["export"] = round(time.perf_counter() - exported, 3)
            outcome.seconds["total"] = round(time.perf_counter() - task.started, 3)
            if outcome.status in ("built", "failed"):
                self._record(task.entry, outcome, state)
                task.finished = True
        return "done"

    def _execute(self, catalog, entry, parameters, env, progress, outcome):
        """Run the notebook; return (notebook, error dict or None, number of code cells)."""
        import papermill
        from papermill.exceptions import PapermillExecutionError

        source = read_notebook(entry.notebook)
        cells_total = sum(1 for c in source.get("cells", [])
                          if c.get("cell_type") == "code" and "".join(c.get("source", "")).strip())
        cells_total += 1 if parameters else 0  # papermill's injected-parameters cell
        progress.started(entry.slug, cells_total, self.reasons.get(entry.slug, ""))
        holder: list = []
        current: dict = {}
        done = [0]
        deadline = time.monotonic() + entry.timeout

        def on_start_count(cell, cell_index, **_):
            current.update(index=cell_index, source=cell.get("source", ""), count=done[0] + 1)

        def on_complete(cell, cell_index, **_):
            done[0] += 1
            progress.cell(entry.slug, done[0], cells_total)

        def timeout_for(cell):
            return max(1, int(deadline - time.monotonic() + 0.999))

        if self.zygote is not None and self.zygote.ready():
            argv, outcome.kernel = self.zygote.argv(), "warm"
        else:
            argv = [sys.executable, "-m", "analysis.report.kernel"]
            outcome.kernel = "fresh"
        log_path = self.build_dir / "logs" / f"{entry.slug}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_bytes(b"")
        km_class = kernel_manager_class(argv, env, log_path, self.registry)
        error = None
        try:
            papermill.execute_notebook(
                str(entry.notebook), None, parameters=parameters, engine_name=ENGINE_NAME,
                request_save_on_cell_execute=False, progress_bar=False, log_output=False,
                start_timeout=START_TIMEOUT, kernel_manager_class=km_class, record_timing=False,
                timeout_func=timeout_for, on_cell_start=on_start_count, on_cell_complete=on_complete,
                shutdown_kernel="immediate", resources={"metadata": {"path": str(entry.notebook.parent)}},
                claims_holder=holder)
        except PapermillExecutionError as exc:
            error = {"cell": _cell_label(exc.exec_count, exc.source), "error": f"{exc.ename}: {exc.evalue}",
                     "traceback": _strip_ansi("\n".join(exc.traceback))}
        except Exception as exc:  # noqa: BLE001 - timeouts, dead kernels, start failures
            name = type(exc).__name__
            if name == "CellTimeoutError" or isinstance(exc, TimeoutError):
                message = f"timed out: the report exceeded its {entry.timeout:g} s limit"
            elif name == "DeadKernelError":
                message = f"the kernel died: {exc}"
            else:
                message = f"{name}: {exc}"
            cell = _cell_label(current.get("count"), current.get("source", "")) if current else None
            error = {"cell": cell, "error": message, "traceback": traceback.format_exc()}
        if not holder:
            raise RuntimeError(error["error"] if error else "papermill did not start the notebook")
        nb = holder[0].nb
        if error is not None:
            error["kernel_log"] = _display(log_path)
        return nb, error, cells_total

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
        context = export.ReportContext(entry.slug, entry.title, entry.notebook_rel, parameters,
                                       data_label, data_fingerprint, __version__,
                                       data_changes=self.changes.report_context(entry))
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
        outcome.outputs = {rel: {"sha256": fp.sha256_bytes(data), "bytes": len(data)}
                           for rel, data in sorted(files.items())}
        outcome.status = "built"

    def _record(self, entry: Entry, outcome: Outcome, state: dict) -> None:
        with self.state_lock:
            previous = state["reports"].get(entry.slug) or {}
            if outcome.status == "built":
                record = {"key": outcome.key, "status": "ok", "outputs": outcome.outputs,
                          "has_html": True, "seconds": outcome.seconds.get("execute", 0.0),
                          "parts": self.key_parts.get(entry.slug, {}), "headline": outcome.headline}
            else:
                has_html = bool(previous.get("has_html")) and (self.out / f"{entry.slug}.html").is_file()
                record = {"key": outcome.key, "status": "failed", "outputs": previous.get("outputs") or {},
                          "has_html": has_html, "seconds": outcome.seconds.get("execute", 0.0),
                          "parts": self.key_parts.get(entry.slug, {}),
                          # the index describes the last good HTML, which stays
                          "headline": previous.get("headline") if has_html else None}
            state["reports"][entry.slug] = record
            save_state(self.state_path, state)

    # -- open data packages (datapackage.py)
    package_links: dict[str, str] = {}
    package_problems: list[str] = []

    def _write_packages(self, catalog: Catalog, state: dict) -> None:
        """<out>/data/<conflict-id>/ for each conflict with a report, rewritten only when its data or
        the code changed (or a file of it did); the index links each one."""
        from analysis.report import datapackage

        conflicts = [c for c in map(self._conflict_of, catalog.entries) if c in self.conflict_facts]
        published = datapackage.publish(self.out, conflicts, catalog.data_dir, state, code=self.fingerprints["code"],
                                        data=self.fingerprints["data"],
                                        save=lambda: save_state(self.state_path, state))
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
            record = state["reports"].get(entry.slug) or {}
            has_html = bool(record.get("has_html")) and (self.out / f"{entry.slug}.html").is_file()
            if record.get("status") == "ok" and record.get("key") == keys[entry.slug] and has_html:
                state_name, status = "ok", "ok"
            elif record.get("status") == "failed":
                state_name = "failed"
                status = "failed (showing the last good build)" if has_html else "failed (no report yet)"
            elif has_html:
                state_name, status = "out-of-date", "out of date (not rebuilt in this run)"
            else:
                state_name, status = "not-built", "not built"
            headline = record.get("headline") if has_html else None
            shown = parameters.get(entry.slug, entry.parameters)
            conflict = self._conflict_of(entry) or (headline or {}).get("conflict_id")
            facts = self.conflict_facts.get(str(conflict))
            as_of = ((headline or {}).get("data_as_of") or (facts.data_as_of if facts else "")) if has_html else ""
            data_label, data_fingerprint = self._data_label(catalog, entry)
            reports.append(index.IndexReport(
                slug=entry.slug, title=entry.title, has_html=has_html, state=state_name, status=status,
                conflict_id=conflict,
                conflict_name=(facts.name if facts else "") or (headline or {}).get("conflict_name") or conflict or "",
                is_overview=index.is_overview(headline, entry.notebook_rel),
                headline=(headline or {}).get("text"), data_as_of=dt.date.fromisoformat(as_of) if as_of else None,
                notebook=entry.notebook_rel, parameters=tuple((k, _show(v)) for k, v in shown.items()),
                data_label=data_label, data_fingerprint=data_fingerprint))
        html = index.render_index(reports, title="Casualty claims: reports", catalog_name=catalog.path.name,
                                  package_version=__version__, built=formatting.build_date(),
                                  packages=self.package_links, changes=self.changes.index_context())
        write_if_changed(self.out / "index.html", html.encode("utf-8"))

    def _exit_code(self, outcomes: dict[str, Outcome], interrupted: bool) -> int:
        if interrupted:
            return EXIT_INTERRUPTED
        failed = any(o.status == "failed" for o in outcomes.values()) or self.package_problems
        return EXIT_FAILED if failed else EXIT_OK

    def _write_manifest(self, catalog: Catalog, keys: dict, outcomes: dict[str, Outcome], code: int) -> None:
        from importlib import metadata

        versions = {}
        for name in VERSIONED_PACKAGES:
            try:
                versions[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                versions[name] = None
        manifest = {
            "tool": "claims build", "package_version": __version__,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - self.t0, 3),
            "exit_code": code, "host": platform.node(), "platform": platform.platform(),
            "python": sys.version.split()[0], "cpus": default_jobs(),
            "jobs": self.options.jobs or default_jobs(), "force": self.options.force,
            "only": list(self.options.only), "catalog": _display(catalog.path), "out": _display(self.out),
            "versions": versions, "fingerprints": self.fingerprints,
            "reports": [{"slug": o.slug, "status": o.status, "reason": self.reasons.get(o.slug),
                         "key": o.key, "kernel": o.kernel,
                         "seconds": o.seconds, "cells": o.cells, "error": o.error, "outputs": o.outputs}
                        for o in (outcomes[e.slug] for e in catalog.entries if e.slug in outcomes)],
        }
        atomic_write(self.out / "manifest.json",
                     (json.dumps(manifest, indent=1, sort_keys=False) + "\n").encode("utf-8"))

    def _summary(self, catalog: Catalog, outcomes: dict[str, Outcome], interrupted: bool) -> None:
        counts: dict[str, int] = {}
        for outcome in outcomes.values():
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        for entry in catalog.entries:
            outcome = outcomes.get(entry.slug)
            if outcome and outcome.status == "failed" and outcome.error:
                error = outcome.error
                self.say(f"FAILED {entry.slug} ({entry.notebook_rel}): "
                         f"{('cell ' + error['cell'] + ': ') if error.get('cell') else ''}{error['error']}", err=True)
                for extra in ("failed_notebook", "kernel_log"):
                    if error.get(extra):
                        self.say(f"       {extra.replace('_', ' ')}: {error[extra]}", err=True)
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        elapsed = time.perf_counter() - self.t0
        self.say(f"{'interrupted' if interrupted else 'done'}: {parts or 'nothing to do'} "
                 f"in {elapsed:.2f} s -> {_display(self.out / 'index.html')}")


@dataclass
class RunTask:
    entry: Entry
    parameters: dict
    outcome: Outcome
    started: float = field(default_factory=time.perf_counter)
    nb: Any = None
    error: dict | None = None
    finished: bool = False


class _LogsToFile:
    """papermill, nbclient, jupyter_client and asyncio log to <out>/.build/logs/build.log during a
    build, not to the terminal: the summary says what failed; the details are in the logs."""

    NAMES = ("papermill", "traitlets", "nbclient", "jupyter_client")

    def __init__(self, path: Path):
        import logging

        path.parent.mkdir(parents=True, exist_ok=True)
        formatter = logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
        self.handler = logging.FileHandler(path, mode="w", encoding="utf-8")
        self.handler.setFormatter(formatter)
        self.saved = []
        for name in self.NAMES:
            logger = logging.getLogger(name)
            self.saved.append((logger, logger.propagate, list(logger.handlers)))
            logger.handlers = [self.handler]
            logger.propagate = False
        # asyncio reports nbclient's abandoned polling tasks (after a timeout) when they are
        # garbage-collected, possibly at interpreter exit: that stays in the file too.
        late = logging.FileHandler(path, mode="a", encoding="utf-8", delay=True)
        late.setFormatter(formatter)
        asyncio_logger = logging.getLogger("asyncio")
        asyncio_logger.handlers = [late]
        asyncio_logger.propagate = False

    def close(self) -> None:
        for logger, propagate, handlers in self.saved:
            logger.handlers, logger.propagate = handlers, propagate
        self.handler.close()


def _warm_up_export() -> None:
    """Import nbconvert and make the exporter on the export thread before the first report needs
    it. Charts are rendered in the kernels (collect.BUILD_ENV), so vl-convert is not started
    here. A failure stays in this future unread: the first export repeats it, with the report."""
    from analysis.report.export import _exporter

    _exporter()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _cell_label(count, source) -> str:
    source = "".join(source) if isinstance(source, list) else (source or "")
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > 70:
        first = first[:67] + "..."
    return f"In [{count if count is not None else ' '}] `{first}`"


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


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
