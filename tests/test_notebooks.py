"""The report notebooks: thin, one parameters cell, no outputs committed, and they run top to
bottom — with their defaults and with papermill overrides — on a small fictional conflict."""

from __future__ import annotations

import ast
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.fixture_data import CONFLICT_ID, VALID_DATA

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
ARTIFACT = "application/vnd.casualty-claims.artifact+json"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_with_exactly_one_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "clear outputs before committing"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_thin(path):
    nb = nbformat.read(path, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    for node in ast.parse(params.source).body:  # the parameters cell holds literals only
        assert isinstance(node, ast.Assign) and isinstance(node.value, (ast.Constant, ast.List)), ast.dump(node)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        assert not any(isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda)) for n in ast.walk(tree)), cell.source
        assert "/" not in "".join(
            n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ), "no paths in notebooks"
        if cell is not params:
            assert len(cell.source.splitlines()) <= 6, "long cells belong in analysis/"
    index = nb.cells.index(params)
    assert "_page(" in nb.cells[index + 1].source, "the cell after the parameters validates them"


def run_papermill(notebook: Path, out: Path, *params: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLAIMS_DATA_DIR": str(VALID_DATA)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(notebook),
            str(out),
            "--cwd",
            str(notebook.parent),
            "-k",
            "python3",
            *params,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def outputs(path: Path) -> tuple[str, dict[str, dict]]:
    nb = nbformat.read(path, as_version=4)
    texts, artifacts = [], {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            texts.append(data.get("text/html", "") + data.get("text/plain", "") + out.get("text", ""))
            if ARTIFACT in data:
                artifacts[data[ARTIFACT]["name"]] = data[ARTIFACT]
    return html.unescape(re.sub(r"<[^>]+>", "", "\n".join(texts))), artifacts


@pytest.mark.slow
def test_compare_claims_runs_on_the_fixture_with_papermill_overrides(tmp_path):
    out = tmp_path / "compare.ipynb"
    result = run_papermill(
        REPO / "notebooks" / "compare_claims.ipynb",
        out,
        "-p",
        "conflict",
        CONFLICT_ID,
        "-p",
        "subject_side",
        "freedonia",
        "-p",
        "metric",
        "killed",
        "-y",
        "wounded_to_killed: [3.0, 4.0]",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text, artifacts = outputs(out)
    assert {"cumulative", "ladder", "staleness", "latest_claims", "claims"} <= set(artifacts)
    assert artifacts["cumulative"]["kind"] == "chart" and artifacts["cumulative"]["spec"]["marks"]
    assert "Freedonia" in text and "wounded:killed ratio between 3 and 4" in text
    latest = artifacts["latest_claims"]["csv"]
    assert "Freedonia (War Office)" in latest


@pytest.mark.slow
def test_conflict_overview_runs_with_its_defaults_on_the_fixture(tmp_path):
    out = tmp_path / "overview.ipynb"
    result = run_papermill(REPO / "notebooks" / "conflict_overview.ipynb", out, "-p", "conflict", CONFLICT_ID)
    assert result.returncode == 0, result.stderr[-3000:]
    text, artifacts = outputs(out)
    assert "staleness" in artifacts and any(name.startswith("ladder-") for name in artifacts)
    assert "Ledger Watch" in text


@pytest.mark.slow
def test_a_bad_parameter_fails_in_the_validation_cell_with_one_short_message(tmp_path):
    out = tmp_path / "bad.ipynb"
    result = run_papermill(
        REPO / "notebooks" / "compare_claims.ipynb",
        out,
        "-p",
        "conflict",
        CONFLICT_ID,
        "-p",
        "subject_side",
        "freedonia",
        "-p",
        "official",
        "nobody",
    )
    assert result.returncode != 0
    nb = json.loads(out.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert len(errors) == 1
    assert errors[0]["ename"] == "ParameterError"
    assert "official: unknown claimant 'nobody'; valid (freedonia-sylvania): fr_war_office" in errors[0]["evalue"]


@pytest.mark.slow
def test_default_notebook_runs_top_to_bottom_as_run_all_would(tmp_path):
    """`jupyter nbconvert --execute` with the defaults, on the real data."""
    out = tmp_path / "default.ipynb"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            str(REPO / "notebooks" / "compare_claims.ipynb"),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO / "notebooks",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text, _ = outputs(out)
    assert "Moscow (MoD)" in text and "1,351 “have died” (killed) and 3,825 “wounded”" in text
