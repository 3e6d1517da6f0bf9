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
parameters, types (string, list of strings, two floats, ISO dates) and vocabularies (the conflict
exists, claimants belong to it and to the stated role, side, population and metric are known).
Each value is checked by the rules of analysis.arguments, the same the notebooks' parameters
(analysis.params) and the library's functions apply; what is particular to a catalog (a claimant's
role about the entry's side, a title on the index) is checked here on top of them.
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

from analysis import arguments
from analysis.errors import ParameterError
from analysis.project import DEFAULT_DATA_DIR, catalog_data_dir
from analysis.vocabulary import COMPARED_COUNTS, METRIC, NON_BELLIGERENT_SIDES, POPULATION, count_key, is_url

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
class ConflictFacts:
    """What parameter checks need to know about a (validated) conflict."""

    conflict_id: str
    sides: tuple[str, ...]
    claimant_sides: dict[str, str]  # claimant_id -> side (a side id, third_party or independent)
    # analysis.params.role_claimants: "subject_side/population/role" -> claimants a compare
    # report may name in that role
    role_claimants: dict[str, list[str]] = field(default_factory=dict)
    # analysis.params.comparable: "subject_side/population" -> metrics a compare report can show
    comparable: dict[str, list[str]] = field(default_factory=dict)
    data_as_of: str = ""  # the latest as-of date of its data (ISO), shown on the index
    name: str = ""  # the conflict's name for readers (conflict.yml), the index's group heading

    def to_json(self) -> dict:
        return {
            "conflict_id": self.conflict_id,
            "sides": list(self.sides),
            "claimant_sides": self.claimant_sides,
            "role_claimants": self.role_claimants,
            "comparable": self.comparable,
            "data_as_of": self.data_as_of,
            "name": self.name,
        }

    @classmethod
    def from_json(cls, data: dict) -> ConflictFacts:
        return cls(
            data["conflict_id"],
            tuple(data["sides"]),
            dict(data["claimant_sides"]),
            {k: list(v) for k, v in (data.get("role_claimants") or {}).items()},
            {k: list(v) for k, v in (data.get("comparable") or {}).items()},
            data.get("data_as_of", ""),
            data.get("name", ""),
        )

    @classmethod
    def from_conflict(cls, conflict: Any) -> ConflictFacts:
        """From an analysis.dataset.Conflict (validated)."""
        from analysis.params import comparable, role_claimants  # polars: only once a conflict is loaded anyway

        return cls(
            conflict.conflict_id,
            tuple(conflict.sides["side_id"].to_list()),
            dict(zip(conflict.claimants["claimant_id"].to_list(), conflict.claimants["side"].to_list(), strict=True)),
            role_claimants(conflict),
            comparable(conflict),
            conflict.data_as_of.isoformat(),
            conflict.name,
        )


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
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
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
        normalised = {}
        context = {**declared, **parameters}  # e.g. the notebook's default conflict
        for name, value in parameters.items():
            if name not in declared:
                continue
            try:
                normalised[name] = _check_value(name, value, declared[name], context, conflicts, facts_for)
            except ValueError as exc:  # ParameterError among them: its reason, the entry names the parameter
                reason = exc.reason if isinstance(exc, ParameterError) else exc
                problems.append(f"{entry.where(catalog, name)}: {reason}")
        if len(problems) == before:
            _check_relations(entry, catalog, {**declared, **normalised}, problems)
        if len(problems) == before:
            resolved[entry.slug] = normalised
    return problems, resolved


def _check_value(
    name: str,
    value: Any,
    default: Any,
    parameters: dict,
    conflicts: list[str],
    facts_for: Callable[[str], ConflictFacts],
) -> Any:
    rule = RULES.get(name)
    if rule is not None:
        return rule(value, parameters, conflicts, facts_for)
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


def _conflict_facts(
    parameters: dict, conflicts: list[str], facts_for: Callable[[str], ConflictFacts]
) -> ConflictFacts | None:
    conflict = parameters.get("conflict")
    if isinstance(conflict, str) and conflict in conflicts:
        return facts_for(conflict)
    return None


def _conflict(value, parameters, conflicts, facts_for) -> str:
    return arguments.one_of("conflict", value, conflicts, what="conflict", source="the data directory")


def _side(value, parameters, conflicts, facts_for) -> str:
    facts = _conflict_facts(parameters, conflicts, facts_for)
    if facts is None:
        return arguments.text("subject_side", value)
    return arguments.one_of("subject_side", value, facts.sides, what="side", source=facts.conflict_id)


def _vocabulary(allowed: dict[str, str], name: str, what: str):
    def check(value, parameters, conflicts, facts_for) -> str:
        return arguments.one_of(name, value, allowed, what=what, source="the vocabulary")

    return check


def _claimants(role: str):
    def check(value, parameters, conflicts, facts_for) -> list[str] | None:
        if value is None:
            return None
        value = _decoded(role, value)
        facts = _conflict_facts(parameters, conflicts, facts_for)
        known = facts.claimant_sides if facts is not None else None
        value = arguments.some_of(
            role,
            value,
            None if known is None else sorted(known),
            what="claimant",
            source=facts.conflict_id if facts else "",
            unique=True,
        )
        if facts is None:
            return value
        subject = parameters.get("subject_side")
        if isinstance(subject, str) and subject in facts.sides:
            wrong = [v for v in value if _role_of(known[v], subject) != role]
            if wrong:
                raise ValueError(
                    f"{', '.join(f'{v!r} ({_role_of(known[v], subject)})' for v in wrong)} "
                    f"cannot be {role} about {subject!r}: official = the subject side's own claimants, "
                    "opposing = its adversary's, independent = third parties and independents"
                )
            population = parameters.get("population")
            if isinstance(population, str) and facts.role_claimants:
                valid = facts.role_claimants.get(f"{_count_key(parameters)}{subject}/{population}/{role}", [])
                silent = [v for v in value if v not in valid]
                if silent:
                    raise ValueError(
                        f"{', '.join(map(repr, silent))} made no {_count_words(parameters)} about "
                        f"{subject} {population} losses in the {role} role; valid: "
                        f"{', '.join(valid) or '(none)'}"
                    )
        return value

    return check


def _role_of(claimant_side: str, subject_side: str) -> str:
    if claimant_side == subject_side:
        return "official"
    if claimant_side in NON_BELLIGERENT_SIDES:
        return "independent"
    return "opposing"


def _date(value, parameters, conflicts, facts_for) -> str | None:
    """A date as ISO text (YAML reads an unquoted 2022-03-01 as a date)."""
    value = arguments.date("date", value)
    return None if value is None else value.isoformat()


def _decoded(name: str, value: Any, numbers: bool = False) -> Any:
    """A string where a list belongs, decoded as the notebooks decode papermill's `-p` text
    (analysis.params.papermill_list: '[3, 3]', 'a,b'), so the two checks accept the same values;
    analysis.params (and polars) is imported only for such a string."""
    if not isinstance(value, str):
        return value
    from analysis.params import ParameterError, papermill_list

    try:
        return papermill_list(name, value, numbers)
    except ParameterError:
        return value  # refused below as not a list


def _float_pair(value, parameters, conflicts, facts_for) -> list[float]:
    value = _decoded("wounded_to_killed", value, numbers=True)
    return list(arguments.ratio_range("wounded_to_killed", value))


def _title(value, parameters, conflicts, facts_for) -> str:
    return arguments.text("title", value)


def _metric(value, parameters, conflicts, facts_for) -> str:
    """A metric of the vocabulary that the data hold (stated or convertible) for the entry's side
    and population: what analysis.params.check_compare_parameters refuses, refused here too."""
    value = _vocabulary(METRIC, "metric", "metric")(value, parameters, conflicts, facts_for)
    facts = _conflict_facts(parameters, conflicts, facts_for)
    subject, population = parameters.get("subject_side"), parameters.get("population")
    if facts is None or not facts.comparable or not isinstance(subject, str) or not isinstance(population, str):
        return value
    where = f"{_count_key(parameters)}{subject}/{population}"
    if where not in facts.comparable:
        raise ValueError(
            f"no {_count_words(parameters)} about {subject}'s {population} losses in {facts.conflict_id}; "
            f"the data hold: {', '.join(sorted(facts.comparable)) or '(none)'}"
        )
    if value not in facts.comparable[where]:
        raise ValueError(
            f"no claim about {subject}'s {population} losses is stated in {value!r} or convertible "
            f"to it; valid: {', '.join(facts.comparable[where])}"
        )
    return value


def _count_key(parameters: dict) -> str:
    """The key prefix of the kind of count an entry compares (vocabulary.count_key)."""
    period_type, incident = parameters.get("period_type"), parameters.get("incident_date")
    if isinstance(incident, dt.date):
        incident = incident.isoformat()
    return count_key(period_type if period_type in COMPARED_COUNTS else None, incident)


def _count_words(parameters: dict) -> str:
    return {"snapshot": "count at one moment", "incident": "tally of that incident"}.get(
        parameters.get("period_type"), "cumulative claim"
    )


def _incident_date(value, parameters, conflicts, facts_for) -> str | None:
    """The incident's date: required with period_type incident, null otherwise."""
    value = _date(value, parameters, conflicts, facts_for)
    if (parameters.get("period_type") == "incident") != (value is not None):
        raise ValueError(
            "is required with period_type incident (the date of the incident whose tallies are "
            f"compared) and must be null otherwise, got {value!r}"
        )
    return value


def _days_or_null(value, parameters, conflicts, facts_for) -> int | None:
    return arguments.days("pair_within_days", value, allow_none=True)


def _share_or_null(value, parameters, conflicts, facts_for) -> float | None:
    return None if value is None else arguments.share("about_max_share", value)


RULES: dict[str, Callable[..., Any]] = {
    "conflict": _conflict,
    "subject_side": _side,
    "population": _vocabulary(POPULATION, "population", "population"),
    "metric": _metric,
    "official": _claimants("official"),
    "opposing": _claimants("opposing"),
    "independent": _claimants("independent"),
    "start": _date,
    "end": _date,
    "wounded_to_killed": _float_pair,
    "title": _title,
    "pair_within_days": _days_or_null,
    "about_max_share": _share_or_null,
    "period_type": _vocabulary(COMPARED_COUNTS, "period_type", "period type"),
    "incident_date": _incident_date,
}


def _check_relations(entry: Entry, catalog: Catalog, values: dict, problems: list[str]) -> None:
    try:
        arguments.window(values.get("start"), values.get("end"))  # each already a checked ISO date or None
    except ParameterError as exc:
        problems.append(f"{entry.where(catalog, exc.argument)}: {exc.reason}")
