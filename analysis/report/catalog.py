"""The report catalog (reports.yml): what to build, checked completely before anything runs.

    data_dir: data/raw            # optional; relative to the catalog file (CLAIMS_DATA_DIR overrides
                                  # it for a catalog found upwards from the working directory)
    timeout: 900                  # optional; seconds per report (whole notebook), default 900
    site_url: https://example.org/claims/  # optional; where the site is published: the Atom feed's
                                  # links are absolute with it, relative without
    reports:
      - slug: russia-military-losses           # output name: reports/<slug>.html
        title: Russia's military losses         # shown in the report, the index, and passed as
                                                # the `title` parameter when the notebook has one
        notebook: notebooks/compare_claims.ipynb  # relative to the catalog file
        parameters: {conflict: russia-ukraine, subject_side: russia, ...}
        timeout: 300                            # optional, overrides the default

papermill only warns about unknown parameters and never checks types (papermill#701), so every
problem is found here, all at once, each naming the catalog line, the report and the parameter:
the notebook (exists, exactly one cell tagged `parameters`, parameters are literals), unknown
parameters, then each parameter by analysis.parameters' one rule table, the one the notebooks
check themselves with (analysis.params): types, vocabularies, the data (the conflict exists, the
side, population and metric are held, claimants belong to their role), against facts cached from
the data, without loading it. The entry's values and the notebook's defaults are checked together,
as the notebook will see them; a fixture notebook's own parameters are checked by their defaults'
types. What is particular to a catalog (a title on the index) is checked here.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analysis.parameters import RULES, ConflictFacts, check_parameters
from analysis.project import DEFAULT_DATA_DIR, FAST_SAFE_LOADER, catalog_data_dir, parse_yaml
from analysis.vocabulary import is_url

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
RESERVED_SLUGS = {"index", "manifest"}
DEFAULT_TIMEOUT = 900.0
CATALOG_KEYS = {"data_dir", "timeout", "reports", "site_url"}
ENTRY_KEYS = {"slug", "title", "notebook", "parameters", "timeout"}


class CatalogError(Exception):
    """Every problem of a catalog, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    position: int  # 1-based position in the catalog
    line: int | None  # line of the entry in the catalog file
    slug: str
    title: str
    notebook: Path  # absolute
    notebook_rel: str  # as written in the catalog
    parameters: dict[str, Any]  # as given (title added when the notebook declares it)
    timeout: float
    parameter_lines: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def conflict(self) -> str | None:
        value = self.parameters.get("conflict")
        return value if isinstance(value, str) else None

    def where(self, catalog: Catalog, parameter: str | None = None) -> str:
        line = self.parameter_lines.get(parameter, self.line) if parameter else self.line
        place = f"{catalog.display_path}:{line}" if line else catalog.display_path
        what = f"{place}: report {self.slug!r} (entry {self.position})"
        return f"{what}: parameter {parameter!r}" if parameter else what


@dataclass(frozen=True)
class Catalog:
    path: Path
    display_path: str
    data_dir: Path
    entries: tuple[Entry, ...]
    site_url: str | None = None  # ends with "/" (the Atom feed's base); None: relative links

    @property
    def slugs(self) -> list[str]:
        return [e.slug for e in self.entries]


# ------------------------------------------------------------------------------- reading


def read_catalog(path: Path, display_path: str | None = None, data_dir: Path | None = None) -> Catalog:
    """Parse and check the structure of a catalog; raise CatalogError listing every problem.
    data_dir: a data folder named outside the catalog (CLAIMS_DATA_DIR), instead of its data_dir."""
    path = Path(path).resolve()
    shown = display_path or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError([f"{shown}: cannot read the catalog: {exc.strerror or exc}"]) from None
    try:
        node, data = parse_yaml(text, yaml.SafeLoader, FAST_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        raise CatalogError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    problems: list[str] = []
    if not isinstance(data, dict):
        raise CatalogError([f"{shown}: the catalog must be a mapping with a `reports` list"])
    for key in sorted(set(data) - CATALOG_KEYS):
        problems.append(f"{shown}: unknown key {key!r} (allowed: {', '.join(sorted(CATALOG_KEYS))})")
    base = path.parent
    if data_dir is not None:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            problems.append(f"CLAIMS_DATA_DIR {str(data_dir)!r} is not a folder")
    else:
        data_dir = catalog_data_dir(path, data.get("data_dir"))
        if not data_dir.is_dir():
            problems.append(f"{shown}: data_dir {str(data.get('data_dir') or DEFAULT_DATA_DIR)!r} is not a folder")
    site_url = data.get("site_url")
    if site_url is not None:
        if not is_url(site_url) or "?" in site_url or "#" in site_url:  # the data's URL rule, a base
            problems.append(f"{shown}: site_url must be an http(s) URL without query or fragment, got {site_url!r}")
            site_url = None
        elif not site_url.endswith("/"):
            site_url += "/"
    default_timeout = _timeout(data.get("timeout", DEFAULT_TIMEOUT), f"{shown}: timeout", problems)
    reports = data.get("reports")
    if not isinstance(reports, list) or not reports:
        problems.append(f"{shown}: `reports` must be a non-empty list")
        raise CatalogError(problems)
    lines = _entry_lines(node)
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for position, raw in enumerate(reports, start=1):
        entry_line, parameter_lines = lines[position - 1] if position - 1 < len(lines) else (None, {})
        where = f"{shown}:{entry_line}: entry {position}" if entry_line else f"{shown}: entry {position}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping with slug, title, notebook, parameters")
            continue
        slug = raw.get("slug")
        if isinstance(slug, str):
            where = f"{where} ({slug!r})"
        for key in sorted(set(raw) - ENTRY_KEYS):
            problems.append(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(ENTRY_KEYS))})")
        for key in ("slug", "title", "notebook"):
            if not isinstance(raw.get(key), str) or not raw.get(key).strip():
                problems.append(f"{where}: `{key}` must be a non-empty string")
        if isinstance(slug, str):
            if not SLUG_PATTERN.match(slug) or slug in RESERVED_SLUGS:
                problems.append(
                    f"{where}: slug {slug!r} must be 1-64 of a-z, 0-9 and '-' "
                    f"(starting with a letter or digit; not {', '.join(sorted(RESERVED_SLUGS))})"
                )
            elif slug in seen:
                problems.append(f"{where}: slug {slug!r} is already used by entry {seen[slug]}")
            seen.setdefault(slug, position)
        parameters = raw.get("parameters", {})
        if parameters is None:
            parameters = {}
        if not isinstance(parameters, dict) or not all(isinstance(k, str) for k in parameters):
            problems.append(f"{where}: `parameters` must be a mapping of names to values")
            parameters = {}
        timeout = _timeout(raw.get("timeout", default_timeout), f"{where}: timeout", problems)
        if not all(isinstance(raw.get(k), str) for k in ("slug", "title", "notebook")):
            continue
        notebook = (base / raw["notebook"]).resolve()
        entries.append(
            Entry(
                position,
                entry_line,
                raw["slug"],
                raw["title"].strip(),
                notebook,
                raw["notebook"],
                _plain(parameters),
                timeout,
                parameter_lines,
            )
        )
    if problems:
        raise CatalogError(problems)
    return Catalog(path, shown, data_dir.resolve(), tuple(entries), site_url)


def _plain(value: Any) -> Any:
    """YAML reads an unquoted 2022-03-01 as a date: parameters carry ISO strings instead."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _timeout(value: Any, where: str, problems: list[str]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        problems.append(f"{where}: must be a positive number of seconds, got {value!r}")
        return DEFAULT_TIMEOUT
    return float(value)


def _entry_lines(node: yaml.Node | None) -> list[tuple[int, dict[str, int]]]:
    """(line of each entry, {parameter: line}) from the YAML node tree, for messages."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "reports" and isinstance(value, yaml.SequenceNode):
            result = []
            for item in value.value:
                params: dict[str, int] = {}
                if isinstance(item, yaml.MappingNode):
                    for k, v in item.value:
                        if k.value == "parameters" and isinstance(v, yaml.MappingNode):
                            params = {pk.value: pk.start_mark.line + 1 for pk, _ in v.value}
                result.append((item.start_mark.line + 1, params))
            return result
    return []


# ------------------------------------------------------------------------- notebook parameters


def read_notebook(path: Path) -> dict:
    """The notebook's JSON (plain json: nbformat and its jsonschema import are not needed)."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def notebook_parameters(notebook: dict) -> dict[str, Any]:
    """Names and default values of the one cell tagged `parameters`; ValueError otherwise."""
    cells = [
        c
        for c in notebook.get("cells", [])
        if c.get("cell_type") == "code" and "parameters" in ((c.get("metadata") or {}).get("tags") or [])
    ]
    if len(cells) != 1:
        raise ValueError(f"has {len(cells)} cells tagged `parameters`; exactly one is required")
    source = cells[0].get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"its parameters cell is not valid Python: {exc.msg} (line {exc.lineno})") from None
    defaults: dict[str, Any] = {}
    for statement in tree.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value:
            targets, value = [statement.target], statement.value
        elif isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) for t in statement.targets):
            targets, value = statement.targets, statement.value
        else:
            raise ValueError(f"its parameters cell may only assign literals to names (line {statement.lineno})")
        try:
            literal = ast.literal_eval(value)
        except ValueError:
            raise ValueError(
                f"its parameters cell may only assign literals to names (line {statement.lineno})"
            ) from None
        for target in targets:
            defaults[target.id] = literal
    return defaults


# ------------------------------------------------------------------------------ parameter rules


def check_entries(
    catalog: Catalog, conflicts: list[str], facts_for: Callable[[str], ConflictFacts]
) -> tuple[list[str], dict[str, dict]]:
    """Check every entry; return (problems, {slug: parameters to inject})."""
    problems: list[str] = []
    resolved: dict[str, dict] = {}
    for entry in catalog.entries:
        before = len(problems)
        if not entry.notebook.is_file():
            problems.append(f"{entry.where(catalog)}: notebook {entry.notebook_rel!r} does not exist")
            continue
        try:
            declared = notebook_parameters(read_notebook(entry.notebook))
        except (ValueError, OSError) as exc:
            problems.append(f"{entry.where(catalog)}: notebook {entry.notebook_rel!r} {exc}")
            continue
        parameters = dict(entry.parameters)
        if "title" in declared:
            if "title" in parameters:
                problems.append(
                    f"{entry.where(catalog, 'title')}: give the title once, as the entry's "
                    "`title` (it is passed to the notebook's `title` parameter)"
                )
            parameters["title"] = entry.title
        for name in parameters:
            if name not in declared:
                problems.append(
                    f"{entry.where(catalog, name)}: unknown; the notebook "
                    f"{entry.notebook_rel!r} declares: {', '.join(declared) or '(none)'}"
                )
        seen = {name: parameters.get(name, default) for name, default in declared.items()}  # as the notebook will
        checked = check_parameters(seen, conflicts, facts_for)
        for refused in checked.refused:
            default = "" if refused.argument in parameters else " (the notebook's default)"
            problems.append(f"{entry.where(catalog, refused.argument)}: {refused.reason}{default}")
        normalised = {}
        for name, value in parameters.items():
            if name in RULES and name in checked.values:
                normalised[name] = _injected(checked.values[name])
            elif name in declared and name not in RULES:
                try:
                    normalised[name] = _like_default(value, declared[name])
                except ValueError as exc:
                    problems.append(f"{entry.where(catalog, name)}: {exc}")
        if len(problems) == before:
            resolved[entry.slug] = normalised
    return problems, resolved


def _injected(value: Any) -> Any:
    """A checked value as papermill injects it: a date as ISO text, a tuple as a list."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value


def _like_default(value: Any, default: Any) -> Any:
    """A parameter without a rule (a fixture notebook's own): of its default's type; None passes."""
    if default is None or value is None:
        return value
    kind = float if isinstance(default, float) and not isinstance(default, bool) else type(default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not kind and not (kind in (list, tuple) and isinstance(value, (list, tuple))):
        raise ValueError(f"must be {_type_name(kind)} like the notebook's default {default!r}, got {value!r}")
    return value


def _type_name(kind: type) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        tuple: "a list",
        dict: "a mapping",
    }.get(kind, kind.__name__)
