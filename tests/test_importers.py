"""importers: a bulk source file becomes a series CSV; bad records are refused by name."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from analysis.importers import (IMPORTERS, SERIES_HEADER, read_ivaniuk_personnel, sha256_of,
                                write_series)
from analysis.validate import validate_data_dir
from tests.fixture_data import CONFLICT_ID, copy_valid

RECORDS = [
    {"date": "2022-02-25", "day": 2, "personnel": 2800, "personnel*": "about", "POW": 0},
    {"date": "2022-02-26", "day": 3, "personnel": 4300, "personnel*": "about", "POW": 2},
    {"date": "2022-03-12", "day": 17, "personnel": 12000, "personnel*": "more"},
]


def source(tmp_path: Path, records) -> Path:
    path = tmp_path / "russia_losses_personnel.json"
    path.write_text(json.dumps(records, indent=4), encoding="utf-8")
    return path


def test_ivaniuk_records_become_series_rows(tmp_path):
    rows = read_ivaniuk_personnel(source(tmp_path, RECORDS))
    assert rows == [
        {"date": "2022-02-25", "value": "2800", "qualifier": "about"},
        {"date": "2022-02-26", "value": "4300", "qualifier": "about"},
        {"date": "2022-03-12", "value": "12000", "qualifier": "more_than"},
    ]


def test_pow_and_day_are_not_imported(tmp_path):
    rows = read_ivaniuk_personnel(source(tmp_path, RECORDS))
    assert all(set(row) == set(SERIES_HEADER) for row in rows)


def test_importer_is_registered_under_its_cli_name():
    assert IMPORTERS["ivaniuk"] is read_ivaniuk_personnel


@pytest.mark.parametrize("bad, field, shown", [
    ({"personnel": "2800"}, "personnel", "'2800'"),
    ({"personnel": -5}, "personnel", "-5"),
    ({"personnel": 12.5}, "personnel", "12.5"),
    ({"personnel": True}, "personnel", "True"),
    ({"personnel*": "approximately"}, "personnel*", "'approximately'"),
    ({"personnel*": None}, "personnel*", "None"),
])
def test_bad_record_raises_value_error_naming_record_field_and_value(tmp_path, bad, field, shown):
    records = [dict(r) for r in RECORDS]
    records[1].update(bad)
    with pytest.raises(ValueError) as caught:
        read_ivaniuk_personnel(source(tmp_path, records))
    message = str(caught.value)
    assert "record 2" in message and "2022-02-26" in message
    assert f"'{field}'" in message
    assert shown in message


@pytest.mark.parametrize("missing", ["date", "personnel", "personnel*"])
def test_record_missing_a_field_raises_value_error_naming_it(tmp_path, missing):
    records = [dict(r) for r in RECORDS]
    del records[2][missing]
    with pytest.raises(ValueError, match=rf"record 3 .*missing field '{re.escape(missing)}'"):
        read_ivaniuk_personnel(source(tmp_path, records))


def test_source_that_is_not_a_list_is_refused(tmp_path):
    with pytest.raises(ValueError, match="expected a JSON list"):
        read_ivaniuk_personnel(source(tmp_path, {"data": RECORDS}))


@pytest.mark.parametrize("record", [42, ["2022-02-25", 2800, "about"]], ids=["number", "list"])
def test_record_that_is_not_an_object_raises_value_error_naming_it(tmp_path, record):
    with pytest.raises(ValueError, match="record 2"):
        read_ivaniuk_personnel(source(tmp_path, [RECORDS[0], record]))


def test_write_series_writes_the_project_format(tmp_path):
    (tmp_path / "series").mkdir()
    out = tmp_path / "series" / "new.csv"
    write_series(read_ivaniuk_personnel(source(tmp_path, RECORDS)), out)
    assert out.read_bytes() == (b"date,value,qualifier\n2022-02-25,2800,about\n"
                                b"2022-02-26,4300,about\n2022-03-12,12000,more_than\n")
    assert not list(out.parent.glob("*.tmp"))


def test_write_series_refuses_to_overwrite(tmp_path):
    out = tmp_path / "series.csv"
    out.write_text("hand-edited\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="series.csv"):
        write_series([{"date": "2022-02-25", "value": "1", "qualifier": "about"}], out)
    assert out.read_text(encoding="utf-8") == "hand-edited\n"


def test_write_series_refuses_a_missing_folder_and_creates_none(tmp_path):
    out = tmp_path / "no_such_folder" / "new.csv"
    with pytest.raises(FileNotFoundError, match="output folder .*no_such_folder does not exist"):
        write_series([{"date": "2022-02-25", "value": "1", "qualifier": "about"}], out, tmp_path / "source.json")
    assert not out.parent.exists()


def test_write_series_errors_name_the_source(tmp_path):
    out = tmp_path / "series.csv"
    out.write_text("hand-edited\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match=re.escape(f"{tmp_path / 'source.json'}: not imported: {out} exists")):
        write_series([{"date": "2022-02-25", "value": "1", "qualifier": "about"}], out, tmp_path / "source.json")


@pytest.mark.parametrize("date", ["2022-02-30", "2022-2-26", "26.02.2022", "2022-02-26T00:00", "", None, 20220226],
                         ids=["impossible", "unpadded", "dotted", "with_time", "empty", "null", "number"])
def test_record_with_an_invalid_date_is_refused_naming_source_record_and_value(tmp_path, date):
    records = [dict(r) for r in RECORDS]
    records[1]["date"] = date
    path = source(tmp_path, records)
    with pytest.raises(ValueError) as caught:
        read_ivaniuk_personnel(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: record 2 ")
    assert f"field 'date' value {date!r}: must be a calendar date written YYYY-MM-DD" in message


def test_record_with_a_duplicate_date_is_refused_naming_both_records(tmp_path):
    records = [dict(r) for r in RECORDS] + [{**RECORDS[0], "personnel": 2900}]
    path = source(tmp_path, records)
    with pytest.raises(ValueError) as caught:
        read_ivaniuk_personnel(path)
    assert str(caught.value) == (f"{path}: record 4 (date '2022-02-25'): field 'date' value '2022-02-25': "
                                 "duplicate date: record 1 has it (a series has one record a day)")


def test_source_that_is_not_json_is_refused_naming_it(tmp_path):
    path = tmp_path / "russia_losses_personnel.json"
    path.write_text('[{"date": "2022-02-25",', encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: not valid JSON: line 1 column"):
        read_ivaniuk_personnel(path)


def test_imported_series_passes_validation(tmp_path):
    data = copy_valid(tmp_path / "copy")
    series = data / CONFLICT_ID / "series" / "sy_general_staff_personnel.csv"
    series.unlink()
    records = [{"date": f"2022-02-{day:02d}", "personnel": 100 * day, "personnel*": "about"}
               for day in range(2, 28)] + [{"date": "2022-03-01", "personnel": 5600, "personnel*": "about"}]
    write_series(read_ivaniuk_personnel(source(tmp_path, records)), series)
    summary, problems = validate_data_dir(data)
    assert problems == []
    by_id = {c.conflict_id: c for c in summary.conflicts}
    assert by_id[CONFLICT_ID].series_claims == 27


def test_sha256_of(tmp_path):
    path = source(tmp_path, RECORDS)
    assert sha256_of(path) == hashlib.sha256(path.read_bytes()).hexdigest()
