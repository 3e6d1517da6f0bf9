"""What changed between two builds' claims: added, corrected and removed claims, with their reasons.

A retroactive revision that goes unnoticed is the commonest complaint about casualty trackers.
Each build compares, per conflict of the catalog, the claims it is about to publish
(analysis.dataset.load_conflict) with the claims of the previous published build,
`<out>/data/<conflict>/claims.csv` (written after the reports by the data package), by claim_id:

- added      a claim id that was not there (series records summarised per series),
- removed    a claim id that is gone,
- corrected  the same id with any of COMPARED_FIELDS changed (each field, old -> new).

This module is the comparison and its record: claims.csv rows, data/raw/CHANGELOG.md lines (the
reasons: the lines naming a claim id or its series' file), each report's `Scope`, the `Diff` and
one change entry per conflict (`make_entry`). history.py keeps the entries across builds and says
what each report shows from them; change_pages.py renders them (the Atom feed, the report pages).

Which reports a change touches is decided from their parameters, before they run: the conflict,
then `subject_side` and `population` (a report of population `all` also shows the side's military
and civilian counts, as shares of the total). A report without them (an overview) shows all of
its conflict. This is a superset of the claims a report shows (a report may filter further by
metric, claimant or dates), never a subset, and it is known before the notebook runs, which the
report's own tables are not (they are written by the run, and last build's miss added claims).

Importing this module imports neither polars nor feedgen.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import formatting
from analysis.columns import PACKAGE_COLUMNS
from analysis.vocabulary import SERIES_SOURCE_PREFIX

CHANGELOG = "CHANGELOG.md"  # data/raw's record of every edit, with its reason and source

# The data package's claims.csv (reports/data/<conflict>/claims.csv, written by datapackage.py after
# each complete build), in its column order: what the next build compares with.
CLAIMS_CSV_COLUMNS = tuple(PACKAGE_COLUMNS["claims"])
# What a source said and what it is about: a change in any of these is a correction.
COMPARED_FIELDS = (
    "qualifier",
    "value",
    "stated_low",
    "stated_high",
    "period_type",
    "period_start_date",
    "as_of_date",
    "metric",
    "population",
    "subject_side",
    "source_term",
    "quote",
    "url",
)
NUMBER_FIELDS = {"value", "stated_low", "stated_high", "value_low", "value_high"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a CSV writer may neutralise these with a leading '


# --------------------------------------------------------------------------- claims.csv


def _same(field: str, old: str, new: str) -> bool:
    if old == new:
        return True
    if field in NUMBER_FIELDS:
        try:
            return float(old) == float(new)
        except ValueError:
            return False
    # a spreadsheet-safe writer may have written '=... for =... (OWASP): the same text
    return old[:1] == "'" and old[1:2] in FORMULA_START and old[1:] == new


def read_claims_csv(path: Path) -> dict[str, dict[str, str]]:
    """{claim_id: {column: text}} of a published claims.csv (every cell as text, '' for null)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return _rows(fh)


def current_rows(conflict: Any) -> dict[str, dict[str, str]]:
    """{claim_id: {column: text}} of a loaded conflict's claims as this build publishes them:
    written by the data package's own writer, so unchanged claims read back as the same text."""
    from analysis.report.datapackage import claims_table, csv_bytes  # polars: only once a conflict is loaded

    return _rows(io.StringIO(csv_bytes(claims_table(conflict)).decode("utf-8"), newline=""))


def _rows(lines) -> dict[str, dict[str, str]]:
    return {row["claim_id"]: {k: (v or "") for k, v in row.items() if k is not None} for row in csv.DictReader(lines)}


# ---------------------------------------------------------------------------- CHANGELOG


@dataclass(frozen=True)
class ChangelogLine:
    date: str  # ISO
    file: str
    change: str
    reason: str
    source: str

    def to_json(self) -> dict:
        return {
            "date": self.date,
            "file": self.file,
            "change": self.change,
            "reason": self.reason,
            "source": self.source,
        }

    def is_about(self, conflict_id: str) -> bool:
        """A line about one of the conflict's files ('gaza-war/statements.csv, claims.csv')."""
        return any(part.strip().startswith(f"{conflict_id}/") for part in self.file.split(","))

    def mentions(self, names: Iterable[str]) -> bool:
        """Whether the file or the change names one of these claim or series ids as a whole word
        (`x.killed` is not named by `x.killed_and_wounded`; a series id is by its `<id>.csv`)."""
        text = f"{self.file} {self.change}"
        return any(re.search(rf"(?<![\w.+-]){re.escape(name)}(?![\w+-]|\.(?!csv\b)\w)", text) for name in names if name)


def read_changelog(path: Path) -> list[ChangelogLine]:
    """The rows of data/raw/CHANGELOG.md's table (`| date | file | change | reason | source |`);
    [] without the file. An escaped `\\|` stays in its cell."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return []
    lines = []
    for raw in text.splitlines():
        raw = raw.strip()
        if not raw.startswith("|"):
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", raw.strip("|"))]
        if len(cells) < 5 or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", cells[0]):
            continue  # the header, its rule, or not a change line
        lines.append(ChangelogLine(cells[0], cells[1], cells[2], cells[3], " | ".join(cells[4:])))
    return lines


# ------------------------------------------------------------------------------ scopes


@dataclass(frozen=True)
class Scope:
    """What a report is about: its conflict, and the side and population when it names them."""

    conflict: str | None
    subject_side: str | None = None
    population: str | None = None

    def touches(self, pairs: Iterable[Iterable[str]]) -> bool:
        """Whether a claim about any of these (subject_side, population) pairs is in the report."""
        for side, population in pairs:
            if self.subject_side not in (None, side):
                continue
            if self.population in (None, "all", population):
                return True
        return False


def report_scope(entry: Any, conflict_of: Callable[[Any], str | None]) -> Scope:
    """From the entry's parameters over the notebook's defaults (a report that names no side
    shows all of its conflict)."""
    from analysis.report.catalog import notebook_parameters, read_notebook

    try:
        parameters = dict(notebook_parameters(read_notebook(entry.notebook)))
    except (OSError, ValueError):
        parameters = {}
    parameters.update(entry.parameters)
    side, population = parameters.get("subject_side"), parameters.get("population")
    return Scope(
        conflict_of(entry), side if isinstance(side, str) else None, population if isinstance(population, str) else None
    )


# -------------------------------------------------------------------------- comparison


@dataclass
class Diff:
    added: list[str]
    removed: list[str]
    corrected: dict[str, list[tuple[str, str, str]]]  # claim_id -> [(field, old, new)]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.corrected)


def compare(previous: dict[str, dict[str, str]], current: dict[str, dict[str, str]]) -> Diff:
    """By claim_id. A field the previous file lacks is not compared (an older format)."""
    corrected = {}
    for claim_id in sorted(previous.keys() & current.keys()):
        old, new = previous[claim_id], current[claim_id]
        fields = [
            (f, old[f], new.get(f, "")) for f in COMPARED_FIELDS if f in old and not _same(f, old[f], new.get(f, ""))
        ]
        if fields:
            corrected[claim_id] = fields
    return Diff(sorted(current.keys() - previous.keys()), sorted(previous.keys() - current.keys()), corrected)


def _number(text: str) -> int | float | None:
    if not text:
        return None
    value = float(text)
    return int(value) if value.is_integer() else value


def figure(row: dict[str, str]) -> str:
    """A claim as stated, in words: 'about 16,100 “personnel” (personnel losses)' (what
    narrative.stated_text says, from a claims.csv row)."""
    try:
        return formatting.claim_text(
            row.get("qualifier", ""),
            _number(row.get("value", "")),
            _number(row.get("stated_low", "")),
            _number(row.get("stated_high", "")),
            row.get("metric", ""),
            row.get("source_term") or None,
        )
    except ValueError:
        return f"{row.get('qualifier', '')} {row.get('value', '')} {row.get('metric', '')}".strip()


def _pair(row: dict[str, str]) -> list[str]:
    return [row.get("subject_side", ""), row.get("population", "")]


def _series_of(row: dict[str, str]) -> str:
    """The series a record comes from ('' for a curated claim)."""
    source = row.get("source", "")
    return source.removeprefix(SERIES_SOURCE_PREFIX) if source.startswith(SERIES_SOURCE_PREFIX) else ""


def _reasons(lines: list[ChangelogLine], names: Iterable[str]) -> list[dict]:
    """The CHANGELOG lines naming a claim id (or, for a series record, its series' file)."""
    names = [n for n in names if n]
    return [{"date": line.date, "reason": line.reason, "source": line.source} for line in lines if line.mentions(names)]


def make_entry(
    diff: Diff,
    previous: dict[str, dict[str, str]],
    current: dict[str, dict[str, str]],
    *,
    date: str,
    conflict_id: str,
    conflict_name: str,
    data_as_of: str,
    number: int,
    changelog: list[ChangelogLine],
    reports: list[tuple[str, str, Scope]],
) -> dict:
    """One change entry of changes.json (see the module's docstring)."""
    added, series = [], {}
    for claim_id in diff.added:
        row = current[claim_id]
        series_id = _series_of(row)
        if series_id:
            group = series.setdefault(
                series_id,
                {
                    "series_id": series_id,
                    "claimant": row.get("claimant_name", ""),
                    "count": 0,
                    "first": row["as_of_date"],
                    "last": row["as_of_date"],
                    "scopes": [_pair(row)],
                },
            )
            group["count"] += 1
            group["first"], group["last"] = (
                min(group["first"], row["as_of_date"]),
                max(group["last"], row["as_of_date"]),
            )
        else:
            added.append(
                {
                    "claim_id": claim_id,
                    "claimant": row.get("claimant_name", ""),
                    "figure": figure(row),
                    "as_of_date": row.get("as_of_date", ""),
                    "scopes": [_pair(row)],
                    "reasons": _reasons(changelog, [claim_id]),
                }
            )
    added_series = []
    for group in sorted(series.values(), key=lambda g: g["series_id"]):
        span = group["first"] if group["first"] == group["last"] else f"{group['first']} to {group['last']}"
        count = group["count"]
        group["text"] = f"{count:,} new daily record{'' if count == 1 else 's'} of {group['series_id']}, {span}"
        group["reasons"] = _reasons(changelog, [group["series_id"]])
        added_series.append(group)
    corrected = []
    for claim_id, fields in diff.corrected.items():
        old, new = previous[claim_id], current[claim_id]
        scopes = [_pair(old)] + ([_pair(new)] if _pair(new) != _pair(old) else [])
        corrected.append(
            {
                "claim_id": claim_id,
                "claimant": new.get("claimant_name") or old.get("claimant_name", ""),
                "before": figure(old),
                "after": figure(new),
                "fields": [{"field": f, "old": o, "new": n} for f, o, n in fields],
                "scopes": scopes,
                "reasons": _reasons(changelog, [claim_id, _series_of(old)]),
            }
        )
    removed = []
    for claim_id in diff.removed:
        row = previous[claim_id]
        removed.append(
            {
                "claim_id": claim_id,
                "claimant": row.get("claimant_name", ""),
                "figure": figure(row),
                "as_of_date": row.get("as_of_date", ""),
                "scopes": [_pair(row)],
                "reasons": _reasons(changelog, [claim_id, _series_of(row)]),
            }
        )
    counts = {
        "corrected": len(corrected),
        "added": len(added) + sum(g["count"] for g in added_series),
        "removed": len(removed),
    }
    items = [*corrected, *added, *added_series, *removed]
    touched = [
        {"slug": slug, "title": title}
        for slug, title, scope in reports
        if scope.conflict == conflict_id and any(scope.touches(i["scopes"]) for i in items)
    ]
    return {
        "id": f"tag:casualty-claims,{date}:{conflict_id}:{number}",
        "date": date,
        "conflict_id": conflict_id,
        "conflict_name": conflict_name,
        "data_as_of": data_as_of,
        "counts": counts,
        "summary": summary(counts),
        "reports": touched,
        "corrected": corrected,
        "added": added,
        "added_series": added_series,
        "removed": removed,
        "changelog": [line.to_json() for line in changelog],
    }


def summary(counts: dict[str, int]) -> str:
    """'1 corrected, 12 added, 1 removed' (the counts that are not zero)."""
    parts = [f"{counts[k]:,} {k}" for k in ("corrected", "added", "removed") if counts.get(k)]
    return ", ".join(parts) or "no change"


def anchor(entry: dict) -> str:
    """The entry's id on the index page: 'change-2027-01-15-gaza-war-1'."""
    return "change-" + re.sub(r"[^a-z0-9-]+", "-", entry["id"].split(",", 1)[1].replace(":", "-").lower())
