"""What `claims build` prints: plain messages, and progress per report (rich bars on a terminal,
one line per report otherwise, nothing with --progress none). Click-free, so tests can call the
build directly and read what it said."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any


def display_path(path: Path) -> str:
    """A path as messages show it: relative to the working directory when inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


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
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            self.rich = RichProgress(
                TextColumn("{task.description:<40}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]:<24}"),
                TimeElapsedColumn(),
                console=Console(file=self.say.stream),
                transient=False,
            )
            self.rich.start()
            self.tasks["__all__"] = self.rich.add_task("[bold]all reports", total=self.total, status="")
            for slug in slugs:
                self.tasks[slug] = self.rich.add_task(slug, total=None, status="queued")

    def started(self, slug: str, cells: int, reason: str = "") -> None:
        if self.rich:
            self.rich.update(self.tasks[slug], total=cells, completed=0, status="running")
        elif self.mode == "plain":
            self.say(f"  start    {slug} ({cells} cells; {reason})")

    def cell(self, slug: str, done: int, total: int) -> None:
        if self.rich:
            self.rich.update(self.tasks[slug], completed=done, total=max(total, done), status=f"cell {done}/{total}")

    def phase(self, slug: str, status: str) -> None:
        if self.rich:
            self.rich.update(self.tasks[slug], status=status)

    def done(self, outcome: Any) -> None:
        """A report finished: `outcome` has .slug, .status and .seconds (runs.Outcome)."""
        with self.lock:
            self.finished += 1
            finished = self.finished
        seconds = outcome.seconds.get("total", 0.0)
        if self.rich:
            task = self.tasks[outcome.slug]
            total = next(t.total for t in self.rich.tasks if t.id == task) or 1
            self.rich.update(
                task,
                total=total,
                completed=total if outcome.status == "built" else None,
                status=f"{outcome.status} {seconds:.1f} s",
            )
            self.rich.update(self.tasks["__all__"], completed=finished)
        elif self.mode == "plain":
            self.say(f"  [{finished}/{self.total}] {outcome.status:<7} {outcome.slug} ({seconds:.1f} s)")

    def stop(self) -> None:
        if self.rich:
            self.rich.stop()
            self.rich = None
