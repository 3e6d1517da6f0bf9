"""analysis/report/kernel.py: the build's kernels on jupyter_client's public provisioner API."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import os
import sys

import jupyter_client
import pytest
import zmq
from jupyter_client.client import KernelClient
from jupyter_client.provisioning import KernelProvisionerFactory

from analysis.report.kernel import PROVISIONER_NAME, RECONNECT_MS, QuickReadyClient, ReportKernels, ReportProvisioner
from tests.fixture_data import REPO

# QuickReadyClient.wait_for_ready copies this method's loop with a shorter IOPub wait. When an
# upgrade changes it, read the new upstream code, bring the copy in line, then update the pin.
MIRRORED = "jupyter_client.client.KernelClient._async_wait_for_ready"
MIRRORED_SHA256 = "0d732ad86fea311502a6bfc53d8b1be6055f3813ec4f13ef717f8adbbd37ec56"
MIRRORED_VERSION = "8.10.0"


def test_the_upstream_code_quick_ready_client_mirrors_is_unchanged():
    source = inspect.getsource(KernelClient._async_wait_for_ready)
    assert hashlib.sha256(source.encode("utf-8")).hexdigest() == MIRRORED_SHA256, (
        f"{MIRRORED} changed (jupyter_client {jupyter_client.__version__}; the copy in "
        f"QuickReadyClient.wait_for_ready was written for {MIRRORED_VERSION}): re-check the copy"
    )


def test_the_provisioner_is_registered_where_jupyter_client_looks():
    factory = KernelProvisionerFactory.instance()
    assert PROVISIONER_NAME in factory.get_provisioner_entries()
    assert factory.provisioners[PROVISIONER_NAME].load() is ReportProvisioner


@pytest.fixture
def kernels(tmp_path):
    env = dict(os.environ, PYTHONHASHSEED="0")
    kernels = ReportKernels(env, tmp_path / "logs", warm=False, cwd=REPO, for_build=True)
    yield kernels
    kernels.close()


async def _run(kernels: ReportKernels, log_path, code: str, *, kill_all: bool = False):
    argv, how = kernels.argv()
    manager = kernels.manager_class(argv, log_path)(kernel_name="python3")
    await manager.start_kernel()
    assert isinstance(manager.provisioner, ReportProvisioner)
    process = manager.provisioner.process
    assert kernels.registry.processes == {process}
    client = manager.client()
    assert isinstance(client, QuickReadyClient) and client.context is kernels.context
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        reply = await client.execute_interactive(code, timeout=60)
        assert reply["content"]["status"] == "ok"
        if kill_all:
            kernels.kill_all()
            process.wait(timeout=10)
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
    return how, process


# In a kernel of the build, charts are published for the build (rendered, with the report's HTML);
# a process the kernel starts is not switched: nothing is inherited (issue #16: no hidden state).
BUILD_MODE = (
    "import subprocess, sys, analysis.publish as p\n"
    "assert p.renders_for_build() is True\n"
    "child = 'import analysis.publish as p; print(p.renders_for_build())'\n"
    "assert subprocess.run([sys.executable, '-c', child], capture_output=True, text=True).stdout == 'False\\n'\n"
)


def test_a_kernel_logs_to_its_report_log_and_is_gone_after_shutdown(kernels, tmp_path):
    log_path = tmp_path / "logs" / "report.log"
    # ipykernel sends sys.stderr to IOPub; what reaches file descriptor 2 (C libraries, crashes) is logged
    code = BUILD_MODE + "import os; os.write(2, b'fd 2 of the kernel\\n')"
    how, process = asyncio.run(_run(kernels, log_path, code))
    assert how == "fresh"
    assert process.poll() is not None, "the kernel outlived shutdown_kernel(now=True)"
    assert kernels.registry.processes == set()
    assert kernels.context.getsockopt(zmq.RECONNECT_IVL) == RECONNECT_MS
    assert "fd 2 of the kernel" in log_path.read_text(encoding="utf-8")


def test_kernels_not_for_the_build_publish_charts_as_anywhere_else(tmp_path):
    kernels = ReportKernels(dict(os.environ), tmp_path / "logs", warm=False, cwd=REPO, for_build=False)
    try:
        code = "import analysis.publish as p; assert p.renders_for_build() is False"
        how, process = asyncio.run(_run(kernels, tmp_path / "logs" / "n.log", code))
    finally:
        kernels.close()
    assert how == "fresh" and kernels.argv()[0][-1] == "analysis.report.kernel_process"


def test_kill_all_stops_a_running_kernel(kernels, tmp_path):
    how, process = asyncio.run(_run(kernels, tmp_path / "logs" / "k.log", "x = 1", kill_all=True))
    assert process.returncode is not None
    assert kernels.registry.processes == set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the zygote forks: Linux only")
def test_warm_kernels_come_from_the_zygote(tmp_path):
    kernels = ReportKernels(dict(os.environ), tmp_path / "logs", warm=True, cwd=REPO, for_build=True)
    try:
        log_path = tmp_path / "logs" / "w.log"
        code = BUILD_MODE + "import os; os.write(2, b'warm fd 2\\n')"
        how, process = asyncio.run(_run(kernels, log_path, code))
        assert how == "warm"
        assert "warm fd 2" in log_path.read_text(encoding="utf-8")
        assert process.poll() is not None
    finally:
        zygote = kernels.zygote.proc
        kernels.close()
    assert zygote.poll() is not None, "the zygote outlived close()"


# --- the one module the kernels block (kernel_process.BLOCKED_MODULES) -------------------------

FORMAT_CHECKERS = """
import json, sys
if sys.argv[1] == "blocked":
    from analysis.report.kernel_process import block_slow_imports
    block_slow_imports()
import altair, jsonschema, nbformat  # each imports jsonschema's format checkers
print(json.dumps(sorted(jsonschema.FormatChecker().checkers)))
"""


def _formats_used(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["format"]} if isinstance(node.get("format"), str) else set()
        return found.union(*map(_formats_used, node.values()))
    if isinstance(node, list):
        return set().union(*map(_formats_used, node))
    return set()


def test_blocking_rfc3987_syntax_drops_only_formats_no_schema_of_the_build_uses():
    """Written for jsonschema 4.26: blocked, jsonschema registers no `iri`/`iri-reference` checker
    (and saves 1-2.4 s of CPU per kernel). Fails when an upgrade makes the block drop another format,
    drop nothing (then remove it), or when a schema the build validates against (altair's Vega-Lite,
    nbformat's) starts using a dropped format."""
    import importlib.resources
    import json
    import subprocess

    def checkers(mode: str) -> set[str]:
        result = subprocess.run(
            [sys.executable, "-c", FORMAT_CHECKERS, mode], capture_output=True, text=True, cwd=REPO, check=True
        )
        return set(json.loads(result.stdout))

    dropped = checkers("open") - checkers("blocked")
    assert dropped == {"iri", "iri-reference"}
    schemas = [importlib.resources.files("altair.vegalite.v6.schema") / "vega-lite-schema.json"]
    schemas += [p for p in importlib.resources.files("nbformat.v4").iterdir() if p.name.endswith(".schema.json")]
    used = set().union(*(_formats_used(json.loads(p.read_text(encoding="utf-8"))) for p in schemas))
    assert used, "no formats found: the schemas moved"
    assert not dropped & used, dropped & used
