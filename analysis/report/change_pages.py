"""What readers see of the history of changes: the Atom feed, a report's corrections, a removed report's page.

- `feed_bytes`: `changes.xml`, the Atom feed of the history (feedgen; its content HTML escaped by
  lxml), one entry per change entry, newest first; deterministic (our generator name and version,
  every date given, never the clock).
- `annotate_notebook`: "Data last changed <date>" at the end of a report header's line of dates,
  and "Corrections to the figures in this report" after the header (history.SiteChanges
  .report_context says what they are).
- `removed_page`: the page a report's URL keeps once it has left the catalog.

All from the jinja2 templates changes.html.j2 and removed.html.j2 (autoescaped); feedgen and
nbformat are imported only when used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from analysis.report.changes import anchor
from analysis.report.index import site_templates

FEED = "changes.xml"
FEED_ID = "tag:casualty-claims,2026:changes"
FEED_TITLE = "Casualty claims: what changed"


def entry_html(entry: dict, base: str = "") -> str:
    """An entry's changes as HTML (the feed's content): what changed, which reports, why."""
    return site_templates().get_template("changes.html.j2").module.entry_body(entry, base)


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
        site_templates()
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
    module = site_templates().get_template("changes.html.j2").module
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
