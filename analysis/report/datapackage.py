"""The open data package of each conflict, published with the reports: reports/data/<conflict-id>/.

    claims.csv        every claim as analysis.dataset.load_conflict types it (curated claims and
                      every series record), sorted by claim_id, in the columns of
                      columns.PACKAGE_COLUMNS["claims"] (a contract: other tools read this file)
    statements.csv    the curated statements (data/raw/<id>/statements.csv as loaded), with the
                      claimant's name
    claimants.csv     conflict.yml's claimants
    truces.csv        conflict.yml's truces, when the conflict has any
    <series>.LICENSE  each bulk series' licence notice (conflict.yml series[].licence_file)
    datapackage.json  a Frictionless Data Package (frictionless.Package): name, title, description,
                      licences (CC BY 4.0 for the compiled data; each series' own on claims.csv),
                      sources, contributors, `created` (the build date), and per CSV a Table Schema
                      made from columns.PACKAGE_COLUMNS: types, descriptions, units, `required`,
                      enums from the vocabularies and the conflict's sides, id and URL patterns,
                      primary and foreign keys, the file's size and sha256

CSV: UTF-8, comma-separated, RFC 4180 quoting (polars), one header row, dates ISO, booleans
true/false, empty for no value. The values are the data exactly: unlike the report tables, text is
not neutralised against spreadsheet formulas (a leading `'` would change the data); open the files
in a spreadsheet as text, or read them with a program.

Deterministic: the same data, code and build date (formatting.build_date, which follows
SOURCE_DATE_EPOCH) give the same bytes. The build (runner.py) writes a conflict's package only
when its data or the code changed, or a file of it is missing or modified (`state["packages"]`).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import __version__, columns, vocabulary
from analysis.report import fingerprint as fp
from analysis.report.files import replace_dir, write_tree

if TYPE_CHECKING:  # polars is imported where a package is made: a build with none to write needs none
    import polars as pl

PACKAGE_FOLDER = "data"  # reports/data/<conflict-id>/
DESCRIPTOR = "datapackage.json"
LINK_TEXT = "Data package (CSV + datapackage.json)"
STATE_KEY = "packages"
PACKAGE_FORMAT = 1  # bump when the package's layout changes in a way the code fingerprint misses

CC_BY = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
# Licences a series may name by their SPDX id (conflict.yml series[].licence); any other text is
# published as the licence's title, with its notice file as its path.
KNOWN_LICENCES = {
    "CC-BY-4.0": CC_BY,
    "CC0-1.0": {
        "name": "CC0-1.0",
        "path": "https://creativecommons.org/publicdomain/zero/1.0/",
        "title": "Creative Commons Zero v1.0 Universal",
    },
    "MIT": {"name": "MIT", "path": "https://opensource.org/license/mit", "title": "MIT License"},
}
AUTHORS = "casualty-claims contributors"


def package_href(conflict_id: str) -> str:
    """The descriptor's address relative to the site's root (index.html and every <slug>.html)."""
    return f"{PACKAGE_FOLDER}/{conflict_id}/{DESCRIPTOR}"


# ------------------------------------------------------------------------------- tables


def claims_table(conflict) -> pl.DataFrame:
    """Every claim of the conflict in the published columns, sorted by claim_id."""
    return conflict.claims.select(list(columns.PACKAGE_COLUMNS["claims"])).sort("claim_id")


def statements_table(conflict) -> pl.DataFrame:
    """The curated statements (not the series' daily reports load_conflict adds), with the
    claimant's name, in statements.csv's order."""
    import polars as pl

    names = conflict.claimants.select("claimant_id", pl.col("name").alias("claimant_name"))
    return (
        conflict.statements.filter(~_is_series_report(conflict))
        .join(names, on="claimant_id", how="left", maintain_order="left")
        .select(list(columns.PACKAGE_COLUMNS["statements"]))
    )


def claimants_table(conflict) -> pl.DataFrame:
    return conflict.claimants.select(list(columns.PACKAGE_COLUMNS["claimants"]))


def truces_table(conflict) -> pl.DataFrame:
    """conflict.yml's truces in date order, with their notes (the loaded frame has none)."""
    import polars as pl

    notes = {str(t["truce_id"]): _text(t.get("notes")) for t in conflict.meta.get("truces") or []}
    return conflict.truces.with_columns(
        notes=pl.col("truce_id").replace_strict(notes, default=None, return_dtype=pl.String)
    ).select(list(columns.PACKAGE_COLUMNS["truces"]))


def _is_series_report(conflict) -> pl.Expr:
    """A statement load_conflict made of a series' daily report: id <series_id>.<date>
    (validate.series_claim_id), with the series' url."""
    import polars as pl

    series = series_entries(conflict)
    if not series:
        return pl.lit(False)
    statement_id = pl.col("statement_id")
    return pl.any_horizontal(
        [
            statement_id.str.starts_with(f"{s['series_id']}.")
            & statement_id.str.contains(r"\.\d{4}-\d{2}-\d{2}$")
            & (pl.col("url") == str(s["url"]))
            for s in series
        ]
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """RFC 4180 CSV as polars writes it: ISO dates, true/false, empty for null, '\\n' line ends."""
    return frame.write_csv(null_value="", line_terminator="\n", date_format="%Y-%m-%d").encode("utf-8")


# ------------------------------------------------------------------------------- schema


def enums(conflict) -> dict[str, list[str]]:
    """Every vocabulary a published column may name (columns.Field.enum), for this conflict."""
    sides = [str(s["side_id"]) for s in conflict.meta["sides"]]
    sources = ["claims.csv"] + [f"series:{s['series_id']}" for s in conflict.meta.get("series") or []]
    return {
        **{name: list(terms) for name, terms in vocabulary.VOCABULARIES.items()},
        "role": list(vocabulary.ROLE),
        "side": sides,
        "claimant_side": sides + list(vocabulary.NON_BELLIGERENT_SIDES),
        "source": sources,
    }


def table_schema(table: str, conflict, **keys):
    """A Table Schema (frictionless.Schema) from columns.PACKAGE_COLUMNS[table]. A column's uniqueness
    is the schema's primary key (keys), not a constraint of its own."""
    from frictionless import Schema, fields

    from analysis.vocabulary import ID_PATTERN, URL_PATTERN

    kinds = {
        "string": fields.StringField,
        "integer": fields.IntegerField,
        "number": fields.NumberField,
        "boolean": fields.BooleanField,
        "date": fields.DateField,
    }
    vocabularies = enums(conflict)
    schema_fields = []
    for name, column in columns.PACKAGE_COLUMNS[table].items():
        constraints: dict = {}
        if column.required:
            constraints["required"] = True
        if column.minimum is not None:
            constraints["minimum"] = column.minimum
        if column.id:
            constraints["pattern"] = _unanchored(ID_PATTERN)
        if column.url:
            constraints["pattern"] = _unanchored(URL_PATTERN)
        if column.enum:
            constraints["enum"] = vocabularies[column.enum]
        options = {"true_values": ["true"], "false_values": ["false"]} if column.type == "boolean" else {}
        schema_field = kinds[column.type](name=name, description=column.description, constraints=constraints, **options)
        if column.unit:
            schema_field.custom["unit"] = column.unit
        schema_fields.append(schema_field)
    return Schema(fields=schema_fields, missing_values=[""], **keys)


def _unanchored(pattern: str) -> str:
    """Table Schema patterns match the whole value: no ^...$ (vocabulary anchors its own)."""
    return pattern.removeprefix("^").removesuffix("$")


# ------------------------------------------------------------------------------ package


def series_entries(conflict) -> list[dict]:
    return list(conflict.meta.get("series") or [])


def series_licence(entry: dict) -> dict:
    """A series' licence as a Data Package licence: by SPDX id when it is one, and pointing at its
    notice file in the package when it has one (an MIT notice names its copyright holder)."""
    text = str(entry["licence"]).strip()
    licence = dict(KNOWN_LICENCES.get(text) or {"title": text})
    if entry.get("licence_file"):
        licence["path"] = Path(str(entry["licence_file"])).name
    return licence


def licence_files(conflict) -> dict[str, Path]:
    """{name in the package: raw file} of each series' licence notice (shared notices once)."""
    folder = Path(conflict.data_dir) / conflict.conflict_id
    files: dict[str, Path] = {}
    for entry in series_entries(conflict):
        if entry.get("licence_file"):
            raw = folder / str(entry["licence_file"])
            files[raw.name] = raw
    return dict(sorted(files.items()))


def build_package(conflict, tables: dict[str, bytes], *, created: dt.date, data_fingerprint: str):
    """The frictionless.Package describing the CSVs in `tables` ({file name: bytes})."""
    import polars as pl
    from frictionless import Package, Resource

    series = series_entries(conflict)
    curated = conflict.claims.filter(pl.col("source") == "claims.csv").height
    series_licences = _unique([series_licence(s) for s in series])

    def resource(name: str, title: str, description: str, schema, licences: list[dict] | None = None):
        data = tables[f"{name}.csv"]
        own = {"licenses": licences} if licences else {}  # otherwise the package's
        return Resource(
            name=name,
            path=f"{name}.csv",
            title=title,
            description=description,
            format="csv",
            mediatype="text/csv",
            encoding="utf-8",
            schema=schema,
            bytes=len(data),
            hash=f"sha256:{fp.sha256_bytes(data)}",
            **own,
        )

    series_words = "; ".join(
        f"source series:{s['series_id']}: {s['licence']}"
        + (f" (notice: {Path(str(s['licence_file'])).name})" if s.get("licence_file") else "")
        for s in series
    )
    claims_description = (
        f"Every figure of the conflict, one row per claim: {curated} curated claim(s) from the project's "
        f"claims.csv and {conflict.claims.height - curated} record(s) of bulk daily series, sorted by claim_id. "
        "value, stated_low and stated_high are the source's numbers; value_low and value_high are the interval "
        "the project derives from the qualifier (see their descriptions). No foreign key from statement_id to "
        "statements.csv: a series record's statement is the series' report of that day, which statements.csv "
        "does not list (the claim's url, outlet, title and statement_date say where it comes from)."
        + (
            f" Licences: curated claims CC-BY-4.0; series records their series' licence ({series_words})."
            if series
            else ""
        )
    )
    resources = [
        resource(
            "claims",
            "Claims",
            claims_description,
            table_schema(
                "claims",
                conflict,
                primary_key=["claim_id"],
                foreign_keys=[
                    {"fields": ["claimant_id"], "reference": {"resource": "claimants", "fields": ["claimant_id"]}},
                    {"fields": ["derived_from"], "reference": {"resource": "", "fields": ["claim_id"]}},
                ],
            ),
            [CC_BY, *series_licences] if series else None,
        ),
        resource(
            "statements",
            "Statements",
            "The curated statements: one row per source document or briefing the claims come from.",
            table_schema(
                "statements",
                conflict,
                primary_key=["statement_id"],
                foreign_keys=[
                    {"fields": ["claimant_id"], "reference": {"resource": "claimants", "fields": ["claimant_id"]}}
                ],
            ),
        ),
        resource(
            "claimants",
            "Claimants",
            "Who makes claims: institutions, each with its side and independence group.",
            table_schema("claimants", conflict, primary_key=["claimant_id"]),
        ),
    ]
    if "truces.csv" in tables:
        resources.append(
            resource(
                "truces",
                "Truces",
                "Periods when the fighting paused, each with its source. Implied daily rates "
                "never average across a truce's start or end.",
                table_schema("truces", conflict, primary_key=["truce_id"]),
            )
        )

    description = (
        f"{conflict.name}: what each side and independent counters say about casualties, every figure with "
        f"who said it, when, the source and its words, as compiled by the casualty-claims project "
        f"(version {__version__}). Figures up to {conflict.data_as_of.isoformat()}; data fingerprint sha256 "
        f"{data_fingerprint} of the project's data/raw/{conflict.conflict_id}/. Each field's description says "
        "what it holds; data/raw/README.md in the project is the full data dictionary. Cite as "
        f'"{AUTHORS}, data/raw/{conflict.conflict_id}" and the original source of each figure (its url).'
    )
    sources = [{"title": "The source of each claim: its url (with outlet and title) in claims.csv and statements.csv"}]
    for entry in series:
        words = f"{entry.get('title') or entry['outlet']} (series {entry['series_id']})"
        if entry.get("compiler"):
            words += f", compiled by {entry['compiler']}"
        if entry.get("producer"):
            words += f" from {entry['producer']}"
        sources.append({"title": words, "path": str(entry["url"])})
    contributors = [{"title": AUTHORS, "role": "author"}]
    contributors += _unique([{"title": str(s["compiler"]), "role": "contributor"} for s in series if s.get("compiler")])
    return Package(
        name=conflict.conflict_id,
        title=conflict.name,
        description=description,
        licenses=[CC_BY],
        sources=sources,
        contributors=contributors,
        keywords=["casualties", "war", "claims", conflict.conflict_id],
        created=f"{created.isoformat()}T00:00:00Z",
        resources=resources,
    )


def package_files(conflict, *, created: dt.date | None = None, data_fingerprint: str | None = None) -> dict[str, bytes]:
    """{file name: bytes} of one conflict's package, datapackage.json last."""
    from analysis import formatting

    created = created or formatting.build_date()
    if data_fingerprint is None:
        data_fingerprint = fp.data_fingerprint(Path(conflict.data_dir) / conflict.conflict_id)
    files = {
        "claims.csv": csv_bytes(claims_table(conflict)),
        "statements.csv": csv_bytes(statements_table(conflict)),
        "claimants.csv": csv_bytes(claimants_table(conflict)),
    }
    if conflict.truces.height:
        files["truces.csv"] = csv_bytes(truces_table(conflict))
    package = build_package(conflict, files, created=created, data_fingerprint=data_fingerprint)
    for name, raw in licence_files(conflict).items():
        files[name] = raw.read_bytes()
    descriptor = package.to_descriptor()
    files[DESCRIPTOR] = (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files


def write_package(conflict, folder: Path, staging: Path, trash: Path, **options) -> dict[str, bytes]:
    """Write the package into `folder` at once: staged, then swapped in (files.replace_dir), so a
    reader never sees a descriptor whose sizes and hashes do not match its CSVs."""
    files = package_files(conflict, **options)
    shutil.rmtree(staging, ignore_errors=True)
    write_tree(staging, files)
    replace_dir(staging, Path(folder), trash)
    return files


# -------------------------------------------------------------------------- in the build


@dataclass
class Published:
    """What the build published: {conflict id: descriptor href} and the problems, in words."""

    links: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def publish(
    out: Path,
    conflicts: list[str],
    data_dir: Path,
    state: dict,
    *,
    code: str,
    data: dict[str, str],
    save: Callable[[], None] | None = None,
) -> Published:
    """Each conflict's package into <out>/data/<conflict-id>/, unless its data fingerprint, the code
    fingerprint and its files are what the last build wrote (state["packages"])."""
    out = Path(out)
    records = state.setdefault(STATE_KEY, {})
    published = Published()
    for conflict_id in dict.fromkeys(conflicts):
        folder = out / PACKAGE_FOLDER / conflict_id
        key = fp.digest_json({"format": PACKAGE_FORMAT, "data": data.get(conflict_id), "code": code})
        record = records.get(conflict_id) or {}
        if record.get("key") == key and _intact(folder, record.get("outputs") or {}):
            published.links[conflict_id] = package_href(conflict_id)
            continue
        try:
            from analysis.dataset import load_conflict

            conflict = load_conflict(conflict_id, data_dir)
            files = write_package(
                conflict,
                folder,
                out / ".build" / "tmp" / f"data-{conflict_id}",
                out / ".build" / "trash",
                data_fingerprint=data.get(conflict_id),
            )
        except Exception as exc:  # noqa: BLE001 - a package's failure must not stop the index
            published.problems.append(f"data package {conflict_id}: {type(exc).__name__}: {exc}")
            records.pop(conflict_id, None)
            continue
        records[conflict_id] = {
            "key": key,
            "outputs": {name: {"sha256": fp.sha256_bytes(b), "bytes": len(b)} for name, b in sorted(files.items())},
        }
        published.links[conflict_id] = package_href(conflict_id)
        published.written.append(conflict_id)
    if published.written and save is not None:
        save()
    return published


def _intact(folder: Path, outputs: dict[str, dict]) -> bool:
    """Every file of the package is there with the bytes written, and nothing else."""
    if not outputs:
        return False
    try:
        if sorted(p.name for p in folder.iterdir()) != sorted(outputs):
            return False
        return all(fp.sha256_file(folder / name) == meta["sha256"] for name, meta in outputs.items())
    except OSError:
        return False


def _unique(items: list[dict]) -> list[dict]:
    seen, kept = set(), []
    for item in items:
        marker = json.dumps(item, sort_keys=True)
        if marker not in seen:
            seen.add(marker)
            kept.append(item)
    return kept


def _text(value) -> str | None:
    return None if value is None else str(value)
