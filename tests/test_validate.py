"""validate: each broken fixture reports its one fault, at the right file, line and column.

The broken fixtures are static copies of tests/fixtures/valid with exactly one fault each;
tests/fixtures/broken/EXPECTED.csv says where the fault is reported and which rule it breaks.
Every fixture goes through the `validate` command; a sample also through `python -m analysis`.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cli import main
from analysis.errors import DataValidationError, Problem
from analysis.validate import validate_data_dir
from tests.fixture_data import (
    BROKEN,
    CONFLICT_ID,
    MULTIPLE_FAULTS,
    VALID_CONFLICT,
    VALID_CONFLICT_IDS,
    VALID_DATA,
    Expected,
    copy_valid,
    digest_tree,
    edit_line,
    read_expected,
    run_cli,
)

EXPECTED = read_expected()
SUMMARY = re.compile(r"^invalid: (\d+) problem\(s\) in ")
CLAIMS = f"{CONFLICT_ID}/claims.csv"
STATEMENTS = f"{CONFLICT_ID}/statements.csv"
CONFLICT_YML = f"{CONFLICT_ID}/conflict.yml"
SERIES = f"{CONFLICT_ID}/series/sy_general_staff_personnel.csv"


def by_name(name: str) -> Expected:
    return next(e for e in EXPECTED if e.fixture == name)


def names_column(line: str, column: str) -> bool:
    return re.search(rf"column( \d+)? '{re.escape(column)}'", line) is not None


# --- the fixture table itself ---------------------------------------------------------------


def test_expected_table_lists_every_broken_fixture_exactly_once():
    folders = sorted(d.name for d in BROKEN.iterdir() if d.is_dir())
    assert sorted(e.fixture for e in EXPECTED) == folders
    assert len(folders) >= 28
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", name) for name in folders)


def conflict_folders(data_dir: Path) -> set[str]:
    return {d.name for d in data_dir.iterdir() if d.is_dir()}


@pytest.mark.parametrize("broken", EXPECTED, ids=lambda e: e.fixture)
def test_each_broken_fixture_changes_only_the_file_named_in_expected(broken):
    """A broken fixture holds whole conflict folders of valid/: freedonia-sylvania alone (the
    fixtures made while valid/ held one conflict) or every one of them; compared with those same
    folders of valid/, exactly the file named in EXPECTED.csv differs."""
    held = conflict_folders(broken.data_dir)
    assert held in ({CONFLICT_ID}, conflict_folders(VALID_DATA)), held
    assert broken.file.split("/")[0] in held
    valid = {path: digest for path, digest in digest_tree(VALID_DATA).items() if path.split("/")[0] in held}
    changed = digest_tree(broken.data_dir)
    differing = {path for path in valid.keys() | changed.keys() if valid.get(path) != changed.get(path)}
    assert differing == {broken.file}


# --- the CLI on every broken fixture ---------------------------------------------------------
# Every fixture goes through the `validate` command in-process (click's CliRunner: the same
# command, output and exit code, ~50 ms each). A sample, one per kind of fault and file, also
# runs as a real `python -m analysis validate` subprocess; a fresh interpreter costs ~1 s of CPU,
# so all of them would take half a minute. CLAIMS_TEST_SUBPROCESS_ALL=1 runs every fixture so.

SUBPROCESS_SAMPLE = {
    "02_unknown_metric",  # a claims.csv cell
    "09_date_wrong_format",  # a statements.csv cell
    "33_ragged_row",  # CSV shape, no column
    "37_bad_colour",  # conflict.yml, line from the YAML parser
    "38_yaml_syntax_error",  # unreadable conflict.yml
    "40_series_duplicate_date",  # a series file
    "42_not_utf8",  # encoding
    "43_multiline_field_before_fault",  # line numbers after a multi-line record
    "44_missing_claims_file",  # a problem without a line
    "54_conflict_start_date_impossible",  # an impossible date in conflict.yml
    "70_truces_overlap",  # a fault in one conflict of three
}
SUBPROCESS_CASES = (
    EXPECTED
    if os.environ.get("CLAIMS_TEST_SUBPROCESS_ALL") == "1"
    else [e for e in EXPECTED if e.fixture in SUBPROCESS_SAMPLE]
)


def assert_reports_exactly_the_fault(expected: Expected, returncode: int, stdout: str, stderr: str) -> None:
    """Exit 2, nothing on stdout, and on stderr one problem line at the expected place plus the
    `invalid: 1 problem(s)` summary: one fault, one problem."""
    assert "Traceback" not in stderr, f"validate crashed instead of reporting the fault:\n{stderr}"
    assert returncode == 2, f"exit code {returncode}:\n{stderr}"
    assert stdout == ""
    lines = stderr.splitlines()
    summary = SUMMARY.match(lines[-1]) if lines else None
    assert summary, f"the last line must be the 'invalid: N problem(s)' summary:\n{stderr}"
    problems = lines[:-1]
    matching = [
        line
        for line in problems
        if line.startswith(expected.location)
        and (expected.column is None or names_column(line, expected.column))
        and expected.rule_fragment in line
    ]
    assert matching, (
        f"no problem at {expected.location!r} column {expected.column!r} with {expected.rule_fragment!r} in:\n{stderr}"
    )
    assert int(summary.group(1)) == len(problems) == 1, f"one fault, one problem expected:\n{stderr}"


@pytest.mark.parametrize("broken", EXPECTED, ids=lambda e: e.fixture)
def test_validate_command_reports_exactly_the_one_fault_of_each_broken_fixture(broken):
    result = CliRunner().invoke(main, ["validate", str(broken.data_dir)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        pytest.fail(f"validate crashed: {result.exception!r}\n" + "".join(traceback.format_exception(result.exception)))
    assert_reports_exactly_the_fault(broken, result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def subprocess_runs(request) -> dict:
    """`python -m analysis validate <fixture>` for every selected fixture, in parallel."""
    wanted = sorted(
        {
            item.callspec.params["broken_cli"].fixture
            for item in request.session.items
            if "broken_cli" in getattr(getattr(item, "callspec", None), "params", {})
        }
    )
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip(wanted, pool.map(lambda name: run_cli("validate", BROKEN / name), wanted), strict=True))


@pytest.mark.parametrize("broken_cli", SUBPROCESS_CASES, ids=lambda e: e.fixture)
def test_python_m_analysis_validate_reports_exactly_the_one_fault(broken_cli, subprocess_runs):
    result = subprocess_runs[broken_cli.fixture]
    assert_reports_exactly_the_fault(broken_cli, result.returncode, result.stdout, result.stderr)


def test_cli_on_the_valid_fixture_prints_a_one_line_summary_and_exits_0():
    result = run_cli("validate", VALID_DATA)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "valid: 3 conflict(s), 19 claimants, 31 statements, 46 claims + 16 series claims"
    ]


def test_cli_reports_three_faults_in_three_files_at_once():
    result = run_cli("validate", MULTIPLE_FAULTS)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert SUMMARY.match(lines[-1]).group(1) == "3", result.stderr
    assert len(lines) == 4
    for location, column, fragment in [
        (f"{CLAIMS}:3: ", "metric", "must be one of the metrics"),
        (f"{STATEMENTS}:7: ", "url", "must be an http:// or https:// URL"),
        (f"{CONFLICT_YML}:12: ", "colour", "must be a hex colour"),
    ]:
        assert any(line.startswith(location) and names_column(line, column) and fragment in line for line in lines), (
            location,
            result.stderr,
        )


def test_cli_validates_the_projects_own_data():
    result = run_cli("validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("valid: 2 conflict(s)")
    assert len(result.stdout.splitlines()) == 1


# --- validate_data_dir in-process: Problem objects ------------------------------------------


@pytest.mark.parametrize("broken", EXPECTED, ids=lambda e: e.fixture)
def test_validate_data_dir_returns_one_problem_at_the_expected_place(broken):
    _, problems = validate_data_dir(broken.data_dir)
    assert len(problems) == 1, "\n".join(map(str, problems))
    problem = problems[0]
    assert (problem.file, problem.line, problem.column) == (broken.file, broken.line, broken.column)
    assert broken.rule_fragment in problem.rule or broken.rule_fragment in str(problem)


def test_validate_data_dir_accepts_the_valid_fixture():
    summary, problems = validate_data_dir(VALID_DATA)
    assert problems == []
    assert [c.conflict_id for c in summary.conflicts] == VALID_CONFLICT_IDS
    [conflict] = [c for c in summary.conflicts if c.conflict_id == CONFLICT_ID]
    assert (conflict.conflict_id, conflict.claimants, conflict.statements, conflict.claims, conflict.series_claims) == (
        CONFLICT_ID,
        5,
        7,
        13,
        8,
    )
    assert summary.line().startswith("valid: ")


@pytest.mark.parametrize(
    "fixture, file, line, column, value, column_number",
    [
        ("15_negative_value", CLAIMS, 10, "value", "-5", 7),
        ("16_value_with_thousands_separator", CLAIMS, 4, "value", "5,500", 7),
        ("43_multiline_field_before_fault", CLAIMS, 10, "method", "modelled", 13),
        ("09_date_wrong_format", STATEMENTS, 4, "statement_date", "05/03/2022", 4),
        ("34_unknown_extra_column", CLAIMS, 1, "source_page", None, 18),
        ("35_missing_required_column", STATEMENTS, 1, "outlet", None, None),
        ("37_bad_colour", CONFLICT_YML, 12, "colour", "orange", None),
        ("40_series_duplicate_date", SERIES, 6, "date", "2022-02-05", 1),
        ("33_ragged_row", CLAIMS, 7, None, None, None),
        ("44_missing_claims_file", CLAIMS, None, None, None, None),
    ],
)
def test_problem_objects_carry_file_line_column_and_value(fixture, file, line, column, value, column_number):
    _, [problem] = validate_data_dir(BROKEN / fixture)
    assert isinstance(problem, Problem)
    assert (problem.file, problem.line, problem.column, problem.value, problem.column_number) == (
        file,
        line,
        column,
        value,
        column_number,
    )
    assert by_name(fixture).rule_fragment in problem.rule


def test_problem_text_is_file_line_column_value_rule():
    _, [problem] = validate_data_dir(BROKEN / "15_negative_value")
    assert str(problem) == (
        f"{CLAIMS}:10: column 7 'value': value '-5': must be a non-negative whole number, digits only"
    )


def test_not_utf8_problem_quotes_the_offending_bytes():
    _, [problem] = validate_data_dir(BROKEN / "42_not_utf8")
    assert (problem.file, problem.line) == (CLAIMS, 13)
    assert "\\xe9" in problem.value


def test_data_validation_error_lists_every_problem_sorted():
    _, problems = validate_data_dir(MULTIPLE_FAULTS)
    error = DataValidationError(list(reversed(problems)))
    assert [p.file for p in error.problems] == [CLAIMS, CONFLICT_YML, STATEMENTS]
    message = str(error)
    assert message.startswith("3 problem(s) in the data:")
    assert all(str(p) in message for p in problems)


def test_multiple_faults_are_found_in_one_pass():
    _, problems = validate_data_dir(MULTIPLE_FAULTS)
    found = {(p.file, p.line, p.column, p.value) for p in problems}
    assert found == {
        (CLAIMS, 3, "metric", "injured"),
        (STATEMENTS, 7, "url", "ftp://example.org/ledger-watch/named-dead"),
        (CONFLICT_YML, 12, "colour", "orange"),
    }


def test_missing_data_dir_is_a_problem(tmp_path):
    _, [problem] = validate_data_dir(tmp_path / "nowhere")
    assert "data directory does not exist" in problem.rule


def test_data_dir_without_a_conflict_is_a_problem(tmp_path):
    _, [problem] = validate_data_dir(tmp_path)
    assert "no conflict found" in problem.rule


def test_validation_reads_but_never_writes_the_fixture():
    before = digest_tree(VALID_CONFLICT)
    validate_data_dir(VALID_DATA)
    assert digest_tree(VALID_CONFLICT) == before


# --- rules the validator should enforce (see the report for the ones that fail) -------------


def test_series_dates_must_ascend(tmp_path):
    """A daily cumulative series out of date order is almost always a typo (2022-02-17 for -07)."""
    data = copy_valid(tmp_path)
    edit_line(data / SERIES, 6, "2022-02-07,", "2022-02-17,")  # between 2022-02-05 and 2022-02-10
    _, problems = validate_data_dir(data)
    assert [(p.file, p.line, p.column) for p in problems] == [(SERIES, 6, "date")], problems


def test_value_with_non_ascii_digits_is_rejected(tmp_path):
    """'٣٠٠٠' (Arabic-Indic digits) is not 'digits only' as the data dictionary means it; accepting
    it makes load_conflict crash on the Int64 cast."""
    data = copy_valid(tmp_path)
    edit_line(data / CLAIMS, 10, ",up_to,3000,", ",up_to,\u0663\u0660\u0660\u0660,")
    _, problems = validate_data_dir(data)
    assert [(p.file, p.line, p.column) for p in problems] == [(CLAIMS, 10, "value")], problems


def test_header_naming_a_column_twice_is_a_problem(tmp_path):
    """With `notes` twice, the second column's contents are silently lost."""
    data = copy_valid(tmp_path)
    edit_line(data / CLAIMS, 1, ",derived_from,quote,notes", ",notes,quote,notes")
    edit_line(data / CLAIMS, 6, ",sy_general_staff_personnel.2022-03-01,", ",,")
    _, problems = validate_data_dir(data)
    assert [(p.file, p.line, p.column) for p in problems] == [(CLAIMS, 1, "notes")], problems


# --- property: whatever is typed into a value cell, validation reports it or accepts it -----

VALUE_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from("0123456789 ,.-+eE_x'\"\n\t"), max_size=14),
    st.text(alphabet=st.characters(categories=["L", "P", "S", "Zs"]), max_size=8),
    st.integers(min_value=0, max_value=10**13).map(str),
)


@pytest.fixture(scope="module")
def scratch_data():
    with tempfile.TemporaryDirectory() as tmp:
        yield copy_valid(Path(tmp))


def _with_value(original: str, value: str) -> str:
    rows = list(csv.reader(io.StringIO(original)))
    rows[1][rows[0].index("value")] = value  # line 2: exact 498, a cumulative claim
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUE_TEXT)
def test_any_value_cell_is_accepted_only_as_plain_digits(scratch_data, value):
    claims = scratch_data / CLAIMS
    original = (VALID_DATA / CLAIMS).read_text(encoding="utf-8")
    claims.write_text(_with_value(original, value), encoding="utf-8")
    try:
        _, problems = validate_data_dir(scratch_data)
    finally:
        claims.write_text(original, encoding="utf-8")
    if re.fullmatch(r"[0-9]{1,12}", value):
        assert problems == []
    else:
        assert [(p.file, p.line, p.column) for p in problems] == [(CLAIMS, 2, "value")], problems


def test_valid_data_is_checked_without_importing_pandera():
    """Every report kernel loads valid data: pandera (~0.07 s of import) is only for listing failures."""
    code = (
        "import sys\nfrom analysis.dataset import load_conflict\n"
        f"load_conflict('freedonia-sylvania', {str(VALID_DATA)!r})\nprint('pandera' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- rules learnt from the audit (issue "The record, complete and current", item 5) ----------


def test_derived_from_a_series_record_about_another_population_is_a_problem(tmp_path):
    """The series counts Freedonian military personnel; a civilian claim cannot derive from it."""
    data = copy_valid(tmp_path)
    edit_line(
        data / CLAIMS, 6, ",freedonia,military,killed,more_than,1000,", ",freedonia,civilian,killed,more_than,1000,"
    )
    _, [problem] = validate_data_dir(data)
    assert (problem.file, problem.line, problem.column) == (CLAIMS, 6, "derived_from")
    assert problem.rule == (
        "must point to a claim about the same subject side and the same population or "
        "everyone (population all: a part read from a total) (sy_general_staff_personnel.2022-03-01 is about freedonia military, "
        "this claim about freedonia civilian)"
    )


def test_derived_from_an_unknown_claim_is_one_problem_not_two():
    _, problems = validate_data_dir(BROKEN / "26_derived_from_unknown_claim")
    assert [p.rule for p in problems] == ["must be one of the claim ids of this conflict (claims.csv or a series)"]


def test_repeat_of_a_series_record_names_the_record_and_its_line():
    _, [problem] = validate_data_dir(BROKEN / "61_claim_repeats_series_record")
    assert str(problem) == (
        f"{CLAIMS}:4: column 1 'claim_id': value 'sy_general_staff_2022-03-01.fr.military.personnel_losses': "
        f"repeats the series record sy_general_staff_personnel.2022-03-01 at {SERIES}:8 (same claimant, "
        "subject, population, metric, as-of date, qualifier and value): a figure is counted once, "
        "so delete this row or the record"
    )


@pytest.mark.parametrize(
    "old, new",
    [
        (",about,5500,", ",more_than,5600,"),  # another qualifier
        (",cumulative,,2022-03-01,", ",period,2022-02-20,2022-03-01,"),  # not a running total
    ],
    ids=["qualifier", "period"],
)
def test_a_claim_that_differs_from_the_series_record_is_no_repeat(tmp_path, old, new):
    data = copy_valid(tmp_path)
    edit_line(data / CLAIMS, 4, ",about,5500,", ",about,5600,")
    edit_line(data / CLAIMS, 4, old.replace("5500", "5600"), new)
    assert validate_data_dir(data)[1] == []


def test_same_url_on_another_date_is_another_statement(tmp_path):
    """A page updated in place (a live blog, a daily table) is one statement per date."""
    data = copy_valid(tmp_path)
    edit_line(
        data / STATEMENTS,
        5,
        "https://example.org/sylvania/general-staff/2022-03-15",
        "https://example.org/sylvania/general-staff/2022-03-01",
    )
    assert validate_data_dir(data)[1] == []


def test_second_statement_of_one_document_names_the_first_and_its_line():
    _, [problem] = validate_data_dir(BROKEN / "62_statement_same_document_twice")
    assert (problem.line, problem.column, problem.value) == (
        9,
        "url",
        "https://example.org/freedonia/war-office/2022-03-02",
    )
    assert problem.rule.endswith("merge into statement fr_war_office_2022-03-02 at line 2")


def test_as_of_after_statement_date_shows_the_statement_date():
    _, [problem] = validate_data_dir(BROKEN / "10_as_of_after_statement_date")
    assert str(problem) == (
        f"{CLAIMS}:11: column 12 'as_of_date': value '2022-05-21': must not be after "
        "the statement's statement_date 2022-05-20 (a claim cannot count beyond the day it was made)"
    )


def test_unquoted_colour_gets_a_hint_to_quote_it():
    _, [problem] = validate_data_dir(BROKEN / "63_unquoted_colour")
    assert str(problem).endswith('quote it: colour: "#D55E00"')


def test_a_colour_left_out_gets_no_quoting_hint(tmp_path):
    data = copy_valid(tmp_path)
    edit_line(data / CONFLICT_YML, 12, 'colour: "#D55E00"', "colour:")
    _, [problem] = validate_data_dir(data)
    assert (problem.line, problem.column, problem.rule) == (12, "colour", "is required")


def test_quote_of_only_spaces_is_a_problem(tmp_path):
    data = copy_valid(tmp_path)
    edit_line(data / CLAIMS, 2, ",a total of 498 Freedonian soldiers have died,", ",   ,")
    _, [problem] = validate_data_dir(data)
    assert (problem.file, problem.line, problem.column, problem.value) == (CLAIMS, 2, "quote", "   ")


def test_claims_without_a_quote_column_are_a_problem(tmp_path):
    data = copy_valid(tmp_path)
    text = (data / CLAIMS).read_text(encoding="utf-8").split("\n")
    rows = list(csv.reader(text[:-1]))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([row[:15] + row[16:] for row in rows])
    (data / CLAIMS).write_text(out.getvalue(), encoding="utf-8")
    _, [problem] = validate_data_dir(data)
    assert (problem.file, problem.line, problem.column, problem.rule) == (
        CLAIMS,
        1,
        "quote",
        "required column is missing from the header",
    )


def test_every_claim_of_the_valid_fixture_has_a_quote():
    with (VALID_CONFLICT / "claims.csv").open(encoding="utf-8", newline="") as fh:
        assert all(row["quote"].strip() for row in csv.DictReader(fh))


def test_data_validation_error_message_is_capped_at_200_problems():
    problems = [Problem(CLAIMS, line, "value", "x", "must be a non-negative whole number") for line in range(2, 1002)]
    message = str(DataValidationError(problems)).splitlines()
    assert message[0] == "1000 problem(s) in the data:"
    assert len(message) == 1 + 200 + 1
    assert message[1].startswith(f"{CLAIMS}:2: ") and message[200].startswith(f"{CLAIMS}:201: ")
    assert message[-1] == "… and 800 more problems (1,000 in all)"
