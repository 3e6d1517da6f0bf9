"""The Makefile picks a Python >= 3.11, refuses an older one in one line, and runs `make lab` as root.

Run in a scratch copy of the Makefile with fake Pythons and a fake `id` on a PATH of their own, so
nothing here creates an environment or starts Jupyter.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def fake_python(bin_dir: Path, name: str, version: tuple[int, int, int]) -> None:
    """A `python` that is this test's interpreter reporting another version (sys.version_info and
    sys.version), enough for the Makefile's `-c` checks."""
    script = bin_dir / name
    major, minor, micro = version
    patch = (
        f"import sys; sys.version_info = ({major}, {minor}, {micro}, 'final', 0); "
        f"sys.version = '{major}.{minor}.{micro} (fake)'; exec(sys.argv[2])"
    )
    script.write_text(f'#!/bin/bash\nexec {sys.executable} -c "{patch}" "$@"\n')
    script.chmod(0o755)


def fake_id(bin_dir: Path, uid: int) -> None:
    script = bin_dir / "id"
    script.write_text(f"#!/bin/bash\necho {uid}\n")
    script.chmod(0o755)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The Makefile and the files its environment stamp depends on; bin/ is the only PATH."""
    shutil.copyfile(ROOT / "Makefile", tmp_path / "Makefile")
    for name in ("requirements.lock", "requirements-bootstrap.txt", "pyproject.toml"):
        (tmp_path / name).write_text("")
    (tmp_path / "bin").mkdir()
    return tmp_path


def make(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {"PATH": str(project / "bin"), "HOME": str(project), **env}
    return subprocess.run(
        [MAKE, "--no-print-directory", *args], cwd=project, env=environ, capture_output=True, text=True, timeout=60
    )


def chosen_python(project: Path, **env: str) -> str:
    run = make(project, "--eval", "print-python: ; @echo $(PYTHON)", "print-python", **env)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_make_uses_python3_when_it_is_new_enough(project):
    fake_python(project / "bin", "python3", (3, 12, 4))
    fake_python(project / "bin", "python3.13", (3, 13, 1))
    assert chosen_python(project) == "python3"


def test_make_finds_the_newest_python_when_python3_is_too_old(project):
    fake_python(project / "bin", "python3", (3, 10, 14))
    fake_python(project / "bin", "python3.11", (3, 11, 9))
    fake_python(project / "bin", "python3.12", (3, 12, 4))
    assert chosen_python(project) == "python3.12"
    # a name that answers with an old version is passed over, not trusted by its name
    fake_python(project / "bin", "python3.13", (3, 10, 1))
    assert chosen_python(project) == "python3.12"


def test_make_refuses_when_no_python_is_new_enough_in_one_line_naming_PYTHON(project):
    fake_python(project / "bin", "python3", (3, 10, 14))
    run = make(project, ".venv/.installed")
    assert run.returncode != 0
    assert run.stderr.strip().splitlines()[0].startswith("casualty-claims needs Python >= 3.11")
    assert "set PYTHON=" in run.stderr
    assert not (project / ".venv").exists()


def test_make_refuses_an_old_python_given_as_PYTHON(project):
    fake_python(project / "bin", "python3.10", (3, 10, 14))
    run = make(project, ".venv/.installed", "PYTHON=python3.10")
    assert run.returncode != 0
    (message,) = [line for line in run.stderr.splitlines() if "casualty-claims" in line]
    assert "3.10.14" in message and "set PYTHON=" in message
    assert not (project / ".venv").exists()


@pytest.mark.parametrize(("uid", "allow_root"), [(0, True), (1000, False)])
def test_make_lab_allows_root_only_as_root(project, uid, allow_root):
    fake_id(project / "bin", uid)
    stamp = project / ".venv" / ".installed"
    stamp.parent.mkdir()
    stamp.write_text("")
    later = max(os.stat(project / name).st_mtime for name in ("Makefile", "requirements.lock")) + 10
    os.utime(stamp, (later, later))  # the environment is up to date: make -n shows only lab's command
    run = make(project, "-n", "lab")
    assert run.returncode == 0, run.stderr
    (command,) = run.stdout.strip().splitlines()
    assert command.startswith(".venv/bin/jupyter lab") and command.endswith("notebooks/")
    assert ("--allow-root" in command) is allow_root
