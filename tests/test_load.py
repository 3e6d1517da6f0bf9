"""load: raw files read as text, each record with the physical line it starts on."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from analysis import load
from analysis.errors import Problem
from analysis.load import LINE, conflict_dirs, default_data_dir, read_conflict, read_csv_text
from analysis.project import compose_and_construct
from analysis.validate import validate_conflict
from tests.fixture_data import CONFLICT_ID, REAL_DATA, VALID_CONFLICT, VALID_DATA, copy_valid, digest_tree


def read(tmp_path: Path, content: bytes | str, name: str = "table.csv"):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    problems: list[Problem] = []
    table = read_csv_text(path, tmp_path, problems)
    return table, problems


# --- CSV: line numbers ------------------------------------------------------------------------


def test_each_record_keeps_the_line_it_starts_on(tmp_path):
    table, problems = read(tmp_path, "id,note\na,one\nb,two\nc,three\n")
    assert problems == []
    assert table.frame[LINE].to_list() == [2, 3, 4]
    assert table.header == ["id", "note"]
    assert table.rel == "table.csv"


def test_a_quoted_field_spanning_lines_shifts_the_following_lines(tmp_path):
    text = 'id,note\na,one\nb,"two\nlines\nand three"\nc,"x, ""quoted"""\nd,four\n'
    table, problems = read(tmp_path, text)
    assert problems == []
    assert table.frame[LINE].to_list() == [2, 3, 6, 7]
    assert table.frame["note"].to_list() == ["one", "two\nlines\nand three", 'x, "quoted"', "four"]


def test_ragged_record_is_reported_at_its_first_line_after_a_multiline_one(tmp_path):
    text = 'id,note\na,"one\ntwo"\nb\nc,three\n'
    table, problems = read(tmp_path, text)
    assert table.frame is None
    assert problems == [Problem("table.csv", 4, None, None, "record has 1 fields, the header has 2")]


def test_every_cell_is_text_and_empty_cells_are_null(tmp_path):
    table, _ = read(tmp_path, "id,value,note\na,0012,\nb,,x\n")
    assert table.frame.schema == {"id": pl.String, "value": pl.String, "note": pl.String, LINE: pl.Int64}
    assert table.frame["value"].to_list() == ["0012", None]
    assert table.frame["note"].to_list() == [None, "x"]


def test_crlf_line_endings_give_the_same_values_and_lines(tmp_path):
    table, problems = read(tmp_path, 'id,note\r\na,"one\r\ntwo"\r\nb,three\r\n')
    assert problems == []
    assert table.frame[LINE].to_list() == [2, 4]
    assert table.frame["note"].to_list()[1] == "three"  # no stray '\r'


def test_file_without_final_newline(tmp_path):
    table, problems = read(tmp_path, "id,note\na,one\nb,two")
    assert problems == []
    assert table.frame[LINE].to_list() == [2, 3]


def test_utf8_bom_is_not_part_of_the_first_column_name(tmp_path):
    table, problems = read(tmp_path, "\ufeffid,note\na,één\n".encode("utf-8"))
    assert problems == []
    assert table.header == ["id", "note"]
    assert table.frame.columns[:2] == ["id", "note"]
    assert table.frame["note"].to_list() == ["één"]


def test_header_only_file_is_an_empty_table(tmp_path):
    table, problems = read(tmp_path, "id,note\n")
    assert problems == []
    assert table.frame.height == 0


# --- CSV: problems instead of exceptions ------------------------------------------------------


def test_missing_file_is_a_problem_not_an_exception(tmp_path):
    problems: list[Problem] = []
    table = read_csv_text(tmp_path / "absent.csv", tmp_path, problems)
    assert table.frame is None
    assert problems == [Problem("absent.csv", None, None, None, "file is missing")]


def test_non_utf8_byte_is_reported_at_its_line(tmp_path):
    table, problems = read(tmp_path, b"id,note\na,one\nb,caf\xe9\n")
    assert table.frame is None
    [problem] = problems
    assert (problem.file, problem.line, problem.rule) == ("table.csv", 3, "file must be UTF-8 encoded")
    assert "\\xe9" in problem.value


def test_empty_file_is_a_problem(tmp_path):
    table, problems = read(tmp_path, b"")
    assert table.frame is None
    assert [(p.line, p.rule) for p in problems] == [(1, "file must start with a header row")]


def test_csv_syntax_error_is_a_problem(tmp_path):
    table, problems = read(tmp_path, 'id,note\na,"one" two\n')
    assert table.frame is None
    [problem] = problems
    assert problem.line == 2 and problem.rule.startswith("CSV syntax error")


def test_trailing_blank_line_does_not_break_reading(tmp_path):
    """Editors often leave an empty last line; it is not a record."""
    table, problems = read(tmp_path, "id,note\na,one\nb,two\n\n")
    assert problems == []
    assert table.frame[LINE].to_list() == [2, 3]


def test_blank_line_between_records_keeps_the_lines_right(tmp_path):
    table, problems = read(tmp_path, "id,note\na,one\n\nb,two\n")
    assert [p for p in problems if "record" not in p.rule] == []
    if table.frame is not None:  # a blank line may be reported, but must not shift lines
        assert table.frame.filter(pl.col("id") == "b")[LINE].to_list() == [4]


def test_old_mac_line_endings_are_read_or_reported_never_raised(tmp_path):
    table, problems = read(tmp_path, "id,note\ra,one\rb,two\r")
    assert table.frame is not None or problems


# --- conflict.yml ----------------------------------------------------------------------------


def yaml_line(text: str) -> int:
    """The line of conflict.yml that reads exactly `text`."""
    lines = (VALID_CONFLICT / "conflict.yml").read_text(encoding="utf-8").split("\n")
    [index] = [i for i, line in enumerate(lines) if line == text]
    return index + 1


def test_read_conflict_maps_yaml_keys_to_their_lines():
    raw = read_conflict(VALID_CONFLICT, VALID_DATA)
    assert raw.problems == []
    assert raw.rel == CONFLICT_ID
    lines = raw.meta_lines
    assert lines[("conflict_id",)] == yaml_line("conflict_id: freedonia-sylvania")
    assert lines[("start_date",)] == yaml_line("start_date: 2022-02-01")
    assert lines[("sides",)] == yaml_line("sides:")
    assert lines[("sides", 0)] == yaml_line("  - side_id: freedonia")
    assert lines[("sides", 1, "colour")] == yaml_line('    colour: "#D55E00"')
    assert lines[("claimants", 4, "side")] == yaml_line("    side: independent")
    assert lines[("series", 0, "url")] == yaml_line(
        "    url: https://example.org/sylvania/general-staff/daily-losses.json"
    )


def test_read_conflict_reads_all_tables_and_series():
    raw = read_conflict(VALID_CONFLICT, VALID_DATA)
    assert raw.meta["conflict_id"] == CONFLICT_ID
    assert raw.statements.frame.height == 7
    assert raw.claims.frame.height == 13
    assert list(raw.series) == ["sy_general_staff_personnel"]
    series = raw.series["sy_general_staff_personnel"]
    assert series.rel == f"{CONFLICT_ID}/series/sy_general_staff_personnel.csv"
    assert series.frame["date"].to_list()[:2] == ["2022-02-02", "2022-02-03"]


def _yaml_files() -> list[Path]:
    fixtures = Path(__file__).resolve().parent / "fixtures"
    return sorted([*fixtures.rglob("conflict.yml"), *REAL_DATA.rglob("conflict.yml")])


def _node_tree(node):
    """A composed YAML node as plain tuples: kind, tag, value, and where it starts."""
    if isinstance(node, yaml.MappingNode):
        value = tuple((_node_tree(key), _node_tree(item)) for key, item in node.value)
    elif isinstance(node, yaml.SequenceNode):
        value = tuple(_node_tree(item) for item in node.value)
    else:
        value = node.value
    return type(node).__name__, node.tag, value, node.start_mark.line, node.start_mark.column


@pytest.mark.skipif(load.FastTextDateLoader is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: "/".join(p.parts[-3:]))
def test_libyaml_and_pure_python_yaml_agree_on_every_conflict_file(path):
    """The fast (libyaml) path gives the same values and node lines as the careful one, or both
    refuse the file (and the careful one words the problem)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    outcomes = []
    for loader in (load.FastTextDateLoader, load.TextDateLoader):
        try:
            node, data = compose_and_construct(text, loader)
            outcomes.append((data, None if node is None else _node_tree(node)))
        except yaml.YAMLError:
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1]


def test_yaml_problems_are_the_same_without_libyaml(tmp_path, monkeypatch):
    data = copy_valid(tmp_path)
    path = data / CONFLICT_ID / "conflict.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("    label: Sylvania\n", "    label: Sylvania: south\n"),
        encoding="utf-8",
    )
    with_fast = read_conflict(data / CONFLICT_ID, data)
    good = read_conflict(VALID_CONFLICT, VALID_DATA)
    monkeypatch.setattr(load, "FastTextDateLoader", None)
    assert read_conflict(data / CONFLICT_ID, data).problems == with_fast.problems
    careful = read_conflict(VALID_CONFLICT, VALID_DATA)
    assert (careful.meta, careful.meta_lines) == (good.meta, good.meta_lines)


def test_yaml_syntax_error_has_a_line(tmp_path):
    data = copy_valid(tmp_path)
    path = data / CONFLICT_ID / "conflict.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("    label: Sylvania\n", "    label: Sylvania: south\n"),
        encoding="utf-8",
    )
    raw = read_conflict(data / CONFLICT_ID, data)
    assert raw.meta is None
    [problem] = [p for p in raw.problems if p.file.endswith("conflict.yml")]
    assert problem.line == yaml_line("    label: Sylvania")
    assert problem.rule.startswith("YAML syntax error")


def test_conflict_yml_that_is_not_a_mapping_is_a_problem(tmp_path):
    data = copy_valid(tmp_path)
    (data / CONFLICT_ID / "conflict.yml").write_text("- just\n- a list\n", encoding="utf-8")
    raw = read_conflict(data / CONFLICT_ID, data)
    assert raw.meta is None
    assert [p.rule for p in raw.problems] == ["conflict.yml must be a mapping of keys"]


def test_impossible_date_in_yaml_is_a_problem_not_an_exception(tmp_path):
    """PyYAML turns `2022-02-30` into a date and raises ValueError, which is not a YAMLError."""
    data = copy_valid(tmp_path)
    path = data / CONFLICT_ID / "conflict.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("start_date: 2022-02-01", "start_date: 2022-02-30"), encoding="utf-8"
    )
    raw = read_conflict(data / CONFLICT_ID, data)
    assert raw.meta["start_date"] == "2022-02-30", "dates stay text so validation can report them"
    _, problems = validate_conflict(raw)
    assert [(p.line, p.column, p.value) for p in problems] == [
        (yaml_line("start_date: 2022-02-01"), "start_date", "2022-02-30")
    ], problems


def test_series_path_must_stay_inside_the_conflict_folder(tmp_path):
    data = copy_valid(tmp_path)
    path = data / CONFLICT_ID / "conflict.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "path: series/sy_general_staff_personnel.csv", "path: ../../../etc/passwd"
        ),
        encoding="utf-8",
    )
    raw = read_conflict(data / CONFLICT_ID, data)
    [problem] = raw.problems
    assert problem.column == "path"
    assert problem.line == yaml_line("    path: series/sy_general_staff_personnel.csv")
    assert "inside its conflict folder" in problem.rule
    assert raw.series == {}


# --- folders ---------------------------------------------------------------------------------


def test_conflict_dirs_lists_only_folders_with_a_conflict_yml(tmp_path):
    (tmp_path / "b-c").mkdir()
    (tmp_path / "b-c" / "conflict.yml").write_text("conflict_id: b-c\n")
    (tmp_path / "a-b").mkdir()
    (tmp_path / "a-b" / "conflict.yml").write_text("conflict_id: a-b\n")
    (tmp_path / "notes").mkdir()
    assert [d.name for d in conflict_dirs(tmp_path)] == ["a-b", "b-c"]


def test_default_data_dir_is_the_projects_data_raw():
    assert default_data_dir() == REAL_DATA.resolve()


def test_reading_never_writes():
    before = digest_tree(VALID_CONFLICT)
    read_conflict(VALID_CONFLICT, VALID_DATA)
    assert digest_tree(VALID_CONFLICT) == before


@pytest.mark.parametrize("name", ["statements.csv", "claims.csv"])
def test_fixture_tables_have_lf_line_endings_and_no_bom(name):
    """The fixture files are what an editor would write: UTF-8, no BOM, one record a line."""
    data = (VALID_CONFLICT / name).read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
