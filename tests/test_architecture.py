"""The module chain: each analysis/ module imports only from those before it in the README's
layout, and analysis/__init__.py's map names the same chain (issue #16: the two maps disagreed, and
pages.py imported kernel-side code from the build's package)."""

from __future__ import annotations

import ast
import re

import analysis
from tests.fixture_data import REPO

PACKAGE = REPO / "analysis"
NOT_MODULES = {"skeleton", "templates"}  # package data: no code


def readme_chain() -> list[str]:
    """The analysis/ entries of the README's layout, in order (`name.py` or `name/`)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("analysis/                 the importable library")
    block = readme[start : readme.index("\nnotebooks/", start)]
    names = [m.group(1) for m in re.finditer(r"^  (\w+)(?:\.py|/)", block, re.M)]
    return [name for name in names if name not in NOT_MODULES]


def imports_of(path) -> set[str]:
    """The analysis modules a file imports (top-level names: `analysis.charts.frames` is charts)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "analysis":
            parts = node.module.split(".")
            found |= {a.name for a in node.names} if len(parts) == 1 else {parts[1]}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("analysis.")}
    return found - {"__version__"}


def test_every_module_is_in_the_readme_layout():
    chain = readme_chain()
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    modules |= {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert modules - set(chain) == set(), "modules the README's layout does not place"
    assert set(chain) - modules == set(), "layout entries that are no module"


def test_no_module_imports_against_the_chain():
    chain = readme_chain()
    position = {name: i for i, name in enumerate(chain)}
    against = []
    for path in sorted(PACKAGE.rglob("*.py")):
        top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if top in ("__init__", "__main__") or top in NOT_MODULES:
            continue
        for name in sorted(imports_of(path)):
            if position.get(name, len(chain)) > position[top]:
                against.append(f"{path.relative_to(REPO)} imports analysis.{name}")
    assert against == []


def test_the_package_docstring_names_the_same_chain():
    written = re.search(r'"Layout".*?:\s*(.*?)\. charts is a package', analysis.__doc__, re.S).group(1)
    assert [name.strip() for name in written.split("->")] == readme_chain()


def charts_chain() -> dict[str, int]:
    """The charts package's own chain from analysis/__init__.py's map, as positions: the builders
    share the last one (none imports another)."""
    written = re.search(r"its own chain:\s*(.*?)\s*->\s*the\s+builders\s+\(([^)]*)\)", analysis.__doc__, re.S)
    modules = [name.strip() for name in written.group(1).split("->")]
    builders = [name.strip() for name in written.group(2).split(",")]
    return {name: i for i, name in enumerate(modules)} | dict.fromkeys(builders, len(modules))


def test_the_charts_modules_import_only_along_their_own_chain():
    position = charts_chain()
    charts = PACKAGE / "charts"
    assert {p.stem for p in charts.glob("*.py")} - {"__init__"} == set(position), (
        "charts modules the map does not place"
    )
    against = []
    for path in sorted(charts.glob("*.py")):
        if path.stem == "__init__":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("analysis.charts"):
                parts = node.module.split(".")
                names = [a.name for a in node.names] if len(parts) == 2 else [parts[2]]
                against += [f"charts/{path.name} imports {n}" for n in names if position[n] >= position[path.stem]]
    assert against == []
