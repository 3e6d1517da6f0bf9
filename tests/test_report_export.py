"""report.collect, report.export, report.fingerprint, report.files: without running kernels."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import os
import re
import subprocess
import sys
import time

import altair as alt
import nbformat
import polars as pl
import pytest

from analysis.publish import (
    ARTIFACT_MIME,
    LAB_VEGA_MIME,
    artifact_bundle,
    chart_html,
    headline_bundle,
    lab_spec,
    render_chart,
)
from analysis.report import fingerprint as fp
from analysis.report.export import (
    ALTAIR_DIV,
    ArtifactError,
    VegaAssets,
    _exporter,
    artifact_files,
    collect_artifacts,
    headline_of,
    html_notebook,
    installed_assets_path,
    lab_css,
    normalise_notebook,
    notebook_bytes,
    vl_convert_version,
)
from analysis.report.files import BuildLock, BuildLocked, atomic_write, write_if_changed
from tests.fixture_data import REPO, VALID_CONFLICT


@pytest.fixture()
def chart():
    frame = pl.DataFrame({"day": list(range(200)), "value": [i * 3 % 17 for i in range(200)]})
    return alt.Chart(frame).mark_line().encode(x="day:Q", y="sum(value):Q").properties(title="A chart")


# ------------------------------------------------------------------------------ collect


def test_chart_bundle_is_labs_vega_plus_the_artifact_and_deterministic(chart):
    first, second = artifact_bundle("trend", chart), artifact_bundle("trend", chart)
    assert first == second
    doc = first[ARTIFACT_MIME]
    assert doc["kind"] == "chart" and doc["name"] == "trend" and doc["title"] == "A chart"
    assert doc["spec"]["$schema"].startswith("https://vega.github.io/schema/vega/")  # pre-transformed
    # Outside the build: JupyterLab's own vega renderer, and no text/html (it would outrank the
    # vega MIME type in Lab and load vega from a CDN).
    assert set(first) == {LAB_VEGA_MIME, "text/plain", ARTIFACT_MIME}
    assert first[LAB_VEGA_MIME] == lab_spec(doc["spec"]) and "containerSize" not in json.dumps(first[LAB_VEGA_MIME])


def test_for_the_build_the_chart_also_carries_the_reports_html(chart):
    built = artifact_bundle("trend", chart, for_build=True)
    assert LAB_VEGA_MIME not in built  # the export adds Lab's copy to the kept notebook only
    html = built["text/html"]
    assert html == chart_html("trend", built[ARTIFACT_MIME]["spec"])
    assert 'id="altair-viz-trend"' in html and "altair-viz-trend" in html
    assert "uuid" not in html and "VEGA_DEBUG" in html  # altair's loader, which the report presets
    assert '{"$schema":' in html  # compact, sorted JSON


def test_for_the_build_the_kernel_renders_the_same_svg_and_png_the_driver_would(chart):
    plain = artifact_bundle("trend", chart)[ARTIFACT_MIME]
    built = artifact_bundle("trend", chart, for_build=True)[ARTIFACT_MIME]
    assert "rendered" not in plain and built["spec"] == plain["spec"]
    svg, png = render_chart(plain["spec"])
    assert built["rendered"]["svg"].encode("utf-8") == svg and svg.startswith(b"<svg")
    assert base64.b64decode(built["rendered"]["png_base64"]) == png and png.startswith(b"\x89PNG")


PUBLISH_IN_BOTH_MODES = """
import json, IPython.display, altair as alt, polars as pl
from analysis import publish

def published():
    shown = []
    IPython.display.display = lambda bundle, **kwargs: shown.append(bundle)
    publish.publish("p", alt.Chart(pl.DataFrame({"x": [1]})).mark_point().encode(x="x:Q"))
    return {"text/html": "text/html" in shown[0], "rendered": "rendered" in shown[0][publish.ARTIFACT_MIME]}

print(json.dumps([publish.renders_for_build(), published()]))
publish.render_for_build()
print(json.dumps([publish.renders_for_build(), published()]))
"""


def test_publish_renders_for_the_build_only_once_the_process_is_switched_by_name():
    """The build's kernels call render_for_build (kernel_process --for-build): a named call, where
    an environment variable used to switch it for every process that inherited it (issue #16)."""
    result = subprocess.run([sys.executable, "-c", PUBLISH_IN_BOTH_MODES], capture_output=True, text=True, check=True)
    before, after = map(json.loads, result.stdout.splitlines())
    assert before == [False, {"text/html": False, "rendered": False}]
    assert after == [True, {"text/html": True, "rendered": True}]


def test_a_chart_is_serialised_with_vegafusion_and_the_process_keeps_its_transformer(chart, monkeypatch):
    """VegaFusion pre-transforms the data of the chart being published, and only while it is:
    the data transformer a notebook has enabled is the same before and after."""
    during = []
    original = alt.Chart.to_dict

    def spy(self, *args, **kwargs):
        during.append(alt.data_transformers.active)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(alt.Chart, "to_dict", spy)
    assert alt.data_transformers.active == "default"
    doc = artifact_bundle("trend", chart)[ARTIFACT_MIME]
    assert during == ["vegafusion"] and alt.data_transformers.active == "default"
    # the aggregate was evaluated in Python (altair's own compiler leaves it as a Vega transform)
    data = doc["spec"]["data"]
    assert not any(d.get("transform") for d in data) and len(data) == 3, [d["name"] for d in data]


def test_the_vega_lite_version_altair_writes_is_one_vl_convert_bundles():
    """make_vega_assets names altair's Vega-Lite version as vl-convert does, from public names."""
    import vl_convert as vlc

    name = vl_convert_version(alt.SCHEMA_VERSION)
    assert re.fullmatch(r"v\d+_\d+", name), name
    assert name[1:].replace("_", ".") in vlc.get_vegalite_versions()
    assert vl_convert_version("v6.4.1") == "v6_4" and vl_convert_version("v5.20.0") == "v5_20"


def test_for_the_build_altair_skips_only_the_schema_check(chart, monkeypatch):
    calls = []
    original = alt.Chart.to_dict

    def spy(self, *args, **kwargs):
        calls.append(kwargs.get("validate", True))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(alt.Chart, "to_dict", spy)
    artifact_bundle("trend", chart)
    artifact_bundle("trend", chart, for_build=True)
    assert calls == [True, False]  # tests/test_charts.py checks every builder against the schema


def test_table_bundle_carries_every_row_as_csv():
    frame = pl.DataFrame({"claimant": ["a", "b"] * 150, "value": list(range(300))})
    bundle = artifact_bundle("claims", frame, title="Claims")
    doc = bundle[ARTIFACT_MIME]
    assert doc["kind"] == "table" and doc["rows"] == 300 and doc["columns"] == ["claimant", "value"]
    assert doc["csv"] == frame.write_csv()
    assert "<table" in bundle["text/html"]


@pytest.mark.parametrize("name", ["", "Has Space", "UPPER", "a/b", "x" * 65, 3])
def test_publish_refuses_bad_names(name):
    with pytest.raises(ValueError, match="invalid name"):
        artifact_bundle(name, pl.DataFrame({"a": [1]}))


def test_publish_refuses_other_objects():
    with pytest.raises(TypeError, match="expected an altair chart or a polars DataFrame"):
        artifact_bundle("x", {"a": 1})


def test_importing_the_report_package_stays_light():
    code = (
        "import sys, analysis.report, analysis.publish, analysis.report.catalog, "
        "analysis.report.runner, analysis.report.export, analysis.report.kernel, analysis.report.console\n"
        "heavy = [m for m in ('papermill', 'nbconvert', 'altair', 'nbclient', 'vl_convert') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_the_kernel_launcher_imports_nothing_of_jupyter():
    """`kernel_process --via` is started once per report: jupyter_client and zmq would cost ~0.1 s each time."""
    code = (
        "import sys, analysis.report.kernel_process\n"
        "print(','.join(m for m in ('jupyter_client', 'zmq', 'traitlets', 'polars') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


# ------------------------------------------------------------------------------- export


def executed_notebook(chart, *, for_build: bool = False) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    params.id = "params"
    injected = nbformat.v4.new_code_cell("x = 2")
    injected.metadata["tags"] = ["injected-parameters"]
    injected.metadata["papermill"] = {"start_time": "2026-01-01T00:00:00", "duration": 0.1}
    injected.id = "random-4711"
    plain = nbformat.v4.new_code_cell("display(chart)")
    plain.id = "plain"
    plain.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00"}
    random_div = "altair-viz-0123456789abcdef0123456789abcdef"
    plain.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": f'<div id="{random_div}"></div>'}),
        nbformat.v4.new_output("stream", name="stderr", text="/home/someone/.venv/x.py: Warning\n"),
        nbformat.v4.new_output("display_data", data=artifact_bundle("trend", chart, for_build=for_build)),
    ]
    nb.cells = [params, injected, plain]
    nb.metadata["papermill"] = {
        "start_time": "2026-01-01",
        "end_time": "2026-01-01",
        "duration": 3.2,
        "parameters": {"x": 2},
        "input_path": "/abs/path/nb.ipynb",
        "output_path": "/tmp/x.ipynb",
        "version": "2.7.0",
    }
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"}
    return nb


def test_normalise_removes_what_varies_between_runs(chart):
    nb = normalise_notebook(executed_notebook(chart), {"params", "plain"}, "notebooks/nb.ipynb")
    assert nb.metadata["papermill"] == {"parameters": {"x": 2}, "input_path": "notebooks/nb.ipynb"}
    assert nb.metadata["language_info"] == {"name": "python", "mimetype": "text/x-python"}
    assert [c.id for c in nb.cells] == ["params", "injected-parameters", "plain"]
    assert all("papermill" not in c.metadata and "execution" not in c.metadata for c in nb.cells)
    assert nb.cells[2].outputs[0]["data"]["text/html"] == '<div id="altair-viz-1"></div>'


def test_altair_html_renderer_ids_are_what_normalise_replaces(chart):
    """normalise_notebook knows the one altair-internal format left in the build: the random
    <div> id of altair's own HTML renderer (a chart a notebook displays without publish). This
    fails when an altair release changes it (written for altair 6.3)."""
    with alt.renderers.enable("html"):
        rendered = chart._repr_mimebundle_()
    html = (rendered[0] if isinstance(rendered, tuple) else rendered)["text/html"]
    ids = set(re.findall(r'id="(altair-viz-[^"]*)"', html))
    assert len(ids) == 1 and ALTAIR_DIV.fullmatch(ids.pop()), html[:300]


def test_kernel_renders_become_the_chart_files_and_leave_the_kept_notebook(chart):
    driver_files = artifact_files("r", collect_artifacts(executed_notebook(chart)))  # rendered here
    nb = executed_notebook(chart, for_build=True)
    assert artifact_files("r", collect_artifacts(nb)) == driver_files
    assert set(driver_files) == {"r/charts/trend.svg", "r/charts/trend.png"}
    kept = json.loads(notebook_bytes(nb))
    doc = kept["cells"][2]["outputs"][2]["data"][ARTIFACT_MIME]
    assert "rendered" not in doc and doc["spec"]
    kept_chart = kept["cells"][2]["outputs"][2]["data"]
    assert "text/html" in nb.cells[2].outputs[2]["data"], "the report's page gets the chart's HTML"
    assert "text/html" not in kept_chart and kept_chart[LAB_VEGA_MIME] == lab_spec(doc["spec"]), (
        "Lab draws the kept one"
    )
    assert "rendered" in nb.cells[2].outputs[2]["data"][ARTIFACT_MIME], "the notebook in memory is unchanged"
    assert notebook_bytes(nb) == notebook_bytes(executed_notebook(chart))


def test_the_vega_bundle_made_at_install_is_used_before_any_cache(tmp_path, monkeypatch):
    installed = installed_assets_path()
    assert installed.is_file(), "make writes it (python -m analysis.report.export --install-vega-assets)"
    assert VegaAssets(tmp_path).path == installed
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "elsewhere"))
    fallback = VegaAssets(tmp_path)
    assert fallback.path == tmp_path / installed.name
    fallback.start()  # an environment without it (e.g. conda): made in a subprocess, into the cache
    assert fallback.get() == json.loads(installed.read_text(encoding="utf-8"))


def test_collect_artifacts_and_duplicates(chart):
    nb = executed_notebook(chart)
    assert [(a.name, a.kind, a.cell_index) for a in collect_artifacts(nb)] == [("trend", "chart", 2)]
    nb.cells[2].outputs.append(nbformat.v4.new_output("display_data", data=artifact_bundle("trend", chart)))
    with pytest.raises(ArtifactError, match="'trend' is used twice"):
        collect_artifacts(nb)


def test_html_shows_no_parameters_cells_and_no_stderr(chart):
    shown = html_notebook(executed_notebook(chart))
    assert [c.id for c in shown.cells] == ["plain"]
    assert all(o.get("name") != "stderr" for o in shown.cells[0].outputs)


HEADLINE = dict(
    conflict_id="freedonia-sylvania",
    conflict_name="The Freedonia–Sylvania war",
    data_as_of=dt.date(2022, 12, 30),
    is_overview=False,
)


def headline_notebook(chart, *bundles) -> nbformat.NotebookNode:
    """executed_notebook plus a cell that published these headline bundles (and nothing else)."""
    nb = executed_notebook(chart)
    cell = nbformat.v4.new_code_cell("publish_headline(...)")
    cell.id = "headline"
    cell.outputs = [nbformat.v4.new_output("display_data", data=bundle) for bundle in bundles]
    nb.cells.append(cell)
    return nb


def test_headline_bundle_is_the_artifact_and_an_empty_text():
    bundle = headline_bundle("  Moscow admits 1,351;\n Kyiv claims 16,100. ", **HEADLINE)
    assert set(bundle) == {"text/plain", ARTIFACT_MIME} and bundle["text/plain"] == ""
    assert bundle[ARTIFACT_MIME] == {
        "name": "headline",
        "kind": "headline",
        "text": "Moscow admits 1,351; Kyiv claims 16,100.",
        "conflict_id": "freedonia-sylvania",
        "conflict_name": "The Freedonia–Sylvania war",
        "data_as_of": "2022-12-30",
        "is_overview": False,
    }
    assert json.loads(json.dumps(bundle)) == bundle


@pytest.mark.parametrize(
    "change, message",
    [
        ({"text": " "}, "text must be a non-empty string"),
        ({"conflict_id": "Not An Id"}, "is not a conflict id"),
        ({"conflict_name": None}, "conflict_name must be a non-empty string"),
        ({"is_overview": "yes"}, "is_overview must be true or false"),
    ],
)
def test_publish_headline_refuses_bad_values(change, message):
    with pytest.raises(ValueError, match=message):
        headline_bundle(**{"text": "A sentence.", **HEADLINE, **change})


def test_publish_headline_wants_a_date_not_a_string_or_a_datetime():
    for value in ("2022-12-30", dt.datetime(2022, 12, 30)):
        with pytest.raises(TypeError, match="data_as_of must be a datetime.date"):
            headline_bundle("A sentence.", **{**HEADLINE, "data_as_of": value})


def test_the_build_reads_the_headline_back_and_writes_no_file_for_it(chart):
    nb = headline_notebook(chart, headline_bundle("A sentence.", **HEADLINE))
    artifacts = collect_artifacts(nb)
    assert [(a.name, a.kind) for a in artifacts] == [("trend", "chart"), ("headline", "headline")]
    assert headline_of(artifacts) == headline_bundle("A sentence.", **HEADLINE)[ARTIFACT_MIME]
    assert set(artifact_files("r", artifacts)) == {"r/charts/trend.svg", "r/charts/trend.png"}
    assert headline_of(collect_artifacts(executed_notebook(chart))) is None


def test_a_second_or_malformed_headline_fails_the_report(chart):
    bundle = headline_bundle("A sentence.", **HEADLINE)
    with pytest.raises(ArtifactError, match="'headline' is used twice"):
        collect_artifacts(headline_notebook(chart, bundle, bundle))
    broken = {**bundle, ARTIFACT_MIME: {**bundle[ARTIFACT_MIME], "data_as_of": "30 December 2022"}}
    with pytest.raises(ArtifactError, match="data_as_of must be a date"):
        collect_artifacts(headline_notebook(chart, broken))


def visible_body(page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", "", page[page.index("<body") :], flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", body)).strip()


def test_the_headline_shows_nothing_in_nbconvert_html_and_no_output_in_the_report(chart):
    """Plain nbconvert (what a reader of the .ipynb gets) renders the empty text/plain: no text;
    the report drops the output altogether, so no empty output area either."""
    from nbconvert import HTMLExporter

    bundle = headline_bundle("A sentence for the index only.", **HEADLINE)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("publish_headline(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=bundle)]
    nb.cells = [cell]
    page, _ = HTMLExporter(template_name="lab", exclude_input=True).from_notebook_node(nb)
    assert visible_body(page) == ""
    assert "A sentence for the index only" not in page
    shown = html_notebook(headline_notebook(chart, bundle))
    assert [
        o
        for c in shown.cells
        for o in c.get("outputs", [])
        if ARTIFACT_MIME in (o.get("data") or {}) and o["data"][ARTIFACT_MIME]["kind"] == "headline"
    ] == []
    assert shown.cells[-1].outputs == []


def test_lab_css_is_pruned_of_jupyterlab_ui_and_icons():
    css = lab_css(_exporter())
    assert "--jp-icon-" not in css and ".lm-CommandPalette" not in css and "/*" not in css
    assert ".jp-OutputArea" in css and ".jp-RenderedHTMLCommon" in css and "--jp-content-font-color1" in css
    assert len(css) < 150_000


# --------------------------------------------------------------------------- fingerprint


def test_tree_digest_follows_content_not_timestamps(tmp_path):
    folder = tmp_path / "conflict"
    folder.mkdir()
    (folder / "claims.csv").write_text("a,b\n1,2\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"noise")
    before = fp.tree_digest(folder)
    os.utime(folder / "claims.csv", (0, 0))
    (folder / "__pycache__" / "x.pyc").write_bytes(b"other noise")
    assert fp.tree_digest(folder) == before
    (folder / "claims.csv").write_text("a,b\n1,3\n")
    assert fp.tree_digest(folder) != before
    (folder / "claims.csv").write_text("a,b\n1,2\n")
    assert fp.tree_digest(folder) == before
    (folder / "new.csv").write_text("")
    assert fp.tree_digest(folder) != before


def test_notebook_fingerprint_ignores_outputs_and_counts_but_not_sources():
    nb = json.loads((REPO / "tests" / "fixtures" / "notebooks" / "overview.ipynb").read_text())
    base = fp.notebook_fingerprint(nb)
    nb["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    nb["cells"][2]["execution_count"] = 7
    assert fp.notebook_fingerprint(nb) == base
    nb["cells"][2]["source"] = ["print('changed')"]
    assert fp.notebook_fingerprint(nb) != base


def test_data_fingerprint_of_the_fixture_is_stable():
    assert fp.data_fingerprint(VALID_CONFLICT) == fp.data_fingerprint(VALID_CONFLICT)
    assert len(fp.short(fp.data_fingerprint(VALID_CONFLICT))) == 12


# --------------------------------------------------------------------------------- files


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "sub" / "report.html"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]
    assert write_if_changed(target, b"two") is False
    assert write_if_changed(target, b"three") is True


def test_build_lock_refuses_or_waits(tmp_path):
    holder = BuildLock(tmp_path / ".build.lock")
    holder.acquire(wait=False)
    try:
        with pytest.raises(BuildLocked, match=f"pid {os.getpid()}"):
            BuildLock(tmp_path / ".build.lock").acquire(wait=False)
        code = (
            "import sys; from analysis.report.files import BuildLock; "
            f"l = BuildLock(__import__('pathlib').Path({str(tmp_path / '.build.lock')!r})); "
            "l.acquire(wait=True, on_wait=lambda m: print(m, flush=True)); print('acquired', flush=True)"
        )
        waiter = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO)
        assert "waiting for another build" in waiter.stdout.readline()
        time.sleep(0.3)
        assert waiter.poll() is None  # still waiting
    finally:
        holder.release()
    assert waiter.stdout.readline().strip() == "acquired"
    assert waiter.wait(timeout=20) == 0


def test_build_lock_is_freed_when_the_holder_dies(tmp_path):
    code = (
        "from pathlib import Path; from analysis.report.files import BuildLock; import os; "
        f"BuildLock(Path({str(tmp_path / '.build.lock')!r})).acquire(wait=False); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    lock = BuildLock(tmp_path / ".build.lock")
    lock.acquire(wait=False)
    lock.release()


def test_every_published_chart_has_a_text_alternative_and_no_unnamed_mark():
    """Vega names the chart's container by its description (the title when none was set) and each
    data mark without a description of its own is hidden from screen readers (axe svg-img-alt)."""
    import altair as alt
    import polars as pl

    from analysis.publish import ARTIFACT_MIME, accessible_spec, artifact_bundle

    chart = alt.Chart(pl.DataFrame({"a": [1, 2], "b": [3, 4]})).mark_point().encode(x="a", y="b")
    assert (
        artifact_bundle("p", chart.properties(title="Two points"))[ARTIFACT_MIME]["spec"]["description"] == "Two points"
    )
    assert artifact_bundle("p", chart)[ARTIFACT_MIME]["spec"]["description"] == "p"
    described = artifact_bundle("p", chart.properties(title="T", description="What it shows."))[ARTIFACT_MIME]
    assert described["spec"]["description"] == "What it shows."
    marks = [
        {"type": "symbol", "encode": {"update": {"tooltip": {"signal": "datum"}}}},
        {"type": "rule", "encode": {"update": {"description": {"value": None}}}},
        {"type": "symbol", "encode": {"update": {"description": {"signal": "datum.a"}}}},
        {"type": "line", "description": "the trend"},
        {"type": "rect", "aria": True},
        {"type": "text"},
        {"type": "group", "marks": [{"type": "area"}]},
    ]
    spec = accessible_spec({"description": " ", "marks": marks}, "fallback")
    assert spec["description"] == "fallback"
    assert [m.get("aria") for m in spec["marks"]] == [False, False, None, None, True, None, None]
    assert spec["marks"][-1]["marks"] == [{"type": "area", "aria": False}]
    assert marks[0] == {"type": "symbol", "encode": {"update": {"tooltip": {"signal": "datum"}}}}  # not mutated


def test_embedded_csv_is_the_same_gzip_on_every_python():
    """The header zlib writes (no flags, mtime 0, zlib's OS byte: 3 on Unix), not the one Python
    3.13's gzip.compress writes (OS 255): reports are byte-identical on 3.11-3.13."""
    import gzip
    import zlib

    from analysis.report.export import embedded_csv

    csv = "a,b\n" + "1,x\n" * 1000
    packed = base64.b64decode(embedded_csv(csv))
    assert gzip.decompress(packed).decode("utf-8") == csv
    header = zlib.compress(b"", 9, wbits=31)[:10]
    assert packed[:10] == header and header[3:8] == bytes(5) and header[9] != 0xFF
