"""Where `claims`, the notebooks and the library find their project and data (issue #15): the
nearest reports.yml upwards from the working directory, `claims --project DIR`, CLAIMS_DATA_DIR;
`claims init`; one error line when there is nothing to find. Run from folders outside the
repository, with the repository's environment (tests/test_installed.py does it installed)."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analysis import project as projects
from tests.fixture_data import REPO, VALID_DATA

EXAMPLE = "elbonia-krakozhia"
EXAMPLE_FIXTURE = VALID_DATA / EXAMPLE


def claims(*args: object, cwd: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m analysis ARGS` in cwd, without any CLAIMS_DATA_DIR of the caller's."""
    env = {k: v for k, v in os.environ.items() if k != "CLAIMS_DATA_DIR"}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "analysis", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def python(code: str, cwd: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CLAIMS_DATA_DIR"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("user") / "proj"
    result = claims("init", folder, cwd=folder.parent)
    assert result.returncode == 0, result.stderr
    return folder


def test_the_temporary_folders_are_outside_the_repository(tmp_path):
    assert not tmp_path.resolve().is_relative_to(REPO.resolve())
    assert not any((parent / "reports.yml").exists() for parent in (tmp_path, *tmp_path.parents))


# ------------------------------------------------------------------------------- claims init


def test_init_writes_a_project_of_the_packages_files(project):
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()) == [
        "README.md",
        "data/raw/CHANGELOG.md",
        "data/raw/README.md",
        f"data/raw/{EXAMPLE}/claims.csv",
        f"data/raw/{EXAMPLE}/conflict.yml",
        f"data/raw/{EXAMPLE}/series/krk_health_ministry_killed.csv",
        f"data/raw/{EXAMPLE}/statements.csv",
        "data/raw/wounded_to_killed_references.csv",
        "notebooks/compare_claims.ipynb",
        "notebooks/conflict_overview.ipynb",
        "reports.yml",
    ]
    # copies of the repository's own files, not stale duplicates
    for name in ("compare_claims.ipynb", "conflict_overview.ipynb"):
        assert filecmp.cmp(project / "notebooks" / name, REPO / "notebooks" / name, shallow=False)
    for name in ("README.md", "wounded_to_killed_references.csv"):
        assert filecmp.cmp(project / "data" / "raw" / name, REPO / "data" / "raw" / name, shallow=False)
    for path in EXAMPLE_FIXTURE.rglob("*.*"):
        assert filecmp.cmp(path, project / "data" / "raw" / EXAMPLE / path.relative_to(EXAMPLE_FIXTURE), shallow=False)
    # the example says it is made up wherever a user meets it
    assert "FICTIONAL" in (project / "README.md").read_text()
    assert "FICTIONAL" in (project / "reports.yml").read_text()
    assert "(fictional" in (project / "data" / "raw" / EXAMPLE / "conflict.yml").read_text()


def test_init_validates_in_the_new_project(project):
    result = claims("validate", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("valid: 1 conflict(s), 8 claimants")


@pytest.mark.parametrize("content", ["file", "folder"])
def test_init_refuses_a_non_empty_folder(tmp_path, content):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine") if content == "file" else (target / "sub").mkdir()
    before = sorted(p.name for p in target.iterdir())
    result = claims("init", target, cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.count("\n") == 1
        and result.stderr.startswith("error: ")
        and "not an empty folder" in result.stderr
    )
    assert sorted(p.name for p in target.iterdir()) == before


def test_init_accepts_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    result = claims("init", "empty", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "empty" / "reports.yml").is_file()


# ---------------------------------------------------------------------------- nothing found


@pytest.mark.parametrize("command", [["validate"], ["build"], ["--project", "nowhere", "validate"]])
def test_no_project_and_no_data_dir_is_one_error_line(tmp_path, command):
    result = claims(*command, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "--project" in lines[0]
    if command == ["validate"]:
        assert lines[0] == (
            f"error: no data folder: no reports.yml in {tmp_path.resolve()} or any parent "
            f"(use --project DIR) and CLAIMS_DATA_DIR is not set"
        )
    assert not (tmp_path / "reports").exists()


def test_the_library_without_a_project_names_both_ways(tmp_path):
    result = python(
        "from analysis.dataset import load_conflict\n"
        "try:\n    load_conflict('elbonia-krakozhia')\n"
        "except LookupError as exc:\n    print(type(exc).__name__, exc)\n",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("NoDataDir no data folder: no reports.yml in")
    assert "CLAIMS_DATA_DIR is not set" in result.stdout


# ------------------------------------------------------------------------- what is honoured


def test_the_project_is_found_from_any_folder_below_it(project):
    for folder in (project, project / "notebooks", project / "data" / "raw" / EXAMPLE / "series"):
        result = claims("validate", cwd=folder)
        assert result.returncode == 0, (folder, result.stderr)
        assert "1 conflict(s)" in result.stdout
        found = python(
            "from analysis.dataset import list_conflicts, load_conflict\n"
            "print(list_conflicts(), load_conflict('elbonia-krakozhia').data_dir)",
            cwd=folder,
        )
        assert found.stdout.split() == ["['elbonia-krakozhia']", str(project / "data" / "raw")], found.stderr


def test_claims_data_dir_is_honoured_outside_a_project(tmp_path):
    env = {"CLAIMS_DATA_DIR": str(VALID_DATA)}
    result = claims("validate", cwd=tmp_path, env_extra=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("valid: 3 conflict(s)")
    listed = python("from analysis.dataset import list_conflicts; print(list_conflicts())", tmp_path, env)
    assert listed.stdout.strip() == str(sorted(p.parent.name for p in VALID_DATA.glob("*/conflict.yml")))


def test_claims_data_dir_overrides_the_catalogs_data_dir(project):
    result = claims("validate", cwd=project, env_extra={"CLAIMS_DATA_DIR": str(VALID_DATA)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("valid: 3 conflict(s)")


def test_project_option_is_honoured_from_anywhere(project, tmp_path):
    result = claims("--project", project, "validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("valid: 1 conflict(s)")
    # named explicitly, it wins over the environment
    result = claims("--project", project, "validate", cwd=tmp_path, env_extra={"CLAIMS_DATA_DIR": str(VALID_DATA)})
    assert result.stdout.startswith("valid: 1 conflict(s)"), result.stderr
    # and over the project the working directory is in
    result = claims("--project", project, "validate", cwd=REPO)
    assert result.stdout.startswith("valid: 1 conflict(s)"), result.stderr


def test_the_catalogs_data_dir_is_used(tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "reports.yml").write_text(f"data_dir: {os.path.relpath(VALID_DATA, folder)}\nreports: []\n")
    result = claims("validate", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("valid: 3 conflict(s)")


@pytest.mark.slow
def test_build_with_project_option_writes_into_that_project(project, tmp_path):
    result = claims("--project", project, "build", "--only", f"{EXAMPLE}-overview", "--progress", "plain", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "reports" / f"{EXAMPLE}-overview.html").is_file()
    assert not (tmp_path / "reports").exists()


CATALOGS = [REPO / "reports.yml", *sorted((REPO / "tests" / "fixtures").glob("*/catalog*.yml"))]


@pytest.mark.skipif(projects.FAST_SAFE_LOADER is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: "/".join(p.parts[-2:]))
def test_libyaml_and_pure_python_read_every_catalog_alike(path):
    """The catalog is read on every build, no-op ones too, with libyaml: same values and the same
    node lines (problems are reported at them) as the pure-Python parser."""
    text = path.read_text(encoding="utf-8")
    fast = projects.compose_and_construct(text, projects.FAST_SAFE_LOADER)
    careful = projects.compose_and_construct(text, yaml.SafeLoader)
    assert fast[1] == careful[1]
    assert node_lines(fast[0]) == node_lines(careful[0])


def test_a_yaml_error_is_worded_by_the_pure_python_parser():
    with pytest.raises(yaml.YAMLError) as fast_path:
        projects.parse_yaml("reports:\n  - slug: a: b\n", yaml.SafeLoader, projects.FAST_SAFE_LOADER)
    with pytest.raises(yaml.YAMLError) as careful_only:
        projects.parse_yaml("reports:\n  - slug: a: b\n", yaml.SafeLoader)
    assert str(fast_path.value) == str(careful_only.value)


def node_lines(node) -> list:
    """Every node's kind, value (scalars) and line, depth first."""
    found = [(type(node).__name__, node.start_mark.line)]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found += node_lines(key) + node_lines(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += node_lines(item)
    else:
        found.append(node.value)
    return found
