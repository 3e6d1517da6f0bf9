"""report.catalog: reports.yml is checked completely (types, vocabularies) before anything runs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis.dataset import load_conflict
from analysis.parameters import ConflictFacts
from analysis.params import conflict_facts
from analysis.report.catalog import CatalogError, check_entries, notebook_parameters, read_catalog
from tests.fixture_data import CONFLICT_ID, REPO, VALID_DATA, run_cli

NOTEBOOKS = REPO / "tests" / "fixtures" / "notebooks"
FIXTURE_CATALOG = NOTEBOOKS / "catalog.yml"


def facts_from(data_dir: Path):
    cache: dict[str, ConflictFacts] = {}

    def facts_for(conflict: str) -> ConflictFacts:
        if conflict not in cache:
            cache[conflict] = conflict_facts(load_conflict(conflict, data_dir))
        return cache[conflict]

    return facts_for


def check(catalog_path: Path) -> tuple[list[str], dict]:
    catalog = read_catalog(catalog_path)
    conflicts = sorted(p.parent.name for p in catalog.data_dir.glob("*/conflict.yml"))
    return check_entries(catalog, conflicts, facts_from(catalog.data_dir))


def write_catalog(tmp_path: Path, reports: str, header: str = "") -> Path:
    path = tmp_path / "catalog.yml"
    path.write_text(
        f"data_dir: {VALID_DATA}\n{header}reports:\n" + textwrap.indent(textwrap.dedent(reports), "  "),
        encoding="utf-8",
    )
    return path


def entry(slug="r1", notebook="claims_chart.ipynb", **parameters) -> str:
    params = {"conflict": CONFLICT_ID, **parameters}
    return f"- slug: {slug}\n  title: A title\n  notebook: {NOTEBOOKS / notebook}\n  parameters: {json.dumps(params)}\n"


# --------------------------------------------------------------------------- default catalog


def test_default_catalog_covers_the_required_reports_and_passes_every_check():
    catalog = read_catalog(REPO / "reports.yml")
    problems, parameters = check(REPO / "reports.yml")
    assert problems == []
    by_slug = {e.slug: e for e in catalog.entries}
    compare = [e for e in catalog.entries if e.notebook.name == "compare_claims.ipynb"]
    assert any(
        e.parameters["subject_side"] == "russia"
        and e.parameters["population"] == "military"
        and e.parameters.get("start") is None
        for e in compare
    ), "Russia's military losses"
    assert any(
        e.parameters["subject_side"] == "ukraine" and e.parameters["population"] == "military" for e in compare
    ), "Ukraine's military losses"
    assert any(e.parameters["population"] == "civilian" for e in compare), "civilian casualties"
    assert any(e.notebook.name == "conflict_overview.ipynb" for e in catalog.entries), "overview"
    march = by_slug["march-2022"].parameters
    assert (march["start"], march["end"]) == ("2022-03-01", "2022-03-31")
    assert all(parameters[e.slug]["title"] == e.title for e in catalog.entries)


def test_fixture_catalog_passes():
    problems, parameters = check(FIXTURE_CATALOG)
    assert problems == []
    assert parameters["freedonia-killed"]["wounded_to_killed"] == [2.5, 13.0]  # ints become floats
    assert parameters["freedonia-civilians"]["start"] == "2022-03-01"  # an unquoted YAML date


def test_the_catalog_is_checked_from_cached_facts_without_polars(tmp_path):
    """A no-op build checks its catalog from the facts it cached (JSON): the rule table
    (analysis.parameters) and the catalog import no polars and load no data."""
    facts = {c: conflict_facts(load_conflict(c)).to_json() for c in ("russia-ukraine", "gaza-war")}
    (tmp_path / "facts.json").write_text(json.dumps(facts), encoding="utf-8")
    child = f"""
import json, sys
from analysis.parameters import ConflictFacts
from analysis.report.catalog import check_entries, read_catalog
facts = {{c: ConflictFacts.from_json(f) for c, f in json.loads(open({str(tmp_path / "facts.json")!r}).read()).items()}}
problems, resolved = check_entries(read_catalog({str(REPO / "reports.yml")!r}), sorted(facts), facts.__getitem__)
print(json.dumps([problems, len(resolved), sorted(m for m in sys.modules if m.split(".")[0] in ("polars", "pandas"))]))
"""
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    problems, resolved, heavy = json.loads(result.stdout)
    assert problems == [] and resolved == len(read_catalog(REPO / "reports.yml").entries)
    assert heavy == [], "the catalog check imported polars or pandas"


# ------------------------------------------------------------------------------ bad catalogs


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"metric": "dead"}, "parameter 'metric': unknown metric 'dead'; valid (the vocabulary): killed, wounded"),
        ({"subject_side": "atlantis"}, "parameter 'subject_side': unknown side 'atlantis'"),
        ({"population": 3}, "parameter 'population': must be one population (a string), got 3 (int)"),
        # a string is decoded as papermill's -p text ("a,b", JSON), as the notebook does; not this one
        ({"official": "fr_war_office,,x"}, "parameter 'official': 'fr_war_office,,x' is neither a JSON list nor"),
        ({"official": 3}, "parameter 'official': must be a list of claimant ids"),
        (
            {"official": ["nobody"]},
            "parameter 'official': unknown claimant 'nobody'; valid (freedonia-sylvania): fr_war_office",
        ),
        ({"official": ["sy_general_staff"]}, "'sy_general_staff' (opposing) cannot be official about 'freedonia'"),
        (
            {"subject_side": "sylvania", "official": ["sy_general_staff"]},
            "'sy_general_staff' has no cumulative claims about sylvania's military losses in the official role; "
            "valid: sy_president",
        ),
        ({"independent": ["fr_war_office"]}, "'fr_war_office' (official) cannot be independent"),
        ({"start": "2022-13-01"}, "parameter 'start': is not a calendar date: '2022-13-01'"),
        ({"start": "1 March 2022"}, "parameter 'start': must be written YYYY-MM-DD (ISO 8601), got '1 March 2022'"),
        ({"start": "2022-05-01", "end": "2022-04-01"}, "parameter 'end': 2022-04-01 is before start 2022-05-01"),
        (
            {"wounded_to_killed": [13, 2.5]},
            "parameter 'wounded_to_killed': must be two finite numbers with 0 < low <= high",
        ),
        ({"wounded_to_killed": "3:1"}, "parameter 'wounded_to_killed': '3:1' is neither a JSON list nor"),
        ({"wounded_to_killed": "3"}, "parameter 'wounded_to_killed': must be two numbers [low, high], got '3'"),
        ({"wounded_to_killed": [True, 3]}, "must be two numbers"),
        ({"colour": "red"}, "parameter 'colour': unknown; the notebook"),
        (
            {"conflict": "atlantis-war"},
            "parameter 'conflict': unknown conflict 'atlantis-war'; valid (the data directory): elbonia-krakozhia, freedonia-sylvania, pottsylvania-fenwick-zubrowka",
        ),
    ],
)
def test_a_bad_parameter_is_named_with_its_report_and_line(tmp_path, params, fragment):
    path = write_catalog(tmp_path, entry(**params))
    problems, resolved = check(path)
    assert len(problems) == 1, problems
    assert fragment in problems[0]
    assert problems[0].startswith("catalog.yml:") and "report 'r1' (entry 1)" in problems[0]
    assert "r1" not in resolved


def test_a_parameter_problem_points_at_the_parameters_line(tmp_path):
    path = tmp_path / "catalog.yml"
    path.write_text(
        textwrap.dedent(f"""\
        data_dir: {VALID_DATA}
        reports:
          - slug: r1
            title: T
            notebook: {NOTEBOOKS / "claims_chart.ipynb"}
            parameters:
              conflict: {CONFLICT_ID}
              metric: dead
        """),
        encoding="utf-8",
    )
    problems, _ = check(path)
    assert problems[0].startswith("catalog.yml:8: report 'r1'"), problems


def test_every_problem_is_reported_at_once(tmp_path):
    path = write_catalog(
        tmp_path, entry("a", metric="dead") + entry("b", start="yesterday") + entry("c", notebook="missing.ipynb")
    )
    problems, _ = check(path)
    assert len(problems) == 3
    assert "report 'c' (entry 3): notebook" in problems[2] and "does not exist" in problems[2]


def test_title_is_given_once_at_entry_level(tmp_path):
    problems, _ = check(write_catalog(tmp_path, entry(title="Another")))
    assert "parameter 'title': give the title once" in problems[0]


@pytest.mark.parametrize(
    "reports, fragment",
    [
        ("- slug: Bad Slug\n  title: T\n  notebook: x.ipynb\n", "slug 'Bad Slug' must be 1-64 of a-z"),
        ("- slug: index\n  title: T\n  notebook: x.ipynb\n", "slug 'index' must be"),
        (
            "- slug: a\n  title: T\n  notebook: x.ipynb\n- slug: a\n  title: T\n  notebook: x.ipynb\n",
            "slug 'a' is already used by entry 1",
        ),
        ("- slug: a\n  notebook: x.ipynb\n", "`title` must be a non-empty string"),
        ("- slug: a\n  title: T\n  notebook: x.ipynb\n  params: {}\n", "unknown key 'params'"),
        ("- slug: a\n  title: T\n  notebook: x.ipynb\n  timeout: -1\n", "timeout: must be a positive number"),
        ("- just a string\n", "must be a mapping"),
    ],
)
def test_structural_problems(tmp_path, reports, fragment):
    with pytest.raises(CatalogError) as info:
        read_catalog(write_catalog(tmp_path, reports))
    assert any(fragment in p for p in info.value.problems), info.value.problems


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "catalog.yml"
    path.write_text("reports:\n  - slug: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        read_catalog(path)
    assert info.value.problems[0].startswith("catalog.yml:") and "not valid YAML" in info.value.problems[0]


# ------------------------------------------------------------------------- notebook parameters


def nb(*cells: tuple[str, list[str]]) -> dict:
    return {"cells": [{"cell_type": "code", "source": src, "metadata": {"tags": tags}} for src, tags in cells]}


def test_notebook_parameters_reads_literals_of_the_one_parameters_cell():
    assert notebook_parameters(
        nb(("a = 1\nb: str = 'x'\nc = None  # comment\nd = [1.0, 2]", ["parameters"]), ("e = 5", []))
    ) == {"a": 1, "b": "x", "c": None, "d": [1.0, 2]}


@pytest.mark.parametrize(
    "notebook, fragment",
    [
        (nb(("a = 1", [])), "has 0 cells tagged `parameters`"),
        (nb(("a = 1", ["parameters"]), ("b = 2", ["parameters"])), "has 2 cells tagged `parameters`"),
        (nb(("a = f(1)", ["parameters"])), "may only assign literals"),
        (nb(("import os", ["parameters"])), "may only assign literals"),
        (nb(("a = ", ["parameters"])), "not valid Python"),
    ],
)
def test_notebook_parameters_refuses_anything_else(notebook, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace("`", "`")):
        notebook_parameters(notebook)


def test_real_notebooks_have_exactly_one_parameters_cell():
    for name in ("compare_claims.ipynb", "conflict_overview.ipynb"):
        params = notebook_parameters(json.loads((REPO / "notebooks" / name).read_text()))
        assert {"conflict", "title"} <= set(params)


# ------------------------------------------------------------------------------------- CLI


def test_build_with_a_bad_catalog_exits_2_and_runs_nothing(tmp_path):
    path = write_catalog(tmp_path, entry(metric="dead") + entry("ok", notebook="overview.ipynb"))
    out = tmp_path / "out"
    result = run_cli("build", "--catalog", path, "--out", out, "--progress", "none")
    assert result.returncode == 2, result.stderr
    assert "parameter 'metric': unknown metric 'dead'" in result.stderr
    assert "nothing was run" in result.stderr
    assert not list(out.glob("*.html")) and not (out / "ok").exists()


def test_build_only_unknown_slug_exits_2(tmp_path):
    result = run_cli("build", "--catalog", FIXTURE_CATALOG, "--out", tmp_path / "out", "--only", "nope")
    assert result.returncode == 2
    assert "--only: unknown report(s) nope" in result.stderr
