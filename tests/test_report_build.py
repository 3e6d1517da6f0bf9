"""`claims build` end to end on fixture notebooks: outputs, offline HTML, determinism, incremental
rebuilds, failures, the lock and interruption. Slow: each build runs real kernels."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import __version__
from analysis.report.fingerprint import data_fingerprint, sha256_file
from analysis.report.offline import check_pages, find_chromium
from tests.fixture_data import (
    CONFLICT_ID,
    NOTEBOOKS,
    REPO,
    VALID_DATA,
    claims_build,
    claims_command,
    descendants,
    still_running,
)

pytestmark = pytest.mark.slow

CATALOG = NOTEBOOKS / "catalog.yml"
FAILURES = NOTEBOOKS / "catalog_failures.yml"
SLUGS = ["freedonia-killed", "freedonia-personnel-losses", "sylvania-killed", "freedonia-civilians", "overview"]


def manifest(out: Path) -> dict[str, dict]:
    return {r["slug"]: r for r in json.loads((out / "manifest.json").read_text())["reports"]}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The fixture catalog built once, cold."""
    out = tmp_path_factory.mktemp("reports")
    result = claims_build("--catalog", CATALOG, "--out", out)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


# --------------------------------------------------------------------------------- outputs


def test_every_output_is_written(built):
    assert (built / "index.html").is_file() and (built / "manifest.json").is_file()
    for slug in SLUGS:
        assert (built / f"{slug}.html").is_file()
        assert (built / slug / f"{slug}.ipynb").is_file()
    for name in ("claims_over_time", "claims_per_claimant"):
        svg = (built / "freedonia-killed" / "charts" / f"{name}.svg").read_text()
        assert svg.startswith("<svg") and "</svg>" in svg
        assert (built / "freedonia-killed" / "charts" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = (built / "freedonia-killed" / "tables" / "claims.csv").read_text().splitlines()
    assert csv[0] == "claim_id,claimant_id,as_of_date,qualifier,value_low,value_central,value_high"
    assert len(csv) > 2
    assert (built / "overview" / "tables" / "per_claimant.csv").is_file()
    assert not list(built.rglob("*.tmp")) and not (built / ".build" / "tmp").exists()


def test_report_html_is_self_contained_offline_and_hides_code(built):
    fingerprint = data_fingerprint(VALID_DATA / CONFLICT_ID)
    for slug in SLUGS:
        html = (built / f"{slug}.html").read_text(encoding="utf-8")
        assert html.count("window.vegaEmbed=") == 1, "vega-embed inlined exactly once"
        assert html.count("window.VEGA_DEBUG = ") == 1
        assert not re.search(r"<script[^>]+src=", html), "no external scripts"
        assert not re.search(r"<link[^>]+href=\"?https?:", html), "no external stylesheets"
        lower = html.lower()
        for loader in ("require.js", "require.min.js", "mathjax", "mermaid", "cdn.jsdelivr", "cdnjs", "unpkg"):
            assert loader not in lower, loader
        assert '<div class="jp-CodeMirrorEditor' not in html and "from analysis.publish import publish" not in html
        footer = html[html.index('id="claims-report-footer"') :]
        assert fingerprint[:12] in footer and fingerprint in footer
        assert f"casualty-claims {__version__}" in footer
        assert (built / f"{slug}.html").stat().st_size < 1_500_000


def test_index_lists_every_report(built):
    index = (built / "index.html").read_text()
    fingerprint = data_fingerprint(VALID_DATA / CONFLICT_ID)[:12]
    for slug in SLUGS:
        item = index[index.index(f'id="report-{slug}"') :].split("</li>\n")[0]
        assert f'href="{slug}.html"' in item and "status-ok" in item
        assert fingerprint in item[item.index("<details>") :]  # build details, folded away
    assert "<code>metric</code> = <code>killed</code>" in index
    assert "Fixture: the Freedonia-Sylvania war at a glance" in index


def test_manifest_records_what_varies(built):
    data = json.loads((built / "manifest.json").read_text())
    assert data["exit_code"] == 0 and data["versions"]["papermill"] and data["host"]
    assert {r["slug"]: r["status"] for r in data["reports"]} == {s: "built" for s in SLUGS}
    assert all(r["seconds"]["execute"] > 0 for r in data["reports"])
    html = (built / "freedonia-killed.html").read_text()
    assert data["started_at"][:10] not in html and data["finished_at"][:16] not in html
    assert len(data["host"]) < 6 or data["host"] not in html


def test_executed_notebook_is_normalised(built):
    nb = json.loads((built / "freedonia-killed" / "freedonia-killed.ipynb").read_text())
    assert set(nb["metadata"]["papermill"]) <= {"parameters", "default_parameters", "input_path"}
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and injected[0]["id"] == "injected-parameters"
    assert all("execution" not in c["metadata"] and "papermill" not in c["metadata"] for c in nb["cells"])


@pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (.ci/run installs it)")
def test_reports_render_in_headless_chromium_with_the_network_blocked(built):
    shot = built / ".build" / "screenshot.png"
    results = check_pages([built / f"{slug}.html" for slug in SLUGS] + [built / "index.html"], shot)
    assert all(r.ok for r in results), "\n".join(r.line() for r in results)
    assert sum(r.charts for r in results) == 9
    assert shot.read_bytes()[:4] == b"\x89PNG"


# ---------------------------------------------------------------------- determinism, no-op


def test_two_builds_give_byte_identical_html_csv_and_svg(built, tmp_path):
    again = tmp_path / "again"
    result = claims_build("--catalog", CATALOG, "--out", again, "--fresh-kernels", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    compared = 0
    for path in built.rglob("*"):
        if (path.suffix in (".html", ".csv", ".svg") or path.name == "datapackage.json") and ".build" not in path.parts:
            assert sha256_file(path) == sha256_file(again / path.relative_to(built)), path
            compared += 1
    assert compared == 5 + 1 + 9 + 5 + 4  # reports, index, charts, tables, the data package (3 CSV + descriptor)


def test_noop_build_runs_nothing_and_is_fast(built):
    started = time.perf_counter()
    result = claims_build("--catalog", CATALOG, "--out", built)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    rebuilt(built)  # skips when someone edited analysis/ meanwhile (then everything rebuilds)
    assert "5 up-to-date" in result.stdout
    assert set(r["status"] for r in manifest(built).values()) == {"up-to-date"}
    assert elapsed < 3.0  # the benchmark prints the real figure (target < 1 s on the 2-core machine)


NOOP_IMPORTS = """
import atexit, json, sys
atexit.register(lambda: print("HEAVY", json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"polars", "pandas", "pandera", "altair", "papermill", "nbformat", "jinja2"}))))
from analysis.cli import main
main(["build", "--progress", "plain", "--catalog", sys.argv[1], "--out", sys.argv[2]])
"""


def test_noop_build_imports_no_data_or_notebook_library(built):
    """A build with nothing to do reads hashes only: no polars (~0.1 s of import), no pandera,
    altair, papermill or nbformat, no template engine."""
    result = subprocess.run(
        [sys.executable, "-c", NOOP_IMPORTS, str(CATALOG), str(built)], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rebuilt(built)
    assert "5 up-to-date" in result.stdout
    assert re.search(r"^HEAVY \[\]$", result.stdout, re.MULTILINE), result.stdout


# ---------------------------------------------------------------------------- incremental


@pytest.fixture()
def two_conflicts(tmp_path) -> tuple[Path, Path]:
    """A data dir with two conflicts and a catalog: two reports on one, one on the other."""
    data = tmp_path / "data"
    shutil.copytree(VALID_DATA / CONFLICT_ID, data / CONFLICT_ID)
    other = data / "ruritania-grand-fenwick"
    shutil.copytree(VALID_DATA / CONFLICT_ID, other)
    meta = other / "conflict.yml"
    meta.write_text(meta.read_text().replace(f"conflict_id: {CONFLICT_ID}", "conflict_id: ruritania-grand-fenwick"))
    catalog = tmp_path / "catalog.yml"
    catalog.write_text(f"""data_dir: data
reports:
  - slug: a-killed
    title: A killed
    notebook: {NOTEBOOKS / "claims_chart.ipynb"}
    parameters: {{conflict: {CONFLICT_ID}, metric: killed}}
  - slug: a-overview
    title: A overview
    notebook: {NOTEBOOKS / "overview.ipynb"}
    parameters: {{conflict: {CONFLICT_ID}}}
  - slug: b-overview
    title: B overview
    notebook: {NOTEBOOKS / "overview.ipynb"}
    parameters: {{conflict: ruritania-grand-fenwick}}
""")
    return catalog, data


def statuses(out: Path) -> dict[str, str]:
    return {slug: r["status"] for slug, r in manifest(out).items()}


def rebuilt(out: Path) -> dict[str, str]:
    """Reports the last build ran, with the reason it gives."""
    reasons = {slug: r["reason"] for slug, r in manifest(out).items() if r["status"] == "built"}
    if any("code" in reason for reason in reasons.values()):
        pytest.skip("the analysis code changed during the test (someone is editing analysis/)")
    return reasons


def test_only_what_changed_is_rebuilt(two_conflicts, tmp_path):
    catalog, data = two_conflicts
    out = tmp_path / "out"
    assert claims_build("--catalog", catalog, "--out", out).returncode == 0
    assert set(statuses(out).values()) == {"built"}

    # one conflict's data: only its report
    claims = data / "ruritania-grand-fenwick" / "claims.csv"
    claims.write_text(claims.read_text().replace("some 1,600 were wounded", "some 1,600 were injured"))
    before = (out / "a-killed.html").read_bytes()
    result = claims_build("--catalog", catalog, "--out", out)
    assert result.returncode == 0, result.stderr
    # the quote's correction is recorded (changes.py) and shown on the page: "changes" too
    assert rebuilt(out) == {"b-overview": "changed: data, changes"}
    assert statuses(out) == {"a-killed": "up-to-date", "a-overview": "up-to-date", "b-overview": "built"}
    assert (out / "a-killed.html").read_bytes() == before

    # a timestamp alone changes nothing
    (data / CONFLICT_ID / "claims.csv").touch()
    assert claims_build("--catalog", catalog, "--out", out).returncode == 0
    assert rebuilt(out) == {}

    # one entry's parameters: only that entry
    catalog.write_text(catalog.read_text().replace("metric: killed", "metric: wounded"))
    assert claims_build("--catalog", catalog, "--out", out).returncode == 0
    assert rebuilt(out) == {"a-killed": "changed: parameters"}

    # a deleted output is rebuilt; --force rebuilds what it is given
    (out / "a-overview.html").unlink()
    claims_build("--catalog", catalog, "--out", out)
    assert rebuilt(out) == {"a-overview": "outputs missing or modified"}
    claims_build("--catalog", catalog, "--out", out, "--force", "--only", "b-overview")
    assert rebuilt(out) == {"b-overview": "forced (--force)"}


# ------------------------------------------------------------------------------- failures


def test_a_failing_and_a_hanging_notebook_do_not_stop_the_others(tmp_path):
    out = tmp_path / "out"
    result = claims_build("--catalog", FAILURES, "--out", out)
    assert result.returncode == 1
    assert statuses(out) == {"good": "built", "failing": "failed", "hanging": "failed"}
    assert (out / "good.html").is_file()
    # In [4]: the parameters cell, papermill's injected cell, the load cell, then the failing one
    assert "FAILED failing (failing.ipynb): cell In [4] `raise ValueError(" in result.stderr
    assert "ValueError: fixture failure: this notebook always fails here" in result.stderr
    assert "FAILED hanging (hanging.ipynb): cell In [3] `import time`: timed out" in result.stderr
    assert "Traceback" not in result.stderr and "Task was destroyed" not in result.stderr  # logs go to a file
    failed_nb = json.loads((out / "failing" / "failing.failed.ipynb").read_text())
    assert any(o.get("ename") == "ValueError" for c in failed_nb["cells"] for o in c.get("outputs", []))
    assert (out / "hanging" / "hanging.failed.ipynb").is_file()
    assert not (out / "failing.html").exists()
    index = (out / "index.html").read_text()
    assert "failed (no report yet)" in index
    assert manifest(out)["hanging"]["seconds"]["execute"] < 60


def test_the_last_good_report_stays_when_a_rebuild_fails(tmp_path):
    catalog = tmp_path / "catalog.yml"
    good = f"""data_dir: {VALID_DATA}
reports:
  - slug: report
    title: A report
    notebook: {NOTEBOOKS / "overview.ipynb"}
    parameters: {{conflict: {CONFLICT_ID}}}
"""
    catalog.write_text(good)
    out = tmp_path / "out"
    assert claims_build("--catalog", catalog, "--out", out).returncode == 0
    before = (out / "report.html").read_bytes()
    catalog.write_text(good.replace("overview.ipynb", "failing.ipynb"))
    result = claims_build("--catalog", catalog, "--out", out)
    assert result.returncode == 1
    assert (out / "report.html").read_bytes() == before
    assert (out / "report" / "report.failed.ipynb").is_file()
    assert "failed (showing the last good build)" in (out / "index.html").read_text()
    again = claims_build("--catalog", catalog, "--out", out)  # a failed report is retried
    assert again.returncode == 1 and statuses(out) == {"report": "failed"}


# ------------------------------------------------------------------------ lock, interrupt


def test_a_second_build_refuses_with_no_wait_and_interrupt_leaves_nothing_half_written(tmp_path):
    out = tmp_path / "out"
    first = subprocess.Popen(
        [
            *claims_command(),
            "build",
            "--catalog",
            str(FAILURES),
            "--out",
            str(out),
            "--progress",
            "plain",
            "--only",
            "hanging",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / ".build" / "logs" / "hanging.log").exists():
            assert time.monotonic() < deadline and first.poll() is None, first.communicate()
            time.sleep(0.1)
        second = claims_build("--catalog", FAILURES, "--out", out, "--no-wait", "--only", "good")
        assert second.returncode == 3
        assert "another build (pid" in second.stderr and "--no-wait" in second.stderr
        time.sleep(1.0)  # the hanging kernel is running
        spawned = descendants(first.pid)  # this build's own processes (other builds may run beside it)
        assert any("analysis.report.kernel" in command for command in spawned.values()), spawned
        first.send_signal(signal.SIGINT)
        stdout, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130, stdout + stderr
    assert "interrupted" in stderr
    assert not (out / "hanging.html").exists()
    assert not list(out.rglob("*.tmp")) and not (out / ".build" / "tmp").exists()
    assert manifest(out)["hanging"]["status"] == "interrupted"
    assert not {
        pid: command for pid, command in still_running(spawned).items() if "analysis.report.kernel" in command
    }, "a kernel outlived the interrupted build"
    # the lock is free again
    assert claims_build("--catalog", FAILURES, "--out", out, "--no-wait", "--only", "good").returncode == 0


# --------------------------------------------------------------- an output folder that takes no files


def in_own_mount_namespace(script: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a bash script in a private mount namespace, where it can mount a small or read-only
    tmpfs without touching the machine's mounts: as root with `unshare --mount`, otherwise in a user
    namespace that maps us to root there (`unshare --map-root-user --mount`)."""
    unshare = shutil.which("unshare")
    flags = ["--mount"] if os.geteuid() == 0 else ["--map-root-user", "--mount"]
    if unshare is None or subprocess.run([unshare, *flags, "true"], capture_output=True).returncode != 0:
        pytest.skip("this machine gives no mount namespace (unshare refused): no full or read-only folder to test on")
    return subprocess.run(
        [unshare, *flags, "bash", "-euc", script], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


def build_command(out: Path, *extra: str) -> str:
    return shlex.join(
        [*claims_command(), "build", "--progress", "plain", "--catalog", str(CATALOG), "--out", str(out), *extra]
    )


def files_and_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".build" not in p.relative_to(root).parts and p.name != "manifest.json"
    }


def test_a_read_only_output_folder_is_one_line_and_exit_1(built, tmp_path):
    mount = tmp_path / "mnt"
    mount.mkdir()
    result = in_own_mount_namespace(
        f"mount -t tmpfs -o size=64m tmpfs {mount}; cp -r {built} {mount}/out; mount -o remount,ro {mount}; "
        + build_command(mount / "out", "--force")
    )
    assert result.returncode == 1, result.stdout + result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error: cannot write to the output folder "), result.stderr
    assert "Read-only file system" in errors[0] and "nothing was changed" in errors[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_a_full_output_folder_stops_the_build_in_one_line_and_loses_nothing(built, tmp_path):
    """The reports fit, with a little room: a forced rebuild runs out of space part way."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    before = files_and_hashes(built)
    size_kb = sum((built / rel).stat().st_size for rel in before) // 1024 + 512
    kept = tmp_path / "after"  # what the full folder holds after the build, copied out of the namespace
    result = in_own_mount_namespace(
        f"mount -t tmpfs -o size={size_kb}k tmpfs {mount}; mkdir {mount}/out; "
        f"tar -C {built} --exclude=./.build --exclude=./manifest.json -cf - . | tar -C {mount}/out -xf -; "
        f"{build_command(mount / 'out', '--force')} || echo exit=$?; "
        f"mkdir {kept}; tar -C {mount}/out --exclude=./.build -cf - . | tar -C {kept} -xf -"
    )
    output = result.stdout.strip().splitlines()
    assert result.returncode == 0 and "exit=1" in output, result.stdout + result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error: cannot write to the output folder "), result.stderr
    assert "No space left on device" in errors[0] and "every report is as it was or complete" in errors[0]
    assert "Traceback" not in result.stdout + result.stderr
    after = files_and_hashes(kept)
    assert not [rel for rel in after if rel.endswith(".tmp")], "a temporary file was left behind"
    # the build is deterministic: whatever was rebuilt before the disk filled is byte-identical
    assert {rel: after.get(rel) for rel in before} == before
