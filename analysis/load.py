"""Read a data directory's raw files as text, keeping the line each record starts on.

Nothing here interprets values: validation needs the raw text to quote it back in messages.
Raw files are only read, never written.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from analysis.errors import Problem
from analysis.project import (  # noqa: F401 (re-exported)
    CONFLICT_FILE,
    DATA_DIR_ENV,
    NoDataDir,
    conflict_dirs,
    default_data_dir,
    parse_yaml,
)

LINE = "_line"  # the physical line a CSV record starts on (header = line 1)
STATEMENTS_FILE = "statements.csv"
CLAIMS_FILE = "claims.csv"


@dataclass
class RawTable:
    path: Path
    rel: str  # path relative to the data dir, as shown in messages
    frame: pl.DataFrame | None  # every column as text, plus LINE; None when unreadable
    header: list[str] = field(default_factory=list)


@dataclass
class RawConflict:
    conflict_dir: Path
    rel: str
    meta: dict | None  # conflict.yml as parsed; None when unreadable
    meta_lines: dict[tuple, int]  # YAML path -> line, for messages
    statements: RawTable
    claims: RawTable
    series: dict[str, RawTable]  # series_id -> table
    problems: list[Problem]  # problems found while reading (syntax, encoding, shape)


def read_conflict(conflict_dir: Path, data_dir: Path) -> RawConflict:
    problems: list[Problem] = []
    rel_dir = _rel(conflict_dir, data_dir)
    meta, meta_lines = _read_yaml(conflict_dir / CONFLICT_FILE, data_dir, problems)
    statements = read_csv_text(conflict_dir / STATEMENTS_FILE, data_dir, problems)
    claims = read_csv_text(conflict_dir / CLAIMS_FILE, data_dir, problems)
    series: dict[str, RawTable] = {}
    for index, entry in enumerate((meta or {}).get("series") or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            continue  # reported by validation of conflict.yml
        series_id = str(entry.get("series_id", f"#{index + 1}"))
        path = conflict_dir / entry["path"]
        if not _is_inside(path, conflict_dir):
            problems.append(
                Problem(
                    _rel(conflict_dir / CONFLICT_FILE, data_dir),
                    meta_lines.get(("series", index, "path")),
                    "path",
                    entry["path"],
                    "a series path must stay inside its conflict folder",
                )
            )
            continue
        series[series_id] = read_csv_text(path, data_dir, problems)
    return RawConflict(conflict_dir, rel_dir, meta, meta_lines, statements, claims, series, problems)


def read_csv_text(path: Path, data_dir: Path, problems: list[Problem]) -> RawTable:
    """Read a CSV as text columns; record shape and encoding problems with their line."""
    rel = _rel(path, data_dir)
    if not path.is_file():
        problems.append(Problem(rel, None, None, None, "file is missing"))
        return RawTable(path, rel, None)
    data = path.read_bytes()
    fast = _read_plain_csv(data)
    if fast is not None:  # the common case: a plainly well-formed file, read without the csv module
        frame, header = fast
        return RawTable(path, rel, frame, header)
    # Anything else (or anything the fast path is unsure of) takes the record-by-record path below,
    # which reports each problem at its line.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(rel, line, None, repr(data[exc.start : exc.start + 4]), "file must be UTF-8 encoded"))
        return RawTable(path, rel, None)
    text = text.removeprefix("\ufeff")
    if "\r" in text and "\n" not in text:
        problems.append(Problem(rel, 1, None, None, "lines must end with \\n or \\r\\n (old Mac \\r endings)"))
        return RawTable(path, rel, None)
    header_line = text.split("\n", 1)[0].rstrip("\r")
    try:
        header = next(csv.reader([header_line], strict=True), [])
    except csv.Error as exc:
        problems.append(Problem(rel, 1, None, None, f"CSV syntax error in the header: {exc}"))
        return RawTable(path, rel, None)
    if not header or header == [""]:
        problems.append(Problem(rel, 1, None, None, "file must start with a header row"))
        return RawTable(path, rel, None, header)
    shape_problems, line_starts, blank_lines = _scan_records(text, rel, len(header))
    if shape_problems:
        problems.extend(shape_problems)
        return RawTable(path, rel, None, header)
    if blank_lines:  # the csv module skips blank lines; polars would read them as empty rows
        text = "\n".join(line for number, line in enumerate(text.split("\n"), start=1) if number not in blank_lines)
    # bytes, not StringIO: polars encodes a StringIO to the same bytes anyway, only slower
    frame = pl.read_csv(text.encode("utf-8"), infer_schema=False, has_header=True)
    frame = _empty_is_null(frame).with_columns(pl.Series(LINE, line_starts, dtype=pl.Int64))
    return RawTable(path, rel, frame, header)


def _empty_is_null(frame: pl.DataFrame) -> pl.DataFrame:
    """A quoted empty field ("") is as empty as an unquoted one (which polars reads as null)."""
    return frame.with_columns(
        [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in frame.columns],
    )


_UTF8_BOM = b"\xef\xbb\xbf"
# One field as the csv module (strict, default dialect) and polars read it alike: unquoted text
# without quote, comma, CR, LF or NUL; or a quoted field whose quotes are doubled, which may hold
# commas and line breaks (LF or CRLF) but no lone CR and no NUL.
_FIELD = r'(?:[^",\r\n\x00]*|"(?:[^"\r\x00]|""|\r\n)*")'


@functools.lru_cache(maxsize=32)
def _plain_csv_pattern(width: int) -> str:
    """The whole file, header included: records of exactly `width` fields, each ended by LF or
    CRLF (the last one may be unterminated). No blank line, no ragged record, no stray quote."""
    record = _FIELD + r"(?:," + _FIELD + r"){" + str(width - 1) + "}"
    return r"\A" + record + r"(?:\r?\n" + record + r")*(?:\r?\n)?\z"


def _read_plain_csv(data: bytes) -> tuple[pl.DataFrame, list[str]] | None:
    """Fast path for a plainly well-formed CSV: (frame with LINE, header), or None whenever the
    file is not certainly such a file; the caller then takes the csv-module path, which gives
    the same frame for a good file and the problems for a broken one.

    "Plainly well-formed" is proved by one regular expression over the whole text (polars'
    linear-time engine): UTF-8, every record has the header's field count, quotes only around
    whole fields, no blank line, no lone CR, no NUL. For such a file the csv module reports no
    problem and finds the same records as polars, so polars alone reads it; each record's
    starting line follows from the line breaks inside the values of the records before it."""
    data = data.removeprefix(_UTF8_BOM)
    end_of_header = data.find(b"\n")
    if end_of_header < 0:  # no line break at all: a header-only file or old Mac endings
        return None
    try:
        header_line = data[:end_of_header].decode("utf-8").rstrip("\r")
        header = next(csv.reader([header_line], strict=True), [])
    except (UnicodeDecodeError, csv.Error):
        return None
    width = len(header)
    if width < 2:  # a one-column file cannot tell a blank line from an empty record
        return None
    try:
        text = pl.Series([data], dtype=pl.Binary).cast(pl.String)  # strict: fails unless UTF-8
        plain = text.str.contains(_plain_csv_pattern(width)).item()
        del text
        if not plain:
            return None
        # null_values=[""]: a quoted empty field ("") is null like an unquoted one (_empty_is_null)
        # (raise_if_empty=False only spares polars a copy of the data: the header makes it non-empty)
        frame = pl.read_csv(data, infer_schema=False, has_header=True, null_values=[""], raise_if_empty=False)
    except pl.exceptions.PolarsError:  # the csv-module path meets the same error, or reports it
        return None
    if frame.width != width:
        return None
    limit = csv.field_size_limit()  # the csv module refuses longer fields: leave those to it
    if len(data) > limit and (frame.select(pl.max_horizontal(pl.all().str.len_bytes().max())).item() or 0) > limit:
        return None
    rows = frame.height
    record_breaks = rows + 1 if data.endswith(b"\n") else rows  # the header is a record too
    breaks_in_values = data.count(b"\n") - record_breaks
    if breaks_in_values == 0:
        line = pl.int_range(2, rows + 2, dtype=pl.Int64, eager=True).alias(LINE)
    else:  # a quoted field spanning lines pushes every later record down by its line breaks
        per_row = frame.select(
            pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True) for c in frame.columns)
            .cast(pl.Int64)
            .alias(LINE)
        ).to_series()
        if per_row.sum() != breaks_in_values:
            return None
        line = (pl.int_range(2, rows + 2, dtype=pl.Int64, eager=True) + per_row.cum_sum() - per_row).alias(LINE)
    return frame.with_columns(line), header


def _scan_records(text: str, rel: str, width: int) -> tuple[list[Problem], list[int], set[int]]:
    """One pass of the csv module: records whose field count differs from the header's, the
    line each record starts on (a quoted field may span lines), and the blank lines."""
    problems: list[Problem] = []
    starts: list[int] = []
    blank: set[int] = set()
    reader = csv.reader(io.StringIO(text), strict=True)
    start = 1
    try:
        next(reader)
        start = reader.line_num + 1
        for record in reader:
            if record:
                starts.append(start)
                if len(record) != width:
                    problems.append(
                        Problem(rel, start, None, None, f"record has {len(record)} fields, the header has {width}")
                    )
            else:
                blank.add(reader.line_num)
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(rel, start, None, None, f"CSV syntax error in the record starting here: {exc}"))
    return problems, starts, blank


class TextDateLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: validation parses them and reports bad ones."""


TextDateLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# The same loader on libyaml's C parser, when PyYAML was built with it: same resolvers and
# constructors (Python), same node marks, about ten times faster. Only used for files it parses
# without error; anything it rejects is parsed again by TextDateLoader, whose messages we report.
FastTextDateLoader = (
    type("FastTextDateLoader", (yaml.CSafeLoader,), {"yaml_implicit_resolvers": TextDateLoader.yaml_implicit_resolvers})
    if getattr(yaml, "__with_libyaml__", False)
    else None
)


def _read_yaml(path: Path, data_dir: Path, problems: list[Problem]) -> tuple[dict | None, dict]:
    rel = _rel(path, data_dir)
    if not path.is_file():
        problems.append(Problem(rel, None, None, None, "file is missing"))
        return None, {}
    try:
        text = path.read_text(encoding="utf-8")
        node, data = parse_yaml(text, TextDateLoader, FastTextDateLoader)
    except UnicodeDecodeError:
        problems.append(Problem(rel, None, None, None, "file must be UTF-8 encoded"))
        return None, {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problems.append(Problem(rel, line, None, None, f"YAML syntax error: {getattr(exc, 'problem', exc)}"))
        return None, {}
    if not isinstance(data, dict):
        problems.append(Problem(rel, 1, None, None, "conflict.yml must be a mapping of keys"))
        return None, {}
    lines: dict[tuple, int] = {}
    _node_lines(node, (), lines)
    return data, lines


def _node_lines(node, path: tuple, lines: dict[tuple, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[path + (key.value,)] = key.start_mark.line + 1
            _node_lines(value, path + (key.value,), lines)
            lines[path + (key.value,)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _node_lines(item, path + (index,), lines)


def _is_inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _rel(path: Path, data_dir: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(data_dir).resolve()).as_posix()
    except ValueError:
        return str(path)
