"""The build's side of its kernels: how the driver starts, connects to, watches and stops them.

What runs inside the kernel processes (the ipykernel entry point, the warm zygote, the launcher)
is kernel_process.py; this module is the driver's, and imports jupyter_client at import.

    kernels = ReportKernels(env, log_dir, warm=True, cwd=project, for_build=True)  # starts the zygote (Linux)
    argv, how = kernels.argv()                         # the kernel command: "warm" or "fresh"
    manager_class = kernels.manager_class(argv, log)   # papermill's kernel_manager_class
    ...
    kernels.kill_all()                                 # Ctrl-C / SIGTERM: every live kernel now
    kernels.close()                                    # the end of the build: zygote, zmq context

Everything goes through jupyter_client's public API: a kernel provisioner (`ReportProvisioner`, a
`LocalProvisioner` registered under the entry point group `jupyter_client.kernel_provisioners`)
launches each kernel with its output in the report's log, registers the process so Ctrl-C can kill
it, and waits the few milliseconds a killed kernel takes to die instead of jupyter_client's 0.1 s
polls; the kernel spec and the client class are traits of the manager; the clients share one zmq
context that retries a connection every 5 ms. The one piece of tuning without a public hook, a
shorter IOPub wait in `wait_for_ready`, is `QuickReadyClient`, and tests/test_report_kernel.py
fails when the upstream method it mirrors changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Instance, Unicode, default

from analysis.report.kernel_process import FOR_BUILD, READY

PROVISIONER_NAME = "casualty-claims-report"  # the entry point in pyproject.toml
KERNEL_MODULE = "analysis.report.kernel_process"
RECONNECT_MS = 5  # zmq's default is 100 ms: a client connecting before the kernel bound its ports
IOPUB_READY_WAIT = 0.02  # jupyter_client waits 0.2 s for the first IOPub message (QuickReadyClient)
KILLED_POLL_SECONDS = 0.005  # a SIGKILLed kernel is gone in milliseconds
KILLED_WAIT_SECONDS = 2.0


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
                with contextlib.suppress(OSError):  # already gone: nothing left to kill
                    proc.kill()


class ReportProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the report's log, the registry and a quick kill.

    Configured per report through the kernel spec's `kernel_provisioner.config` (log_path,
    registry), the documented way to configure a provisioner."""

    log_path = Unicode(help="The report's kernel log: the kernel's stdout and stderr")
    registry = Instance(KernelRegistry, allow_none=True)
    _log: Any = None
    _registered: Any = None  # the process as launched: wait() clears self.process before cleanup()

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        Path(self.log_path).parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in cleanup()
        kwargs.update(stdout=self._log, stderr=self._log, stdin=subprocess.DEVNULL)
        info = await super().launch_kernel(cmd, **kwargs)
        if self.registry is not None:
            self._registered = self.process
            self.registry.add(self.process)
        return info

    async def kill(self, restart: bool = False) -> None:
        """Kill, then wait (in 5 ms steps) until the kernel is gone: the manager then finds it dead
        at its first poll instead of sleeping 0.1 s, which the next report would wait for."""
        await super().kill(restart=restart)
        deadline = time.monotonic() + KILLED_WAIT_SECONDS
        while await self.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(KILLED_POLL_SECONDS)

    async def cleanup(self, restart: bool = False) -> None:
        if self.registry is not None and self._registered is not None:
            self.registry.discard(self._registered)
        await super().cleanup(restart=restart)
        if self._log is not None and not self._log.closed:
            self._log.close()


class QuickReadyClient(AsyncKernelClient):
    """jupyter_client's wait_for_ready with a 0.02 s IOPub wait instead of 0.2 s.

    The loop mirrors `KernelClient._async_wait_for_ready` (jupyter_client 8.x; the manager-created
    case): send kernel_info until its reply arrives, then wait for one IOPub message to know IOPub
    is subscribed. The kernel's first status message is usually published before the subscription
    arrives, so the 0.2 s wait is usually lost: ~0.2 s per report. No public hook sets that wait;
    tests/test_report_kernel.py pins the upstream source this copies."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=IOPUB_READY_WAIT)
                except Empty:
                    pass  # IOPub not subscribed yet: ask again
                else:
                    self._handle_kernel_info_reply(msg)
                    return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class OneSpecManager(KernelSpecManager):
    """Serves the one kernel spec of a report, whatever name papermill asks for."""

    spec = Instance(KernelSpec)

    def get_kernel_spec(self, kernel_name: str, *args: Any, **kwargs: Any) -> KernelSpec:
        return self.spec


class ReportKernelManager(AsyncKernelManager):
    """A report's kernel manager: its spec (bound per report by ReportKernels.manager_class, since
    nbclient instantiates the class itself), TCP transport, the quick client and a shared context."""

    report_spec: KernelSpec | None = None
    report_context: zmq.asyncio.Context | None = None  # the clients share it (ReportKernels)

    @default("kernel_spec_manager")
    def _one_spec_manager(self) -> KernelSpecManager:
        return OneSpecManager(spec=self.report_spec)

    @default("client_factory")
    def _quick_client(self) -> type:
        return QuickReadyClient

    @default("transport")
    def _tcp(self) -> str:
        return "tcp"  # ipc would need absolute socket paths shared by kernel and client cwd

    def client(self, **kwargs: Any) -> AsyncKernelClient:
        if self.report_context is not None:
            kwargs.setdefault("context", self.report_context)
        return super().client(**kwargs)


class Zygote:
    """The warm kernel parent (kernel_process.py --zygote), alive for one build."""

    def __init__(self, env: dict[str, str], log_path: Path, cwd: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="claims-kernels-"))  # short: AF_UNIX path limit
        self.socket = str(self.dir / "zygote.sock")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", KERNEL_MODULE, "--zygote", self.socket],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            cwd=str(cwd),
        )
        self._ready: bool | None = None
        self._lock = threading.Lock()

    def ready(self, timeout: float = 60.0) -> bool:
        with self._lock:
            if self._ready is None:
                import select

                readable, _, _ = select.select([self.proc.stdout], [], [], timeout)
                self._ready = bool(readable) and self.proc.stdout.readline().strip() == READY
            return self._ready

    def argv(self) -> list[str]:
        return [sys.executable, "-m", KERNEL_MODULE, "--via", self.socket]

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


class ReportKernels:
    """The kernels of one build: the zygote (warm kernels), the live processes, the zmq context.

    `for_build`: the kernels publish charts as the build needs them (rendered, with the report's
    HTML): their command carries kernel_process.FOR_BUILD, so only they are switched, by name."""

    def __init__(self, env: dict[str, str], log_dir: Path, *, warm: bool, cwd: Path, for_build: bool):
        self.env = env
        self.log_dir = log_dir
        self.mode = [FOR_BUILD] if for_build else []
        self.registry = KernelRegistry()
        self.context = zmq.asyncio.Context()
        self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        warm = warm and sys.platform.startswith("linux")
        self.zygote = Zygote(env, log_dir / "zygote.log", cwd) if warm else None

    def argv(self) -> tuple[list[str], str]:
        """The kernel command and how it starts: "warm" (forked by the zygote) or "fresh"."""
        if self.zygote is not None and self.zygote.ready():
            return [*self.zygote.argv(), *self.mode], "warm"
        return [sys.executable, "-m", KERNEL_MODULE, *self.mode], "fresh"

    def manager_class(self, argv: list[str], log_path: Path) -> type[ReportKernelManager]:
        """papermill's kernel_manager_class for one report: its kernel command, env and log."""
        provisioner = {
            "provisioner_name": PROVISIONER_NAME,
            "config": {"log_path": str(log_path), "registry": self.registry},
        }
        spec = KernelSpec(
            argv=[*argv, "-f", "{connection_file}"],
            display_name="casualty-claims report kernel",
            language="python",
            env=self.env,
            metadata={"kernel_provisioner": provisioner},
        )
        return type(
            "ReportKernelManager", (ReportKernelManager,), {"report_spec": spec, "report_context": self.context}
        )

    def kill_all(self) -> None:
        """Ctrl-C or SIGTERM: kill every live kernel and the zygote now."""
        self.registry.kill_all()
        self.stop_zygote()

    def stop_zygote(self) -> None:
        if self.zygote is not None:
            self.zygote.stop()
            self.zygote = None

    def close(self) -> None:
        self.stop_zygote()
        self.context.destroy(linger=0)
