"""references: the published wounded:killed ratios load from data, sourced and checked."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import polars as pl
import pytest

from analysis import vocabulary
from analysis.errors import DataValidationError
from analysis.references import COLUMNS, REFERENCES_FILE, wounded_to_killed_references
from tests.fixture_data import REAL_DATA


def real_rows() -> list[dict]:
    with (REAL_DATA / REFERENCES_FILE).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write(data_dir: Path, rows: list[dict], header: list[str] | None = None) -> Path:
    data_dir.mkdir(exist_ok=True)
    header = header or list(COLUMNS)
    with (data_dir / REFERENCES_FILE).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return data_dir


def problems_of(data_dir: Path) -> list:
    wounded_to_killed_references.cache_clear()
    with pytest.raises(DataValidationError) as caught:
        wounded_to_killed_references(data_dir)
    return caught.value.problems


# --- the real file -----------------------------------------------------------------------------


def test_the_real_file_loads_with_a_source_and_a_quote_on_every_row():
    refs = wounded_to_killed_references(REAL_DATA)
    assert refs.columns == list(COLUMNS)
    assert refs.schema["ratio_low"] == pl.Float64 and refs.schema["ratio_high"] == pl.Float64
    assert refs.height >= 1
    assert refs["reference_id"].is_unique().all()
    for row in refs.iter_rows(named=True):
        assert row["source_url"].startswith(("http://", "https://")), row["reference_id"]
        assert row["quote"] and row["quote"].strip(), row["reference_id"]
        assert row["population"] in vocabulary.POPULATION
        assert 0 < row["ratio_low"] <= row["ratio_high"]


def test_the_real_file_is_the_default_and_is_cached(monkeypatch):
    monkeypatch.delenv("CLAIMS_DATA_DIR", raising=False)
    wounded_to_killed_references.cache_clear()
    first = wounded_to_killed_references()
    assert first is wounded_to_killed_references(REAL_DATA)  # one cache entry per data dir
    assert first.equals(wounded_to_killed_references(REAL_DATA / ".." / "raw"))


def test_a_figure_reads_as_the_source_wrote_it():
    refs = wounded_to_killed_references(REAL_DATA)
    for raw, loaded in zip(real_rows(), refs.iter_rows(named=True), strict=True):
        assert float(raw["ratio_low"]) == loaded["ratio_low"]
        assert raw["quote"] == loaded["quote"]


# --- broken copies -----------------------------------------------------------------------------


def test_a_broken_copy_names_file_line_and_column(tmp_path):
    rows = real_rows()
    assert len(rows) >= 3
    rows[0]["population"] = "soldiers"  # line 2
    rows[1]["ratio_low"], rows[1]["ratio_high"] = "20.0", "10.0"  # line 3
    rows[2]["quote"] = ""  # line 4
    found = {(p.file, p.line, p.column): p for p in problems_of(write(tmp_path / "data", rows))}

    assert set(found) == {
        (REFERENCES_FILE, 2, "population"),
        (REFERENCES_FILE, 3, "ratio_low"),
        (REFERENCES_FILE, 4, "quote"),
    }
    assert found[(REFERENCES_FILE, 2, "population")].value == "soldiers"
    assert "military" in found[(REFERENCES_FILE, 2, "population")].rule
    assert found[(REFERENCES_FILE, 3, "ratio_low")].value == "20.0"
    assert "ratio_high" in found[(REFERENCES_FILE, 3, "ratio_low")].rule
    assert found[(REFERENCES_FILE, 4, "quote")].rule == "is required"
    assert found[(REFERENCES_FILE, 2, "population")].column_number == COLUMNS.index("population") + 1
    assert f"{REFERENCES_FILE}:3: column 4 'ratio_low'" in str(found[(REFERENCES_FILE, 3, "ratio_low")])


def test_a_value_spanning_lines_moves_later_records_down(tmp_path):
    rows = real_rows()[:2]
    rows[0]["notes"] = "first line\nsecond line"  # record 1 takes lines 2-3
    rows[1]["source_url"] = "javascript:alert(1)"  # so record 2 starts on line 4
    [problem] = problems_of(write(tmp_path / "data", rows))
    assert (problem.line, problem.column, problem.value) == (4, "source_url", "javascript:alert(1)")


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("ratio_low", "0", "greater than zero"),
        ("ratio_high", "3:1", "decimal number"),
        ("ratio_low", "-2.5", "decimal number"),
        ("reference_id", "Has Spaces", "must be an id"),
        ("source_url", "ftp://example.org/x", "http"),
        ("description", "   ", "is required"),
    ],
)
def test_each_rule_is_enforced(tmp_path, column, value, rule):
    rows = real_rows()[:1]
    rows[0][column] = value
    [problem] = problems_of(write(tmp_path / "data", rows))
    assert (problem.line, problem.column) == (2, column)
    assert rule in problem.rule


def test_a_duplicate_id_is_reported_on_the_later_line(tmp_path):
    rows = real_rows()[:1] * 2
    [problem] = problems_of(write(tmp_path / "data", rows))
    assert (problem.line, problem.column, problem.rule) == (
        3,
        "reference_id",
        "must be unique (an earlier line has it)",
    )


def test_a_missing_or_unknown_column_is_reported_on_the_header(tmp_path):
    header = [c for c in COLUMNS if c != "quote"] + ["quotation"]
    rows = [dict(r, quotation=r["quote"]) for r in real_rows()[:1]]
    found = {(p.line, p.column, p.rule.split(";")[0]) for p in problems_of(write(tmp_path / "data", rows, header))}
    assert found == {(1, "quote", "required column is missing from the header"), (1, "quotation", "unknown column")}


def test_a_data_dir_without_the_file_has_no_references(tmp_path):
    empty = wounded_to_killed_references(tmp_path)
    assert empty.is_empty() and empty.columns == list(COLUMNS)


def test_a_fault_is_not_cached(tmp_path):
    data_dir = write(tmp_path / "data", [dict(real_rows()[0], population="soldiers")])
    problems_of(data_dir)
    shutil.copy(REAL_DATA / REFERENCES_FILE, data_dir / REFERENCES_FILE)
    assert wounded_to_killed_references(data_dir).height == len(real_rows())
