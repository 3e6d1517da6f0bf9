"""List parameters from papermill's command line (issue #15): `-p NAME VALUE` hands a list over
as text, which the one parameter table (analysis.parameters) decodes strictly; the notebook gate
(analysis.params) and the catalog (analysis.report.catalog) apply that table, so they accept and
refuse the same values with the same words (issue #16); a failed cell ends in one line with
`claims run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.parameters import papermill_list
from analysis.params import ParameterError, check_compare_parameters
from tests.fixture_data import CONFLICT_ID, REPO, VALID_DATA
from tests.test_report_catalog import check, write_catalog

BASE = dict(conflict=CONFLICT_ID, subject_side="freedonia", population="military", metric="killed", data_dir=VALID_DATA)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[3, 13]", [3, 13]),
        (" [2.5,13.0] ", [2.5, 13.0]),
        ("3,13", [3, 13]),
        ("2.5, 13", [2.5, 13]),
    ],
)
def test_number_lists_as_papermill_passes_them(text, expected):
    assert papermill_list("wounded_to_killed", text, numbers=True) == expected
    p = check_compare_parameters(**BASE, wounded_to_killed=text)
    assert p.wounded_to_killed == (float(expected[0]), float(expected[1]))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sy_general_staff", ["sy_general_staff"]),
        ("sy_general_staff,sy_president", ["sy_general_staff", "sy_president"]),
        ('["sy_general_staff", "sy_president"]', ["sy_general_staff", "sy_president"]),
    ],
)
def test_claimant_lists_as_papermill_passes_them(text, expected):
    assert papermill_list("opposing", text) == expected
    assert check_compare_parameters(**BASE, opposing=text).opposing == tuple(expected)


@pytest.mark.parametrize("text", ["[3, 13", "3,,13", "[NaN, 3]", "Infinity,3", "3;13", "", "[3, 13]]"])
def test_undecodable_text_is_refused_with_the_yaml_form(text):
    with pytest.raises(ParameterError) as err:
        check_compare_parameters(**BASE, wounded_to_killed=text)
    message = str(err.value)
    assert "\n" not in message
    assert message == (
        f"wounded_to_killed: {text!r} is neither a JSON list nor a comma-separated list; "
        f"or pass the list as YAML: -y 'wounded_to_killed: [...]'"
    )


@pytest.mark.parametrize("text", ["[3]", "13,3", '["a", "b"]', "[0, 3]"])
def test_decoded_but_wrong_values_say_what_is_wrong_with_the_value_as_given(text):
    with pytest.raises(ParameterError, match=r"must be two (finite )?numbers") as err:
        check_compare_parameters(**BASE, wounded_to_killed=text)
    assert repr(text) in str(err.value)


AGREEMENT = [{"wounded_to_killed": v} for v in ("[3, 13]", "3,13", "[3, 13", "[3]", "13,3", "3;13", "Infinity,3")] + [
    {"opposing": v}
    for v in (
        "sy_general_staff",
        "sy_general_staff,sy_president",
        '["sy_president"]',
        "nobody",
        "sy_general_staff,,sy_president",
        '["sy_president"',
        "[]",
        "sy_general_staff,sy_general_staff",
    )
]
# where the two gates used to differ (issue #16): now one rule each
DIFFERED = [
    {"subject_side": None},  # the conflict's first side (the catalog refused null)
    {"subject_side": None, "official": ["sy_president"]},  # the role checked about the first side too
    {"official": []},  # a report without that role (the catalog refused an empty list)
    {"official": ["fr_war_office", "fr_war_office"]},  # a claimant twice (the notebook took it)
    {"wounded_to_killed": None},  # the default range (the catalog refused null)
    {"period_type": "incident"},  # without its date (the catalog left the notebook's default unchecked)
    {"population": "civilian", "independent": ["marsovia_intelligence"]},  # a role without such claims
    {"independent": "fr_war_office,,x"},  # undecodable text (the catalog read it as one string)
]


@pytest.mark.parametrize("override", AGREEMENT + DIFFERED, ids=lambda o: json.dumps(o))
def test_the_catalog_and_the_notebook_accept_and_refuse_the_same_values(tmp_path, override):
    try:
        check_compare_parameters(**{**BASE, **override})
        reason = None
    except ParameterError as exc:
        reason = exc.reason
    notebook = REPO / "notebooks" / "compare_claims.ipynb"
    entry = {k: v for k, v in BASE.items() if k != "data_dir"} | override
    path = write_catalog(
        tmp_path,
        f"""
        - slug: one
          title: One
          notebook: {notebook}
          parameters: {json.dumps(entry)}
        """,
    )
    problems, _ = check(path)
    if reason is None:
        assert problems == []
    else:
        assert len(problems) == 1 and f": {reason}" in problems[0], (problems, reason)


# ------------------------------------------------------------------------- papermill's CLI


def _run(command: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLAIMS_DATA_DIR": str(VALID_DATA)}
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)


ARGS = ["-k", "python3", "-p", "conflict", CONFLICT_ID, "-p", "metric", "nonsense"]
LINE = "ParameterError: metric: unknown metric 'nonsense'; valid (the vocabulary): killed, wounded"


@pytest.mark.slow
def test_the_kernel_sends_one_line_and_claims_run_prints_only_it(tmp_path):
    notebook = str(REPO / "notebooks" / "compare_claims.ipynb")
    plain = _run([sys.executable, "-m", "papermill", notebook, str(tmp_path / "a.ipynb"), *ARGS], tmp_path)
    assert plain.returncode == 1
    # papermill's own frames come first (its CLI catches only a dead kernel) ...
    assert "Traceback (most recent call last)" in plain.stderr
    # ... but what the kernel sent is the one line: the error output's traceback
    errors = [
        o
        for c in json.loads((tmp_path / "a.ipynb").read_text())["cells"]
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert len(errors) == 1 and len(errors[0]["traceback"]) == 1 and errors[0]["traceback"][0].startswith(LINE)

    short = _run(
        [
            sys.executable,
            "-m",
            "analysis",
            "run",
            notebook,
            str(tmp_path / "b.ipynb"),
            *ARGS,
            "--no-progress-bar",
            "--log-level",
            "ERROR",
        ],
        tmp_path,
    )
    assert short.returncode == 1
    assert "Traceback" not in short.stderr
    last = short.stderr.splitlines()[-1]
    assert last.startswith(f"error: {notebook} cell ") and f": {LINE}" in last
    assert [line for line in short.stderr.splitlines() if "ParameterError" in line] == [last]


@pytest.mark.slow
def test_papermill_list_text_runs_the_notebook(tmp_path):
    notebook = str(REPO / "notebooks" / "compare_claims.ipynb")
    result = _run(
        [
            sys.executable,
            "-m",
            "analysis",
            "run",
            notebook,
            str(tmp_path / "c.ipynb"),
            "-k",
            "python3",
            "-p",
            "conflict",
            CONFLICT_ID,
            "-p",
            "subject_side",
            "freedonia",
            "-p",
            "opposing",
            "sy_general_staff,sy_president",
            "-p",
            "wounded_to_killed",
            "[3, 13]",
            "--no-progress-bar",
            "--log-level",
            "ERROR",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    parameters = next(
        c
        for c in json.loads((tmp_path / "c.ipynb").read_text())["cells"]
        if "injected-parameters" in c["metadata"].get("tags", [])
    )
    assert 'wounded_to_killed = "[3, 13]"' in "".join(parameters["source"])
