"""What runs in the report build's kernel processes: each notebook in a new ipykernel process.

The driver's side (starting, connecting, stopping) is kernel.py.

Three entry points (`python -m analysis.report.kernel_process ...`):

    [--for-build] -f CONNECTION_FILE     an ordinary ipykernel (`ipykernel_launcher`), with one
                                         difference: `rfc3987_syntax` is made unimportable;
                                         --for-build: charts published for the build
                                         (`analysis.publish.render_for_build`), as the build's
                                         kernels are
    --zygote SOCKET                      a warm parent: imports ipykernel, IPython, altair and
                                         vegafusion once, then forks one child per kernel request
    --via SOCKET [--for-build] -f ...    what jupyter_client starts: asks the zygote for a kernel,
                                         relays signals to it and exits when it exits; falls back
                                         to an ordinary kernel (exec) when the zygote is missing or
                                         refuses

Why `rfc3987_syntax` is blocked: jsonschema (imported by altair, nbformat, papermill, nbconvert)
imports it to offer the `iri` / `iri-reference` format checkers, and it builds lark grammars at
import: 1-2.4 s of CPU in every process (python-jsonschema/jsonschema#1392). Neither altair's
Vega-Lite schema (formats: uri, uri-reference, color-hex) nor nbformat's schema uses those formats,
so no validation result changes; jsonschema just does not register the two checkers.

Why a zygote: start-up dominates a small notebook (ipykernel + altair imports ~1.5 s of CPU).
Each notebook still runs top to bottom in a new process, forked from a parent that has only
*imported* modules (no code of any notebook has run in it). Fork safety: the zygote forks only
while it is single-threaded (checked in /proc before every fork), and it never imports polars
(polars starts threads at import and is documented as not fork-safe); a notebook's own
`import polars` happens in the child, as in any kernel. If the check fails, the request is refused
and the launcher execs an ordinary kernel instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys

BLOCKED_MODULES = ("rfc3987_syntax",)
# Imported once by the zygote. Nothing here may start a thread at import (checked before forks).
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython",
    "altair",
    "altair.utils.html",
    "vegafusion",
    "jupyter_client.session",
    "zmq",
    "tornado.ioloop",
    "comm",
    "analysis.publish",
)
FOR_BUILD = "--for-build"  # the kernel publishes charts for the build (analysis.publish.render_for_build)
REFUSE_NOT_LINUX = "zygote needs Linux (fork, /proc)"
READY = b"ready"  # the zygote's one line on stdout once it can fork kernels (kernel.Zygote reads it)
ORPHAN_POLL_SECONDS = 0.5  # how often the zygote and a kernel's launcher check that the build is alive


def block_slow_imports() -> None:
    """Make the slow, unused modules unimportable (ImportError) unless already imported."""
    for name in BLOCKED_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def run_kernel(argv: list[str]) -> None:
    """Run an ipykernel in this process with `argv` (e.g. ['-f', connection_file]), after
    `analysis.publish.render_for_build()` when argv starts with FOR_BUILD (the build's kernels)."""
    block_slow_imports()
    if argv[:1] == [FOR_BUILD]:
        from analysis.publish import render_for_build

        render_for_build()
        argv = argv[1:]
    from ipykernel import kernelapp

    sys.argv = [sys.argv[0], *argv]
    kernelapp.launch_new_instance(argv=argv)


def thread_count() -> int:
    """Native threads of this process (Python's threading module does not see Rust/C threads)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


# --------------------------------------------------------------------------------------- zygote


def serve_zygote(socket_path: str) -> None:
    """Preload, then fork a kernel per request on `socket_path` until stdin closes.

    stdin is a pipe from the build: when the build exits (even killed), stdin reaches EOF and the
    zygote kills the kernels it forked and exits.
    """
    block_slow_imports()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build handles Ctrl-C and stops us
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    sys.stdout.write(READY.decode("ascii") + "\n")
    sys.stdout.flush()
    parent = os.getppid()
    children: set[int] = set()
    try:
        while True:
            readable, _, _ = select.select([listener, sys.stdin], [], [], ORPHAN_POLL_SECONDS)
            _reap(children)
            if sys.stdin in readable and not os.read(sys.stdin.fileno(), 4096):
                return  # the build is gone
            if os.getppid() != parent:
                return  # the build is gone, though something else still holds our stdin open
            if listener in readable:
                conn, _ = listener.accept()
                pid = _fork_kernel(conn, listener)
                if pid:
                    children.add(pid)
    finally:
        for pid in children:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        _reap(children)
        listener.close()
        with contextlib.suppress(OSError):
            os.unlink(socket_path)


def _reap(children: set[int]) -> None:
    for pid in list(children):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)


def _fork_kernel(conn: socket.socket, listener: socket.socket) -> int | None:
    """Read one request (JSON line + stdio fds), fork a kernel; return the child's pid."""
    try:
        conn.settimeout(10)
        msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        request = json.loads(msg.decode("utf-8"))
        threads = thread_count()
        if threads != 1 or len(fds) != 3:
            _send(conn, {"error": f"not forking: {threads} threads, {len(fds)} fds"})
            return None
    except (OSError, ValueError) as exc:
        with contextlib.suppress(OSError):
            _send(conn, {"error": f"bad request: {exc}"})
        conn.close()
        return None
    pid = os.fork()
    if pid:  # zygote
        for fd in fds:
            os.close(fd)
        conn.close()
        return pid
    # child: become the kernel
    try:
        listener.close()
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        signal.signal(signal.SIGINT, signal.default_int_handler)
        conn.settimeout(None)
        _send(conn, {"pid": os.getpid()})
        _watch_launcher(conn)
        run_kernel(request["argv"])
    except BaseException:  # noqa: BLE001 - a forked child must never return into the zygote loop
        import traceback

        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _watch_launcher(conn: socket.socket) -> None:
    """Exit when the launcher (the process jupyter_client manages) is gone, e.g. killed."""
    import threading

    def watch() -> None:
        try:
            while conn.recv(64):
                pass
        except OSError:
            pass
        os._exit(1)

    threading.Thread(target=watch, name="launcher-watch", daemon=True).start()


def _send(conn: socket.socket, message: dict) -> None:
    conn.sendall(json.dumps(message).encode("utf-8") + b"\n")


# ------------------------------------------------------------------------------------- launcher


def launch_via(socket_path: str, argv: list[str]) -> None:
    """Ask the zygote for a kernel; relay SIGINT/SIGTERM; exit when it exits. Else exec a kernel."""
    pid = _request_kernel(socket_path, argv)
    if pid is None:
        os.execv(sys.executable, [sys.executable, "-m", "analysis.report.kernel_process", *argv])
    conn, child = pid

    def relay(signum, _frame):
        with contextlib.suppress(OSError):
            os.kill(child, signum)
        if signum == signal.SIGTERM:
            os._exit(0)

    signal.signal(signal.SIGINT, relay)
    signal.signal(signal.SIGTERM, relay)
    parent = os.getppid()
    try:
        while True:
            readable, _, _ = select.select([conn], [], [], ORPHAN_POLL_SECONDS)
            if readable and not conn.recv(64):
                break  # the kernel exited
            if os.getppid() != parent:
                # The build that manages us is gone (killed with SIGKILL: no signal reached us), so
                # nobody will ever stop this kernel: stop it, and its process group, ourselves.
                with contextlib.suppress(OSError):
                    os.killpg(child, signal.SIGKILL)
                break
    except OSError:
        pass
    os._exit(0)


def _request_kernel(socket_path: str, argv: list[str]) -> tuple[socket.socket, int] | None:
    if not sys.platform.startswith("linux"):
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(socket_path)
        request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
        socket.send_fds(conn, [json.dumps(request).encode("utf-8")], [0, 1, 2])
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                return None
            reply += chunk
        answer = json.loads(reply)
    except (OSError, ValueError):
        conn.close()
        return None
    if "pid" not in answer:
        sys.stderr.write(f"kernel zygote: {answer.get('error')}; starting an ordinary kernel\n")
        conn.close()
        return None
    return conn, int(answer["pid"])


def main(args: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if args is None else args)
    if args[:1] == ["--zygote"]:
        serve_zygote(args[1])
    elif args[:1] == ["--via"]:
        launch_via(args[1], args[2:])
    else:
        run_kernel(args)


if __name__ == "__main__":
    main()
