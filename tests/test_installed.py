"""What a user does (issue #15): a fresh virtual environment, the package installed from a wheel
built from this repository (its dependencies from requirements.lock, hash-checked, from uv's
cache: --offline), then in an empty folder outside the repository
`claims init proj && cd proj && claims validate && claims build`; and two projects built with one
environment, each into its own reports/. Slow: ~1-2 minutes (figures printed with -s)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixture_data import REPO

pytestmark = pytest.mark.slow

UV = Path(sys.executable).parent / "uv"  # pinned in requirements-bootstrap.txt, beside this Python
SLUGS = ["elbonia-krakozhia-overview", "krakozhia-killed"]


def run(command: list[str] | str, cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        shell=isinstance(command, str),
        executable="/bin/bash" if isinstance(command, str) else None,
    )
    assert result.returncode == 0, f"{command!r} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def user(tmp_path_factory) -> dict:
    """A fresh venv with the wheel installed; the environment a user's shell has after activating it."""
    root = tmp_path_factory.mktemp("installed")
    assert not root.resolve().is_relative_to(REPO.resolve())
    base = {
        k: v for k, v in os.environ.items() if k not in ("CLAIMS_DATA_DIR", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    timings = {}
    t = time.perf_counter()
    run([str(UV), "build", "--offline", "--wheel", "--out-dir", str(root / "dist"), str(REPO)], root, base)
    timings["wheel"] = time.perf_counter() - t
    wheels = list((root / "dist").glob("casualty_claims-*.whl"))
    assert len(wheels) == 1, wheels
    venv = root / "venv"
    t = time.perf_counter()
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root, base)
    timings["venv"] = time.perf_counter() - t
    t = time.perf_counter()
    run(
        [
            str(UV),
            "pip",
            "sync",
            "--offline",
            "--python",
            str(venv / "bin" / "python"),
            "--require-hashes",
            "--compile-bytecode",
            str(REPO / "requirements.lock"),
        ],
        root,
        base,
    )
    timings["dependencies (uv pip sync --offline)"] = time.perf_counter() - t
    t = time.perf_counter()
    run(
        [str(UV), "pip", "install", "--offline", "--no-deps", "--python", str(venv / "bin" / "python"), str(wheels[0])],
        root,
        base,
    )
    timings["package"] = time.perf_counter() - t
    env = dict(base, PATH=f"{venv / 'bin'}{os.pathsep}{base.get('PATH', '')}", VIRTUAL_ENV=str(venv))
    home = root / "home"
    home.mkdir()
    for name, seconds in timings.items():
        print(f"installed: {name}: {seconds:.2f} s")
    return {"venv": venv, "env": env, "home": home, "timings": timings}


def test_the_package_comes_from_the_wheel_not_the_repository(user):
    found = run(["python", "-c", "import analysis; print(analysis.__file__)"], user["home"], user["env"])
    location = Path(found.stdout.strip()).resolve()
    assert location.is_relative_to(user["venv"].resolve()), location
    assert not location.is_relative_to(REPO.resolve())
    data = run(
        [
            "python",
            "-c",
            "import importlib.resources as r; s = r.files('analysis') / 'skeleton';"
            "print(sorted(p.name for p in (s / 'notebooks').iterdir()), (s / 'reports.yml').is_file())",
        ],
        user["home"],
        user["env"],
    )
    assert data.stdout.split("]")[0] == "['compare_claims.ipynb', 'conflict_overview.ipynb'"
    assert data.stdout.strip().endswith("True")


def test_init_validate_build_in_an_empty_folder(user):
    folder = user["home"] / "first"
    folder.mkdir()
    t = time.perf_counter()
    result = run("claims init proj && cd proj && claims validate && claims build --progress plain", folder, user["env"])
    print(f"installed: claims init + validate + build (2 reports, cold): {time.perf_counter() - t:.2f} s")
    assert "valid: 1 conflict(s)" in result.stdout
    reports = folder / "proj" / "reports"
    for slug in SLUGS:
        html = reports / f"{slug}.html"
        assert html.is_file(), result.stdout
        assert "vega-embed" in html.read_text(encoding="utf-8")
        assert (reports / slug / "charts").is_dir() and any((reports / slug / "charts").glob("*.svg"))
    from analysis.report.offline import Browser, find_chromium

    assert find_chromium(), "Debian's chromium is needed to see the charts render"
    with Browser() as browser:
        for slug in SLUGS:
            page = browser.check(reports / f"{slug}.html")
            assert page.charts >= 1 and page.ok, page.line()


def test_two_projects_one_environment_each_builds_its_own(user):
    """The bug: `claims` found its project from its own source path, so a second checkout using
    one environment built the first one's reports."""
    a, b = user["home"] / "a", user["home"] / "b"
    run(["claims", "init", str(a)], user["home"], user["env"])
    run(["claims", "init", str(b)], user["home"], user["env"])
    catalog = (b / "reports.yml").read_text(encoding="utf-8")
    head, _, _ = catalog.partition("reports:\n")
    (b / "reports.yml").write_text(
        head + "reports:\n  - slug: only-in-b\n    title: The second checkout's report\n"
        "    notebook: notebooks/conflict_overview.ipynb\n"
        "    parameters: {conflict: elbonia-krakozhia}\n",
        encoding="utf-8",
    )
    run(["claims", "build", "--progress", "plain", "--only", SLUGS[0]], a, user["env"])
    run(["claims", "build", "--progress", "plain"], b / "notebooks", user["env"])  # from a subfolder
    assert sorted(p.name for p in (a / "reports").glob("*.html")) == [f"{SLUGS[0]}.html", "index.html"]
    assert sorted(p.name for p in (b / "reports").glob("*.html")) == ["index.html", "only-in-b.html"]
    assert "The second checkout&#39;s report" in (b / "reports" / "only-in-b.html").read_text(
        encoding="utf-8"
    ) or "The second checkout's report" in (b / "reports" / "only-in-b.html").read_text(encoding="utf-8")
    assert "only-in-b" not in (a / "reports" / "index.html").read_text(encoding="utf-8")
    site_packages = next(user["venv"].glob("lib/python*/site-packages"))
    assert not (site_packages / "reports").exists() and not (site_packages / "data").exists()
    shutil.rmtree(a / "reports")
    shutil.rmtree(b / "reports")
