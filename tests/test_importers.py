"""importers: a bulk source file becomes a series CSV; bad records are refused by name."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from analysis.importers import (
    IMPORTER_OPTIONS,
    IMPORTERS,
    SERIES_HEADER,
    TECHFORPALESTINE_CHANNELS,
    TECHFORPALESTINE_FIGURES,
    read_ivaniuk_personnel,
    read_techforpalestine_daily,
    write_series,
)
from analysis.report.fingerprint import sha256_file
from analysis.validate import validate_data_dir
from tests.fixture_data import CONFLICT_ID, SHARED_DATA, copy_valid

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


@pytest.mark.parametrize(
    "bad, field, shown",
    [
        ({"personnel": "2800"}, "personnel", "'2800'"),
        ({"personnel": -5}, "personnel", "-5"),
        ({"personnel": 12.5}, "personnel", "12.5"),
        ({"personnel": True}, "personnel", "True"),
        ({"personnel*": "approximately"}, "personnel*", "'approximately'"),
        ({"personnel*": None}, "personnel*", "None"),
    ],
)
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
    assert out.read_bytes() == (
        b"date,value,qualifier\n2022-02-25,2800,about\n2022-02-26,4300,about\n2022-03-12,12000,more_than\n"
    )
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


@pytest.mark.parametrize(
    "date",
    ["2022-02-30", "2022-2-26", "26.02.2022", "2022-02-26T00:00", "", None, 20220226],
    ids=["impossible", "unpadded", "dotted", "with_time", "empty", "null", "number"],
)
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
    assert str(caught.value) == (
        f"{path}: record 4 (date '2022-02-25'): field 'date' value '2022-02-25': "
        "duplicate date: record 1 has it (a series has one record a day)"
    )


def test_source_that_is_not_json_is_refused_naming_it(tmp_path):
    path = tmp_path / "russia_losses_personnel.json"
    path.write_text('[{"date": "2022-02-25",', encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: not valid JSON: line 1 column"):
        read_ivaniuk_personnel(path)


def test_imported_series_passes_validation(tmp_path):
    data = copy_valid(tmp_path / "copy")
    series = data / CONFLICT_ID / "series" / "sy_general_staff_personnel.csv"
    series.unlink()
    records = [
        {"date": f"2022-02-{day:02d}", "personnel": 100 * day, "personnel*": "about"} for day in range(2, 28)
    ] + [{"date": "2022-03-01", "personnel": 5600, "personnel*": "about"}]
    write_series(read_ivaniuk_personnel(source(tmp_path, records)), series)
    summary, problems = validate_data_dir(data)
    assert problems == []
    by_id = {c.conflict_id: c for c in summary.conflicts}
    assert by_id[CONFLICT_ID].series_claims == 27


def test_sha256_file(tmp_path):
    path = source(tmp_path, RECORDS)
    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


# --- techforpalestine: casualties_daily.json of Tech For Palestine's palestine-datasets ----------

TFP_RECORDS = [
    {
        "report_date": "2023-10-07",
        "report_source": "mohtel",
        "report_period": 24,
        "killed": 232,
        "killed_cum": 232,
        "ext_killed_cum": 232,
        "injured_cum": 1610,
        "ext_injured_cum": 1610,
    },
    # the Government Media Office's channel reported that day
    {
        "report_date": "2023-10-08",
        "report_source": "gmotel",
        "report_period": 24,
        "killed_cum": 400,
        "ext_killed_cum": 400,
        "injured_cum": 2000,
        "ext_injured_cum": 2000,
    },
    # no report that day: the dataset's build carries figures forward into ext_* (and a missing
    # day may still hold a figure from elsewhere: not the channel's, never imported)
    {
        "report_date": "2023-10-09",
        "report_source": "missing",
        "report_period": 0,
        "killed_cum": 450,
        "ext_killed_cum": 450,
        "ext_injured_cum": 2000,
    },
    # a reported figure the build's ext_* does not repeat: the reported one is imported
    {
        "report_date": "2023-10-10",
        "report_source": "mohtel",
        "report_period": 24,
        "killed_cum": 900,
        "ext_killed_cum": 947,
        "injured_cum": 2500,
        "ext_injured_cum": 2599,
    },
    # the channel reported, but not this figure: only the build's ext_killed_cum is there
    {
        "report_date": "2023-10-11",
        "report_source": "mohtel",
        "report_period": 24,
        "injured_cum": 2700,
        "ext_killed_cum": 1000,
        "ext_injured_cum": 2700,
    },
    {
        "report_date": "2023-10-12",
        "report_source": "gmotel",
        "report_period": 24,
        "killed_cum": 1100,
        "ext_killed_cum": 1100,
        "ext_injured_cum": 2800,
    },
    {
        "report_date": "2023-10-13",
        "report_source": "mohtel",
        "report_period": 24,
        "killed_cum": 1200,
        "ext_killed_cum": 1200,
        "injured_cum": 3000,
        "ext_injured_cum": 3000,
    },
]


def tfp_source(tmp_path: Path, records) -> Path:
    path = tmp_path / "casualties_daily.json"
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    return path


def tfp(path: Path, channel: str = "mohtel", figure: str = "killed_cum") -> list[dict[str, str]]:
    return read_techforpalestine_daily(path, channel=channel, figure=figure)


def exact(*pairs) -> list[dict[str, str]]:
    return [{"date": date, "value": str(value), "qualifier": "exact"} for date, value in pairs]


@pytest.mark.parametrize(
    "channel, figure, expected",
    [
        ("mohtel", "killed_cum", exact(("2023-10-07", 232), ("2023-10-10", 900), ("2023-10-13", 1200))),
        (
            "mohtel",
            "injured_cum",
            exact(("2023-10-07", 1610), ("2023-10-10", 2500), ("2023-10-11", 2700), ("2023-10-13", 3000)),
        ),
        ("gmotel", "killed_cum", exact(("2023-10-08", 400), ("2023-10-12", 1100))),
        ("gmotel", "injured_cum", exact(("2023-10-08", 2000))),
    ],
)
def test_techforpalestine_takes_one_channels_reported_figure(tmp_path, channel, figure, expected):
    assert tfp(tfp_source(tmp_path, TFP_RECORDS), channel, figure) == expected


def test_techforpalestine_never_reads_an_ext_field(tmp_path):
    rows = {row["date"]: row["value"] for row in tfp(tfp_source(tmp_path, TFP_RECORDS))}
    assert rows["2023-10-10"] == "900"  # killed_cum, not ext_killed_cum 947
    assert "2023-10-11" not in rows  # only ext_killed_cum: the channel did not report it
    assert "2023-10-09" not in rows  # a missing day


def test_techforpalestine_ignores_ext_fields_entirely(tmp_path):
    """Changing or removing every ext_* field changes nothing (and a broken one is not noticed)."""
    expected = {
        (c, f): tfp(tfp_source(tmp_path, TFP_RECORDS), c, f)
        for c in TECHFORPALESTINE_CHANNELS
        for f in TECHFORPALESTINE_FIGURES
    }
    for variant in ("removed", "broken"):
        records = [{k: v for k, v in r.items() if not k.startswith("ext_")} for r in TFP_RECORDS]
        if variant == "broken":
            records = [{**r, "ext_killed_cum": "n/a", "ext_injured_cum": -1} for r in records]
        path = tfp_source(tmp_path, records)
        assert {(c, f): tfp(path, c, f) for c, f in expected} == expected, variant


def test_techforpalestine_rows_have_only_the_series_columns(tmp_path):
    rows = tfp(tfp_source(tmp_path, TFP_RECORDS), "mohtel", "injured_cum")
    assert rows and all(list(row) == SERIES_HEADER for row in rows)


def test_techforpalestine_is_registered_with_its_options():
    assert IMPORTERS["techforpalestine"] is read_techforpalestine_daily
    assert IMPORTER_OPTIONS["techforpalestine"] == {
        "channel": TECHFORPALESTINE_CHANNELS,
        "figure": TECHFORPALESTINE_FIGURES,
    }
    assert list(TECHFORPALESTINE_CHANNELS) == ["mohtel", "gmotel"]
    assert list(TECHFORPALESTINE_FIGURES) == ["killed_cum", "injured_cum"]


def test_importer_options_are_the_importers_keyword_only_parameters():
    """The CLI passes IMPORTER_OPTIONS as keywords: they must be exactly what each importer takes."""
    import inspect

    for name, importer in IMPORTERS.items():
        keyword_only = [
            p.name for p in inspect.signature(importer).parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY
        ]
        assert keyword_only == list(IMPORTER_OPTIONS.get(name, {})), name


@pytest.mark.parametrize(
    "channel, figure, shown",
    [
        ("missing", "killed_cum", "channel 'missing': must be one of mohtel, gmotel"),
        ("unocha", "killed_cum", "channel 'unocha': must be one of mohtel, gmotel"),
        ("MOHTEL", "killed_cum", "channel 'MOHTEL': must be one of mohtel, gmotel"),
        ("mohtel", "ext_killed_cum", "figure 'ext_killed_cum': must be one of killed_cum, injured_cum"),
        ("mohtel", "killed", "figure 'killed': must be one of killed_cum, injured_cum"),
        ("gmotel", "report_date", "figure 'report_date': must be one of killed_cum, injured_cum"),
    ],
)
def test_techforpalestine_unknown_channel_or_figure_lists_the_valid_ones(tmp_path, channel, figure, shown):
    path = tfp_source(tmp_path, TFP_RECORDS)
    with pytest.raises(ValueError) as caught:
        tfp(path, channel, figure)
    assert str(caught.value) == f"{path}: {shown}"


@pytest.mark.parametrize(
    "bad, shown",
    [
        ("1,200", "'1,200'"),
        (-5, "-5"),
        (1200.0, "1200.0"),
        (True, "True"),
        (None, "None"),
        ([1200], "[1200]"),
    ],
)
def test_techforpalestine_value_that_is_not_a_non_negative_integer_is_refused(tmp_path, bad, shown):
    records = [dict(r) for r in TFP_RECORDS]
    records[6]["killed_cum"] = bad
    path = tfp_source(tmp_path, records)
    with pytest.raises(ValueError) as caught:
        tfp(path)
    assert str(caught.value) == (
        f"{path}: record 7 (date '2023-10-13'): field 'killed_cum' value {shown}: must be a non-negative integer"
    )


def test_techforpalestine_checks_only_the_figure_it_imports(tmp_path):
    records = [dict(r) for r in TFP_RECORDS]
    records[6]["injured_cum"] = "3,000"
    assert tfp(tfp_source(tmp_path, records), "mohtel", "killed_cum")[-1] == exact(("2023-10-13", 1200))[0]
    with pytest.raises(ValueError, match=r"record 7 .*field 'injured_cum' value '3,000'"):
        tfp(tfp_source(tmp_path, records), "mohtel", "injured_cum")


@pytest.mark.parametrize(
    "date",
    ["2023-02-30", "2023-10-7", "13.10.2023", "2023-10-13T08:00", "", None, 20231013],
    ids=["impossible", "unpadded", "dotted", "with_time", "empty", "null", "number"],
)
@pytest.mark.parametrize("record", [2, 6], ids=["missing_day", "channel"])
def test_techforpalestine_invalid_date_is_refused_on_any_record(tmp_path, date, record):
    records = [dict(r) for r in TFP_RECORDS]
    records[record]["report_date"] = date
    path = tfp_source(tmp_path, records)
    with pytest.raises(ValueError) as caught:
        tfp(path)
    assert str(caught.value) == (
        f"{path}: record {record + 1} (date {date!r}): field 'report_date' value "
        f"{date!r}: must be a calendar date written YYYY-MM-DD"
    )


def test_techforpalestine_duplicate_date_within_the_channel_is_refused_naming_both_records(tmp_path):
    records = [dict(r) for r in TFP_RECORDS] + [{**TFP_RECORDS[3], "killed_cum": 950}]
    path = tfp_source(tmp_path, records)
    with pytest.raises(ValueError) as caught:
        tfp(path)
    assert str(caught.value) == (
        f"{path}: record 8 (date '2023-10-10'): field 'report_date' value '2023-10-10': "
        "duplicate date: record 4 of channel mohtel has it (a series has one record a day)"
    )


def test_techforpalestine_duplicate_is_refused_even_when_one_record_lacks_the_figure(tmp_path):
    records = [dict(r) for r in TFP_RECORDS] + [{**TFP_RECORDS[6], "report_date": "2023-10-11"}]
    with pytest.raises(ValueError, match="record 8 .*duplicate date: record 5 of channel mohtel has it"):
        tfp(tfp_source(tmp_path, records))


def test_techforpalestine_same_date_in_two_channels_is_not_a_duplicate(tmp_path):
    records = [dict(r) for r in TFP_RECORDS] + [{**TFP_RECORDS[1], "report_date": "2023-10-13"}]
    path = tfp_source(tmp_path, records)
    assert tfp(path, "mohtel")[-1] == exact(("2023-10-13", 1200))[0]
    assert tfp(path, "gmotel")[-1] == exact(("2023-10-13", 400))[0]


@pytest.mark.parametrize("missing", ["report_date", "report_source"])
def test_techforpalestine_record_missing_a_field_is_refused_naming_it(tmp_path, missing):
    records = [dict(r) for r in TFP_RECORDS]
    del records[4][missing]
    path = tfp_source(tmp_path, records)
    with pytest.raises(ValueError) as caught:
        tfp(path)
    date = records[4].get("report_date")
    assert str(caught.value) == f"{path}: record 5 (date {date!r}): missing field {missing!r}"


@pytest.mark.parametrize("source_value", [None, "", 7])
def test_techforpalestine_report_source_that_is_not_a_name_is_refused(tmp_path, source_value):
    records = [dict(r) for r in TFP_RECORDS]
    records[2]["report_source"] = source_value
    path = tfp_source(tmp_path, records)
    with pytest.raises(ValueError) as caught:
        tfp(path)
    assert str(caught.value) == (
        f"{path}: record 3 (date '2023-10-09'): field 'report_source' value "
        f"{source_value!r}: must be the name of the reporting channel, or missing"
    )


@pytest.mark.parametrize(
    "record", [42, "2023-10-09", None, ["2023-10-09", "mohtel", 450]], ids=["number", "text", "null", "list"]
)
def test_techforpalestine_record_that_is_not_an_object_is_refused_naming_it(tmp_path, record):
    path = tfp_source(tmp_path, [TFP_RECORDS[0], TFP_RECORDS[1], record])
    with pytest.raises(ValueError) as caught:
        tfp(path)
    assert str(caught.value) == (
        f"{path}: record 3 value {record!r}: must be an object with report_date and report_source"
    )


@pytest.mark.parametrize("content", [{"data": TFP_RECORDS}, "casualties", 3], ids=["object", "text", "number"])
def test_techforpalestine_source_that_is_not_a_list_is_refused(tmp_path, content):
    path = tfp_source(tmp_path, content)
    with pytest.raises(ValueError) as caught:
        tfp(path)
    assert str(caught.value) == (f"{path}: expected a JSON list of daily records, got {type(content).__name__}")


@pytest.mark.parametrize(
    "text", ['[{"report_date": "2023-10-07",', "[]]", "NaN-free: no"], ids=["truncated", "trailing", "not_json"]
)
def test_techforpalestine_source_that_is_not_json_is_refused_naming_it(tmp_path, text):
    path = tmp_path / "casualties_daily.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: not valid JSON: line 1 column"):
        tfp(path)


def test_techforpalestine_source_that_is_not_utf8_is_refused_naming_it(tmp_path):
    path = tmp_path / "casualties_daily.json"
    path.write_bytes('[{"report_date": "2023-10-07", "report_source": "moh\u00e9tel"}]'.encode("latin-1"))
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: must be UTF-8 encoded JSON"):
        tfp(path)


def test_techforpalestine_channel_without_records_gives_no_rows(tmp_path):
    assert tfp(tfp_source(tmp_path, TFP_RECORDS[:1]), "gmotel") == []


def test_techforpalestine_import_passes_validation(tmp_path):
    data = copy_valid(tmp_path / "copy")
    series = data / CONFLICT_ID / "series" / "sy_general_staff_personnel.csv"
    series.unlink()
    records = [
        {
            "report_date": f"2022-02-{day:02d}",
            "report_source": "mohtel",
            "killed_cum": 100 * day,
            "ext_killed_cum": 100 * day,
        }
        for day in range(2, 28)
    ]
    records.insert(5, {"report_date": "2022-02-07", "report_source": "missing", "ext_killed_cum": 650})
    del records[6]  # the channel's own 2022-02-07 record: that day is missing
    records.append({"report_date": "2022-03-01", "report_source": "mohtel", "killed_cum": 5600})
    write_series(tfp(tfp_source(tmp_path, records)), series)
    summary, problems = validate_data_dir(data)
    assert problems == []
    assert next(c for c in summary.conflicts if c.conflict_id == CONFLICT_ID).series_claims == 26


# --- the real file (../shared/data, when present) ----------------------------------------------

GAZA_SOURCE = SHARED_DATA / "gaza_casualties_daily.json"
GAZA_SHA256 = "d17cab2c0f0b7e08c7cd77c8035847050a52ed2442e80f311530281d988b3759"


@pytest.fixture(scope="module")
def gaza_source() -> Path:
    if not GAZA_SOURCE.exists():
        pytest.skip(f"source JSON not available: {GAZA_SOURCE.resolve()} (../shared is absent in this checkout)")
    assert sha256_file(GAZA_SOURCE) == GAZA_SHA256, "not the file of commit 9ea6456f of palestine-datasets"
    return GAZA_SOURCE


@pytest.mark.parametrize(
    "channel, figure, count, first, last",
    [
        ("mohtel", "killed_cum", 999, ("2023-10-07", 232), ("2026-08-22", 73419)),
        ("mohtel", "injured_cum", 999, ("2023-10-07", 1610), ("2026-08-22", 174364)),
        ("gmotel", "killed_cum", 22, ("2023-10-11", 1100), ("2023-12-15", 18800)),
        ("gmotel", "injured_cum", 21, ("2023-10-11", 5184), ("2023-12-15", 51000)),
    ],
)
def test_the_real_file_imports_the_expected_records(gaza_source, channel, figure, count, first, last):
    rows = tfp(gaza_source, channel, figure)
    assert len(rows) == count
    assert (rows[0], rows[-1]) == (exact(first)[0], exact(last)[0])
    assert len({row["date"] for row in rows}) == count
    assert [row["date"] for row in rows] == sorted(row["date"] for row in rows)


def test_the_real_file_skips_missing_days_and_records_without_the_figure(gaza_source):
    records = json.loads(gaza_source.read_text(encoding="utf-8"))
    assert len(records) == 1051
    by_channel = {c: [r for r in records if r["report_source"] == c] for c in ("mohtel", "gmotel", "missing")}
    assert {c: len(rs) for c, rs in by_channel.items()} == {"mohtel": 1001, "gmotel": 22, "missing": 28}
    mohtel_killed = {row["date"] for row in tfp(gaza_source, "mohtel", "killed_cum")}
    # the two mohtel days without a killed_cum (20-21 Dec 2023) carry only the build's ext_killed_cum
    assert sorted(r["report_date"] for r in by_channel["mohtel"] if r["report_date"] not in mohtel_killed) == [
        "2023-12-20",
        "2023-12-21",
    ]
    # 12 missing days hold a killed_cum the dataset does not attribute to either channel: never imported
    assert sum("killed_cum" in r for r in by_channel["missing"]) == 12
    assert not mohtel_killed & {r["report_date"] for r in by_channel["missing"]}
    gmotel_injured = {row["date"] for row in tfp(gaza_source, "gmotel", "injured_cum")}
    assert [r["report_date"] for r in by_channel["gmotel"] if r["report_date"] not in gmotel_injured] == ["2023-10-17"]


def test_the_real_file_reported_figure_is_taken_where_ext_differs(gaza_source):
    """27 Aug 2024: the ministry reported 40,435 killed; the build's ext_killed_cum says 40,476."""
    record = next(r for r in json.loads(gaza_source.read_text(encoding="utf-8")) if r["report_date"] == "2024-08-27")
    assert (record["killed_cum"], record["ext_killed_cum"]) == (40435, 40476)
    assert (record["injured_cum"], record["ext_injured_cum"]) == (93534, 93647)
    killed = {row["date"]: row["value"] for row in tfp(gaza_source, "mohtel", "killed_cum")}
    injured = {row["date"]: row["value"] for row in tfp(gaza_source, "mohtel", "injured_cum")}
    assert (killed["2024-08-27"], injured["2024-08-27"]) == ("40435", "93534")
