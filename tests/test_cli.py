"""cli: `claims` / `python -m analysis` — help, validate exit codes, import-series."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis import __version__
from analysis.cli import EXIT_DATA_ERROR, main
from tests.fixture_data import BROKEN, CONFLICT_ID, VALID_DATA, copy_valid, edit_line, run_cli

RECORDS = [
    {"date": "2022-02-25", "day": 2, "personnel": 2800, "personnel*": "about", "POW": 0},
    {"date": "2022-03-12", "day": 17, "personnel": 12000, "personnel*": "more"},
]


def invoke(*args: object):
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        pytest.fail(
            f"`{' '.join(map(str, args))}` crashed: {result.exception!r}\n"
            + "".join(traceback.format_exception(result.exception))
        )
    return result


def test_python_m_analysis_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: python -m analysis" in result.stdout
    for command in ("validate", "import-series", "build"):
        assert command in result.stdout


def test_claims_console_script_validates_the_valid_fixture():
    script = Path(sys.executable).parent / "claims"
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    result = subprocess.run([str(script), "validate", str(VALID_DATA)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("valid: ")


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_validate_help_documents_the_exit_codes():
    result = invoke("validate", "--help")
    assert result.exit_code == 0
    assert "exit 2" in result.stdout.replace("\n", " ")


# --- validate --------------------------------------------------------------------------------


def test_validate_valid_data_exits_0_with_one_summary_line():
    result = invoke("validate", VALID_DATA)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "valid: 3 conflict(s), 19 claimants, 31 statements, 46 claims + 16 series claims"
    ]
    assert result.stderr == ""


def test_validate_without_argument_checks_the_projects_data():
    result = invoke("validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("valid: ")


def test_validate_broken_data_exits_2_and_lists_problems_on_stderr():
    result = invoke("validate", BROKEN / "02_unknown_metric")
    assert result.exit_code == EXIT_DATA_ERROR == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{CONFLICT_ID}/claims.csv:3: column 5 'metric': value 'injured': ")
    assert lines[-1] == f"invalid: 1 problem(s) in {BROKEN / '02_unknown_metric'}"


def test_validate_missing_directory_exits_2(tmp_path):
    result = invoke("validate", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "data directory does not exist" in result.stderr


def test_validate_never_crashes_on_an_empty_colour(tmp_path):
    """`colour: ""` breaks two rules on one cell (value None and value ''); sorting those
    problems must not raise."""
    data = copy_valid(tmp_path)
    edit_line(data / CONFLICT_ID / "conflict.yml", 12, 'colour: "#D55E00"', 'colour: ""')
    result = invoke("validate", data)
    assert result.exit_code == 2
    assert f"{CONFLICT_ID}/conflict.yml:12: column 'colour'" in result.stderr


def test_validate_prints_at_most_200_problems_then_the_count(tmp_path):
    """A broken bulk file must not print a line per record: the first 200, then how many more."""
    data = copy_valid(tmp_path)
    start = dt.date(2022, 2, 2)
    rows = [f"{start + dt.timedelta(days=i)},x,about" for i in range(260)]  # 260 values that are no number
    (data / CONFLICT_ID / "series" / "sy_general_staff_personnel.csv").write_text(
        "date,value,qualifier\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    result = invoke("validate", data)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 200 + 2
    assert lines[0].startswith(f"{CONFLICT_ID}/series/sy_general_staff_personnel.csv:2: column 2 'value': value 'x'")
    assert lines[199].startswith(f"{CONFLICT_ID}/series/sy_general_staff_personnel.csv:201: ")
    assert lines[200] == "… and 60 more problems (260 in all)"
    assert lines[201] == f"invalid: 260 problem(s) in {data}"


def test_validate_prints_200_problems_in_full_without_a_count(tmp_path):
    data = copy_valid(tmp_path)
    start = dt.date(2022, 2, 2)
    rows = [f"{start + dt.timedelta(days=i)},x,about" for i in range(200)]
    (data / CONFLICT_ID / "series" / "sy_general_staff_personnel.csv").write_text(
        "date,value,qualifier\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    lines = invoke("validate", data).stderr.splitlines()
    assert len(lines) == 201 and lines[-1] == f"invalid: 200 problem(s) in {data}"


# --- import-series ---------------------------------------------------------------------------


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "russia_losses_personnel.json"
    path.write_text(json.dumps(RECORDS), encoding="utf-8")
    return path


def test_import_series_writes_the_csv_and_prints_the_source_checksum(tmp_path, source):
    (tmp_path / "series").mkdir()
    out = tmp_path / "series" / "out.csv"
    result = invoke("import-series", "ivaniuk", source, out)
    assert result.exit_code == 0, result.stderr
    assert (
        out.read_text(encoding="utf-8") == "date,value,qualifier\n2022-02-25,2800,about\n2022-03-12,12000,more_than\n"
    )
    assert "2 records, 2022-02-25 to 2022-03-12" in result.stdout
    assert hashlib.sha256(source.read_bytes()).hexdigest() in result.stdout


def test_import_series_refuses_to_overwrite(tmp_path, source):
    out = tmp_path / "out.csv"
    out.write_text("keep me\n", encoding="utf-8")
    result = invoke("import-series", "ivaniuk", source, out)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "exists" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me\n"


def test_import_series_bad_record_exits_2_naming_it(tmp_path, source):
    source.write_text(json.dumps([RECORDS[0], {**RECORDS[1], "personnel": "12,000"}]), encoding="utf-8")
    out = tmp_path / "out.csv"
    result = invoke("import-series", "ivaniuk", source, out)
    assert result.exit_code == 2
    assert "record 2" in result.stderr and "'personnel'" in result.stderr and "'12,000'" in result.stderr
    assert not out.exists()


def test_import_series_of_an_empty_source_does_not_crash(tmp_path, source):
    source.write_text("[]", encoding="utf-8")
    result = invoke("import-series", "ivaniuk", source, tmp_path / "out.csv")
    assert result.exit_code in (0, 2)


def test_import_series_unknown_importer_is_a_usage_error(tmp_path, source):
    result = CliRunner().invoke(main, ["import-series", "nobody", str(source), str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    assert "nobody" in result.stderr


@pytest.mark.parametrize(
    "records, shown",
    [
        (
            [RECORDS[0], {**RECORDS[1], "date": "2022-02-30"}],
            "record 2 (date '2022-02-30'): field 'date' value '2022-02-30': must be a calendar date",
        ),
        (
            [RECORDS[0], {**RECORDS[1], "date": "12.03.2022"}],
            "record 2 (date '12.03.2022'): field 'date' value '12.03.2022': must be a calendar date",
        ),
        (
            [RECORDS[0], {**RECORDS[1], "date": 20220312}],
            "record 2 (date 20220312): field 'date' value 20220312: must be a calendar date",
        ),
        (
            [RECORDS[0], RECORDS[1], {**RECORDS[1], "personnel": 12100}],
            "record 3 (date '2022-03-12'): field 'date' value '2022-03-12': duplicate date: record 2 has it",
        ),
    ],
    ids=["impossible", "wrong_format", "number", "duplicate"],
)
def test_import_series_refuses_a_bad_date_naming_the_source_and_writes_nothing(tmp_path, source, records, shown):
    source.write_text(json.dumps(records), encoding="utf-8")
    out = tmp_path / "out.csv"
    result = invoke("import-series", "ivaniuk", source, out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {source}: ")
    assert shown in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]


def test_import_series_refuses_a_missing_output_folder_naming_the_source(tmp_path, source):
    out = tmp_path / "seires" / "out.csv"  # a typo: no such folder
    result = invoke("import-series", "ivaniuk", source, out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {source}: ")
    assert f"the output folder {out.parent} does not exist" in result.stderr
    assert not out.parent.exists()


def test_import_series_names_the_source_when_the_output_exists(tmp_path, source):
    out = tmp_path / "out.csv"
    out.write_text("keep me\n", encoding="utf-8")
    result = invoke("import-series", "ivaniuk", source, out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {source}: ") and f"{out} exists" in result.stderr


@pytest.mark.parametrize("text", ['[{"date": ', "\ufeff[]garbage"], ids=["truncated", "trailing"])
def test_import_series_of_a_source_that_is_not_json_names_it(tmp_path, source, text):
    source.write_text(text, encoding="utf-8")
    result = invoke("import-series", "ivaniuk", source, tmp_path / "out.csv")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {source}: not valid JSON")
    assert not (tmp_path / "out.csv").exists()


def test_import_series_of_an_empty_source_names_it(tmp_path, source):
    source.write_text("[]", encoding="utf-8")
    result = invoke("import-series", "ivaniuk", source, tmp_path / "out.csv")
    assert result.exit_code == 2
    assert result.stderr == f"error: {source}: no records to import\n"


# --- import-series techforpalestine: --channel and --figure ----------------------------------

TFP_RECORDS = [
    {
        "report_date": "2023-10-07",
        "report_source": "mohtel",
        "killed_cum": 232,
        "ext_killed_cum": 232,
        "injured_cum": 1610,
        "ext_injured_cum": 1610,
    },
    {"report_date": "2023-10-08", "report_source": "missing", "ext_killed_cum": 300, "ext_injured_cum": 1700},
    {
        "report_date": "2023-10-09",
        "report_source": "gmotel",
        "killed_cum": 560,
        "ext_killed_cum": 560,
        "injured_cum": 2271,
        "ext_injured_cum": 2271,
    },
    {
        "report_date": "2023-10-10",
        "report_source": "mohtel",
        "killed_cum": 900,
        "ext_killed_cum": 947,
        "ext_injured_cum": 2500,
    },
]


@pytest.fixture
def tfp_source(tmp_path) -> Path:
    path = tmp_path / "casualties_daily.json"
    path.write_text(json.dumps(TFP_RECORDS), encoding="utf-8")
    return path


def test_import_series_lists_every_importer(tmp_path):
    from analysis.importers import IMPORTERS

    result = invoke("import-series", "--help")
    assert result.exit_code == 0
    assert "{" + "|".join(IMPORTERS) + "}" in result.stdout
    assert list(IMPORTERS) == ["ivaniuk", "techforpalestine"]
    assert "mohtel, gmotel" in result.stdout and "killed_cum, injured_cum" in result.stdout


@pytest.mark.parametrize(
    "channel, figure, expected, summary",
    [
        ("mohtel", "killed_cum", "2023-10-07,232,exact\n2023-10-10,900,exact\n", "2 records, 2023-10-07 to 2023-10-10"),
        ("mohtel", "injured_cum", "2023-10-07,1610,exact\n", "1 records, 2023-10-07 to 2023-10-07"),
        ("gmotel", "killed_cum", "2023-10-09,560,exact\n", "1 records, 2023-10-09 to 2023-10-09"),
    ],
)
def test_import_series_techforpalestine_writes_one_channels_figure(
    tmp_path, tfp_source, channel, figure, expected, summary
):
    (tmp_path / "series").mkdir()
    out = tmp_path / "series" / "out.csv"
    result = invoke("import-series", "techforpalestine", tfp_source, out, "--channel", channel, "--figure", figure)
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8") == "date,value,qualifier\n" + expected
    assert result.stdout == (
        f"wrote {out}: {summary}; source sha256 {hashlib.sha256(tfp_source.read_bytes()).hexdigest()}\n"
    )


@pytest.mark.parametrize(
    "options, shown",
    [
        (["--channel", "mohtel"], "error: importer ivaniuk takes no --channel (option of techforpalestine only)\n"),
        (["--figure", "killed_cum"], "error: importer ivaniuk takes no --figure (option of techforpalestine only)\n"),
        (
            ["--channel", "mohtel", "--figure", "killed_cum"],
            "error: importer ivaniuk takes no --channel or --figure (options of techforpalestine only)\n",
        ),
        (["--channel", ""], "error: importer ivaniuk takes no --channel (option of techforpalestine only)\n"),
    ],
    ids=["channel", "figure", "both", "empty"],
)
def test_import_series_ivaniuk_refuses_the_techforpalestine_options(tmp_path, source, options, shown):
    out = tmp_path / "out.csv"
    result = invoke("import-series", "ivaniuk", source, out, *options)
    assert result.exit_code == 2
    assert result.stderr == shown
    assert result.stdout == ""
    assert not out.exists()


@pytest.mark.parametrize(
    "options, shown",
    [
        (
            [],
            "error: importer techforpalestine needs --channel (one of mohtel, gmotel) "
            "and --figure (one of killed_cum, injured_cum)\n",
        ),
        (["--figure", "killed_cum"], "error: importer techforpalestine needs --channel (one of mohtel, gmotel)\n"),
        (["--channel", "gmotel"], "error: importer techforpalestine needs --figure (one of killed_cum, injured_cum)\n"),
    ],
    ids=["none", "no_channel", "no_figure"],
)
def test_import_series_techforpalestine_requires_its_options(tmp_path, tfp_source, options, shown):
    out = tmp_path / "out.csv"
    result = invoke("import-series", "techforpalestine", tfp_source, out, *options)
    assert result.exit_code == 2
    assert result.stderr == shown
    assert not out.exists()


@pytest.mark.parametrize(
    "options, shown",
    [
        (["--channel", "missing", "--figure", "killed_cum"], "channel 'missing': must be one of mohtel, gmotel"),
        (
            ["--channel", "mohtel", "--figure", "ext_killed_cum"],
            "figure 'ext_killed_cum': must be one of killed_cum, injured_cum",
        ),
    ],
    ids=["channel", "figure"],
)
def test_import_series_techforpalestine_unknown_value_lists_the_valid_ones(tmp_path, tfp_source, options, shown):
    out = tmp_path / "out.csv"
    result = invoke("import-series", "techforpalestine", tfp_source, out, *options)
    assert result.exit_code == 2
    assert result.stderr == f"error: {tfp_source}: {shown}\n"
    assert not out.exists()


def test_import_series_techforpalestine_refuses_to_overwrite(tmp_path, tfp_source):
    out = tmp_path / "out.csv"
    out.write_text("keep me\n", encoding="utf-8")
    result = invoke(
        "import-series", "techforpalestine", tfp_source, out, "--channel", "mohtel", "--figure", "killed_cum"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tfp_source}: not imported: {out} exists")
    assert out.read_text(encoding="utf-8") == "keep me\n"


def test_import_series_techforpalestine_bad_record_exits_2_naming_it(tmp_path, tfp_source):
    tfp_source.write_text(
        json.dumps(TFP_RECORDS + [{"report_date": "2023-10-11", "report_source": "mohtel", "killed_cum": "1,000"}]),
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = invoke(
        "import-series", "techforpalestine", tfp_source, out, "--channel", "mohtel", "--figure", "killed_cum"
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tfp_source}: record 5 (date '2023-10-11'): field 'killed_cum' value "
        "'1,000': must be a non-negative integer\n"
    )
    assert not out.exists()


def test_import_series_techforpalestine_channel_without_the_figure_imports_nothing(tmp_path, tfp_source):
    out = tmp_path / "out.csv"
    result = invoke(
        "import-series", "techforpalestine", tfp_source, out, "--channel", "gmotel", "--figure", "injured_cum"
    )
    assert result.exit_code == 0  # gmotel has injured_cum on 2023-10-09
    tfp_source.write_text(json.dumps(TFP_RECORDS[:2]), encoding="utf-8")
    result = invoke(
        "import-series",
        "techforpalestine",
        tfp_source,
        tmp_path / "none.csv",
        "--channel",
        "gmotel",
        "--figure",
        "killed_cum",
    )
    assert result.exit_code == 2
    assert result.stderr == f"error: {tfp_source}: no records to import\n"
    assert not (tmp_path / "none.csv").exists()
