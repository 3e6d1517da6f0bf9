"""Run one report's notebook through papermill: its kernel, its deadline, its progress by cell,
and what went wrong (the cell, the error, the traceback) as data instead of an exception.

    register_engine()                       # once per build: our papermill engine
    with LogsToFile(path):                  # papermill, nbclient, jupyter_client log to the file
        run = run_notebook(path, parameters, manager_class=..., timeout=..., on_cell=...)
    run.nb, run.error, run.cells
"""

from __future__ import annotations

import gc
import logging
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.report.catalog import read_notebook

ENGINE_NAME = "casualty-claims"
START_TIMEOUT = 120  # seconds for a kernel to start (a loaded CI machine can be slow)


@dataclass
class NotebookRun:
    nb: Any  # the executed notebook (nbformat), as far as it ran
    error: dict | None  # {"cell", "error", "traceback"} when a cell failed, timed out or the kernel died
    cells: int  # code cells to run, papermill's parameters cell included


def register_engine() -> None:
    """Our papermill engine (papermill's public engine registry): nbclient's, plus a handle on the
    executed notebook, which papermill does not return when a cell fails or times out."""
    from papermill.engines import NBClientEngine, papermill_engines

    class ClaimsEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            holder = kwargs.pop("claims_holder", None)
            if holder is not None:
                holder.append(nb_man)
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(ENGINE_NAME, ClaimsEngine)


def code_cells(notebook: Path, parameters: dict) -> int:
    """The cells papermill will run: the non-empty code cells, and its parameters cell if any."""
    source = read_notebook(notebook)
    cells = sum(
        1 for c in source.get("cells", []) if c.get("cell_type") == "code" and "".join(c.get("source", "")).strip()
    )
    return cells + (1 if parameters else 0)


def run_notebook(
    notebook: Path,
    parameters: dict,
    *,
    manager_class: type,
    timeout: float,
    on_cell: Callable[[int], None] = lambda done: None,
) -> NotebookRun:
    """Execute `notebook` with `parameters` in a kernel of `manager_class` within `timeout` seconds
    in all; `on_cell(done)` after each cell. Raises only when papermill never started the notebook."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    cells = code_cells(notebook, parameters)
    holder: list = []
    current: dict = {}
    done = [0]
    deadline = time.monotonic() + timeout

    def on_cell_start(cell, cell_index, **_):
        current.update(source=cell.get("source", ""), count=done[0] + 1)

    def on_cell_complete(cell, cell_index, **_):
        done[0] += 1
        on_cell(done[0])

    def timeout_for(cell):
        return max(1, int(deadline - time.monotonic() + 0.999))

    error = None
    try:
        papermill.execute_notebook(
            str(notebook),
            None,
            parameters=parameters,
            engine_name=ENGINE_NAME,
            request_save_on_cell_execute=False,
            progress_bar=False,
            log_output=False,
            start_timeout=START_TIMEOUT,
            kernel_manager_class=manager_class,
            record_timing=False,
            timeout_func=timeout_for,
            on_cell_start=on_cell_start,
            on_cell_complete=on_cell_complete,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": str(notebook.parent)}},
            claims_holder=holder,
        )
    except PapermillExecutionError as exc:
        error = {
            "cell": cell_label(exc.exec_count, exc.source),
            "error": f"{exc.ename}: {exc.evalue}",
            "traceback": strip_ansi("\n".join(exc.traceback)),
        }
    except Exception as exc:  # noqa: BLE001 - timeouts, dead kernels, start failures
        name = type(exc).__name__
        if name == "CellTimeoutError" or isinstance(exc, TimeoutError):
            message = f"timed out: the report exceeded its {timeout:g} s limit"
        elif name == "DeadKernelError":
            message = f"the kernel died: {exc}"
        else:
            message = f"{name}: {exc}"
        cell = cell_label(current.get("count"), current.get("source", "")) if current else None
        error = {"cell": cell, "error": message, "traceback": traceback.format_exc()}
    if not holder:
        raise RuntimeError(error["error"] if error else "papermill did not start the notebook")
    return NotebookRun(holder[0].nb, error, cells)


def cell_label(count, source) -> str:
    """`In [3] `first line of the cell``: how the summary names a failed cell."""
    source = "".join(source) if isinstance(source, list) else (source or "")
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > 70:
        first = first[:67] + "..."
    return f"In [{count if count is not None else ' '}] `{first}`"


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


class LogsToFile:
    """papermill, nbclient, jupyter_client and asyncio log to <out>/.build/logs/build.log during a
    build, not to the terminal: the summary says what failed; the details are in the logs. Every
    logger is given back its handlers on close()."""

    NAMES = ("papermill", "traitlets", "nbclient", "jupyter_client", "asyncio")

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handler = logging.FileHandler(path, mode="w", encoding="utf-8")
        self.handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        self.saved = []
        for name in self.NAMES:
            logger = logging.getLogger(name)
            self.saved.append((logger, logger.propagate, list(logger.handlers)))
            logger.handlers = [self.handler]
            logger.propagate = False

    def close(self) -> None:
        # asyncio reports nbclient's abandoned polling tasks (after a timeout) when they are
        # garbage-collected: collect them now, so that lands in the file, not on the terminal.
        gc.collect()
        for logger, propagate, handlers in self.saved:
            logger.handlers, logger.propagate = handlers, propagate
        self.handler.close()

    def __enter__(self) -> LogsToFile:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
