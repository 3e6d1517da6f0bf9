"""The site index, reports/index.html: the reports for readers, grouped by conflict.

Each conflict (its name from conflict.yml) lists its overview first, then its other reports in
catalog order; each report shows its title (linked), its headline (analysis.publish.publish_headline) and
the date of its data. What only a maintainer needs (parameters, notebook, data fingerprint, build
status) is in a closed "Build details" <details> per report; a report whose last build failed says
so where a reader sees it.

A filter box (templates/index_filter.js, inline, no network) hides the reports whose title and
headline lack a typed word; without JavaScript the box stays hidden and the list is complete.
The page allows only that script (Content-Security-Policy with its sha256) and inline styles.

Deterministic: the same state gives the same bytes; the only date besides the data dates is
"Index built <date>" (formatting.build_date, which follows SOURCE_DATE_EPOCH).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis import formatting

TEMPLATES = Path(__file__).resolve().parent / "templates"
OVERVIEW_NOTEBOOK = "conflict_overview.ipynb"  # an overview, for reports without a headline
OTHER_REPORTS = "Other reports"  # the group of reports that name no conflict


@lru_cache(maxsize=1)
def site_templates():
    """One jinja2 environment per process for the site's own pages (templates/: the index, the
    record of changes, the feed's and removed reports' pages), compiled once, not once per page."""
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


@dataclass(frozen=True)
class IndexReport:
    slug: str
    title: str
    has_html: bool
    state: str  # ok | failed | out-of-date | not-built
    status: str  # the build status in words (Build details)
    conflict_id: str | None
    conflict_name: str
    is_overview: bool
    headline: str | None = None
    data_as_of: dt.date | None = None
    notebook: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    data_label: str = ""
    data_fingerprint: str = ""

    @property
    def notice(self) -> str | None:
        """What a reader must know about the report's availability, or None."""
        if self.state == "failed":
            return (
                "The last build of this report failed; this is the previous version."
                if self.has_html
                else "Not available: the last build failed."
            )
        if self.state == "not-built":
            return "Not available: not built yet."
        if self.state == "out-of-date":
            return "May be out of date: not rebuilt in the last build."
        return None


@dataclass(frozen=True)
class ConflictGroup:
    conflict_id: str | None
    name: str
    reports: tuple[IndexReport, ...]
    package: str | None = None  # the conflict's data package (datapackage.json), relative to the index

    @property
    def anchor(self) -> str:
        return f"conflict-{self.conflict_id}" if self.conflict_id else "conflict-other"


def is_overview(headline: dict | None, notebook: str) -> bool:
    """The headline says so; without one, the conflict overview notebook is an overview."""
    if headline is not None:
        return bool(headline["is_overview"])
    return Path(notebook).name == OVERVIEW_NOTEBOOK


def report_row(
    slug: str,
    title: str,
    notebook: str,
    record: dict,
    *,
    key: str,
    out: Path,
    parameters: dict,
    conflict_id: str | None,
    conflict_facts: dict[str, Any],
    data: tuple[str, str],
) -> IndexReport:
    """A report's line in the index, from its state.json record (state.py): so a report not rebuilt
    in this run keeps its headline, and a failed one says it shows the last good build.
    `conflict_id` is the one its parameters name (else its headline's); `conflict_facts` the checked
    parameters.ConflictFacts by conflict; `data` the report's (label, fingerprint) of its data."""
    has_html = bool(record.get("has_html")) and (out / f"{slug}.html").is_file()
    if record.get("status") == "ok" and record.get("key") == key and has_html:
        state, status = "ok", "ok"
    elif record.get("status") == "failed":
        state = "failed"
        status = "failed (showing the last good build)" if has_html else "failed (no report yet)"
    elif has_html:
        state, status = "out-of-date", "out of date (not rebuilt in this run)"
    else:
        state, status = "not-built", "not built"
    headline = (record.get("headline") if has_html else None) or {}
    conflict_id = conflict_id or headline.get("conflict_id")
    facts = conflict_facts.get(str(conflict_id))
    as_of = (headline.get("data_as_of") or (facts.data_as_of if facts else "")) if has_html else ""
    return IndexReport(
        slug=slug,
        title=title,
        has_html=has_html,
        state=state,
        status=status,
        conflict_id=conflict_id,
        conflict_name=(facts.name if facts else "") or headline.get("conflict_name") or conflict_id or "",
        is_overview=is_overview(headline or None, notebook),
        headline=headline.get("text"),
        data_as_of=dt.date.fromisoformat(as_of) if as_of else None,
        notebook=notebook,
        parameters=tuple(
            (k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)) for k, v in parameters.items()
        ),
        data_label=data[0],
        data_fingerprint=data[1],
    )


def group_reports(reports: list[IndexReport]) -> list[ConflictGroup]:
    """Conflicts in the order the catalog first names them; in each, overviews first, then the
    others, each in catalog order (sorting is stable). Reports without a conflict come last."""
    groups: dict[str | None, list[IndexReport]] = {}
    for report in reports:
        groups.setdefault(report.conflict_id, []).append(report)
    ordered = sorted(groups.items(), key=lambda item: item[0] is None)
    return [
        ConflictGroup(
            conflict_id,
            members[0].conflict_name if conflict_id else OTHER_REPORTS,
            tuple(sorted(members, key=lambda r: not r.is_overview)),
        )
        for conflict_id, members in ordered
    ]


def filter_script() -> str:
    return (TEMPLATES / "index_filter.js").read_text(encoding="utf-8")


def script_hash(script: str) -> str:
    """The CSP source for an inline script: 'sha256-<base64 of the digest of its exact text>'."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def render_index(
    reports: list[IndexReport],
    *,
    title: str,
    catalog_name: str,
    package_version: str,
    built: dt.date,
    packages: dict[str, str] | None = None,
    changes: dict | None = None,
) -> str:
    """The page; `packages`: {conflict id: its data package's descriptor, relative to the index};
    `changes` (history.SiteChanges.index_context) adds "What changed" and the link to the Atom feed."""
    from markupsafe import Markup  # jinja2's own dependency

    env = site_templates()
    script = filter_script()
    groups = [replace(group, package=(packages or {}).get(group.conflict_id or "")) for group in group_reports(reports)]
    return env.get_template("index.html.j2").render(
        title=title,
        groups=groups,
        count=len(reports),
        catalog=catalog_name,
        package_version=package_version,
        built=built,
        changes=changes,
        filter_js=Markup(script),
        script_hash=script_hash(script),
    )
