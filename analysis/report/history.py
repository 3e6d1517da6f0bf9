"""The history of changes across builds (`SiteChanges`), and what each report shows from it.

Before the reports run, `SiteChanges.prepare` compares each conflict's claims with the previous
build's (changes.py) and reads the history, `<out>/changes.json`. A build that finds changes
appends one entry per conflict to it when it completes (`publish`; not when interrupted: the next
build finds the same differences again, as claims.csv was not replaced either). Without a previous
claims.csv nothing is recorded: that build is the baseline. Dates are `formatting.build_date()`
(SOURCE_DATE_EPOCH), never the clock, and every file is written only when its bytes change, so the
same inputs give the same bytes.

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
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from analysis.report import fingerprint as fp
from analysis.report.change_pages import FEED, feed_bytes, removed_page
from analysis.report.changes import (
    CHANGELOG,
    ChangelogLine,
    Scope,
    anchor,
    compare,
    current_rows,
    make_entry,
    read_changelog,
    read_claims_csv,
    report_scope,
)
from analysis.report.files import atomic_write, write_if_changed, write_made_from

FORMAT = 1
HISTORY = "changes.json"
PUBLISHED = "published.json"
CACHE = Path(".build") / "changes-cache.json"
INDEX_ENTRIES = 10  # the index shows the latest ones; changes.json and the feed keep them all


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
        history = self.history
        history["first_build"] = dict(sorted({**self.baselines, **history["first_build"]}.items()))
        history["entries"] = [*history["entries"], *self.pending]
        self.pending = []
        write_if_changed(self.out / HISTORY, _json_bytes(history))
        self._write_feed(site_url)
        self._write_published(catalog, state, set(built_slugs), conflict_of)

    def _write_feed(self, site_url: str | None) -> None:
        inputs = fp.digest_json(
            {"history": self.history, "site_url": site_url, "updated": self.feed_updated(), "format": FORMAT}
        )
        write_made_from(
            self.out / FEED,
            inputs,
            lambda: feed_bytes(self.history, updated=self.feed_updated(), site_url=site_url),
            self.out / ".build" / "feed-inputs",
        )

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
