"""The open data package of each conflict (analysis/report/datapackage.py, reports/data/<id>/):
claims.csv keeps its contract (columns, every claim), every package validates with frictionless
(types, enums, patterns, primary and foreign keys, sizes and hashes), a corrupted file fails
naming the field, the schema's enums are the vocabularies, and two writes give the same bytes.
The last tests build a small catalog (slow: real kernels) for the links and the incremental build."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import frictionless
import polars as pl
import pytest
import yaml

from analysis import columns, vocabulary
from analysis.dataset import load_conflict
from analysis.report import datapackage
from analysis.report.index import IndexReport, render_index
from tests.fixture_data import CONFLICT_ID, HEALTH_AUTHORITY_ID, REAL_DATA, REPO, THREE_SIDES_ID, VALID_DATA

HOSTILE_DATA = REPO / "tests" / "fixtures" / "hostile"
CREATED = dt.date(2026, 1, 2)
# The contract of claims.csv: another tool reads these columns, in this order.
CLAIMS_CONTRACT = [
    "claim_id",
    "statement_id",
    "claimant_id",
    "claimant_name",
    "claimant_side",
    "role",
    "subject_side",
    "population",
    "metric",
    "qualifier",
    "value",
    "stated_low",
    "stated_high",
    "value_low",
    "value_high",
    "is_low_exclusive",
    "period_type",
    "period_start_date",
    "as_of_date",
    "statement_date",
    "method",
    "confidence",
    "derived_from",
    "is_dependent",
    "source_term",
    "quote",
    "url",
    "outlet",
    "title",
    "source",
]
FIXTURE_CONFLICTS = [
    (VALID_DATA, CONFLICT_ID),
    (VALID_DATA, HEALTH_AUTHORITY_ID),
    (VALID_DATA, THREE_SIDES_ID),
    (HOSTILE_DATA, "hostile-conflict"),
]
REAL_CONFLICTS = [(REAL_DATA, "russia-ukraine"), (REAL_DATA, "gaza-war")]
IDS = [c for _, c in FIXTURE_CONFLICTS + REAL_CONFLICTS]


@pytest.fixture(scope="module")
def conflicts():
    return {cid: load_conflict(cid, data_dir) for data_dir, cid in FIXTURE_CONFLICTS + REAL_CONFLICTS}


@pytest.fixture(scope="module")
def packages(conflicts, tmp_path_factory) -> dict[str, Path]:
    """Each conflict's package, written once: {conflict id: its folder}."""
    root = tmp_path_factory.mktemp("packages")
    for cid, conflict in conflicts.items():
        datapackage.write_package(conflict, root / "data" / cid, root / "tmp" / cid, root / "trash", created=CREATED)
    return {cid: root / "data" / cid for cid in conflicts}


def descriptor(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def resource(folder: Path, name: str) -> dict:
    return next(r for r in descriptor(folder)["resources"] if r["name"] == name)


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def errors(report) -> list[tuple[str, str, str | None]]:
    """(resource, error type, field name) of every error frictionless found."""
    return [
        (task.name, error.type, getattr(error, "field_name", None)) for task in report.tasks for error in task.errors
    ] + [("", e.type, None) for e in report.errors]


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize("cid", IDS)
def test_every_package_validates_with_frictionless(packages, cid):
    report = frictionless.validate(str(packages[cid] / "datapackage.json"))
    assert report.valid, report.flatten(["type", "fieldName", "message"])[:10]
    assert {task.name for task in report.tasks} >= {"claims", "statements", "claimants"}
    assert all(task.stats["rows"] > 0 for task in report.tasks)


@pytest.mark.parametrize("cid", IDS)
def test_the_keys_are_declared_so_validation_checks_them(packages, cid):
    claims = resource(packages[cid], "claims")["schema"]
    assert claims["primaryKey"] == ["claim_id"]
    assert {(tuple(k["fields"]), k["reference"]["resource"]) for k in claims["foreignKeys"]} == {
        (("claimant_id",), "claimants"),
        (("derived_from",), ""),
    }
    statements = resource(packages[cid], "statements")["schema"]
    assert statements["primaryKey"] == ["statement_id"]
    assert statements["foreignKeys"][0]["reference"] == {"resource": "claimants", "fields": ["claimant_id"]}
    # No key from claims.statement_id to statements.csv: series records have no row there, and the
    # resource says why.
    assert "No foreign key from statement_id" in resource(packages[cid], "claims")["description"]


def corrupt(folder: Path, tmp_path: Path, column: str, value: str, row: int = 0) -> Path:
    """A copy of the package whose claims.csv has `value` in `column` of one row."""
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    header, rows = read_csv(copy / "claims.csv")
    rows[row][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (copy / "claims.csv").write_text(out.getvalue(), encoding="utf-8")
    return copy / "datapackage.json"


def test_a_value_of_the_wrong_type_fails_validation_naming_the_field(packages, tmp_path):
    report = frictionless.validate(str(corrupt(packages[CONFLICT_ID], tmp_path, "value", "many")))
    assert not report.valid
    found = errors(report)
    assert ("claims", "type-error", "value") in found, found
    message = next(e.message for t in report.tasks for e in t.errors if e.type == "type-error")
    assert '"many"' in message and 'field "value"' in message
    assert ("claims", "hash-count", None) in found  # and the file no longer matches its recorded sha256


@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        ("claimant_id", "nobody", "foreign-key"),  # not in claimants.csv
        ("derived_from", "no.such.claim", "foreign-key"),  # not a claim of the file
        ("metric", "casualties", "constraint-error"),  # not in the vocabulary
        ("role", "neutral", "constraint-error"),
        ("url", "javascript:alert(1)", "constraint-error"),
        ("as_of_date", "24/02/2022", "type-error"),
        ("is_dependent", "yes", "type-error"),
        ("quote", "", None),  # empty is allowed: series records have no quote
    ],
)
def test_each_rule_of_the_schema_is_checked(packages, tmp_path, column, value, error):
    report = frictionless.validate(str(corrupt(packages[CONFLICT_ID], tmp_path, column, value, row=1)))
    kinds = {kind for _, kind, _ in errors(report)} - {"hash-count", "byte-count"}
    assert kinds == ({error} if error else set()), errors(report)


def test_a_duplicate_claim_id_breaks_the_primary_key(packages, tmp_path):
    header, rows = read_csv(packages[CONFLICT_ID] / "claims.csv")
    report = frictionless.validate(str(corrupt(packages[CONFLICT_ID], tmp_path, "claim_id", rows[0]["claim_id"], 1)))
    assert "primary-key" in {kind for _, kind, _ in errors(report)}


# ---------------------------------------------------------------------------- the schema


def fields(folder: Path, name: str) -> dict[str, dict]:
    return {f["name"]: f for f in resource(folder, name)["schema"]["fields"]}


@pytest.mark.parametrize("cid", IDS)
def test_the_enums_are_the_vocabularies(packages, conflicts, cid):
    claims, claimants = fields(packages[cid], "claims"), fields(packages[cid], "claimants")
    for column in ("population", "metric", "qualifier", "period_type", "method", "confidence"):
        assert claims[column]["constraints"]["enum"] == list(vocabulary.VOCABULARIES[column]), column
    assert claims["role"]["constraints"]["enum"] == list(vocabulary.ROLE)
    assert claimants["kind"]["constraints"]["enum"] == list(vocabulary.CLAIMANT_KIND)
    sides = conflicts[cid].sides["side_id"].to_list()
    assert claims["subject_side"]["constraints"]["enum"] == sides
    assert claims["claimant_side"]["constraints"]["enum"] == sides + ["third_party", "independent"]
    assert claimants["side"]["constraints"]["enum"] == sides + ["third_party", "independent"]
    series = [s["series_id"] for s in conflicts[cid].meta.get("series") or []]
    assert claims["source"]["constraints"]["enum"] == ["claims.csv"] + [f"series:{s}" for s in series]


def test_every_enum_column_names_a_vocabulary_that_exists():
    known = set(vocabulary.VOCABULARIES) | {"role", "side", "claimant_side", "source"}
    for table, described in columns.PACKAGE_COLUMNS.items():
        for name, column in described.items():
            assert column.enum is None or column.enum in known, (table, name)
            assert column.type in ("string", "integer", "number", "boolean", "date"), (table, name)
            assert len(column.description) > 15, (table, name)


def test_the_schema_is_the_column_dictionary(packages):
    for table in ("claims", "statements", "claimants", "truces"):
        described = fields(packages[HEALTH_AUTHORITY_ID], table)
        assert list(described) == list(columns.PACKAGE_COLUMNS[table])
        for name, column in columns.PACKAGE_COLUMNS[table].items():
            field = described[name]
            assert (field["type"], field["description"]) == (column.type, column.description)
            assert field.get("constraints", {}).get("required", False) == column.required, (table, name)
            assert field.get("unit") == column.unit
    claims = fields(packages[HEALTH_AUTHORITY_ID], "claims")
    assert "derive" in claims["value_low"]["description"] and "qualifier" in claims["value_low"]["description"]
    assert "civilian_share_pct: percent" in claims["value"]["unit"]
    assert claims["value"]["constraints"]["minimum"] == 0


DICTIONARY = (REAL_DATA / "README.md").read_text(encoding="utf-8")


def documented(table: str) -> dict[str, bool]:
    """{column: required} of a table in data/raw/README.md ('yes' = required in every row)."""
    section = re.search(rf"^## {re.escape(table)} .*?\n(.*?)(?=^## )", DICTIONARY, re.S | re.M).group(1)
    rows = re.findall(r"^\| `([a-z_]+)` \|(.*)$", section, re.M)
    return {name: [c.strip() for c in rest.split("|")][-3] == "yes" for name, rest in rows}


@pytest.mark.parametrize(("table", "raw"), [("claims", "claims.csv"), ("statements", "statements.csv")])
def test_the_column_dictionary_agrees_with_the_data_dictionary(table, raw):
    """A raw column keeps its required-ness in the package; value_low/value_high are not the raw
    columns (on load they become the derived interval; the raw ones are stated_low/stated_high)."""
    raw_columns = documented(raw)
    assert raw_columns, raw
    for name, column in columns.PACKAGE_COLUMNS[table].items():
        if name in raw_columns and name not in ("value_low", "value_high", "quote"):
            assert column.required == raw_columns[name], name
    # quote: required in the raw claims.csv, empty for series records (which the package includes)
    assert raw_columns.get("quote", True) and not columns.PACKAGE_COLUMNS["claims"]["quote"].required
    assert columns.PACKAGE_COLUMNS["claims"]["stated_low"].type == "integer"


# ---------------------------------------------------------------------------- the contents


@pytest.mark.parametrize("cid", IDS)
def test_claims_csv_has_the_contract_columns_and_every_claim(packages, conflicts, cid):
    header, rows = read_csv(packages[cid] / "claims.csv")
    assert header == CLAIMS_CONTRACT
    claims = conflicts[cid].claims
    assert len(rows) == claims.height
    ids = [r["claim_id"] for r in rows]
    assert ids == sorted(ids) and set(ids) == set(claims["claim_id"])
    sources = {r["source"] for r in rows}
    series = {f"series:{s['series_id']}" for s in conflicts[cid].meta.get("series") or []}
    assert sources == {"claims.csv"} | series  # curated claims and series records both
    assert {r["is_dependent"] for r in rows} <= {"true", "false"}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["as_of_date"]) for r in rows)


def test_claims_csv_reads_back_as_the_loaded_claims(packages, conflicts):
    for cid in ("russia-ukraine", CONFLICT_ID):
        loaded = conflicts[cid].claims.select(CLAIMS_CONTRACT).sort("claim_id")
        read = pl.read_csv(packages[cid] / "claims.csv", schema=loaded.schema)
        assert read.equals(loaded), cid


@pytest.mark.parametrize("cid", IDS)
def test_statements_csv_is_the_curated_statements_with_the_claimant_name(packages, conflicts, cid):
    header, rows = read_csv(packages[cid] / "statements.csv")
    assert header == list(columns.PACKAGE_COLUMNS["statements"])
    raw = pl.read_csv(conflicts[cid].data_dir / cid / "statements.csv", infer_schema=False)
    assert [r["statement_id"] for r in rows] == raw["statement_id"].to_list()
    names = dict(zip(conflicts[cid].claimants["claimant_id"], conflicts[cid].claimants["name"], strict=True))
    assert all(r["claimant_name"] == names[r["claimant_id"]] for r in rows)


def test_truces_only_where_the_conflict_has_truces(packages, conflicts):
    for cid, folder in packages.items():
        has = conflicts[cid].truces.height > 0
        assert (folder / "truces.csv").is_file() == has, cid
        assert ("truces" in {r["name"] for r in descriptor(folder)["resources"]}) == has
    header, rows = read_csv(packages["gaza-war"] / "truces.csv")
    assert header[-1] == "notes" and all(r["notes"] for r in rows)


def test_licences_and_notices(packages):
    ru, gaza = descriptor(packages["russia-ukraine"]), descriptor(packages["gaza-war"])
    for package in (ru, gaza):
        assert package["licenses"] == [datapackage.CC_BY]
    ru_claims = resource(packages["russia-ukraine"], "claims")["licenses"]
    assert ru_claims == [
        datapackage.CC_BY,
        {"name": "MIT", "path": "ua_general_staff_personnel.LICENSE", "title": "MIT License"},
    ]
    gaza_claims = resource(packages["gaza-war"], "claims")["licenses"]
    assert gaza_claims[1] == {
        "title": "Public domain (Unlicense-style dedication)",
        "path": "techforpalestine.LICENSE",
    }  # four series, one notice
    for cid, notice in (
        ("russia-ukraine", "series/ua_general_staff_personnel.LICENSE"),
        ("gaza-war", "series/techforpalestine.LICENSE"),
    ):
        copied = packages[cid] / Path(notice).name
        assert copied.read_bytes() == (REAL_DATA / cid / notice).read_bytes()
    assert "Petro Ivaniuk" in (packages["russia-ukraine"] / "ua_general_staff_personnel.LICENSE").read_text()
    # a resource without a series has no licences of its own: the package's CC BY 4.0
    assert "licenses" not in resource(packages[THREE_SIDES_ID], "claims")


def test_sources_contributors_and_dates(packages, conflicts):
    ru = descriptor(packages["russia-ukraine"])
    assert ru["name"] == "russia-ukraine" and ru["title"] == conflicts["russia-ukraine"].name
    assert ru["created"] == "2026-01-02T00:00:00Z"  # the build date given, never the clock
    series = conflicts["russia-ukraine"].meta["series"][0]
    assert {"title": ru["sources"][1]["title"], "path": series["url"]} == ru["sources"][1]
    assert "Petro Ivaniuk" in ru["sources"][1]["title"] and "url" in ru["sources"][0]["title"]
    assert {"title": "Petro Ivaniuk", "role": "contributor"} in ru["contributors"]
    assert conflicts["russia-ukraine"].data_as_of.isoformat() in ru["description"]
    gaza = descriptor(packages["gaza-war"])
    assert len(gaza["sources"]) == 1 + 4 and gaza["contributors"][1] == {
        "title": "Tech For Palestine",
        "role": "contributor",
    }


def test_two_writes_are_byte_identical(conflicts, packages, tmp_path):
    for cid in ("gaza-war", HEALTH_AUTHORITY_ID):
        again = tmp_path / cid
        datapackage.write_package(conflicts[cid], again, tmp_path / "tmp", tmp_path / "trash", created=CREATED)
        first = sorted(p.name for p in packages[cid].iterdir())
        assert sorted(p.name for p in again.iterdir()) == first
        for name in first:
            assert (again / name).read_bytes() == (packages[cid] / name).read_bytes(), (cid, name)


def test_the_build_date_follows_source_date_epoch(conflicts, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14
    files = datapackage.package_files(conflicts[CONFLICT_ID])
    assert json.loads(files["datapackage.json"])["created"] == "2023-11-14T00:00:00Z"


# ------------------------------------------------------------------------- publish, index


def test_publish_skips_an_unchanged_package_and_repairs_a_modified_one(tmp_path):
    state: dict = {}
    fingerprints = {"code": "c1", "data": {CONFLICT_ID: "d1"}}

    def publish():
        return datapackage.publish(
            tmp_path,
            [CONFLICT_ID, CONFLICT_ID],
            VALID_DATA,
            state,
            code=fingerprints["code"],
            data=fingerprints["data"],
        )

    first = publish()
    assert first.written == [CONFLICT_ID] and not first.problems
    assert first.links == {CONFLICT_ID: f"data/{CONFLICT_ID}/datapackage.json"}
    claims = tmp_path / "data" / CONFLICT_ID / "claims.csv"
    written = claims.read_bytes()
    assert publish().written == []  # nothing changed
    claims.write_bytes(written + b"x")
    assert publish().written == [CONFLICT_ID] and claims.read_bytes() == written
    (tmp_path / "data" / CONFLICT_ID / "stray.txt").write_text("x")
    assert publish().written == [CONFLICT_ID] and not (tmp_path / "data" / CONFLICT_ID / "stray.txt").exists()
    fingerprints["data"][CONFLICT_ID] = "d2"
    assert publish().written == [CONFLICT_ID]
    fingerprints["code"] = "c2"
    assert publish().written == [CONFLICT_ID]
    assert not list(tmp_path.rglob("*.tmp")) and not (tmp_path / ".build" / "tmp" / f"data-{CONFLICT_ID}").exists()


def test_publish_reports_a_conflict_it_cannot_load(tmp_path):
    published = datapackage.publish(tmp_path, ["no-such-conflict"], VALID_DATA, {}, code="c", data={})
    assert published.links == {} and published.written == []
    assert published.problems and published.problems[0].startswith("data package no-such-conflict:")


def test_the_index_links_each_conflicts_package():
    reports = [
        IndexReport(
            slug=s, title=s, has_html=True, state="ok", status="ok", conflict_id=c, conflict_name=c, is_overview=False
        )
        for s, c in (("a", "one"), ("b", "two"))
    ]
    html = render_index(
        reports,
        title="t",
        catalog_name="c.yml",
        package_version="0",
        built=CREATED,
        packages={"one": "data/one/datapackage.json"},
    )
    assert html.count("Data package (CSV + datapackage.json)") == 1
    assert '<a href="data/one/datapackage.json">Data package (CSV + datapackage.json)</a>' in html
    assert "Data package" not in render_index(
        reports, title="t", catalog_name="c.yml", package_version="0", built=CREATED
    )


# ------------------------------------------------------------------------- in the build


@pytest.mark.slow
def test_the_build_publishes_links_and_skips_unchanged_packages(tmp_path):
    from tests.test_report_build import NOTEBOOKS, claims_build

    data = tmp_path / "data"
    for cid in (CONFLICT_ID, HEALTH_AUTHORITY_ID, THREE_SIDES_ID):
        shutil.copytree(VALID_DATA / cid, data / cid)
    catalog = tmp_path / "catalog.yml"
    catalog.write_text(
        yaml.safe_dump(
            {
                "data_dir": "data",
                "reports": [
                    {
                        "slug": "a",
                        "title": "A",
                        "notebook": str(NOTEBOOKS / "headline.ipynb"),
                        "parameters": {"conflict": CONFLICT_ID},
                    },
                    {
                        "slug": "b",
                        "title": "B",
                        "notebook": str(NOTEBOOKS / "headline.ipynb"),
                        "parameters": {"conflict": HEALTH_AUTHORITY_ID, "topic": ""},
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    first = claims_build("--catalog", catalog, "--out", out)
    assert first.returncode == 0, first.stdout + first.stderr
    assert sorted(p.name for p in (out / "data").iterdir()) == sorted([CONFLICT_ID, HEALTH_AUTHORITY_ID])
    for cid in (CONFLICT_ID, HEALTH_AUTHORITY_ID):
        assert f"data package: {cid}" in first.stdout
        report = frictionless.validate(str(out / "data" / cid / "datapackage.json"))
        assert report.valid, report.flatten(["type", "fieldName", "message"])[:5]
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">Data package \(CSV \+ datapackage.json\)</a>', index)
    assert links == [f"data/{CONFLICT_ID}/datapackage.json", f"data/{HEALTH_AUTHORITY_ID}/datapackage.json"]
    for slug, cid in (("a", CONFLICT_ID), ("b", HEALTH_AUTHORITY_ID)):
        page = (out / f"{slug}.html").read_text(encoding="utf-8")
        href = re.search(r'class="claims-data-package">.*?<a href="([^"]+)"', page, re.S).group(1)
        assert href == f"data/{cid}/datapackage.json" and (out / href).is_file()  # relative to the page
    written = {p: p.read_bytes() for p in (out / "data").rglob("*") if p.is_file()}

    again = claims_build("--catalog", catalog, "--out", out)
    assert again.returncode == 0 and "data package:" not in again.stdout, again.stdout
    assert {p: p.read_bytes() for p in (out / "data").rglob("*") if p.is_file()} == written
    assert re.findall(r'href="(data/[^"]+)"', (out / "index.html").read_text(encoding="utf-8")) == links

    meta = data / HEALTH_AUTHORITY_ID / "conflict.yml"  # a change of that conflict's data folder only
    meta.write_text(meta.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    third = claims_build("--catalog", catalog, "--out", out)
    assert third.returncode == 0, third.stdout + third.stderr
    assert f"data package: {HEALTH_AUTHORITY_ID}" in third.stdout and f"data package: {CONFLICT_ID}" not in third.stdout
