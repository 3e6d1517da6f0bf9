"""Importers: turn a bulk source file into a series CSV in the project's own format.

A series CSV has three columns, `date,value,qualifier`; its origin, licence and meaning live in
the conflict's conflict.yml. Importers write a new file and refuse to overwrite one: raw data
changes by reviewed edits, never silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

from analysis.columns import RAW_TABLES

SERIES_HEADER = list(RAW_TABLES["series"])  # date, value, qualifier

# Petro Ivaniuk's 2022-Ukraine-Russia-War-Dataset writes the General Staff's own qualifier words.
IVANIUK_QUALIFIERS = {"about": "about", "more": "more_than"}


def read_json_records(source: Path) -> list:
    """The JSON list of daily records in source; a ValueError naming source when it is not one."""
    try:
        records = json.loads(Path(source).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{source}: must be UTF-8 encoded JSON ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(records, list):
        raise ValueError(f"{source}: expected a JSON list of daily records, got {type(records).__name__}")
    return records


def read_ivaniuk_personnel(source: Path) -> list[dict[str, str]]:
    """Records of `russia_losses_personnel.json`: {date, day, personnel, personnel*, POW?}.

    Only date, personnel and its qualifier are taken; POW comes from a non-official project.
    """
    records = read_json_records(source)
    rows = []
    first_seen: dict[str, int] = {}  # date -> record number
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ValueError(
                f"{source}: record {index + 1} value {record!r}: must be an object with date, personnel and personnel*"
            )
        where = f"{source}: record {index + 1} (date {record.get('date')!r})"
        for key in ("date", "personnel", "personnel*"):
            if key not in record:
                raise ValueError(f"{where}: missing field {key!r}")
        date = record["date"]
        if not is_calendar_date(date):
            raise ValueError(f"{where}: field 'date' value {date!r}: must be a calendar date written YYYY-MM-DD")
        if date in first_seen:
            raise ValueError(
                f"{where}: field 'date' value {date!r}: duplicate date: record "
                f"{first_seen[date]} has it (a series has one record a day)"
            )
        first_seen[date] = index + 1
        value = record["personnel"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{where}: field 'personnel' value {value!r}: must be a non-negative integer")
        qualifier = IVANIUK_QUALIFIERS.get(record["personnel*"])
        if qualifier is None:
            raise ValueError(
                f"{where}: field 'personnel*' value {record['personnel*']!r}: "
                f"must be one of {', '.join(IVANIUK_QUALIFIERS)}"
            )
        rows.append({"date": date, "value": str(value), "qualifier": qualifier})
    return rows


# Tech For Palestine's palestine-datasets, `casualties_daily.json`: one record a day, each from the
# channel that reported it (`report_source`; `missing` is a day without a report). Its own
# fields are the figures as reported; every `ext_*` field is computed by the dataset's build
# (carried forward over gaps, deltas between days) and is no one's statement: never imported.
TECHFORPALESTINE_CHANNELS = {
    "mohtel": "the Gaza Ministry of Health's Telegram channel",
    "gmotel": "the Gaza Government Media Office's Telegram channel",
}
TECHFORPALESTINE_FIGURES = {
    "killed_cum": "killed to the report date, as reported",
    "injured_cum": "injured to the report date, as reported",
}


def read_techforpalestine_daily(source: Path, *, channel: str, figure: str) -> list[dict[str, str]]:
    """One channel's reported figure from `casualties_daily.json`:
    {report_date, report_source, report_period, killed_cum?, injured_cum?, ..., ext_*}.

    Only the records of `channel` that carry `figure` are taken, as reported (qualifier exact).
    Records of another channel or of `missing` days are skipped, and so are the channel's records
    without the figure (the dataset omits a field nobody reported). `ext_*` fields are never read.
    """
    if channel not in TECHFORPALESTINE_CHANNELS:
        raise ValueError(f"{source}: channel {channel!r}: must be one of {', '.join(TECHFORPALESTINE_CHANNELS)}")
    if figure not in TECHFORPALESTINE_FIGURES:
        raise ValueError(f"{source}: figure {figure!r}: must be one of {', '.join(TECHFORPALESTINE_FIGURES)}")
    records = read_json_records(source)
    rows = []
    first_seen: dict[str, int] = {}  # date -> record number, within the channel
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ValueError(
                f"{source}: record {index + 1} value {record!r}: must be an object with report_date and report_source"
            )
        where = f"{source}: record {index + 1} (date {record.get('report_date')!r})"
        for key in ("report_date", "report_source"):
            if key not in record:
                raise ValueError(f"{where}: missing field {key!r}")
        date = record["report_date"]
        if not is_calendar_date(date):
            raise ValueError(f"{where}: field 'report_date' value {date!r}: must be a calendar date written YYYY-MM-DD")
        if not isinstance(record["report_source"], str) or not record["report_source"]:
            raise ValueError(
                f"{where}: field 'report_source' value {record['report_source']!r}: "
                f"must be the name of the reporting channel, or missing"
            )
        if record["report_source"] != channel:
            continue
        if date in first_seen:
            raise ValueError(
                f"{where}: field 'report_date' value {date!r}: duplicate date: record "
                f"{first_seen[date]} of channel {channel} has it (a series has one record a day)"
            )
        first_seen[date] = index + 1
        if figure not in record:
            continue
        value = record[figure]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{where}: field {figure!r} value {value!r}: must be a non-negative integer")
        rows.append({"date": date, "value": str(value), "qualifier": "exact"})
    return rows


def is_calendar_date(value) -> bool:
    """True for text YYYY-MM-DD naming a real day (not 2022-02-30, not 2022-2-5, not a number)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_output(out: Path, source: Path | None = None) -> None:
    """Refuse an output that exists or whose folder does not (a typo in the path would otherwise
    create a stray folder). Messages name the source file when given."""
    out = Path(out)
    prefix = f"{source}: " if source is not None else ""
    if out.exists():
        raise FileExistsError(
            f"{prefix}not imported: {out} exists: raw files are edited by hand, not overwritten by importers"
        )
    if not out.parent.is_dir():
        raise FileNotFoundError(
            f"{prefix}not imported: the output folder {out.parent} does not exist (create it first, or check the path)"
        )


def write_series(rows: list[dict[str, str]], out: Path, source: Path | None = None) -> None:
    """Write a series CSV into an existing folder; refuse to overwrite, and write to a temporary
    file first."""
    out = Path(out)
    check_output(out, source)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=SERIES_HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(out)


IMPORTERS = {"ivaniuk": read_ivaniuk_personnel, "techforpalestine": read_techforpalestine_daily}

# The options an importer requires (its keyword-only parameters), each with its valid values;
# an importer not listed takes none.
IMPORTER_OPTIONS = {
    "techforpalestine": {"channel": TECHFORPALESTINE_CHANNELS, "figure": TECHFORPALESTINE_FIGURES},
}
