"""HTML from the package's autoescaping jinja2 templates: every text from the data (quotes, names,
outlets) is shown literally, and links are made only for http(s) URLs, with rel="noopener
noreferrer". Also the published tables as readers see them (table_html).

The plumbing under analysis.narrative (which re-exports render, safe_url and table_html, the names
pages and publish call): no sentence is written here.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from urllib.parse import urlsplit

import jinja2
import polars as pl

from analysis import formatting
from analysis.columns import label as column_label
from analysis.vocabulary import ARTIFACT_NAME, is_url


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analysis", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(date=formatting.date, days=formatting.days, number=formatting.number, safe_url=safe_url)
    env.globals["label"] = column_label  # a column's title, from the column dictionary
    return env


def safe_url(url) -> str | None:
    """The URL when it passes the data's URL rule (vocabulary.URL_PATTERN), else None: templates
    then show the text without a link (the data are validated on load; this is checked again)."""
    return url if is_url(url) else None


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def table_html(
    frame: pl.DataFrame, max_rows: int, *, name: str, title: str | None = None, collapsed: bool = False
) -> str:
    """A published table as readers see it: text without quotes, people as whole numbers and
    ratios to two significant digits (the CSV keeps every digit), '—' for no value, links to http(s)
    sources by host name; the first `max_rows` rows. A long text that is the same on every row (an
    assumption) is said once above the table, not repeated per row. Alignment and widths are set
    per column (a <style> for the element id `cc-table-<name>`), not per cell, to keep long tables
    small. `collapsed`: inside a closed <details> whose summary is the title."""
    if not ARTIFACT_NAME.match(name):
        raise ValueError(f"table_html: name {name!r} must be 1-64 of a-z, 0-9, '-', '_'")
    constant = [
        c
        for c, dtype in frame.schema.items()
        if dtype == pl.String
        and frame.height > 1
        and frame[c].n_unique() == 1
        and frame[c][0] is not None
        and len(frame[c][0]) > 40
    ]
    stated_once = [{"label": c.replace("_", " "), "text": frame[c][0]} for c in constant]
    frame = frame.drop(constant)
    rows = [
        [_cell(v, column) for v, column in zip(row, frame.columns, strict=True)]
        for row in frame.head(max_rows).iter_rows()
    ]
    columns = []
    for i, label in enumerate(frame.columns):
        cells = [r[i] for r in rows if r[i]["kind"] != "null"]
        columns.append(
            {
                "label": label.replace("_", " "),
                "kind": cells[0]["kind"] if cells else "text",
                "wide": any(c["kind"] == "text" and len(c["text"]) > 40 for c in cells),
            }
        )
    rounded = any(c["rounded"] for r in rows for c in r)
    return render(
        "table.html.j2",
        name=name,
        columns=columns,
        rows=rows,
        shown=min(frame.height, max_rows),
        total=frame.height,
        title=title,
        rounded=rounded,
        collapsed=collapsed,
        stated_once=stated_once,
    )


def _cell(value, column: str = "") -> dict:
    """{kind, text, href, rounded} of one table cell; numbers for reading by what the column holds
    (formatting.reading_number)."""
    kind, text, href, rounded = "text", str(value), None, False
    if value is None:
        kind, text = "null", "—"
    elif isinstance(value, bool):
        kind, text = "bool", "yes" if value else "no"
    elif isinstance(value, (int, float)):
        kind, text = "num", formatting.reading_number(value, column)
        rounded = float(text.replace(",", "")) != value
    elif isinstance(value, (dt.date, dt.datetime)):
        kind, text = "date", value.isoformat()
    elif isinstance(value, str) and safe_url(value):
        kind, text, href = "link", urlsplit(value).hostname or value, value
    return {"kind": kind, "text": text, "href": href, "rounded": rounded}
