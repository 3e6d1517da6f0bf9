"""Importers: turn a bulk source file into a series CSV in the project's own format.

A series CSV has three columns, `date,value,qualifier`; its origin, licence and meaning live in
the conflict's conflict.yml. Importers write a new file and refuse to overwrite one: raw data
changes by reviewed edits, never silently.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

SERIES_HEADER = ["date", "value", "qualifier"]

# Petro Ivaniuk's 2022-Ukraine-Russia-War-Dataset writes the General Staff's own qualifier words.
IVANIUK_QUALIFIERS = {"about": "about", "more": "more_than"}


def read_ivaniuk_personnel(source: Path) -> list[dict[str, str]]:
    """Records of `russia_losses_personnel.json`: {date, day, personnel, personnel*, POW?}.

    Only date, personnel and its qualifier are taken; POW comes from a non-official project.
    """
    records = json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(records, list):
        raise ValueError(f"{source}: expected a JSON list of daily records, got {type(records).__name__}")
    rows = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ValueError(f"{source}: record {index + 1} value {record!r}: must be an object "
                             f"with date, personnel and personnel*")
        where = f"{source}: record {index + 1} (date {record.get('date')!r})"
        for key in ("date", "personnel", "personnel*"):
            if key not in record:
                raise ValueError(f"{where}: missing field {key!r}")
        value = record["personnel"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{where}: field 'personnel' value {value!r}: must be a non-negative integer")
        qualifier = IVANIUK_QUALIFIERS.get(record["personnel*"])
        if qualifier is None:
            raise ValueError(f"{where}: field 'personnel*' value {record['personnel*']!r}: "
                             f"must be one of {', '.join(IVANIUK_QUALIFIERS)}")
        rows.append({"date": str(record["date"]), "value": str(value), "qualifier": qualifier})
    return rows


def write_series(rows: list[dict[str, str]], out: Path) -> None:
    """Write a series CSV; refuse to overwrite, and write to a temporary file first."""
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out} exists: raw files are edited by hand, not overwritten by importers")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=SERIES_HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(out)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


IMPORTERS = {"ivaniuk": read_ivaniuk_personnel}
