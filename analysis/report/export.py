"""From an executed notebook to the report's files: normalised .ipynb, offline HTML, PNG/SVG/CSV.

Everything returned here is deterministic for the same inputs: papermill's and nbclient's
timestamps, the random id of papermill's injected cell, altair's random `altair-viz-<uuid>` div
ids and the kernel's version in `language_info` are normalised away. What varies between runs
(timings, versions, host) belongs in the run manifest (runner.py), never in these files.

nbconvert, altair and vl_convert are imported inside functions: `import analysis.report.export`
stays cheap.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import formatting
from analysis.publish import ARTIFACT_MIME, LAB_METADATA, LAB_VEGA_MIME, check_headline, lab_spec, render_chart

TEMPLATES = Path(__file__).resolve().parent / "templates"
REPORT_TEMPLATE = "claims_report"
ALTAIR_DIV = re.compile(r"altair-viz-[0-9a-f]{32}")
INJECTED_TAG = "injected-parameters"
PAPERMILL_KEEP = ("parameters", "default_parameters", "input_path")
LANGUAGE_INFO_KEEP = ("name", "mimetype", "file_extension", "pygments_lexer", "codemirror_mode", "nbconvert_exporter")
# altair's html loader falls back to this CDN when window.VEGA_DEBUG does not match; the report
# presets VEGA_DEBUG, so the fallback never runs. In the HTML it points nowhere (a failed, local
# load with a visible error), never at the network. The executed .ipynb keeps the CDN for JupyterLab.
CDN_BASE = "https://cdn.jsdelivr.net/npm/"
OFFLINE_BASE = "offline:not-inlined/"


class ArtifactError(ValueError):
    """A notebook published something the build cannot export (e.g. a name twice)."""


@dataclass(frozen=True)
class Artifact:
    name: str
    kind: str  # "chart", "table" or "headline" (for the index; no file)
    title: str
    cell_index: int
    payload: dict  # the ARTIFACT_MIME document


@dataclass(frozen=True)
class ReportContext:
    slug: str
    title: str
    notebook_rel: str
    parameters: dict  # as injected
    data_label: str  # e.g. "data/raw/russia-ukraine"
    data_fingerprint: str
    package_version: str
    data_changes: dict | None = None  # "Data last changed" and corrections (history.SiteChanges.report_context)


# ----------------------------------------------------------------------------- notebook


def normalise_notebook(nb: Any, source_cell_ids: set[str], notebook_rel: str) -> Any:
    """A deterministic copy of an executed notebook (nbformat NotebookNode)."""
    nb = copy.deepcopy(nb)
    meta = nb.metadata
    papermill = meta.get("papermill") or {}
    meta["papermill"] = {key: papermill[key] for key in PAPERMILL_KEEP if key in papermill}
    meta["papermill"]["input_path"] = notebook_rel
    if "language_info" in meta:
        meta["language_info"] = {k: v for k, v in meta["language_info"].items() if k in LANGUAGE_INFO_KEEP}
    meta.pop("widgets", None)
    divs: dict[str, str] = {}
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if INJECTED_TAG in (cell.metadata.get("tags") or []):
            cell["id"] = INJECTED_TAG
        elif "id" in cell and cell["id"] not in source_cell_ids:
            cell["id"] = f"cell-{index}"
        for output in cell.get("outputs", []):
            for mime, value in (output.get("data") or {}).items():
                if isinstance(value, str) and "altair-viz-" in value:
                    output["data"][mime] = ALTAIR_DIV.sub(lambda m: _stable_div(m.group(0), divs), value)
    return nb


def _stable_div(random_id: str, seen: dict[str, str]) -> str:
    if random_id not in seen:
        seen[random_id] = f"altair-viz-{len(seen) + 1}"
    return seen[random_id]


def notebook_bytes(nb: Any) -> bytes:
    """The executed notebook as kept in reports/: its charts as a run outside the build leaves
    them (analysis/publish.py), so it opens in JupyterLab with Lab's own vega renderer: with the
    spec Lab draws (the build's kernels leave it out), without the kernel's renders (they are the
    files next to it) and without the chart's text/html (it is for the report page; in Lab it
    would win over the vega MIME type and load vega from a CDN)."""
    import nbformat

    nb = copy.copy(nb)
    nb.cells = [_as_outside_the_build(cell) for cell in nb.cells]
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def _as_outside_the_build(cell: Any) -> Any:
    outputs = cell.get("outputs") or []
    if not any(_is_chart(o) for o in outputs):
        return cell
    cell = copy.copy(cell)
    cell.outputs = [copy.copy(o) for o in outputs]
    for output in cell.outputs:
        if _is_chart(output):
            doc = output["data"][ARTIFACT_MIME]
            output["data"] = {
                **{k: v for k, v in output["data"].items() if k != "text/html"},
                ARTIFACT_MIME: {k: v for k, v in doc.items() if k != "rendered"},
                LAB_VEGA_MIME: output["data"].get(LAB_VEGA_MIME) or lab_spec(doc["spec"]),
            }
            output["metadata"] = {**(output.get("metadata") or {}), **LAB_METADATA}
    return cell


def _is_chart(output: Any) -> bool:
    doc = (output.get("data") or {}).get(ARTIFACT_MIME)
    return isinstance(doc, dict) and doc.get("kind") == "chart"


# ---------------------------------------------------------------------------- artifacts


def collect_artifacts(nb: Any) -> list[Artifact]:
    """Every object the notebook published, in order; names must be unique."""
    artifacts: list[Artifact] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            doc = (output.get("data") or {}).get(ARTIFACT_MIME)
            if not isinstance(doc, dict):
                continue
            name, kind = doc.get("name"), doc.get("kind")
            if name in seen:
                raise ArtifactError(f"publish name {name!r} is used twice (cells {seen[name]} and {index})")
            if kind not in ("chart", "table", "headline"):
                raise ArtifactError(f"publish {name!r}: unknown kind {kind!r}")
            if kind == "headline":
                try:
                    doc = check_headline(doc)
                except ValueError as exc:
                    raise ArtifactError(f"cell {index}: {exc}") from None
            seen[name] = index
            artifacts.append(Artifact(name, kind, str(doc.get("title") or name), index, doc))
    return artifacts


def artifact_files(slug: str, artifacts: list[Artifact]) -> dict[str, bytes]:
    """{path relative to the output folder: bytes} for every chart (SVG, PNG) and table (CSV)."""
    files: dict[str, bytes] = {}
    for artifact in artifacts:
        if artifact.kind == "chart":
            rendered = artifact.payload.get("rendered")
            if rendered:  # by the build's kernel (publish.render_for_build)
                svg, png = rendered["svg"].encode("utf-8"), base64.b64decode(rendered["png_base64"])
            else:  # a notebook executed outside the build
                svg, png = render_chart(artifact.payload["spec"])
            files[f"{slug}/charts/{artifact.name}.svg"] = svg
            files[f"{slug}/charts/{artifact.name}.png"] = png
        elif artifact.kind == "table":
            files[f"{slug}/tables/{artifact.name}.csv"] = artifact.payload["csv"].encode("utf-8")
    return files


def headline_of(artifacts: list[Artifact]) -> dict | None:
    """The notebook's headline document (analysis.publish.publish_headline), checked; None without one."""
    return next((a.payload for a in artifacts if a.kind == "headline"), None)


# --------------------------------------------------------------------------------- HTML


class VegaAssets:
    """The inline vega + vega-lite + vega-embed bundle (~0.9 MB) and the versions altair asks for.

    A pure function of the installed altair and vl-convert: `make` writes it into the environment
    (`python -m analysis.report.export --install-vega-assets`, like compiled bytecode). Where it is
    missing (e.g. a conda environment), a subprocess makes it into the build's cache:
    `vl_convert.javascript_bundle()` holds the GIL for 1-2 s and importing altair costs ~1 s,
    neither of which the build's driver process should pay.
    """

    def __init__(self, cache_dir: Path):
        installed = installed_assets_path()
        self.path = installed if installed.is_file() else Path(cache_dir) / installed.name
        self.proc = None
        self._data: dict | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Begin making the assets in the background when they are not cached yet."""
        if self.path.is_file() or self.proc is not None:
            return
        import subprocess
        import sys

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "analysis.report.export", "--vega-assets", str(self.path)], stdout=subprocess.DEVNULL
        )

    def get(self) -> dict:
        with self._lock:
            if self._data is None:
                self.start()
                if self.proc is not None and self.proc.wait() != 0:
                    raise RuntimeError(
                        "making the inline vega bundle failed "
                        f"(python -m analysis.report.export --vega-assets {self.path})"
                    )
                self._data = json.loads(self.path.read_text(encoding="utf-8"))
            return self._data


def assets_id() -> str:
    from importlib import metadata

    return f"altair-{metadata.version('altair')}-vl-convert-{metadata.version('vl-convert-python')}"


def installed_assets_path() -> Path:
    """Where `make` puts the bundle: in the environment, named by the versions it comes from."""
    import sys

    return Path(sys.prefix) / "share" / "casualty-claims" / f"vega-assets-{assets_id()}.json"


def make_vega_assets(path: Path) -> None:
    """Write the bundle and versions as JSON (runs in its own process; see VegaAssets)."""
    import altair as alt
    import vl_convert as vlc

    from analysis.report.files import atomic_write

    data = {
        "versions": {
            "vega_version": alt.VEGA_VERSION,
            "vegalite_version": alt.VEGALITE_VERSION,
            "vegaembed_version": alt.VEGAEMBED_VERSION,
        },
        "bundle": vlc.javascript_bundle(vl_version=vl_convert_version(alt.SCHEMA_VERSION)),
    }
    atomic_write(Path(path), json.dumps(data).encode("utf-8"))


def vl_convert_version(schema_version: str) -> str:
    """vl-convert's name of the Vega-Lite version altair writes: 'v6.4.1' -> 'v6_4' (what altair's
    private `vl_version_for_vl_convert` computes from the same public SCHEMA_VERSION)."""
    major, minor = schema_version.split(".")[:2]
    return f"{major}_{minor}"


_local = threading.local()


def _exporter():
    """One HTMLExporter per thread (exporters keep per-call state)."""
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(
            template_name=REPORT_TEMPLATE,
            extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
        _local.exporter = exporter
    return exporter


# JupyterLab UI that a static report never shows: rules whose every selector names one of these
# are dropped from the inlined lab CSS, as are the `--jp-icon-*` data-URI variables (~86 KB).
UI_ONLY_CLASSES = (
    "lm-",
    "jp-DirListing",
    "jp-Dialog",
    "jp-CommandPalette",
    "jp-FileBrowser",
    "jp-DocumentSearch",
    "jp-Toolbar",
    "jp-StatusBar",
    "jp-Statusbar",
    "jp-tocItem",
    "jp-TableOfContents",
    "jp-LauncherCard",
    "jp-Launcher",
    "jp-FormGroup",
    "jp-switch",
    "jp-dragImage",
    "jp-Debugger",
    "jp-PropertyInspector",
    "jp-Menu",
    "jp-ContextMenu",
    "jp-icon",
    "jp-ThemedContainer",
    "jp-InputGroup",
    "jp-HTMLSelect",
    "jp-extensionmanager",
    "jp-ExtensionManager",
    "jp-KeyboardShortcuts",
    "jp-RunningSessions",
    "jp-SideBar",
    "jp-Collapse",
    "jp-NotebookTools",
    "jp-Inspector",
    "jp-Activity",
    "jp-ToolbarButton",
)
_css_cache: dict[str, str] = {}


def lab_css(exporter: Any) -> str:
    """nbconvert's lab index.css, without JupyterLab-UI-only rules and icons, minified."""
    if "css" in _css_cache:
        return _css_cache["css"]
    for folder in exporter.template_paths:
        path = Path(folder) / "static" / "index.css"
        if path.is_file():
            css = path.read_text(encoding="utf-8")
            break
    else:
        raise FileNotFoundError("nbconvert's lab template (static/index.css) is not installed")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"--jp-icon-[\w-]+\s*:\s*url\([^)]*\)\s*;", "", css)
    kept = []
    for rule in _top_level_rules(css):
        selector, _, body = rule.partition("{")
        if not selector.lstrip().startswith("@") and (
            all(any(f".{cls}" in part for cls in UI_ONLY_CLASSES) for part in selector.split(","))
            or "var(--jp-icon-" in body
            or not body.rstrip("}").strip()
        ):
            continue  # UI-only selectors, icon images (their variables are gone), empty rules
        kept.append(rule)
    css = re.sub(r"\s+", " ", "".join(kept))
    css = re.sub(r"\s*([{};,>])\s*", r"\1", css)
    _css_cache["css"] = css.strip()
    return _css_cache["css"]


def _top_level_rules(css: str) -> list[str]:
    """Split a stylesheet into its top-level rules (an @media block stays whole)."""
    rules, depth, start = [], 0, 0
    for index, char in enumerate(css):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                rules.append(css[start : index + 1])
                start = index + 1
        elif char == ";" and depth == 0:  # @import / @charset
            rules.append(css[start : index + 1])
            start = index + 1
    return rules


ANALYST_ONLY_TAG = "analyst-notes"  # cells for people running the notebook, not for readers


def html_notebook(nb: Any) -> Any:
    """What the HTML shows: no parameters cells, no stderr (warnings carry host paths), no headline
    output (it is for the index), no CDN."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags") or []
        if "parameters" in tags or INJECTED_TAG in tags or ANALYST_ONLY_TAG in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr") and not _is_headline(o)
            ]
            for output in cell.outputs:
                html = (output.get("data") or {}).get("text/html")
                if isinstance(html, str) and CDN_BASE in html:
                    output["data"]["text/html"] = html.replace(CDN_BASE, OFFLINE_BASE)
                artifact = (output.get("data") or {}).get(ARTIFACT_MIME)
                if isinstance(artifact, dict) and artifact.get("kind") == "table" and "csv" in artifact:
                    artifact["csv_gzip_base64"] = embedded_csv(artifact["csv"])
        cells.append(cell)
    nb.cells = cells
    return nb


def embedded_csv(csv: str) -> str:
    """A table's CSV as the page carries it, so it downloads from the one HTML file with nothing
    beside it: gzip (mtime 0, deterministic) then base64; the page's script unpacks it with the
    browser's DecompressionStream. A 850 KB CSV of repetitive rows becomes ~60 KB. zlib writes the
    gzip header, as gzip.compress(mtime=0) did up to Python 3.12: 3.13's writes its own (OS byte
    255, not zlib's 3), which would change every report's bytes with the Python."""
    return base64.b64encode(zlib.compress(csv.encode("utf-8"), 9, wbits=31)).decode("ascii")


def _is_headline(output: Any) -> bool:
    """The headline's output: for the index, nothing to show (not even an empty output area)."""
    doc = (output.get("data") or {}).get(ARTIFACT_MIME)
    return isinstance(doc, dict) and doc.get("kind") == "headline"


def render_html(nb: Any, context: ReportContext, assets: VegaAssets) -> bytes:
    """The self-contained offline HTML page of an executed, normalised notebook."""
    vega = assets.get()
    versions = vega["versions"]
    shown = html_notebook(nb)
    if context.data_changes is not None:
        from analysis.report.change_pages import annotate_notebook

        annotate_notebook(shown, context.data_changes)
    shown.metadata["title"] = context.title
    resources = {
        "metadata": {"name": context.title},
        "claims": {
            "title": context.title,
            "slug": context.slug,
            "notebook": context.notebook_rel,
            "parameters": [(k, _show_value(v)) for k, v in context.parameters.items()],
            "data_label": context.data_label,
            "data_fingerprint": context.data_fingerprint,
            "data_fingerprint_short": context.data_fingerprint[:12],
            "package_version": context.package_version,
            "data_package": data_package_href(nb),
            "built": formatting.date(formatting.build_date()),
            "vega_bundle": vega["bundle"],
            "vega_debug_json": json.dumps(versions, sort_keys=True),
            "artifact_mime": ARTIFACT_MIME,
            "lab_css": lab_css(_exporter()),
            **versions,
        },
    }
    body, _ = _exporter().from_notebook_node(shown, resources=resources)
    return body.encode("utf-8")


def data_package_href(nb: Any) -> str | None:
    """The report's conflict's open data package (datapackage.py), relative to the report: the
    conflict of its headline (analysis.publish.publish_headline); None for a report without one."""
    headline = headline_of(collect_artifacts(nb))
    conflict_id = (headline or {}).get("conflict_id")
    return f"data/{conflict_id}/datapackage.json" if conflict_id else None


def _show_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def export_report(nb: Any, context: ReportContext, assets: VegaAssets) -> tuple[dict[str, bytes], list[Artifact]]:
    """Every file of one report: {relative path: bytes}, the HTML page last."""
    artifacts = collect_artifacts(nb)
    files = {f"{context.slug}/{context.slug}.ipynb": notebook_bytes(nb)}
    files.update(artifact_files(context.slug, artifacts))
    files[f"{context.slug}.html"] = render_html(nb, context, assets)
    return files, artifacts


if __name__ == "__main__":
    import sys

    from analysis.report.kernel_process import block_slow_imports

    block_slow_imports()
    if sys.argv[1:] == ["--install-vega-assets"]:
        make_vega_assets(installed_assets_path())
    elif sys.argv[1:2] == ["--vega-assets"] and len(sys.argv) == 3:
        make_vega_assets(Path(sys.argv[2]))
    else:
        sys.exit("usage: python -m analysis.report.export --install-vega-assets | --vega-assets FILE")
