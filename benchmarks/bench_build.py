"""Benchmark the report build: `claims build` vs the naive way, side by side, in one run.

Not a test: it prints figures next to the targets of issue #5 with an honest PASS/MISS.

    .venv/bin/python benchmarks/bench_build.py                    # the default catalog (reports.yml)
    .venv/bin/python benchmarks/bench_build.py --catalog tests/fixtures/notebooks/catalog.yml
    .venv/bin/python benchmarks/bench_build.py --skip-naive       # only claims build figures
    .venv/bin/python benchmarks/bench_build.py --repeat 1         # one naive and one cold build (~1 min)

The default catalog is used when its notebooks exist, else the fixture catalog (5 reports over the
fictional freedonia-sylvania conflict, same shape as the default catalog).

What is measured (wall clock, each in fresh processes, into fresh temporary folders):
Naive and cold builds alternate, --repeat times (default 3); the ratio is of their medians.
1. naive: per report, one after another, the papermill CLI then the nbconvert CLI
   (`papermill NB OUT.ipynb -y PARAMS` + `jupyter nbconvert --to html OUT.ipynb`), i.e. what the
   stock tools do (and what fails offline: the charts load from a CDN).
2. cold: `claims build --force` into an empty output folder (no cache of any kind).
3. no-op: `claims build` again on the same folder (nothing changed).
4. marginal time per report: (cold time of N reports - cold time of 1 report) / (N - 1).
5. each report's size (target < 1.5 MB) and where start-up time goes (`python -X importtime`).
6. the floor: the CPU time of the notebooks' own code (computation, charts, SVG and PNG renders),
   run a second time in one warm Python process with no kernel, no papermill and no export; on
   the machine's cores that alone bounds how fast any build of this catalog can be.
7. the least a fresh kernel costs: a process that has imported what the build's kernel zygote
   imports forks a child, and the child does only what every report's kernel must do once
   before its first chart (import polars and the analysis package, start vl-convert's V8 and
   VegaFusion on a one-point chart, render it to SVG and PNG); no ipykernel, zmq or notebook.
   With the floor, it bounds any build that runs each report in its own fresh kernel:
   (floor + reports x kernel) / cores. The CPU time of each cold build (every process it
   started, reaped) is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from anywhere without install

from analysis.report.catalog import check_entries, read_catalog  # noqa: E402
from analysis.report.fingerprint import sha256_file  # noqa: E402

BIN = Path(sys.executable).parent
TARGET_RATIO = 10.0
TARGET_NOOP_S = 1.0
TARGET_SIZE_MB = 1.5
FIXTURE_CATALOG = REPO / "tests" / "fixtures" / "notebooks" / "catalog.yml"


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> float:
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(
            f"failed ({result.returncode}): {' '.join(map(str, cmd))}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return elapsed


def pick_catalog(arg: str | None) -> Path:
    if arg:
        return Path(arg).resolve()
    default = REPO / "reports.yml"
    catalog = read_catalog(default)
    missing = [e.notebook_rel for e in catalog.entries if not e.notebook.is_file()]
    if missing:
        print(
            f"note: the default catalog's notebooks are missing ({', '.join(sorted(set(missing)))}); "
            f"using the fixture catalog {FIXTURE_CATALOG.relative_to(REPO)}"
        )
        return FIXTURE_CATALOG
    return default


def resolved_parameters(catalog_path: Path) -> tuple[object, dict[str, dict]]:
    """The parameters `claims build` injects (validated; title included), for the naive run too."""
    from analysis.dataset import load_conflict

    catalog = read_catalog(catalog_path)
    conflicts = sorted(p.parent.name for p in catalog.data_dir.glob("*/conflict.yml"))

    def facts_for(conflict):
        from analysis.params import conflict_facts

        return conflict_facts(load_conflict(conflict, catalog.data_dir))

    problems, parameters = check_entries(catalog, conflicts, facts_for)
    if problems:
        sys.exit("\n".join(problems))
    return catalog, parameters


def naive(catalog, parameters: dict[str, dict], out: Path) -> tuple[float, dict[str, float]]:
    env = dict(os.environ, CLAIMS_DATA_DIR=str(catalog.data_dir))
    out.mkdir(parents=True, exist_ok=True)
    per_report = {}
    started = time.perf_counter()
    for entry in catalog.entries:
        t = time.perf_counter()
        executed = out / f"{entry.slug}.ipynb"
        run(
            [
                str(BIN / "papermill"),
                "--no-progress-bar",
                str(entry.notebook),
                str(executed),
                "-y",
                json.dumps(parameters[entry.slug]),
            ],
            cwd=entry.notebook.parent,
            env=env,
        )
        run([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)], env=env)
        per_report[entry.slug] = time.perf_counter() - t
    return time.perf_counter() - started, per_report


def claims_build(catalog_path: Path, out: Path, *extra: str) -> float:
    return run(
        [str(BIN / "claims"), "build", "--catalog", str(catalog_path), "--out", str(out), "--progress", "none", *extra]
    )


def children_cpu() -> float:
    """CPU seconds (user + system) of every reaped descendant so far (kernels are reaped by the
    zygote, the zygote and launchers by the build, the build by us)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def import_tax() -> dict[str, float]:
    """Cumulative import time (s) of rfc3987_syntax inside `import altair`, and of altair with and
    without it (python -X importtime, self-reported by the interpreter)."""

    def cumulative(code: str, module: str) -> float:
        result = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True)
        for line in result.stderr.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 3 and parts[2] == module:
                return int(parts[1]) / 1e6
        return float("nan")

    return {
        "rfc3987_syntax": cumulative("import altair", "rfc3987_syntax"),
        "altair": cumulative("import altair", "altair"),
        "altair_blocked": cumulative("import sys; sys.modules['rfc3987_syntax'] = None; import altair", "altair"),
    }


def process_start() -> dict[str, float]:
    def median(cmd):
        return statistics.median(run(cmd) for _ in range(3))

    return {
        "python -c pass": median([sys.executable, "-c", "pass"]),
        "import papermill": median([sys.executable, "-c", "import papermill"]),
        "import nbconvert": median([sys.executable, "-c", "import nbconvert"]),
    }


FLOOR_SCRIPT = r"""
import json, os, sys, time
sys.modules.setdefault("rfc3987_syntax", None)
import IPython.display
import analysis.publish
analysis.publish.render_for_build()  # as in the build's kernels: charts rendered, no schema check
IPython.display.display = lambda *args, **kwargs: None  # publish() still builds and renders everything
runs = json.loads(sys.argv[1])

def run_all():
    for notebook, parameters in runs:
        cells = json.load(open(notebook, encoding="utf-8"))["cells"]
        namespace = {}
        for cell in cells:
            if cell["cell_type"] != "code":
                continue
            exec("".join(cell["source"]), namespace)
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                namespace.update(parameters)

run_all()  # imports, first-use start-up (vl-convert, VegaFusion)
started = time.process_time()
run_all()
print(time.process_time() - started)
"""


KERNEL_MINIMUM_SCRIPT = r"""
import importlib, os, resource, statistics, sys
from analysis.report.kernel_process import PRELOAD, block_slow_imports
block_slow_imports()
for name in PRELOAD:  # what the zygote has imported before it forks a kernel
    importlib.import_module(name)

def first_chart():
    import altair as alt
    import polars as pl
    import analysis.pages  # noqa: F401  (the notebooks' one import; it imports the analysis chain)
    from analysis.publish import render_chart
    alt.data_transformers.enable("vegafusion")
    chart = alt.Chart(pl.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    render_chart(chart.to_dict(format="vega", validate=False))

cpu = []
for _ in range(int(sys.argv[1])):
    pid = os.fork()
    if pid == 0:
        try:
            first_chart()
        finally:
            os._exit(0)
    _, status, usage = os.wait4(pid, 0)
    if status:
        sys.exit(f"child failed: {status}")
    cpu.append(usage.ru_utime + usage.ru_stime)
print(statistics.median(cpu))
"""


def fresh_kernel_minimum(catalog, repeat: int = 5) -> float:
    """Median CPU seconds a forked kernel must spend before its first chart (see item 7 above)."""
    env = dict(os.environ, CLAIMS_DATA_DIR=str(catalog.data_dir))
    result = subprocess.run(
        [sys.executable, "-c", KERNEL_MINIMUM_SCRIPT, str(repeat)], env=env, cwd=REPO, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"fresh-kernel measurement failed:\n{result.stderr[-4000:]}")
    return float(result.stdout.strip().splitlines()[-1])


def notebook_work_floor(catalog, parameters: dict[str, dict]) -> float:
    """CPU seconds (all threads) of every notebook's code, run again in one warm process."""
    runs = [(str(e.notebook), parameters[e.slug]) for e in catalog.entries]
    env = dict(os.environ, CLAIMS_DATA_DIR=str(catalog.data_dir))
    result = subprocess.run(
        [sys.executable, "-c", FLOOR_SCRIPT, json.dumps(runs)], env=env, cwd=REPO, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"floor measurement failed:\n{result.stderr[-4000:]}")
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", help="catalog to build (default: reports.yml, else the fixture catalog)")
    parser.add_argument("--skip-naive", action="store_true", help="do not run the naive baseline")
    parser.add_argument(
        "--repeat", type=int, default=3, help="naive and cold builds, alternating; medians are compared (default 3)"
    )
    args = parser.parse_args()
    catalog_path = pick_catalog(args.catalog)
    catalog, parameters = resolved_parameters(catalog_path)
    n = len(catalog.entries)
    cores = len(os.sched_getaffinity(0))
    print(
        f"catalog: {catalog_path.relative_to(REPO) if catalog_path.is_relative_to(REPO) else catalog_path}"
        f" ({n} reports); {cores} cores; python {sys.version.split()[0]}"
    )

    work = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        # naive and cold alternate, so that a noisy moment on the shared machine hits both sides
        naive_runs: list[float] = []
        cold_runs: list[float] = []
        cold_cpu: list[float] = []
        per_report: dict[str, float] = {}
        cold_out = work / "cold"
        for i in range(args.repeat):
            if not args.skip_naive:
                seconds, per_report = naive(catalog, parameters, work / f"naive-{i}")
                naive_runs.append(seconds)
            shutil.rmtree(cold_out, ignore_errors=True)
            cpu_before = children_cpu()
            cold_runs.append(claims_build(catalog_path, cold_out, "--force"))
            cold_cpu.append(children_cpu() - cpu_before)
        cold_s = statistics.median(cold_runs)
        runs = ", ".join(f"{r:.2f}" for r in cold_runs)
        if not args.skip_naive:
            naive_s = statistics.median(naive_runs)
            print(
                f"\nnaive (papermill CLI + nbconvert CLI, per report, one after another): median {naive_s:.2f} s "
                f"(runs: {', '.join(f'{r:.2f}' for r in naive_runs)})"
            )
            for slug, seconds in per_report.items():
                print(f"  {slug:<40} {seconds:6.2f} s (last run)")
        print(
            f"\nclaims build, cold (empty output folder, --force): median {cold_s:.2f} s (runs: {runs}); "
            f"CPU of all its processes: median {statistics.median(cold_cpu):.2f} CPU-s"
        )
        manifest = json.loads((cold_out / "manifest.json").read_text())
        for report in manifest["reports"]:
            s = report["seconds"]
            print(
                f"  {report['slug']:<40} {report['status']:<6} kernel {report['kernel']:<5} "
                f"execute {s.get('execute', 0):5.2f} s, export {s.get('export', 0):4.2f} s (last run)"
            )
        if not args.skip_naive:
            ratio = naive_s / cold_s
            print(
                f"\nspeed-up, cold build vs naive (medians of {args.repeat}, alternating): {ratio:.1f}x  "
                f"(target >= {TARGET_RATIO:.0f}x on the 2-core machine: {'PASS' if ratio >= TARGET_RATIO else 'MISS'})"
            )

        noop = [claims_build(catalog_path, cold_out) for _ in range(3)]
        noop_s = statistics.median(noop)
        print(
            f"\nno-op rebuild (nothing changed), median of 3: {noop_s:.2f} s  (target < {TARGET_NOOP_S:.0f} s: "
            f"{'PASS' if noop_s < TARGET_NOOP_S else 'MISS'})"
        )

        if n > 1:
            one_s = claims_build(catalog_path, work / "one", "--force", "--only", catalog.entries[0].slug)
            marginal = (cold_s - one_s) / (n - 1)
            print(
                f"marginal time per report: ({cold_s:.2f} s - {one_s:.2f} s for 1 report) / {n - 1} = {marginal:.2f} s"
            )

        print("\nreport sizes:")
        worst = 0.0
        for entry in catalog.entries:
            html = cold_out / f"{entry.slug}.html"
            mb = html.stat().st_size / 1e6
            worst = max(worst, mb)
            print(f"  {entry.slug + '.html':<45} {mb:5.2f} MB")
        print(
            f"  largest {worst:.2f} MB (target < {TARGET_SIZE_MB} MB: {'PASS' if worst < TARGET_SIZE_MB else 'MISS'})"
        )

        again = work / "again"
        claims_build(catalog_path, again, "--force")
        same = all(
            sha256_file(p) == sha256_file(again / p.relative_to(cold_out))
            for p in cold_out.rglob("*")
            if p.is_file() and p.suffix in (".html", ".csv", ".svg") and ".build" not in p.parts
        )
        print(f"\ndeterminism: a second cold build gives byte-identical HTML, CSV and SVG: {'yes' if same else 'NO'}")

        floor_cpu = notebook_work_floor(catalog, parameters)
        floor_s = floor_cpu / cores
        print(
            f"\nfloor: the notebooks' own code, warm, in one process (no kernel, papermill or export): "
            f"{floor_cpu:.2f} CPU-s;\n  on {cores} cores at best {floor_s:.2f} s for any build of this catalog"
            + (f" -> at most {naive_s / floor_s:.1f}x the naive way" if not args.skip_naive else "")
        )
        kernel_cpu = fresh_kernel_minimum(catalog)
        bound_s = (floor_cpu + n * kernel_cpu) / cores
        print(
            f"the least a fresh kernel costs before its first chart (forked from the preloaded zygote; polars,"
            f"\n  analysis, V8, VegaFusion, one render; no ipykernel): {kernel_cpu:.2f} CPU-s (median of 5)"
            f"\n  one fresh kernel per report: ({floor_cpu:.2f} + {n} x {kernel_cpu:.2f}) CPU-s / {cores} cores"
            f" = at best {bound_s:.2f} s, with a driver that costs nothing"
        )
        if not args.skip_naive:
            budget = naive_s / TARGET_RATIO * cores
            print(
                f"  -> at most {naive_s / bound_s:.1f}x the naive way; {TARGET_RATIO:.0f}x needs <= "
                f"{naive_s / TARGET_RATIO:.2f} s, i.e. <= {budget:.2f} CPU-s for the whole build on {cores} cores "
                f"(the cold build used {statistics.median(cold_cpu):.2f})"
            )

        tax = import_tax()
        start = process_start()
        print("\nwhere start-up time goes (per process):")
        for what, seconds in start.items():
            print(f"  {what:<28} {seconds:5.2f} s wall (median of 3)")
        print(
            f"  python -X importtime: import altair {tax['altair']:.2f} s, of which rfc3987_syntax "
            f"{tax['rfc3987_syntax']:.2f} s; with rfc3987_syntax blocked {tax['altair_blocked']:.2f} s"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
