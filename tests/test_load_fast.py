"""load: the fast path for plainly well-formed CSV files gives exactly what the csv-module path
gives (same frame, same record lines, same problems), and stands aside for anything else."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis import load
from analysis.errors import Problem
from analysis.load import LINE, read_csv_text


def _read(tmp_path: Path, content: bytes, *, fast: bool, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    problems: list[Problem] = []
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(load, "_read_plain_csv", lambda data: None)
        try:
            table = read_csv_text(path, tmp_path, problems)
        except Exception as exc:  # noqa: BLE001 - both paths must fail alike, if at all
            return ("raised", type(exc).__name__, str(exc))
    return ("read", table.frame, table.header, problems)


def both_paths(tmp_path, monkeypatch, content: str | bytes):
    data = content.encode("utf-8") if isinstance(content, str) else content
    fast = _read(tmp_path, data, fast=True, monkeypatch=monkeypatch)
    slow = _read(tmp_path, data, fast=False, monkeypatch=monkeypatch)
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] == "raised":
        assert fast == slow
        return fast
    assert fast[2:] == slow[2:]
    if slow[1] is None:
        assert fast[1] is None
    else:
        assert_frame_equal(fast[1], slow[1])
    return fast


def takes_fast_path(content: str | bytes) -> bool:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return load._read_plain_csv(data) is not None


PLAIN = {
    "simple": "id,note\na,one\nb,two\nc,three\n",
    "no final newline": "id,note\na,one\nb,two",
    "header only": "id,note\n",
    "embedded newlines": 'id,note\na,one\nb,"two\nlines\nand three"\nc,"x, ""quoted"""\nd,four\n',
    "escaped quotes": 'id,note\na,"""quoted"" at the start"\nb,"a ""middle"" one"\nc,""""\n',
    "crlf": 'id,note\r\na,"one\r\ntwo"\r\nb,three\r\n',
    "crlf, no final newline": 'id,note\r\na,"one\r\ntwo"\r\nb,three',
    "mixed endings": 'id,note\na,one\r\nb,"two\nthree"\r\nc,four\n',
    "bom": "\ufeffid,note\na,één\n",
    "quoted empty and empty": 'id,value,note\na,"",\nb,,x\n"",y,""\n',
    "quoted header": '"id","a, b"\n1,2\n',
    "multiline last field, no newline": 'id,note\na,"one\ntwo"',
    "newline-only quoted field": 'id,note\na,"\n"\nb,"\r\n"\nc,x\n',
    "unicode": "id,note\nα,“curly” — dash\nβ,日本語\n",
    "three columns, many lines": "a,b,c\n" + "".join(f'{i},"{i}\n{i}",x{i}\n' for i in range(50)),
}

NOT_PLAIN = {
    "blank line between records": "id,note\na,one\n\nb,two\n",
    "trailing blank line": "id,note\na,one\nb,two\n\n",
    "crlf blank line": "id,note\r\na,one\r\n\r\nb,two\r\n",
    "short record": "id,note\na\nb,two\n",
    "long record": "id,note\na,one,extra\n",
    "short record after a multiline one": 'id,note\na,"one\ntwo"\nb\nc,three\n',
    "text after a closing quote": 'id,note\na,"one" two\n',
    "quote inside an unquoted field": 'id,note\na,o"ne\n',
    "space before an opening quote": 'id,note\na, "one"\n',
    "unterminated quote": 'id,note\na,"one\nb,two\n',
    "lone CR inside a record": "id,note\na,o\rne\n",
    "lone CR inside quotes": 'id,note\na,"o\rne"\n',
    "old Mac endings": "id,note\ra,one\rb,two\r",
    "NUL": "id,note\na,o\x00ne\n",
    "one column": "id\na\n\nb\n",
    "no line break": "id,note",
    "empty": "",
    "blank header": "\na,b\n",
    "header syntax error": 'id,"no"te\na,b\n',
}


@pytest.mark.parametrize("name", PLAIN)
def test_plain_files_take_the_fast_path_and_read_as_before(tmp_path, monkeypatch, name):
    assert takes_fast_path(PLAIN[name])
    result = both_paths(tmp_path, monkeypatch, PLAIN[name])
    assert result[0] == "read" and result[3] == []


@pytest.mark.parametrize("name", NOT_PLAIN)
def test_anything_else_takes_the_csv_module_path(tmp_path, monkeypatch, name):
    assert not takes_fast_path(NOT_PLAIN[name])
    both_paths(tmp_path, monkeypatch, NOT_PLAIN[name])


def test_not_utf8_takes_the_csv_module_path(tmp_path, monkeypatch):
    assert not takes_fast_path(b"id,note\na,caf\xe9\n")
    result = both_paths(tmp_path, monkeypatch, b"id,note\na,caf\xe9\n")
    assert [p.rule for p in result[3]] == ["file must be UTF-8 encoded"]


def test_fast_path_line_numbers(tmp_path, monkeypatch):
    text = 'id,note\r\na,"one\r\ntwo"\r\nb,"x\ny\nz"\nc,""""\nd,"e\n"'
    _, frame, header, problems = both_paths(tmp_path, monkeypatch, text)
    assert problems == [] and header == ["id", "note"]
    assert frame[LINE].to_list() == [2, 4, 7, 8]
    assert frame["note"].to_list() == ["one\r\ntwo", "x\ny\nz", '"', "e\n"]


def test_quoted_empty_is_null_on_the_fast_path(tmp_path, monkeypatch):
    _, frame, _, _ = both_paths(tmp_path, monkeypatch, 'id,value,note\na,"",\nb,,x\n')
    assert frame.schema == {"id": pl.String, "value": pl.String, "note": pl.String, LINE: pl.Int64}
    assert frame["value"].to_list() == [None, None]
    assert frame["note"].to_list() == [None, "x"]


@pytest.fixture
def small_field_limit():
    old = csv.field_size_limit(20)
    yield 20
    csv.field_size_limit(old)


def test_a_field_over_the_csv_modules_limit_is_left_to_it(tmp_path, monkeypatch, small_field_limit):
    text = "id,note\na," + "x" * 30 + "\n" + "b,short\n" * 5
    assert not takes_fast_path(text)
    result = both_paths(tmp_path, monkeypatch, text)
    assert result[1] is None and result[3][0].rule.startswith("CSV syntax error")
    at_limit = "id,note\na," + "x" * 20 + "\n" + "b,short\n" * 5
    assert takes_fast_path(at_limit)
    assert both_paths(tmp_path, monkeypatch, at_limit)[3] == []


def test_random_files_read_alike_on_both_paths(tmp_path, monkeypatch):
    """A seeded fuzz over near-CSV text: quotes, commas, LF, CRLF, lone CR, blank lines, ragged
    records; whichever path the fast check picks, the outcome is the csv-module path's."""
    rng = random.Random(20240605)
    pieces = ["a", "é", ",", ",", '"', '""', "\n", "\r\n", "\r", " ", "\n\n"]
    fast = 0
    for _ in range(300):
        header = rng.choice(["id,note", "id,note,x", '"id","no,te"', "\ufeffid,note"])
        width = 2 if '"' in header else header.count(",") + 1
        if rng.random() < 0.4:
            body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        else:
            records = []
            for _ in range(rng.randint(0, 6)):
                fields = []
                for _ in range(width + (rng.random() < 0.08) - (rng.random() < 0.08)):
                    value = "".join(rng.choice(["a", ",", '"', "\n", "\r\n", " "]) for _ in range(rng.randint(0, 4)))
                    quoted = rng.random() < 0.4 or any(c in value for c in ',"\r\n')
                    fields.append('"' + value.replace('"', '""') + '"' if quoted else value)
                records.append(",".join(fields))
            body = rng.choice(["\n", "\r\n"]).join(records) + rng.choice(["", "\n", "\r\n", "\n\n"])
        text = header + rng.choice(["\n", "\r\n"]) + body
        fast += takes_fast_path(text)
        both_paths(tmp_path, monkeypatch, text)
    assert fast > 50  # the fuzz exercises the fast path, not only the fallback
