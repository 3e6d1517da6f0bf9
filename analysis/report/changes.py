"""What changed between builds, for readers: changes.json, the Atom feed changes.xml, each
report's "Data last changed" and corrections, published.json and tombstones of removed reports.

A retroactive revision that goes unnoticed is the commonest complaint about casualty trackers.
Each build compares, per conflict of the catalog, the claims it is about to publish
(analysis.dataset.load_conflict) with the claims of the previous published build,
`<out>/data/<conflict>/claims.csv` (written after the reports by the data package), by claim_id:

- added      a claim id that was not there (series records summarised per series),
- removed    a claim id that is gone,
- corrected  the same id with any of COMPARED_FIELDS changed (each field, old -> new).

A build that finds changes appends one entry per conflict to `<out>/changes.json` (the history,
kept across builds and published with the site) when it completes (not when interrupted: the
next build finds the same differences again, as claims.csv was not replaced either). Without a
previous claims.csv nothing is recorded: that build is the baseline. Dates are
`formatting.build_date()` (SOURCE_DATE_EPOCH), never the clock, and every file is written only
when its bytes change, so the same inputs give the same bytes.

Which reports a change touches is decided from their parameters, before they run: the conflict,
then `subject_side` and `population` (a report of population `all` also shows the side's military
and civilian counts, as shares of the total). A report without them (an overview) shows all of
its conflict. This is a superset of the claims a report shows (a report may filter further by
metric, claimant or dates), never a subset, and it is known before the notebook runs, which the
report's own tables are not (they are written by the run, and last build's miss added claims).

A report's "Data last changed" is the latest of: the dates of the change entries that touch it,
and the dates of data/raw/CHANGELOG.md lines of its conflict's files that no entry lists (an entry
lists the lines dated on or after the conflict's previous entry, or its first build). So the
first build shows the latest CHANGELOG date, and a correction to one side's figures does not
move the date of a report about the other side. What a report shows from here is part of its
cache key (`key_part`), so an incremental build rebuilds exactly the reports whose date or
corrections changed, and no other.

Stable links: `<out>/published.json` lists every slug ever published (title, conflict, first and
last built dates); a slug that leaves the catalog gets `<slug>.html` replaced by a small page
saying when it was removed, with links to the index and its conflict's overview, and its old
folder `<slug>/` (executed notebook, charts, tables) is deleted.

Cheap when nothing changed: a conflict compared before with the same data, code and previous
claims.csv and found unchanged is not loaded again (`.build/changes-cache.json`); feedgen is
imported only when the feed's inputs changed. Importing this module imports neither polars nor
feedgen.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import formatting
from analysis.columns import PACKAGE_COLUMNS
from analysis.report import fingerprint as fp
from analysis.report.files import atomic_write, write_if_changed
from analysis.vocabulary import SERIES_SOURCE_PREFIX

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMAT = 1
HISTORY = "changes.json"
FEED = "changes.xml"
PUBLISHED = "published.json"
CACHE = Path(".build") / "changes-cache.json"
CHANGELOG = "CHANGELOG.md"
FEED_ID = "tag:casualty-claims,2026:changes"
FEED_TITLE = "Casualty claims: what changed"
INDEX_ENTRIES = 10  # the index shows the latest ones; changes.json and the feed keep them all

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


# ------------------------------------------------------------------------------- driver


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=1, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


class SiteChanges:
    """One build's view of the history: what was recorded, what this build found (pending until
    `publish`), and what each report shows from it."""

    def __init__(
        self,
        out: Path,
        catalog: Any,
        built: dt.date,
        history: dict,
        changelog: list[ChangelogLine],
        scopes: dict[str, Scope],
        say: Callable[[str], None] | None = None,
    ):
        self.out = Path(out)
        self.catalog = catalog
        self.built = built
        self.history = history
        self.changelog = changelog
        self.scopes = scopes
        self.say = say or (lambda message: None)
        self.pending: list[dict] = []
        self.baselines: dict[str, str] = {}
        self.loaded: dict[str, Any] = {}  # conflicts loaded for the comparison (the stand-in writer uses them)
        self.seconds = 0.0

    # -- before the reports run
    @classmethod
    def prepare(
        cls,
        catalog: Any,
        out: Path,
        conflict_of: Callable[[Any], str | None],
        fingerprints: dict,
        built: dt.date,
        say: Callable[[str], None] | None = None,
    ) -> SiteChanges:
        started = time.perf_counter()
        out = Path(out)
        history = _read_json(out / HISTORY)
        if not isinstance(history, dict) or history.get("format") != FORMAT:
            history = {"format": FORMAT, "first_build": {}, "entries": []}
        scopes = {entry.slug: report_scope(entry, conflict_of) for entry in catalog.entries}
        self = cls(out, catalog, built, history, read_changelog(catalog.data_dir / CHANGELOG), scopes, say)
        cache = _read_json(out / CACHE) or {}
        kept = {}
        for conflict in dict.fromkeys(s.conflict for s in scopes.values() if s.conflict):
            token = self._compare(catalog, conflict, fingerprints, cache.get(conflict))
            if token:
                kept[conflict] = token
        if kept != cache:
            atomic_write(out / CACHE, _json_bytes(kept))
        self.seconds = time.perf_counter() - started
        return self

    def _compare(self, catalog: Any, conflict: str, fingerprints: dict, cached: dict | None) -> dict | None:
        """Compare one conflict with its previous claims.csv; return the cache token when they are
        the same (nothing to record, nothing to load next time)."""
        previous_path = self.out / "data" / conflict / "claims.csv"
        token = {
            "data": fingerprints.get("data", {}).get(conflict),
            "code": fingerprints.get("code"),
            "previous": fp.sha256_file(previous_path) if previous_path.is_file() else None,
        }
        if token["previous"] and cached == token and conflict in self.history["first_build"]:
            return token
        from analysis.dataset import load_conflict
        from analysis.errors import DataValidationError

        try:
            loaded = load_conflict(conflict, catalog.data_dir)
        except (DataValidationError, ValueError, OSError):
            return None  # the checks report it, and the build stops
        self.loaded[conflict] = loaded
        if conflict not in self.history["first_build"]:
            self.baselines[conflict] = self.built.isoformat()
        if not token["previous"]:
            return None  # the baseline: nothing to compare with
        try:
            previous = read_claims_csv(previous_path)
        except (OSError, UnicodeDecodeError, KeyError, csv.Error) as exc:
            self.say(
                f"changes: {conflict}: cannot read the previous {previous_path.name} ({exc}); "
                "this build is a new baseline"
            )
            return None
        current = current_rows(loaded)
        diff = compare(previous, current)
        if diff.empty:
            return token
        entries = [e for e in self.history["entries"] if e["conflict_id"] == conflict]
        listed = {json.dumps(line, sort_keys=True) for e in entries for line in e["changelog"]}
        since = (
            entries[-1]["date"]
            if entries
            else (self.history["first_build"].get(conflict) or self.baselines.get(conflict, ""))
        )
        lines = [
            line
            for line in self.changelog
            if line.is_about(conflict)
            and line.date >= since
            and json.dumps(line.to_json(), sort_keys=True) not in listed
        ]
        date = self.built.isoformat()
        number = 1 + sum(1 for e in entries if e["date"] == date)
        reports = [(e.slug, e.title, self.scopes[e.slug]) for e in self.catalog.entries]
        entry = make_entry(
            diff,
            previous,
            current,
            date=date,
            conflict_id=conflict,
            conflict_name=loaded.name,
            data_as_of=loaded.data_as_of.isoformat(),
            number=number,
            changelog=lines,
            reports=reports,
        )
        self.pending.append(entry)
        self.say(
            f"changes: {conflict}: {entry['summary']} since the last build (recorded in {HISTORY} "
            "when this build completes)"
        )
        return None

    def _entries(self, conflict: str | None) -> list[dict]:
        return [e for e in (*self.history["entries"], *self.pending) if e["conflict_id"] == conflict]

    def report_context(self, entry: Any) -> dict:
        """What the report's page shows: {"last_changed": ISO date or None, "corrections": [...]}
        (corrected and removed claims it shows, newest first)."""
        scope = self.scopes.get(entry.slug) or Scope(None)
        entries = self._entries(scope.conflict)
        listed = {json.dumps(line, sort_keys=True) for e in entries for line in e["changelog"]}
        dates = [
            line.date
            for line in self.changelog
            if scope.conflict
            and line.is_about(scope.conflict)
            and json.dumps(line.to_json(), sort_keys=True) not in listed
        ]
        corrections = []
        for change in reversed(entries):
            items = [i for kind in ("corrected", "added", "added_series", "removed") for i in change[kind]]
            if not any(scope.touches(i["scopes"]) for i in items):
                continue
            dates.append(change["date"])
            for kind in ("corrected", "removed"):
                for item in change[kind]:
                    if scope.touches(item["scopes"]):
                        corrections.append(
                            {
                                "date": change["date"],
                                "kind": kind,
                                "claim_id": item["claim_id"],
                                "claimant": item["claimant"],
                                "before": item.get("before") or item.get("figure"),
                                "after": item.get("after"),
                                "fields": item.get("fields", []),
                                "reasons": item["reasons"],
                            }
                        )
        return {"last_changed": max(dates) if dates else None, "corrections": corrections}

    def key_part(self, entry: Any) -> str:
        """Part of the report's cache key: what its page shows from the history."""
        return fp.digest_json(self.report_context(entry))

    # -- after the reports ran (not when interrupted)
    def publish(
        self,
        catalog: Any,
        state: dict,
        built_slugs: Iterable[str],
        conflict_of: Callable[[Any], str | None],
        site_url: str | None = None,
    ) -> None:
        """Record what this build found (changes.json), write the feed (changes.xml), the list of
        published reports (published.json) and the pages of removed ones."""
        started = time.perf_counter()
        history = self.history
        history["first_build"] = dict(sorted({**self.baselines, **history["first_build"]}.items()))
        history["entries"] = [*history["entries"], *self.pending]
        self.pending = []
        write_if_changed(self.out / HISTORY, _json_bytes(history))
        self._write_feed(site_url)
        self._write_published(catalog, state, set(built_slugs), conflict_of)
        self.seconds += time.perf_counter() - started

    def _write_feed(self, site_url: str | None) -> None:
        inputs = fp.digest_json(
            {"history": self.history, "site_url": site_url, "updated": self.feed_updated(), "format": FORMAT}
        )
        cache_path = self.out / ".build" / "feed-inputs"
        path = self.out / FEED
        try:
            if path.is_file() and cache_path.read_text() == f"{inputs} {fp.sha256_file(path)}":
                return  # the same inputs gave this file
        except OSError:
            pass
        data = feed_bytes(self.history, updated=self.feed_updated(), site_url=site_url)
        write_if_changed(path, data)
        atomic_write(cache_path, f"{inputs} {fp.sha256_bytes(data)}".encode())

    def feed_updated(self) -> str:
        entries = self.history["entries"]
        return max(e["date"] for e in entries) if entries else self.built.isoformat()

    def _write_published(
        self, catalog: Any, state: dict, built_slugs: set[str], conflict_of: Callable[[Any], str | None]
    ) -> None:
        today = self.built.isoformat()
        published = _read_json(self.out / PUBLISHED)
        if not isinstance(published, dict) or published.get("format") != FORMAT:
            published = {"format": FORMAT, "reports": {}}
        from analysis.report.catalog import SLUG_PATTERN

        reports = {
            slug: record
            for slug, record in (published.get("reports") or {}).items()
            if SLUG_PATTERN.match(slug) and isinstance(record, dict)
        }  # never a path from the file
        for entry in catalog.entries:
            record = reports.get(entry.slug)
            has_html = (
                bool((state["reports"].get(entry.slug) or {}).get("has_html"))
                and (self.out / f"{entry.slug}.html").is_file()
            )
            if not has_html:
                continue  # never published (a first build that failed)
            if record is None:
                record = reports[entry.slug] = {"first_built": today, "last_built": today}
            record.pop("removed", None)
            record.update(title=entry.title, conflict=conflict_of(entry))
            if entry.slug in built_slugs:
                record["last_built"] = today
        overviews = self._overviews(catalog, state, conflict_of)
        in_catalog = set(catalog.slugs)
        for slug, record in reports.items():
            if slug in in_catalog:
                continue
            record.setdefault("removed", today)
            page = removed_page(slug, record, overviews.get(record.get("conflict") or ""))
            write_if_changed(self.out / f"{slug}.html", page.encode("utf-8"))
            folder = self.out / slug
            if folder.is_dir():  # its executed notebook, charts and tables: gone with the report
                trash = self.out / ".build" / "trash"
                trash.mkdir(parents=True, exist_ok=True)
                aside = trash / f"{slug}.{os.getpid()}.{time.monotonic_ns()}"
                os.rename(folder, aside)
                shutil.rmtree(aside, ignore_errors=True)
        published["reports"] = {slug: {k: reports[slug][k] for k in sorted(reports[slug])} for slug in sorted(reports)}
        write_if_changed(self.out / PUBLISHED, _json_bytes(published))

    def _overviews(self, catalog: Any, state: dict, conflict_of) -> dict[str, dict]:
        from analysis.report.index import is_overview

        found: dict[str, dict] = {}
        for entry in catalog.entries:
            record = state["reports"].get(entry.slug) or {}
            conflict = conflict_of(entry)
            if (
                conflict
                and conflict not in found
                and (self.out / f"{entry.slug}.html").is_file()
                and is_overview(record.get("headline"), entry.notebook_rel)
            ):
                found[conflict] = {"slug": entry.slug, "title": entry.title}
        return found

    # -- the index
    def index_context(self) -> dict:
        """For the index's "What changed" section: the recorded entries, newest first."""
        entries = list(reversed(self.history["entries"]))
        first = min(self.history["first_build"].values(), default=None) or min(self.baselines.values(), default=None)
        return {
            "entries": [{**e, "anchor": anchor(e)} for e in entries[:INDEX_ENTRIES]],
            "older": max(0, len(entries) - INDEX_ENTRIES),
            "first_build": dt.date.fromisoformat(first) if first else None,
            "feed": FEED,
            "history": HISTORY,
        }


# --------------------------------------------------------------------------- rendering


@functools.lru_cache(maxsize=1)
def _environment():
    """One jinja2 environment per process (templates compiled once, ~13 ms each time otherwise)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date"] = formatting.date
    env.filters["isodate"] = lambda value: formatting.date(dt.date.fromisoformat(value)) if value else ""
    return env


def entry_html(entry: dict, base: str = "") -> str:
    """An entry's changes as HTML (the feed's content): what changed, which reports, why."""
    return _environment().get_template("changes.html.j2").module.entry_body(entry, base)


def feed_bytes(history: dict, *, updated: str, site_url: str | None = None) -> bytes:
    """The Atom feed of the history (feedgen; its content HTML escaped by lxml), newest first.
    Links are absolute with the catalog's site_url, relative without (a reader resolves them
    against the feed's own address, which is next to the reports). Deterministic: our generator
    name and version, `updated` and every date given, never the clock."""
    from feedgen.feed import FeedGenerator

    from analysis import __version__

    base = site_url or ""
    feed = FeedGenerator()
    feed.id(FEED_ID)
    feed.title(FEED_TITLE)
    feed.subtitle(
        "Claims added, corrected or removed between builds of the casualty-claims reports, "
        "with the reasons recorded in the data's CHANGELOG."
    )
    feed.author({"name": "casualty-claims contributors"})
    feed.language("en")
    feed.generator("casualty-claims", version=__version__)
    feed.link(href=f"{base}index.html", rel="alternate", type="text/html")
    if site_url:
        feed.link(href=f"{base}{FEED}", rel="self", type="application/atom+xml")
    feed.updated(_midnight(updated))
    for entry in history["entries"]:  # each prepended: the newest comes first
        item = feed.add_entry()
        item.id(entry["id"])
        item.title(f"{entry['conflict_name']}: {entry['summary']}")
        item.updated(_midnight(entry["date"]))
        item.published(_midnight(entry["date"]))
        # One link: feedgen 1.0.0 writes only the href of an entry's links (python-feedgen#135), so
        # more would all be rel=alternate, which Atom forbids; the reports are linked in the content.
        item.link(href=f"{base}index.html#{anchor(entry)}")
        item.content(entry_html(entry, base), type="html")
    return feed.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def _midnight(iso_date: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(iso_date), dt.time(0, 0), tzinfo=dt.UTC)


def removed_page(slug: str, record: dict, overview: dict | None) -> str:
    """The page a removed report's URL keeps: the index's look, the date it was removed, links."""
    from analysis import __version__

    return (
        _environment()
        .get_template("removed.html.j2")
        .render(
            title=record.get("title") or slug,
            slug=slug,
            removed=dt.date.fromisoformat(record["removed"]),
            first_built=dt.date.fromisoformat(record["first_built"]),
            overview=overview,
            package_version=__version__,
        )
    )


def report_block_html(context: dict) -> tuple[str, str]:
    """(' · Data last changed <date>' for the header's dates line, the corrections block)."""
    module = _environment().get_template("changes.html.j2").module
    return str(module.last_changed(context)), str(module.report_corrections(context))


def annotate_notebook(nb: Any, context: dict | None) -> Any:
    """Put "Data last changed" at the end of the report header's line of dates (narrative.header's
    `cc-dates`: "Data as of … · built … · Data last changed …") and its corrections after the header;
    a notebook without that header gets both in a first output. nb: the notebook as the HTML shows
    it (export.html_notebook)."""
    if not context:
        return nb
    dates, block = report_block_html(context)
    if not dates and not block:
        return nb
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            html = (output.get("data") or {}).get("text/html")
            if not isinstance(html, str) or 'class="cc-dates"' not in html:
                continue
            start = html.index('class="cc-dates"')
            end = html.index("</p>", start)
            html = html[:end] + dates + html[end:]  # "Data as of … · built … · Data last changed …"
            close = html.find("</header>", start)
            at = close + len("</header>") if close >= 0 else html.index("</p>", start) + 4
            output["data"]["text/html"] = html[:at] + block + html[at:]
            return nb
    import nbformat

    first = nbformat.v4.new_code_cell(source="", id="data-changes")
    first.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": f'<p class="cc-dates">{dates.removeprefix(" · ")}</p>{block}'}
        )
    ]
    nb.cells.insert(0, first)
    return nb
