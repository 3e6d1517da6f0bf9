"""`publish(name, obj)`: how a notebook hands a chart or a table to the report build.

One line per object in a notebook:

    from analysis.publish import publish
    publish("ratio_over_time", chart)      # an altair chart
    publish("key_numbers", frame)          # a polars DataFrame

`publish` displays the object (a chart as its compiled Vega spec under `LAB_VEGA_MIME`, which
JupyterLab draws with its own bundled vega, offline and in untrusted notebooks; a table as a readable
HTML table, `analysis.narrative.table_html`: the first TABLE_HTML_ROWS rows, numbers rounded for
reading) and attaches, in the same output, a JSON document under the MIME type `ARTIFACT_MIME`:

    {"name": ..., "kind": "chart", "title": ..., "spec": <Vega spec>}
    {"name": ..., "kind": "table", "title": ..., "columns": [...], "rows": n, "csv": "<CSV text>"}

The build reads these back from the executed notebook to write charts/<name>.svg|png and
tables/<name>.csv. Frontends that do not know the MIME type ignore it.

In the kernels of `claims build` four things differ. Those kernels call `render_for_build()` before
any notebook code runs: the build starts them as `kernel_process.py --for-build`, so the mode is in
their command line, never in an environment variable that other processes would inherit.
- a chart also carries the `text/html` of altair's `html` renderer, which the build's exporter puts
  in the report (with vega inlined once). Outside the build it is left out: JupyterLab prefers
  text/html to the vega MIME type (rank 50 against 57), and that HTML loads vega from a CDN, so the
  chart would be blank offline and in every reopened (untrusted) notebook. The build's kept .ipynb
  drops it again (export.notebook_bytes), so it opens in Lab like any other run.
- a chart leaves out the copy of its spec for Lab (`LAB_VEGA_MIME`): the build's kept .ipynb gets
  it from the artifact's spec (export.notebook_bytes), so the executed notebook carries the spec one
  time less through the kernel's messages, papermill and the export (~3 CPU-s of a cold build).
- the kernel also renders each chart to SVG and PNG and adds them as
  `"rendered": {"svg": ..., "png_base64": ...}`: the kernel has vl-convert's renderer running
  already (it compiled the chart), and the kernels render in parallel where the build's one driver
  process would render every chart in turn. The build takes the renders out of the executed
  notebook it keeps.
- altair does not check the chart against the Vega-Lite JSON schema (~0.07 s of CPU per chart).
  What the schema checks is the structure the chart builders write, not the data (VegaFusion
  inlines the data after the check), and tests/test_charts.py checks every builder's output.
Anywhere else (JupyterLab, papermill, a script), charts are checked and nothing is rendered.

A notebook also hands the build its headline, for the site index (reports/index.html), with
`publish_headline(text, conflict_id=..., conflict_name=..., data_as_of=..., is_overview=...)`:
an output that carries only

    {"name": "headline", "kind": "headline", "text": "<one sentence>", "conflict_id": ...,
     "conflict_name": ..., "data_as_of": "YYYY-MM-DD", "is_overview": false}

and an empty text/plain, so nothing shows in JupyterLab or in the report; the build keeps it in
its state and writes no file for it.

Output is deterministic: the chart's Vega spec is serialised compactly with sorted keys
(VegaFusion's key order varies between runs), and its <div> id is `altair-viz-<name>` instead of
a random uuid.
Charts are pre-transformed by VegaFusion, enabled only while the chart is serialised
(`with alt.data_transformers.enable("vegafusion")`), which keeps the specs small.

Nothing heavy is imported here at module level: altair and polars are imported on first use.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

from analysis.vocabulary import ARTIFACT_NAME

ARTIFACT_MIME = "application/vnd.casualty-claims.artifact+json"
# JupyterLab's built-in renderer (@jupyterlab/vega5-extension, vega 5.33 in Lab 4.6) takes Vega
# under this type; altair 6 compiles to Vega 6, whose specs vega 5 draws (tests/test_lab.py checks
# every chart of the notebooks in a real Lab). altair's own `mimetype` renderer emits Vega-Lite 6
# ("application/vnd.vegalite.v6.json"), which Lab does not know.
LAB_VEGA_MIME = "application/vnd.vega.v5+json"
TABLE_HTML_ROWS = 100  # rows shown in the HTML report; the CSV always has every row
COLLAPSED_TABLE_ROWS = 25  # rows of a collapsed table (the full tables after the charts): a sample; the CSV has all
PNG_SCALE = 2
OFFLINE_ACTIONS = {"export": True, "source": False, "compiled": False, "editor": False}
# The display metadata of a chart for JupyterLab: its vega renderer offers only the offline action.
LAB_METADATA = {LAB_VEGA_MIME: {"embed_options": {"actions": OFFLINE_ACTIONS}}}


_for_build = False  # True only in the build's kernels, from render_for_build() on


def render_for_build() -> None:
    """From now on, publish charts in this process as the build needs them: with the report's
    text/html, rendered to SVG and PNG, without altair's schema check (see the module docstring).

    The build's kernels call it before they start (`kernel_process.py --for-build`, the kernel
    command the build gives jupyter_client); JupyterLab and papermill never do."""
    global _for_build
    _for_build = True


def renders_for_build() -> bool:
    """Whether this process publishes charts for the build (render_for_build was called)."""
    return _for_build


def publish(name: str, obj: Any, *, title: str | None = None, collapsed: bool = False) -> None:
    """Display an altair chart or a polars DataFrame and mark it for export under `name`.

    `name` becomes a file name (charts/<name>.svg, tables/<name>.csv): lower-case letters,
    digits, '-' and '_'; unique within a notebook (the build refuses duplicates). A table
    `collapsed` is shown closed (its title to click on), so the page stays short.
    """
    from IPython.display import display

    bundle = artifact_bundle(name, obj, title=title, collapsed=collapsed, for_build=_for_build)
    metadata = LAB_METADATA if LAB_VEGA_MIME in bundle else None
    display(bundle, raw=True, metadata=metadata)


HEADLINE_NAME = "headline"  # the artifact's name: one headline per notebook (names are unique)
HEADLINE_KEYS = ("name", "kind", "text", "conflict_id", "conflict_name", "data_as_of", "is_overview")


def publish_headline(
    text: str, *, conflict_id: str, conflict_name: str, data_as_of: dt.date, is_overview: bool
) -> None:
    """Hand the report's one-sentence headline to the build, for the site index.

    Displays an output with only the headline artifact and an empty text/plain: nothing is shown
    in JupyterLab or in the report. Call it once per notebook (a second call fails the report).
    """
    from IPython.display import display

    display(
        headline_bundle(
            text, conflict_id=conflict_id, conflict_name=conflict_name, data_as_of=data_as_of, is_overview=is_overview
        ),
        raw=True,
    )


def headline_bundle(
    text: str, *, conflict_id: str, conflict_name: str, data_as_of: dt.date, is_overview: bool
) -> dict[str, Any]:
    """The MIME bundle `publish_headline` displays (whitespace in the texts collapsed)."""
    if not isinstance(data_as_of, dt.date) or isinstance(data_as_of, dt.datetime):
        raise TypeError(f"publish_headline: data_as_of must be a datetime.date, got {data_as_of!r}")
    doc = {
        "name": HEADLINE_NAME,
        "kind": "headline",
        "text": text,
        "conflict_id": conflict_id,
        "conflict_name": conflict_name,
        "data_as_of": data_as_of.isoformat(),
        "is_overview": is_overview,
    }
    return {"text/plain": "", ARTIFACT_MIME: check_headline(doc)}


def check_headline(doc: Any) -> dict[str, Any]:
    """A valid headline document (texts with collapsed whitespace), or ValueError saying what is wrong.

    Used when publishing (in the kernel) and when the build reads the executed notebook back."""
    if not isinstance(doc, dict):
        raise ValueError(f"headline: expected a JSON object, got {type(doc).__name__}")
    unknown = sorted(set(doc) - set(HEADLINE_KEYS))
    if unknown:
        raise ValueError(f"headline: unknown key(s) {', '.join(map(repr, unknown))}")
    checked: dict[str, Any] = {"name": HEADLINE_NAME, "kind": "headline"}
    if doc.get("name") != HEADLINE_NAME or doc.get("kind") != "headline":
        raise ValueError(f"headline: name and kind must be {HEADLINE_NAME!r} and 'headline'")
    for key in ("text", "conflict_id", "conflict_name"):
        value = doc.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"headline: {key} must be a non-empty string, got {value!r}")
        checked[key] = " ".join(value.split())
    if not ARTIFACT_NAME.match(checked["conflict_id"]):
        raise ValueError(f"headline: conflict_id {checked['conflict_id']!r} is not a conflict id")
    as_of = doc.get("data_as_of")
    try:
        if not (isinstance(as_of, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of)):
            raise ValueError("not YYYY-MM-DD")
        checked["data_as_of"] = dt.date.fromisoformat(as_of).isoformat()
    except ValueError as exc:
        raise ValueError(f"headline: data_as_of must be a date (YYYY-MM-DD), got {as_of!r}: {exc}") from None
    if not isinstance(doc.get("is_overview"), bool):
        raise ValueError(f"headline: is_overview must be true or false, got {doc.get('is_overview')!r}")
    checked["is_overview"] = doc["is_overview"]
    return checked


def artifact_bundle(
    name: str, obj: Any, *, title: str | None = None, collapsed: bool = False, for_build: bool = False
) -> dict[str, Any]:
    """The MIME bundle `publish` displays: a visible representation plus `ARTIFACT_MIME`; a chart
    `for_build` as the build's kernels publish it (`publish` passes `renders_for_build()`)."""
    if not isinstance(name, str) or not ARTIFACT_NAME.match(name):
        raise ValueError(
            f"publish: invalid name {name!r}: use 1-64 of a-z, 0-9, '-', '_' (starting with a letter or digit)"
        )
    if _is_polars_frame(obj):
        return _table_bundle(name, obj, title, collapsed)
    if _is_altair_chart(obj):
        return _chart_bundle(name, obj, title, for_build)
    raise TypeError(
        f"publish({name!r}, ...): expected an altair chart or a polars DataFrame, "
        f"got {type(obj).__module__}.{type(obj).__qualname__}"
    )


def _is_polars_frame(obj: Any) -> bool:
    return type(obj).__module__.startswith("polars") and type(obj).__name__ == "DataFrame"


def _is_altair_chart(obj: Any) -> bool:
    return type(obj).__module__.startswith("altair") and hasattr(obj, "to_dict")


# In JSON text, < > & and U+2028/2029 occur only inside strings, so their \\u escapes are the same
# JSON value: the spec embedded in a <script> can then never close the element (`</script>`) or
# open a comment (`<!--`), whatever the data's quotes and names say.
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE_PATTERN = re.compile("[<>&\u2028\u2029]")


class ScriptSafeJSONEncoder(json.JSONEncoder):
    """json.dumps output that is safe inside an HTML <script> element (same JSON value)."""

    def encode(self, o: Any) -> str:
        return script_safe(super().encode(o))


def script_safe(json_text: str) -> str:
    """Escape < > & U+2028 U+2029 in JSON text (they only occur inside strings)."""
    return _SCRIPT_UNSAFE_PATTERN.sub(lambda m: _SCRIPT_UNSAFE[m.group()], json_text)


def _chart_bundle(name: str, chart: Any, title: str | None, for_build: bool) -> dict[str, Any]:
    import altair as alt

    with alt.data_transformers.enable("vegafusion"):  # for this chart only: the data pre-transformed in Python
        spec = chart.to_dict(format="vega", validate=not for_build)
    spec = accessible_spec(spec, title or _chart_title(spec) or name)
    doc = {"name": name, "kind": "chart", "title": title or _chart_title(spec) or name, "spec": spec}
    bundle = {"text/plain": f"<chart {name}>", ARTIFACT_MIME: doc}
    if not for_build:
        bundle[LAB_VEGA_MIME] = lab_spec(spec)
        return bundle
    # The build's copy for Lab is made by the export, for the kept notebook only
    # (export.notebook_bytes): one spec less through the kernel's messages, papermill and the export.
    bundle["text/html"] = chart_html(name, spec)
    svg, png = render_chart(spec)
    doc["rendered"] = {"svg": svg.decode("utf-8"), "png_base64": base64.b64encode(png).decode("ascii")}
    return bundle


def lab_spec(spec: dict) -> dict:
    """The Vega spec as JupyterLab gets it: drawn at the charts' fixed export width, as in the SVG.

    The charts follow their container's width (`containerSize()`, for phones). Lab's vega renderer
    gives its element no width, so a container-width chart re-measures what it just widened: in
    Lab 4.6 the page hung at the first chart (vega-embed issue #476: "infinite growing resize").
    Without a container size every width expression takes its fixed fallback, as in vl-convert."""
    return json.loads(json.dumps(spec).replace("containerSize()", "[NaN, NaN]"))


def chart_html(name: str, spec: dict) -> str:
    """The chart as the report shows it: altair's `html` renderer output for the Vega spec, whose
    loader the report's page serves from its inlined vega (export.py); in JupyterLab it would load
    vega from a CDN, so only the build asks for it."""
    import altair as alt
    from altair.utils.html import spec_to_html

    embed_options = dict(alt.renderers.options.get("embed_options") or {})
    # Only what works offline: save as PNG or SVG (vega-embed's own export); never "Open in Vega
    # Editor" or the source views, which need the network or show code to readers.
    embed_options.setdefault("actions", OFFLINE_ACTIONS)
    return spec_to_html(
        spec,
        mode="vega",
        vega_version=alt.VEGA_VERSION,
        vegaembed_version=alt.VEGAEMBED_VERSION,
        vegalite_version=alt.VEGALITE_VERSION,
        output_div=f"altair-viz-{name}",
        embed_options=embed_options,
        json_kwds={"sort_keys": True, "separators": (",", ":"), "cls": ScriptSafeJSONEncoder},
        fullhtml=False,
        requirejs=False,
        template="universal",
    )


def accessible_spec(spec: dict, fallback_description: str) -> dict:
    """The Vega spec with a text alternative for screen readers (axe svg-img-alt).

    Vega gives the chart's container role `graphics-document` and its `description` as aria-label:
    every chart gets one (its title when the builder set none). Axes, legends and titles label
    themselves. A data mark with no description of its own would be an unnamed `graphics-symbol`:
    it gets `aria: false` (hidden from the accessibility tree), leaving the chart's description,
    axes and legend to stand for it; its data are in the report's tables and CSVs. Group and
    text marks are left as they are (a group's children are handled the same way).
    """
    spec = dict(spec)
    if not (isinstance(spec.get("description"), str) and spec["description"].strip()):
        spec["description"] = fallback_description
    if "marks" in spec:
        spec["marks"] = [_accessible_mark(mark) for mark in spec["marks"]]
    return spec


def _accessible_mark(mark: dict) -> dict:
    if mark.get("type") == "group":
        return {**mark, "marks": [_accessible_mark(m) for m in mark["marks"]]} if "marks" in mark else mark
    if mark.get("type") == "text" or "aria" in mark or mark.get("description"):
        return mark
    if any(
        isinstance(channels, dict) and channels.get("description") not in (None, {"value": None})
        for channels in (mark.get("encode") or {}).values()
    ):
        return mark  # its items describe themselves
    return {**mark, "aria": False}


def render_chart(spec: dict) -> tuple[bytes, bytes]:
    """(SVG, PNG) of a Vega spec, rendered offline by vl-convert, at the charts' fixed export width."""
    import vl_convert as vlc

    svg = vlc.vega_to_svg(_without_phone_limits(spec))
    png = vlc.svg_to_png(svg, scale=PNG_SCALE)  # rasterise the same SVG (cheaper than vega_to_png)
    return svg.encode("utf-8"), png


def _chart_title(spec: dict) -> str | None:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return title if isinstance(title, str) else None


def _table_bundle(name: str, frame: Any, title: str | None, collapsed: bool = False) -> dict[str, Any]:
    import polars as pl

    from analysis.narrative import table_html

    html = table_html(
        frame, COLLAPSED_TABLE_ROWS if collapsed else TABLE_HTML_ROWS, name=name, title=title, collapsed=collapsed
    )
    with pl.Config(tbl_rows=TABLE_HTML_ROWS, tbl_cols=-1, fmt_str_lengths=200, tbl_hide_dataframe_shape=False):
        text = repr(frame)
    return {
        "text/html": html,
        "text/plain": text,
        ARTIFACT_MIME: {
            "name": name,
            "kind": "table",
            "title": title or name,
            "columns": list(frame.columns),
            "rows": frame.height,
            "csv": csv_text(frame),
        },
    }


# Cells a spreadsheet program would read as a formula (OWASP, "CSV Injection"): text starting
# with = + - @, a tab or a carriage return gets a leading single quote. Only text columns: numbers
# (also negative ones) are written unchanged, so numeric columns round-trip exactly.
FORMULA_START = r"^[=+\-@\t\r]"


def csv_text(frame: Any) -> str:
    """The frame as CSV (polars' writer), with text cells neutralised against formula injection."""
    import polars as pl

    text_columns = [name for name, dtype in frame.schema.items() if dtype in (pl.String, pl.Categorical, pl.Enum)]
    if text_columns:
        frame = frame.with_columns(
            pl.when(pl.col(name).cast(pl.String).str.contains(FORMULA_START))
            .then(pl.lit("'") + pl.col(name).cast(pl.String))
            .otherwise(pl.col(name).cast(pl.String))
            .alias(name)
            for name in text_columns
        )
    return frame.write_csv()


def _without_phone_limits(spec: Any) -> Any:
    """The spec without the text marks' `limit`s that depend on the width (labels cut to a phone's
    width): an export is drawn at the fixed width where they never apply, and vl-convert measures
    every label against a signal limit (measured: the ladder's SVG 0.68 s with them, 0.32 s without)."""
    if isinstance(spec, dict):
        return {
            k: _without_phone_limits(v)
            for k, v in spec.items()
            if not (k == "limit" and isinstance(v, dict) and "width" in str(v.get("signal", "")))
        }
    if isinstance(spec, list):
        return [_without_phone_limits(v) for v in spec]
    return spec
