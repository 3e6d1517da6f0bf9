"""Atomic writes and the build lock: no half-written report, no two builds at once.

- atomic_write: write a temporary file in the target's folder, fsync, then rename over the
  target (rename is atomic on POSIX): a reader sees the old file or the new one, never a part.
- replace_dir: swap a fully written folder into place (old folder renamed aside, then removed).
- write_made_from: skip making a file whose inputs have not changed since it was written.
- BuildLock: fcntl.flock on <out>/.build.lock. A second build waits (saying so) or, with
  --no-wait, refuses. flock is released by the kernel when the process dies, even on kill -9.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from analysis.report.fingerprint import sha256_bytes, sha256_file


def unwritable(exc: OSError) -> bool:
    """The output folder cannot take files: read-only, full, over quota or not ours."""
    return exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM)


def atomic_write(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write unless the file already holds exactly these bytes; True if written."""
    path = Path(path)
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write(path, data)
    return True


def write_made_from(path: Path, inputs: str, make: Callable[[], bytes], record: Path) -> bool:
    """Write make()'s bytes to `path` (write_if_changed) unless `record` says that the same inputs
    (a digest) made the file that is there now: a build with nothing new then neither imports nor
    runs what makes it (jinja2, feedgen). True when make() ran."""
    try:
        if path.is_file() and record.read_text() == f"{inputs} {sha256_file(path)}":
            return False
    except OSError:
        pass
    data = make()
    write_if_changed(path, data)
    atomic_write(record, f"{inputs} {sha256_bytes(data)}".encode())
    return True


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    """Write {relative path: bytes} under a new folder root (not yet visible to readers)."""
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def replace_dir(staged: Path, target: Path, trash: Path) -> None:
    """Move a fully written folder to target; the previous target is removed afterwards."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = trash / f"{target.name}.{os.getpid()}.{time.monotonic_ns()}"
        trash.mkdir(parents=True, exist_ok=True)
        os.rename(target, old)
    os.rename(staged, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class BuildLocked(RuntimeError):
    """Another build holds the lock and we were asked not to wait."""


class BuildLock:
    """An exclusive lock on the output folder for the duration of a build."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None

    def acquire(self, wait: bool, on_wait: Callable[[str], None] | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
            holder = self._holder(fd)
            if not wait:
                os.close(fd)
                raise BuildLocked(
                    f"another build ({holder}) is running on {self.path.parent}; not waiting (--no-wait)"
                ) from None
            if on_wait:
                on_wait(f"waiting for another build ({holder}) to finish ...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}\n".encode())
        self.fd = fd

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            return os.pread(fd, 100, 0).decode(errors="replace").strip() or "unknown pid"
        except OSError:
            return "unknown pid"

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
                os.close(self.fd)
                self.fd = None

    def __enter__(self) -> BuildLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
