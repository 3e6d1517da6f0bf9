"""Issue 6, the fast half: hostile text through the pages and narrative (in process), CSV formula
injection, parameters checked before papermill injects them, and odd data (an empty conflict, a
claimant with a single claim, non-ASCII names, 200,000 series rows). The builds, Chromium and the
faults are in tests/test_hardening_build.py."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from analysis.narrative import safe_url
from analysis.params import ParameterError
from analysis.publish import ARTIFACT_MIME, artifact_bundle, chart_html, csv_text, script_safe
from tests.fixture_data import CONFLICT_ID, REPO, VALID_CONFLICT

HOSTILE_DATA = REPO / "tests" / "fixtures" / "hostile"
HOSTILE_ID = "hostile-conflict"
PAYLOADS = json.loads((HOSTILE_DATA / HOSTILE_ID / "PAYLOADS.json").read_text(encoding="utf-8"))
CLAIMS = Path(sys.executable).parent / "claims"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# what must never appear verbatim in HTML made from the data (each is markup only when unescaped)
RAW_MARKUP = (
    "<script>window.__pwned",
    "<img src=x",
    "<iframe",
    "<svg onload",
    '<a href="javascript:',
    "<b>b</b>",
    'onerror="window',
    "</script><script>",
)


def claims(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    command = [str(CLAIMS)] if CLAIMS.exists() else [sys.executable, "-m", "analysis"]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=REPO)


# ---------------------------------------------------------------------------- links and URLs


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>x</script>",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "//evil.example/x",
        "/relative",
        'https://example.org/"><script>x</script>',
        "https://example.org/a b",
        "http://x'onmouseover=1",
        "https://example.org/`x`",
        None,
        42,
        "",
    ],
)
def test_safe_url_refuses_everything_but_plain_http_urls(url):
    assert safe_url(url) is None


@pytest.mark.parametrize("url", ["https://example.org/n1", "http://example.org/a?b=1&c=%3Cx%3E#frag"])
def test_safe_url_keeps_http_urls(url):
    assert safe_url(url) == url


def test_validation_rejects_non_http_source_urls(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(VALID_CONFLICT, data / CONFLICT_ID)
    statements = data / CONFLICT_ID / "statements.csv"
    rows = statements.read_text(encoding="utf-8").splitlines()
    first = next(csv.reader([rows[1]]))
    header = next(csv.reader([rows[0]]))
    url_column = header.index("url")
    # the last: quotes and markup are not URL characters (RFC 3986: percent-encode them); refused
    # before they reach a page, where they could end the link's attribute
    for scheme in (
        "javascript:window.__pwned='x'",
        "data:text/html,<script>1</script>",
        "ftp://example.org/x",
        "https://example.org/n1?q=\"><script>window.__pwned='url'</script>",
    ):
        first[url_column] = scheme
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(first)
        statements.write_text("\n".join([rows[0], buffer.getvalue().rstrip("\n"), *rows[2:]]) + "\n", encoding="utf-8")
        result = claims("validate", data)
        assert result.returncode == 2, (scheme, result.stdout, result.stderr)
        assert "statements.csv:2" in result.stderr and "url" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


# ------------------------------------------------------------------- hostile text, in process


@pytest.fixture(scope="module")
def hostile_pages(monkeypatch_module):
    """Every section of both real pages on the hostile conflict: (html fragments, bundles)."""
    import analysis.pages as pages

    bundles: list[dict] = []
    monkeypatch_module.setattr(
        pages,
        "publish",
        lambda name, obj, title=None, collapsed=False: bundles.append(artifact_bundle(name, obj, title=title)),
    )
    fragments: list[str] = []
    compare = pages.compare_page(
        conflict=HOSTILE_ID,
        subject_side="north",
        population="military",
        metric="killed",
        title=PAYLOADS["script"] + PAYLOADS["vega"],
        data_dir=HOSTILE_DATA,
    )
    for section in (
        "header",
        "key_numbers",
        "cumulative",
        "ratio",
        "rates",
        "ladder",
        "staleness",
        "assumptions",
        "caveats",
        "tables",
        "sources",
    ):
        shown = getattr(compare, section)()
        if shown is not None:
            fragments.append(shown.html)
    overview = pages.overview_page(conflict=HOSTILE_ID, data_dir=HOSTILE_DATA)
    for section in ("header", "summary", "ladders", "staleness", "tables", "sources"):
        shown = getattr(overview, section)()
        if shown is not None:
            fragments.append(shown.html)
    return fragments, bundles


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_narrative_shows_hostile_text_escaped(hostile_pages):
    fragments, _ = hostile_pages
    html = "\n".join(fragments)
    for raw in RAW_MARKUP:
        assert raw not in html, raw
    assert "&lt;script&gt;window.__pwned=&#39;script&#39;&lt;/script&gt;" in html
    assert "Алексей Навальный" in html and "習近平" in html
    anchors = re.findall(r"<a\b[^>]*>", html)  # real tags only: escaped text has no "<a"
    assert anchors
    for anchor in anchors:
        href = re.search(r'href="([^"]*)"', anchor).group(1)
        assert re.match(r"^https?://", href) and "javascript" not in href.lower(), anchor
        assert 'rel="noopener noreferrer"' in anchor, anchor
    assert not re.search(
        r"<(?!/?(a|p|ul|ol|li|table|thead|tbody|tr|th|td|span|div|strong|em|h[1-6]|code|abbr|"
        r"small|br|details|summary|section|header|footer|cite|q|sup|sub|dl|dt|dd|time|"
        r"blockquote|caption|col|colgroup|figure|figcaption|nav|mark|s|i)\b)[a-zA-Z]",
        html,
    ), "an element the narrative templates never write"


def test_chart_specs_cannot_break_out_of_their_script(hostile_pages):
    _, bundles = hostile_pages
    charts = [b for b in bundles if "<chart" in b["text/plain"]]
    assert len(charts) >= 5
    for bundle in charts:
        html = chart_html(bundle[ARTIFACT_MIME]["name"], bundle[ARTIFACT_MIME]["spec"])  # the report's (the build's)
        assert html.count("</script>") == html.count("<script"), bundle["text/plain"]
        assert "<!--" not in html and "__pwned" in html  # the payloads are there, as data
        for raw in RAW_MARKUP:
            assert raw not in html
    tables = [b for b in bundles if "<chart" not in b["text/plain"]]
    assert tables and all(raw not in b["text/html"] for b in tables for raw in RAW_MARKUP)


def test_script_safe_json_is_the_same_value():
    value = {"a": "</script><!-- & \u2028\u2029 <b>", "n": [-1, 2.5, None]}
    text = script_safe(json.dumps(value))
    assert json.loads(text) == value and not re.search("[<>&\u2028\u2029]", text)


# ------------------------------------------------------------------------------------- CSV


def test_csv_neutralises_formula_injection_in_text_cells():
    hostile = [PAYLOADS[k] for k in ("formula", "plus", "minus", "at", "tab", "cr")]
    frame = pl.DataFrame({"text": hostile, "number": [-1, -2, 3, 4, 5, 6]})
    rows = list(csv.reader(io.StringIO(csv_text(frame), newline="")))
    assert rows[0] == ["text", "number"]
    for (text, _number), original in zip(rows[1:], hostile, strict=True):
        assert text == "'" + original and not text.startswith(FORMULA_START)
    assert [r[1] for r in rows[1:]] == ["-1", "-2", "3", "4", "5", "6"]  # numbers are not text


def test_csv_of_ordinary_values_round_trips_exactly():
    frame = pl.DataFrame(
        {
            "claimant": ["Freedonia (War Office)", "Алексей", "a=b", "", None, "1-2", "'quoted'", "line\nbreak"],
            "value": [498, -1600, 0, None, 7, -3, 12, 5],
            "ratio": [-1.25, 3.5, None, 0.0, -0.001, 1e6, 2.0, -7.5],
            "is_stale": [True, False, None, True, False, True, False, True],
        }
    )
    text = csv_text(frame)
    assert text == frame.write_csv()  # nothing to neutralise: byte for byte polars' own CSV
    back = pl.read_csv(io.StringIO(text), schema=frame.schema)
    assert back.equals(frame)


def test_csv_is_deterministic():
    frame = pl.DataFrame({"a": ["=x", "y", "-z"], "b": [1, -2, 3]})
    assert csv_text(frame) == csv_text(frame.clone())


# ------------------------------------------------------------------------------- parameters

HOSTILE_STRINGS = [
    "north\"); __import__('os').system('touch {marker}')#",
    "killed\n__import__('os').system('touch {marker}')",
    "'''; __import__('os').system('touch {marker}'); '''",
]


def hostile_catalog(tmp_path: Path, parameter: str, value) -> Path:
    base = {"conflict": HOSTILE_ID, "subject_side": "north", "population": "military", "metric": "killed"}
    base[parameter] = value
    catalog = tmp_path / "catalog.yml"
    catalog.write_text(
        json.dumps(
            {  # JSON is YAML: every quote and newline arrives as written
                "data_dir": str(HOSTILE_DATA),
                "reports": [
                    {
                        "slug": "evil",
                        "title": "Evil",
                        "notebook": str(REPO / "notebooks" / "compare_claims.ipynb"),
                        "parameters": base,
                    }
                ],
            }
        )
    )
    return catalog


HOSTILE_PARAMETERS = ["conflict", "subject_side", "population", "metric", "start", "official", "wounded_to_killed"]
HOSTILE_CASES = [(parameter, payload) for payload in HOSTILE_STRINGS for parameter in HOSTILE_PARAMETERS]


def hostile_value(parameter: str, payload: str, marker: Path):
    value = payload.format(marker=marker)
    if parameter == "official":
        return [value]
    if parameter == "wounded_to_killed":
        return [value, 13]
    return value


@pytest.fixture(scope="module")
def hostile_parameters_build(tmp_path_factory) -> dict:
    """One `claims build` of a catalog with one entry per (parameter, payload): the catalog check
    reports every entry's problems at once, so one process (not 21) shows each refused."""
    root = tmp_path_factory.mktemp("hostile-parameters")
    base = {"conflict": HOSTILE_ID, "subject_side": "north", "population": "military", "metric": "killed"}
    reports = [
        {
            "slug": f"evil-{number}",
            "title": f"Evil {number}",
            "notebook": str(REPO / "notebooks" / "compare_claims.ipynb"),
            "parameters": {**base, parameter: hostile_value(parameter, payload, root / f"pwned-{number}")},
        }
        for number, (parameter, payload) in enumerate(HOSTILE_CASES, 1)
    ]
    catalog = root / "catalog.yml"
    catalog.write_text(json.dumps({"data_dir": str(HOSTILE_DATA), "reports": reports}))  # JSON is YAML
    out = root / "out"
    result = claims("build", "--catalog", catalog, "--out", out, "--progress", "plain")
    return {"root": root, "out": out, "result": result}


@pytest.mark.parametrize("parameter, payload", HOSTILE_CASES)
def test_hostile_parameters_are_refused_before_any_kernel_starts(hostile_parameters_build, parameter, payload):
    number = HOSTILE_CASES.index((parameter, payload)) + 1
    result, out = hostile_parameters_build["result"], hostile_parameters_build["out"]
    assert result.returncode == 2, result.stdout + result.stderr
    assert re.search(
        rf"catalog\.yml:\d+: report 'evil-{number}' \(entry {number}\): parameter '{parameter}': ", result.stderr
    ), result.stderr
    assert "Traceback" not in result.stderr
    assert not (hostile_parameters_build["root"] / f"pwned-{number}").exists()
    assert not (out / ".build" / "logs" / f"evil-{number}.log").exists() and not (out / f"evil-{number}.html").exists()


@pytest.mark.parametrize("value", [{"x": 1}, 3, True, [1, 2], "", "   "])
def test_wrongly_typed_titles_are_refused(tmp_path, value):
    catalog = hostile_catalog(tmp_path, "metric", "killed")
    data = json.loads(catalog.read_text())
    data["reports"][0]["title"] = value
    catalog.write_text(json.dumps(data))
    result = claims("build", "--catalog", catalog, "--out", tmp_path / "out", "--progress", "plain")
    assert result.returncode == 2 and "'evil'" in result.stderr and "title" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "nothing was run" in result.stderr


@pytest.mark.parametrize("payload", HOSTILE_STRINGS + [PAYLOADS["breakout"], "\\'; x = 1 #\\", "\x00\u202e"])
def test_a_string_parameter_is_injected_as_a_literal(tmp_path, payload):
    """What papermill writes for a (valid, free-text) title: a Python literal, never code."""
    from papermill.translators import translate_parameters

    marker = tmp_path / "pwned"
    title = payload.format(marker=marker)
    source = translate_parameters("python", "python", {"title": title, "conflict": HOSTILE_ID}, "injected")
    namespace: dict = {}
    exec(compile(source, "<injected-parameters>", "exec"), {"__builtins__": {}}, namespace)
    assert namespace == {"title": title, "conflict": HOSTILE_ID}
    assert not marker.exists()


def test_the_notebooks_refuse_hostile_values_too():
    """analysis.params, the check inside the notebooks (for runs outside `claims build`)."""
    from analysis.params import check_compare_parameters, check_overview_parameters

    good = {
        "conflict": HOSTILE_ID,
        "subject_side": "north",
        "population": "military",
        "metric": "killed",
        "data_dir": HOSTILE_DATA,
    }
    for name, value in [
        ("subject_side", "north\"); __import__('os')"),
        ("metric", "killed\nimport os"),
        ("conflict", "../../etc"),
        ("start", "2022-01-01'; import os"),
        ("official", ["north_ministry'); x("]),
        ("wounded_to_killed", ["1", "2"]),
        ("title", ["not", "text"]),
    ]:
        with pytest.raises(ParameterError):
            check_compare_parameters(**{**good, name: value})
    with pytest.raises(ParameterError):
        check_overview_parameters(conflict="x\n__import__('os')", data_dir=HOSTILE_DATA)


# --------------------------------------------------------------------------------- odd data


def run_pages(data_dir: Path, conflict: str, subject_side: str) -> list[str]:
    """Every section of both pages; publish replaced by a collector. Returns the narrative HTML."""
    import analysis.pages as pages

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            pages,
            "publish",
            lambda name, obj, title=None, collapsed=False: artifact_bundle(name, obj, title=title, collapsed=collapsed),
        )
        html = []
        patch.setattr(pages.ComparePage, "_nothing", staticmethod(lambda message: html.append(message)))
        compare = pages.compare_page(
            conflict=conflict, subject_side=subject_side, population="military", metric="killed", data_dir=data_dir
        )
        for section in (
            "header",
            "key_numbers",
            "cumulative",
            "ratio",
            "rates",
            "ladder",
            "staleness",
            "assumptions",
            "caveats",
            "tables",
            "sources",
        ):
            shown = getattr(compare, section)()
            html.append(shown.html if shown is not None else "")
        overview = pages.overview_page(conflict=conflict, data_dir=data_dir)
        for section in ("header", "summary", "ladders", "staleness", "tables", "sources"):
            shown = getattr(overview, section)()
            html.append(shown.html if shown is not None else "")
    return html


def run_overview(data_dir: Path, conflict: str) -> list[str]:
    """Every section of the overview page, publish replaced by a collector."""
    import analysis.pages as pages

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            pages,
            "publish",
            lambda name, obj, title=None, collapsed=False: artifact_bundle(name, obj, title=title, collapsed=collapsed),
        )
        html = []
        patch.setattr(pages.ComparePage, "_nothing", staticmethod(lambda message: html.append(message)))
        overview = pages.overview_page(conflict=conflict, data_dir=data_dir)
        for section in ("header", "summary", "ladders", "staleness", "tables", "sources"):
            shown = getattr(overview, section)()
            html.append(shown.html if shown is not None else "")
    return html


def copy_valid(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(VALID_CONFLICT, data / CONFLICT_ID)
    return data


def keep_rows(path: Path, keep) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(
            [rows[0]] + [r for r in rows[1:] if keep(dict(zip(rows[0], r, strict=True)))]
        )


def drop_series(conflict_dir: Path) -> None:
    meta = conflict_dir / "conflict.yml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text[: text.index("\nseries:")] + "\n", encoding="utf-8")
    shutil.rmtree(conflict_dir / "series")


def test_an_empty_conflict_validates_and_gives_empty_pages(tmp_path):
    data = copy_valid(tmp_path)
    folder = data / CONFLICT_ID
    keep_rows(folder / "claims.csv", lambda r: False)
    keep_rows(folder / "statements.csv", lambda r: False)
    drop_series(folder)
    result = claims("validate", data)
    assert result.returncode == 0, result.stderr
    assert "0 statements, 0 claims" in result.stdout
    # the compare notebook stops with one line saying why; the overview shows empty sections
    with pytest.raises(
        ParameterError,
        match="no cumulative claims about freedonia's military losses; "
        r"the data hold: \(none\)",
    ):
        run_pages(data, CONFLICT_ID, "freedonia")
    html = run_overview(data, CONFLICT_ID)
    assert "No figures in this conflict yet." in html  # a clear message instead of a chart, no traceback


def test_a_claimant_with_a_single_claim(tmp_path):
    data = copy_valid(tmp_path)
    folder = data / CONFLICT_ID
    with open(folder / "claims.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    single = next(r["claim_id"] for r in rows if r["statement_id"].startswith("fr_war_office"))
    keep_rows(
        folder / "claims.csv", lambda r: not r["statement_id"].startswith("fr_war_office") or r["claim_id"] == single
    )
    keep_rows(
        folder / "statements.csv",
        lambda r: r["claimant_id"] != "fr_war_office" or single.startswith(r["statement_id"]),
    )
    result = claims("validate", data)
    assert result.returncode == 0, result.stderr
    html = "\n".join(run_pages(data, CONFLICT_ID, "freedonia"))
    assert "Freedonia (War Office)" in html


def test_non_ascii_names_pass_through_unchanged(tmp_path):
    data = copy_valid(tmp_path)
    meta = data / CONFLICT_ID / "conflict.yml"
    names = {
        "Freedonia (War Office)": "Фридония (Военное министерство) ‮ölü‬ ​",
        "Sylvania (General Staff)": "シルヴァニア参謀本部 المقر العام",
        "Ledger Watch": "Ledger Watch — Ł'œ ✓ 🕊",
    }
    text = meta.read_text(encoding="utf-8")
    for old, new in names.items():
        text = text.replace(f"short_name: {old}", f"short_name: {json.dumps(new, ensure_ascii=False)}")
    meta.write_text(text, encoding="utf-8")
    assert claims("validate", data).returncode == 0
    html = "\n".join(run_pages(data, CONFLICT_ID, "freedonia"))
    assert names["Freedonia (War Office)"] in html and names["Sylvania (General Staff)"] in html


def test_an_unknown_side_or_conflict_is_a_parameter_error_not_a_traceback(tmp_path):
    data = copy_valid(tmp_path)
    with pytest.raises(ParameterError, match="subject_side: unknown side 'atlantis'"):
        run_pages(data, CONFLICT_ID, "atlantis")
    with pytest.raises(ParameterError, match="conflict: unknown conflict 'nowhere'"):
        run_pages(data, "nowhere", "freedonia")


@pytest.mark.slow
def test_a_million_claims_in_one_conflict_load_and_compare_in_bounded_time(tmp_path):
    """A million claims: 200 independent claimants, each with a daily series of 5,000 records,
    through load_conflict and compare_view (about 12 s here). benchmarks/bench_engine.py times
    the stages."""
    from analysis.dataset import load_conflict
    from analysis.params import check_compare_parameters
    from analysis.views import compare_view

    n_series, days = 200, 5_000
    folder = tmp_path / "data" / "big-conflict"
    (folder / "series").mkdir(parents=True)
    lines = [
        "conflict_id: big-conflict",
        "name: A big fictional conflict",
        "start_date: 2000-01-01",
        "sides:",
        "  - {side_id: north, label: North, colour: '#0072B2'}",
        "  - {side_id: south, label: South, colour: '#D55E00'}",
        "claimants:",
    ]
    series = ["series:"]
    import datetime as dt

    start = dt.date(2000, 1, 1)
    for k in range(n_series):
        lines += [
            f"  - {{claimant_id: counter_{k}, name: Counter {k} ŁÖ, side: independent, kind: media_investigation, "
            f"independence_group: counter_{k}}}"
        ]
        series += [
            f"  - series_id: s{k}",
            f"    path: series/s{k}.csv",
            f"    claimant_id: counter_{k}",
            "    subject_side: north",
            "    population: military",
            "    metric: killed",
            "    period_type: cumulative",
            "    method: estimate",
            "    confidence: medium",
            f"    speaker: Counter {k}",
            f"    url: https://example.org/{k}",
            "    outlet: Example",
            "    title: Daily count",
            "    licence: CC0-1.0",
        ]
        rows = "\n".join(f"{(start + dt.timedelta(days=d)).isoformat()},{10 * d + k},about" for d in range(days))
        (folder / "series" / f"s{k}.csv").write_text("date,value,qualifier\n" + rows + "\n")
    (folder / "conflict.yml").write_text("\n".join(lines + series) + "\n", encoding="utf-8")
    for name, header in (
        ("statements.csv", "statement_id,claimant_id,speaker,statement_date,url,outlet,title,language,notes"),
        (
            "claims.csv",
            "claim_id,statement_id,subject_side,population,metric,qualifier,value,"
            "value_low,value_high,period_type,period_start_date,as_of_date,method,"
            "confidence,derived_from,quote,notes",
        ),
    ):
        (folder / name).write_text(header + "\n")
    started = time.perf_counter()
    conflict = load_conflict("big-conflict", tmp_path / "data")
    assert conflict.claims.height == n_series * days
    params = check_compare_parameters(
        conflict="big-conflict",
        subject_side="north",
        population="military",
        metric="killed",
        data_dir=tmp_path / "data",
    )
    view = compare_view(params)
    elapsed = time.perf_counter() - started
    assert view.latest.height == n_series
    assert elapsed < 120, f"{elapsed:.1f} s"
