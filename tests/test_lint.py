"""ruff (lint and format, configured in pyproject.toml), nbstripout and the pre-commit hooks that run them.

The repository itself must be clean under both ruff commands: the first two tests fail, listing
what to fix, until `ruff check --fix` / `ruff format` have been applied (issue #15).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCK = (ROOT / "requirements.lock").read_text(encoding="utf-8")


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is not installed beside {sys.executable}: it is in requirements.lock"
    return str(path)


def ruff(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([tool("ruff"), *args, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ruff_check_finds_nothing():
    run = ruff("check", "--statistics", ".")
    assert run.returncode == 0, f"`ruff check` (pyproject.toml's rules):\n{run.stdout}{run.stderr}"


def test_ruff_format_would_change_nothing():
    run = ruff("format", "--check", "--output-format", "concise", ".")
    changed = [line.split(":")[0] for line in run.stdout.splitlines() if "File would be reformatted" in line]
    assert run.returncode == 0, f"`ruff format` would change {len(changed)} files:\n" + "\n".join(changed)


def test_ruff_uses_the_projects_rules_and_width(tmp_path):
    """The control of the two above: pyproject.toml's configuration, on a file that breaks it."""
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    fits, too_long = 'FITS = "' + "1" * 111 + '"', 'LONG = "' + "1" * 112 + '"'  # 120 and 121 columns
    (tmp_path / "bad.py").write_text(
        "import os\nimport sys\n\n\ndef f(x):\n    try:\n        return x\n    except Exception:\n        return 'y'\n"
        f"\n\n{fits}\n{too_long}\n"
    )
    run = ruff("check", "--output-format", "concise", ".", cwd=tmp_path)
    found = sorted(line.split()[1] for line in run.stdout.splitlines() if line.startswith("bad.py:"))
    assert found == ["BLE001", "E501", "F401", "F401"], run.stdout  # blind except, line 13 only, 2 unused
    assert "bad.py:13:" in run.stdout
    run = ruff("format", "--check", ".", cwd=tmp_path)
    assert run.returncode == 1 and "bad.py" in run.stdout  # 'y' -> "y"


# --- pre-commit --------------------------------------------------------------------------------


def hooks() -> list[dict]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_the_hooks_are_local_and_run_the_locked_tools():
    """No hook is fetched from GitHub (unreachable on our machines); each runs a tool the lock pins."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert {hook["id"] for hook in hooks()} == {"ruff-check", "ruff-format", "nbstripout"}
    for hook in hooks():
        executable = hook["entry"].split()[0]
        assert executable.startswith(".venv/bin/"), hook
        assert f"\n{Path(executable).name}==" in "\n" + LOCK, f"{executable} is not pinned in requirements.lock"
    run = subprocess.run(
        [tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def notebook_with_output() -> dict:
    return {
        "cells": [{"cell_type": "code", "id": "cell-00", "execution_count": 3, "metadata": {"tags": ["parameters"]},
                   "outputs": [{"name": "stdout", "output_type": "stream", "text": ["42\n"]}],
                   "source": ["print(42)\n"]}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip


def test_the_hooks_fix_a_commit(tmp_path):
    """pre-commit in a scratch repository with this project's hooks and environment: a badly
    formatted file, an unused import and a notebook with outputs fail the hooks, which format the
    file and strip the notebook (keeping its cell ids and tags); a clean tree then passes but for
    the unused import, which ruff leaves to a person."""
    git = shutil.which("git")
    assert git is not None, "git is needed for pre-commit"
    for name in ("pyproject.toml", ".pre-commit-config.yaml"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "bin").symlink_to(BIN)
    (tmp_path / "bad.py").write_text("x = {'a':1}\n")
    (tmp_path / "unused.py").write_text("import os\n")
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook_with_output(), indent=1))
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run([git, "init", "-q"], cwd=tmp_path, check=True, env=env)
    subprocess.run([git, "add", "."], cwd=tmp_path, check=True, env=env)

    def pre_commit() -> subprocess.CompletedProcess:
        return subprocess.run(
            [tool("pre-commit"), "run", "--all-files"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    first = pre_commit()
    assert first.returncode == 1, first.stdout + first.stderr
    assert "F401" in first.stdout
    assert (tmp_path / "bad.py").read_text() == 'x = {"a": 1}\n'
    (cell,) = json.loads((tmp_path / "nb.ipynb").read_text())["cells"]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    assert cell["id"] == "cell-00" and cell["metadata"] == {"tags": ["parameters"]}
    (tmp_path / "unused.py").write_text("import os\n\nprint(os.sep)\n")
    second = pre_commit()
    assert second.returncode == 0, second.stdout + second.stderr


def test_the_committed_notebooks_are_stripped():
    """What the nbstripout hook would leave unchanged (outputs, counts, editor metadata)."""
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "tests" / "fixtures").rglob("*.ipynb"))
    assert len(notebooks) >= 2
    run = subprocess.run(
        [tool("nbstripout"), "--keep-id", "--verify", *map(str, notebooks)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
