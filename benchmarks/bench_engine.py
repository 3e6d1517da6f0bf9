"""Benchmark the analysis engine on one million synthetic claims: read → validate → type →
harmonise → align → compare, over 50 fictional conflicts, in one process or (--jobs N) in N
worker processes.

Not a test: it prints figures (stage times, whole-pipeline wall time, peak memory) next to the
targets (≤ 5 s and ≤ 2 GB on the 2-core machine) with an honest PASS/MISS.

    .venv/bin/python benchmarks/bench_engine.py                # 3 timed runs, median
    .venv/bin/python benchmarks/bench_engine.py --repeat 1     # one cold run only
    .venv/bin/python benchmarks/bench_engine.py --retain       # keep all outputs (memory worst case)
    .venv/bin/python benchmarks/bench_engine.py --profile      # + cProfile of one more run
    .venv/bin/python benchmarks/bench_engine.py --jobs 2       # 2 spawned worker processes
    .venv/bin/python benchmarks/bench_engine.py --compare-jobs # jobs=1 and jobs=2 side by side

The synthetic data is generated into a temporary directory (deleted at exit) and must pass
validation with zero problems; generation is timed separately and not part of the pipeline.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import io
import multiprocessing as mp
import os
import pstats
import random
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere without install

import polars as pl  # noqa: E402

from analysis import compare, harmonise  # noqa: E402
from analysis.align import align  # noqa: E402
from analysis.dataset import _typed_conflict, load_conflict  # noqa: E402
from analysis.load import read_conflict  # noqa: E402
from analysis.validate import validate_conflict  # noqa: E402

N_CONFLICTS = 50
STATEMENTS_PER_CONFLICT = 5_000
CLAIMS_PER_STATEMENT = 3  # 15,000 curated claims per conflict
SERIES_DAYS = 5_000  # one series entry per conflict, 5,000 daily records
TARGET_SECONDS = 5.0
TARGET_MIB = 2048.0
SERIES_ID = "south_general_staff_personnel"

STATEMENT_HEADER = [
    "statement_id",
    "claimant_id",
    "speaker",
    "statement_date",
    "url",
    "outlet",
    "title",
    "language",
    "notes",
]
CLAIM_HEADER = [
    "claim_id",
    "statement_id",
    "subject_side",
    "population",
    "metric",
    "qualifier",
    "value",
    "value_low",
    "value_high",
    "period_type",
    "period_start_date",
    "as_of_date",
    "method",
    "confidence",
    "derived_from",
    "quote",
    "notes",
]

# claimant_id, name, side, kind, independence_group, speaker, outlet, language
CLAIMANTS = [
    (
        "north_mod",
        "Northern Ministry of Defence",
        "north",
        "military",
        "north_government",
        "Northern MoD (spokesman Col. A. Varga)",
        "Northern State Television",
        "nl",
    ),
    (
        "north_president",
        "Office of the President of the North",
        "north",
        "government",
        "north_government",
        "President of the North, evening address",
        "The Northern Courier",
        "nl",
    ),
    (
        "south_general_staff",
        "General Staff of the South",
        "south",
        "military",
        "south_government",
        "General Staff of the South (daily briefing)",
        "Southern Armed Forces Press Service",
        "sl",
    ),
    (
        "south_mod",
        "Southern Ministry of Defence",
        "south",
        "military",
        "south_government",
        "Southern MoD (Minister R. Okonkwo-Lind)",
        "Southern News Agency",
        "sl",
    ),
    (
        "allied_intelligence",
        "Allied Defence Intelligence",
        "third_party",
        "intelligence",
        "allied_government",
        "Allied Defence Intelligence (daily update)",
        "Allied Ministry of Defence",
        "en",
    ),
    (
        "open_ledger",
        "Open Ledger (open-source investigators)",
        "independent",
        "media_investigation",
        "open_ledger",
        "Open Ledger research team",
        "Open Ledger",
        "en",
    ),
]


# --------------------------------------------------------------------------------------------
# Synthetic data (not timed as part of the pipeline)
# --------------------------------------------------------------------------------------------


def conflict_yml(k: int, start: dt.date) -> str:
    lines = [
        f"# FICTIONAL benchmark conflict {k:02d}: every name, figure and URL is made up.",
        f"conflict_id: conflict-{k:02d}",
        f"name: The war of the North and the South, no. {k:02d} (synthetic benchmark)",
        f"start_date: {start.isoformat()}",
        "sides:",
        "  - side_id: north",
        f"    label: Northland {k:02d}",
        '    colour: "#D55E00"',
        "  - side_id: south",
        f"    label: Southmark {k:02d}",
        '    colour: "#0072B2"',
        "claimants:",
    ]
    for cid, name, side, kind, group, *_ in CLAIMANTS:
        lines += [
            f"  - claimant_id: {cid}",
            f"    name: {name}",
            f"    side: {side}",
            f"    kind: {kind}",
            f"    independence_group: {group}",
        ]
    lines += [
        "series:",
        f"  - series_id: {SERIES_ID}",
        f"    path: series/{SERIES_ID}.csv",
        "    claimant_id: south_general_staff",
        "    subject_side: north",
        "    population: military",
        "    metric: personnel_losses",
        "    period_type: cumulative",
        "    method: reported",
        "    confidence: high",
        "    speaker: General Staff of the South (daily report)",
        f"    url: https://example.org/conflict-{k:02d}/south/daily-losses.json",
        "    outlet: Example Daily Losses Mirror",
        "    title: Northern personnel losses, daily",
        "    licence: CC0-1.0",
    ]
    return "\n".join(lines) + "\n"


def _round(x: float, unit: int) -> int:
    return max(unit, int(round(x / unit)) * unit)


def generate_conflict(folder: Path, k: int) -> tuple[int, int, int]:
    """Write one conflict; return (statements, curated claims, series records)."""
    rng = random.Random(1000 + k)
    start = dt.date(2006, 1, 1) + dt.timedelta(days=3 * k)
    (folder / "series").mkdir(parents=True)
    (folder / "conflict.yml").write_text(conflict_yml(k, start), encoding="utf-8")

    def day(n: int) -> str:
        return (start + dt.timedelta(days=n)).isoformat()

    # "True" cumulative losses of each side on day a (the claims scatter around these).
    def north_killed(a: int) -> float:
        return 2.0 * a + 40

    def south_killed(a: int) -> float:
        return 2.6 * a + 55

    def series_value(a: int) -> int:
        return _round(35 * a + 300, 100)

    # Series: day 1..SERIES_DAYS, cumulative personnel losses of the north per the south's staff.
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["date", "value", "qualifier"])
    for a in range(1, SERIES_DAYS + 1):
        qualifier = "exact" if a % 97 == 0 else ("more_than" if a % 11 == 0 else "about")
        w.writerow([day(a), series_value(a) + (17 if qualifier == "exact" else 0), qualifier])
    (folder / "series" / f"{SERIES_ID}.csv").write_text(buf.getvalue(), encoding="utf-8")

    st_buf, cl_buf = io.StringIO(), io.StringIO()
    sw = csv.writer(st_buf, lineterminator="\n")
    cw = csv.writer(cl_buf, lineterminator="\n")
    sw.writerow(STATEMENT_HEADER)
    cw.writerow(CLAIM_HEADER)
    n_claims = 0
    last_south_staff_killed: str | None = None
    confidences = ("high", "high", "medium", "low")

    for i in range(STATEMENTS_PER_CONFLICT):
        cid, name, side, _, _, speaker, outlet, language = CLAIMANTS[i % len(CLAIMANTS)]
        s = i + 1  # statement day, one statement a day
        lag = 1 if (i % 7 == 3) else 0  # some claims count up to the day before
        a = s - lag
        sid = f"{cid}_{day(s)}"
        title = rng.choice(
            [
                f'{name}: "losses of the enemy exceed {int(north_killed(a)):,}"',
                f"Briefing, day {s:,}: figures, corrections and context",
                f'"We will not hide our dead," says {speaker.split(" (")[0]}',
                "",
            ]
        )
        note = (
            ""
            if i % 5
            else rng.choice(
                [
                    'Transcript circulated later; the "official" figure was read out twice, once with a slip.',
                    "Reported by two outlets, one of which (a wire service) added a correction, later withdrawn.",
                    'Line 2 of the transcript says "approximately", line 5 says "exactly";\nwe record "exactly".',
                ]
            )
        )
        sw.writerow(
            [
                sid,
                cid,
                speaker,
                day(s),
                f"https://example.org/conflict-{k:02d}/{cid}/{day(s)}?item={i}&lang={language}",
                outlet,
                title,
                "" if i % 9 == 0 else language,
                note,
            ]
        )

        claims: list[tuple] = []  # (subject, population, metric, qualifier, value, low, high,
        #                             period_type, period_start, method, derived_from, quote)

        def quote(n: int, what: str) -> str:
            return rng.choice(
                [
                    f'"As of today, {n:,} {what}," the spokesman said, "and the figure is verified."',
                    f"{n:,} {what}, according to the briefing, including those, sadly, confirmed overnight",
                    f'He repeated: "{n:,}" — adding, "not one more, not one less."',
                    # every claim carries a quote (validation requires one); four choices, as when this
                    # one was empty, keep the random stream and so every other generated value unchanged
                    f"{n:,} {what}.",
                ]
            )

        if cid == "north_mod":
            kn = int(north_killed(a)) + rng.randint(0, 4)
            wn = 3 * kn + rng.randint(0, 30)
            claims.append(
                (
                    "north",
                    "military",
                    "killed",
                    "exact",
                    kn,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    None,
                    quote(kn, "of our servicemen have died"),
                )
            )
            claims.append(
                (
                    "north",
                    "military",
                    "wounded",
                    "exact",
                    wn,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    None,
                    quote(wn, "have been wounded"),
                )
            )
            if i % 25 == 0 and a > 31:
                v = rng.randint(200, 900)
                claims.append(
                    (
                        "south",
                        "military",
                        "killed",
                        "more_than",
                        v,
                        None,
                        None,
                        "period",
                        day(a - 30),
                        "reported",
                        None,
                        quote(v, "enemy soldiers killed in the last thirty days"),
                    )
                )
            else:
                v = _round(9.0 * a + 500, 100)
                claims.append(
                    (
                        "south",
                        "military",
                        "killed",
                        "about",
                        v,
                        None,
                        None,
                        "cumulative",
                        None,
                        "reported",
                        None,
                        quote(v, "enemy soldiers eliminated"),
                    )
                )
        elif cid == "north_president":
            v = _round(north_killed(a) * 4.2, 100)
            claims.append(
                (
                    "north",
                    "military",
                    "killed_and_wounded",
                    "about",
                    v,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    None,
                    quote(v, "killed and wounded on our side"),
                )
            )
            v = _round(30.0 * a + 1000, 100)
            claims.append(
                (
                    "south",
                    "military",
                    "personnel_losses",
                    "more_than",
                    v,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    None,
                    quote(v, "enemy personnel lost"),
                )
            )
            if i % 20 == 1 and a > 3:
                v = rng.randint(3, 60)
                claims.append(
                    (
                        "south",
                        "military",
                        "killed",
                        "exact",
                        v,
                        None,
                        None,
                        "incident",
                        day(a - 2),
                        "reported",
                        None,
                        quote(v, "killed in the strike on the depot"),
                    )
                )
            else:
                v = _round(11.0 * a + 700, 100)
                claims.append(
                    (
                        "south",
                        "military",
                        "killed",
                        "up_to",
                        v,
                        None,
                        None,
                        "cumulative",
                        None,
                        "reported",
                        None,
                        quote(v, "enemy dead, at most"),
                    )
                )
        elif cid == "south_general_staff":
            ks = int(south_killed(a)) + rng.randint(0, 4)
            ws = int(ks * 2.7) + rng.randint(0, 30)
            claims.append(
                (
                    "south",
                    "military",
                    "killed",
                    "exact",
                    ks,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    None,
                    quote(ks, "of our defenders have fallen"),
                )
            )
            last_south_staff_killed = f"{sid}.south.mil.killed"  # its claim_id below
            claims.append(
                (
                    "south",
                    "military",
                    "wounded",
                    "exact",
                    ws,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    None,
                    quote(ws, "wounded"),
                )
            )
            v = series_value(a) + 100  # a revised figure: disagrees with that day's series record
            claims.append(
                (
                    "north",
                    "military",
                    "personnel_losses",
                    "about",
                    v,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    None,
                    quote(v, "enemy personnel, revised"),
                )
            )
        elif cid == "south_mod":
            v = int(north_killed(a) * 9)
            claims.append(
                (
                    "north",
                    "military",
                    "killed_and_wounded",
                    "at_least",
                    v,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    None,
                    quote(v, "enemy killed and wounded at the least"),
                )
            )
            v = _round(north_killed(a) * 2.4, 100)
            claims.append(
                (
                    "north",
                    "military",
                    "killed",
                    "about",
                    v,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    None,
                    quote(v, "enemy dead"),
                )
            )
            v = int(south_killed(a) * 3.6) + rng.randint(0, 9)
            claims.append(
                (
                    "south",
                    "military",
                    "killed_and_wounded",
                    "exact",
                    v,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    None,
                    quote(v, "our killed and wounded"),
                )
            )
        elif cid == "allied_intelligence":
            lo, hi = _round(north_killed(a) * 1.5, 100), _round(north_killed(a) * 3.0, 100)
            central = (lo + hi) // 2 if i % 2 else None
            claims.append(
                (
                    "north",
                    "military",
                    "killed",
                    "range",
                    central,
                    lo,
                    hi,
                    "cumulative",
                    None,
                    "estimate",
                    None,
                    quote(lo, f"to {hi:,} northern troops killed (our assessment)"),
                )
            )
            lo, hi = _round(south_killed(a) * 0.8, 100), _round(south_killed(a) * 1.6, 100)
            derived = last_south_staff_killed if (i % 3 == 0 and last_south_staff_killed) else None
            claims.append(
                (
                    "south",
                    "military",
                    "killed",
                    "range",
                    None,
                    lo,
                    hi,
                    "cumulative",
                    None,
                    "estimate",
                    derived,
                    quote(lo, f"to {hi:,} southern troops killed"),
                )
            )
            v = series_value(a)
            claims.append(
                (
                    "north",
                    "military",
                    "personnel_losses",
                    "about",
                    v,
                    None,
                    None,
                    "cumulative",
                    None,
                    "reported",
                    f"{SERIES_ID}.{day(a)}",
                    quote(v, "northern personnel, per the South"),
                )
            )
        else:  # open_ledger
            v = int(north_killed(a) * 0.45)
            claims.append(
                (
                    "north",
                    "military",
                    "killed",
                    "at_least",
                    v,
                    None,
                    None,
                    "cumulative",
                    None,
                    "named_list",
                    None,
                    quote(v, "named northern dead confirmed"),
                )
            )
            lo, hi = _round(north_killed(a) * 0.8, 100), _round(north_killed(a) * 1.3, 100)
            claims.append(
                (
                    "north",
                    "military",
                    "killed",
                    "range",
                    (lo + hi) // 2,
                    lo,
                    hi,
                    "cumulative",
                    None,
                    "model",
                    None,
                    quote(lo, f"to {hi:,} northern dead (probate-registry model)"),
                )
            )
            if i % 10 == 5:
                v = 10 + a // 3
                claims.append(
                    (
                        "north",
                        "civilian",
                        "killed",
                        "at_least",
                        v,
                        None,
                        None,
                        "cumulative",
                        None,
                        "verified_count",
                        None,
                        quote(v, "civilians killed, verified"),
                    )
                )
            else:
                v = int(south_killed(a) * 0.4)
                claims.append(
                    (
                        "south",
                        "military",
                        "killed",
                        "at_least",
                        v,
                        None,
                        None,
                        "cumulative",
                        None,
                        "named_list",
                        None,
                        quote(v, "named southern dead confirmed"),
                    )
                )

        for subject, population, metric, qualifier, value, low, high, period_type, pstart, method, derived, q in claims:
            claim_id = f"{sid}.{subject}.{population[:3]}.{metric}" + ("" if method == "reported" else f".{method}")
            notes = (
                ""
                if rng.random() < 0.6
                else rng.choice(
                    [
                        "Figure as reported; scope (regular forces only, or incl. volunteers) not stated.",
                        'Outlet headline says "nearly", the transcript says "about": we use about.',
                        "Same figure in three outlets, dated the same day, one of which (a wire) was amended.",
                    ]
                )
            )
            cw.writerow(
                [
                    claim_id,
                    sid,
                    subject,
                    population,
                    metric,
                    qualifier,
                    "" if value is None else value,
                    "" if low is None else low,
                    "" if high is None else high,
                    period_type,
                    pstart or "",
                    day(a),
                    method,
                    rng.choice(confidences),
                    derived or "",
                    q,
                    notes,
                ]
            )
            n_claims += 1

    (folder / "statements.csv").write_text(st_buf.getvalue(), encoding="utf-8")
    (folder / "claims.csv").write_text(cl_buf.getvalue(), encoding="utf-8")
    return STATEMENTS_PER_CONFLICT, n_claims, SERIES_DAYS


# --------------------------------------------------------------------------------------------
# The timed pipeline
# --------------------------------------------------------------------------------------------

STAGES = [
    ("read", "analysis.load.read_conflict"),
    ("validate", "analysis.validate.validate_conflict"),
    ("type+bounds", "analysis.dataset._typed_conflict (what load_conflict does after validating)"),
    ("harmonise", "select_claims x4, combine_killed_and_wounded x1, convert_metric x2"),
    ("align", "analysis.align.align x1 (opposing converted vs official combined), standalone"),
    (
        "compare",
        "ratio_over_time x2 (each aligns again), implied_daily_rates, wounded_to_killed, "
        "floor_coverage, latest_claims, ratio_summary x2",
    ),
]


class Timer:
    """Seconds per (stage, function), summed over conflicts."""

    def __init__(self) -> None:
        self.seconds: dict[tuple[str, str], float] = {}

    def __call__(self, stage: str, label: str, fn, *args, **kwargs):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        key = (stage, label)
        self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - t0
        return out

    def stage(self, stage: str) -> float:
        return sum(v for (s, _), v in self.seconds.items() if s == stage)


def run_pipeline(data_dir: Path, ids: list[str], retain: bool) -> tuple[Timer, float, dict[str, int]]:
    """One pass over every conflict, read → compare. Each conflict's typed claims and comparison
    outputs are released before the next conflict (as a build of one report per conflict would),
    or, with retain=True, all kept alive until the pass ends (worst case for memory)."""
    t = Timer()
    h, c = harmonise, compare
    counts = {
        "claims loaded": 0,
        "pairs (align)": 0,
        "ratio rows": 0,
        "rate rows": 0,
        "wounded:killed rows": 0,
        "coverage rows": 0,
    }
    kept = []
    wall0 = time.perf_counter()
    for cid in ids:
        raw = t("read", "read_conflict", read_conflict, data_dir / cid, data_dir)
        _, problems = t("validate", "validate_conflict", validate_conflict, raw)
        if problems:
            raise SystemExit(f"{cid}: {len(problems)} validation problem(s), first: {problems[0]}")
        conflict = t("type+bounds", "_typed_conflict", _typed_conflict, raw)
        claims = conflict.claims
        end = claims["as_of_date"].max()

        opposing = t(
            "harmonise",
            "select_claims",
            h.select_claims,
            claims,
            subject_side="north",
            population="military",
            metric="personnel_losses",
            claimants=["south_general_staff"],
        )
        official = t(
            "harmonise",
            "select_claims",
            h.select_claims,
            claims,
            subject_side="north",
            population="military",
            claimants=["north_mod"],
        )
        official_kw = t("harmonise", "combine_killed_and_wounded", h.combine_killed_and_wounded, official)
        opposing_kw = t("harmonise", "convert_metric", h.convert_metric, opposing, h.Conversion("killed_and_wounded"))
        official_killed = t(
            "harmonise",
            "select_claims",
            h.select_claims,
            claims,
            subject_side="north",
            population="military",
            metric="killed",
            roles=["official"],
        )
        opposing_kw_claims = t(
            "harmonise",
            "select_claims",
            h.select_claims,
            claims,
            subject_side="north",
            population="military",
            metric="killed_and_wounded",
            roles=["opposing"],
        )
        opposing_killed = t(
            "harmonise",
            "convert_metric",
            h.convert_metric,
            opposing_kw_claims,
            h.Conversion("killed", wounded_to_killed=(2.5, 13.0)),
        )

        pairs = t("align", "align", align, opposing_kw, official_kw)

        ratios_kw = t("compare", "ratio_over_time", c.ratio_over_time, opposing_kw, official_kw)
        ratios_killed = t("compare", "ratio_over_time", c.ratio_over_time, opposing_killed, official_killed)
        rates = t("compare", "implied_daily_rates", c.implied_daily_rates, claims)
        wk = t("compare", "wounded_to_killed", c.wounded_to_killed, claims)
        coverage = t("compare", "floor_coverage", c.floor_coverage, claims)
        latest = t("compare", "latest_claims", c.latest_claims, claims, end)
        summaries = (
            t("compare", "ratio_summary", c.ratio_summary, ratios_kw),
            t("compare", "ratio_summary", c.ratio_summary, ratios_killed),
        )

        counts["claims loaded"] += claims.height
        counts["pairs (align)"] += pairs.height
        counts["ratio rows"] += ratios_kw.height + ratios_killed.height
        counts["rate rows"] += rates.height
        counts["wounded:killed rows"] += wk.height
        counts["coverage rows"] += coverage.height
        if ratios_kw.is_empty() or ratios_killed.is_empty() or wk.is_empty() or coverage.is_empty():
            raise SystemExit(f"{cid}: a comparison came out empty; the synthetic data does not exercise it")
        if retain:
            kept.append((conflict, pairs, ratios_kw, ratios_killed, rates, wk, coverage, latest, summaries))
    wall = time.perf_counter() - wall0
    del kept
    return t, wall, counts


def rss_mib() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def own_cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def machine_busy_seconds() -> float | None:
    """Busy CPU-seconds of the whole machine since boot, from /proc/stat (None off Linux)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    busy = sum(fields) - fields[3] - fields[4]  # minus idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# --------------------------------------------------------------------------------------------
# One timed run: in this process (jobs=1) or in a pool of worker processes (jobs>1)
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: dict[tuple[str, str], float]  # (stage, function) -> seconds, summed over conflicts (and workers)
    wall: float  # measured in this (the parent) process; for a pool: from before the pool starts to its shutdown
    counts: dict[str, int]
    cpu_note: str
    startup: float | None = None  # pool only: pool creation until the last worker began its first conflict
    worker_rss: list[float] = field(default_factory=list)  # pool only: each worker's ru_maxrss, MiB
    worker_threads: int | None = None  # pool only: polars threads in each worker

    def stage(self, stage: str) -> float:
        return sum(v for (s, _), v in self.seconds.items() if s == stage)


def _cpu_note(wall: float, busy: float | None, mine: float, label: str) -> str:
    others = None if busy is None else max(0.0, busy - mine)
    return f"{label} {mine:.1f} CPU-s in {wall:.1f} s wall" + (
        ""
        if others is None
        else f"; other processes {others:.1f} CPU-s"
        f"{'  <- machine was busy: figures inflated' if others > 0.1 * wall else ''}"
    )


def run_in_process(data_dir: Path, ids: list[str], retain: bool) -> Run:
    busy0, mine0 = machine_busy_seconds(), own_cpu_seconds()
    timer, wall, counts = run_pipeline(data_dir, ids, retain)
    busy1, mine1 = machine_busy_seconds(), own_cpu_seconds()
    busy = None if busy0 is None or busy1 is None else busy1 - busy0
    return Run(timer.seconds, wall, counts, _cpu_note(wall, busy, mine1 - mine0, "this process"))


def _worker(data_dir: str, ids: list[str], retain: bool) -> dict:
    """In a worker process: read → compare for these conflicts. Returns only figures (timings,
    row counts, peak RSS, CPU-seconds), never frames."""
    began = time.monotonic()  # CLOCK_MONOTONIC: comparable with the parent's clock on Linux
    timer, wall, counts = run_pipeline(Path(data_dir), ids, retain)
    return {
        "seconds": timer.seconds,
        "wall": wall,
        "counts": counts,
        "began": began,
        "rss_mib": rss_mib(),
        "cpu": own_cpu_seconds(),
        "threads": pl.thread_pool_size(),
    }


def split_evenly(ids: list[str], jobs: int) -> list[list[str]]:
    """Contiguous chunks whose sizes differ by at most one (the conflicts are all the same size)."""
    size, extra = divmod(len(ids), jobs)
    chunks, start = [], 0
    for j in range(jobs):
        end = start + size + (1 if j < extra else 0)
        chunks.append(ids[start:end])
        start = end
    return [c for c in chunks if c]


def run_in_pool(data_dir: Path, ids: list[str], retain: bool, jobs: int, threads: int) -> Run:
    """One run over all conflicts in `jobs` fresh worker processes (spawned: polars is
    multithreaded and must not be forked). The wall time is the parent's, from before the pool
    is created until it has shut down: it includes starting the interpreters and importing
    polars and the engine in each worker, which makes every worker cold."""
    chunks = split_evenly(ids, jobs)
    saved = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = str(threads)  # read by each worker's polars at import
    busy0, mine0 = machine_busy_seconds(), own_cpu_seconds()
    try:
        t0 = time.monotonic()
        with ProcessPoolExecutor(max_workers=len(chunks), mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(_worker, str(data_dir), chunk, retain) for chunk in chunks]
            results = [f.result() for f in futures]
        wall = time.monotonic() - t0
    finally:
        if saved is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        else:
            os.environ["POLARS_MAX_THREADS"] = saved
    busy1, mine1 = machine_busy_seconds(), own_cpu_seconds()
    seconds: dict[tuple[str, str], float] = {}
    counts: dict[str, int] = {}
    for r in results:
        for key, v in r["seconds"].items():
            seconds[key] = seconds.get(key, 0.0) + v
        for key, v in r["counts"].items():
            counts[key] = counts.get(key, 0) + v
    # Workers' CPU-seconds cover their whole life (interpreter start, imports, pipeline).
    mine = (mine1 - mine0) + sum(r["cpu"] for r in results)
    busy = None if busy0 is None or busy1 is None else busy1 - busy0
    note = (
        _cpu_note(wall, busy, mine, f"parent + {len(results)} workers")
        + "; workers' own pipeline wall "
        + ", ".join(f"{r['wall']:.1f}" for r in results)
        + " s"
    )
    return Run(
        seconds,
        wall,
        counts,
        note,
        startup=max(r["began"] for r in results) - t0,
        worker_rss=[r["rss_mib"] for r in results],
        worker_threads=results[0]["threads"],
    )


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_runs(runs: list[Run], jobs: int) -> None:
    """One line per stage (and per function inside it), summed over the 50 conflicts."""
    names = [f"run {i + 1}" for i in range(len(runs))]
    head = f"\n{'stage / function (sum over 50)':<34}" + "".join(f"{n:>9}" for n in names) + f"{'median':>9}"
    rule = "-" * (len(head) - 1)

    def row(label: str, vals: list[float]) -> str:
        return f"{label:<34}" + "".join(f"{v:>8.2f}s" for v in vals) + f"{median(vals):>8.2f}s"

    print(head)
    print(rule)
    for stage, _ in STAGES:
        print(row(stage, [r.stage(stage) for r in runs]))
        labels = [lab for (s, lab) in runs[0].seconds if s == stage]
        if len(labels) > 1:
            for lab in labels:
                print(row(f"  {lab}", [r.seconds[(stage, lab)] for r in runs]))
    print(rule)
    if jobs > 1:
        print(row("pool start-up (until last worker)", [r.startup for r in runs]))
    print(row("pipeline wall (read → compare)", [r.wall for r in runs]))
    if jobs > 1:
        print(
            f"(jobs={jobs}: stage lines add up the time inside every worker; the workers run at the same "
            f"time, so the stages sum to more than the wall time)"
        )
    print("\nCPU use during each run (from getrusage and /proc/stat; 2 cores = 2 CPU-s per wall second):")
    for i, r in enumerate(runs):
        print(f"  run {i + 1}: {r.cpu_note}")


@dataclass
class Memory:
    parent: float  # MiB, the parent's ru_maxrss when these runs ended
    workers: list[float]  # MiB, each worker slot's peak over the runs

    @property
    def peak(self) -> float:
        return max([self.parent, *self.workers])

    @property
    def total(self) -> float:
        return self.parent + sum(self.workers)


def memory_of(runs: list[Run], parent: float) -> Memory:
    slots = max(len(r.worker_rss) for r in runs)
    return Memory(parent, [max(r.worker_rss[i] for r in runs if i < len(r.worker_rss)) for i in range(slots)])


def print_targets(runs: list[Run], jobs: int, mem: Memory) -> None:
    walls = [r.wall for r in runs]
    cold, median_wall = walls[0], median(walls)
    label = f"jobs={jobs}"
    print(f"\ntargets, {label} (2-core machine):")
    if jobs == 1:
        print(
            f"  wall time   ≤ {TARGET_SECONDS:.0f} s : run 1 (cold) {cold:.2f} s {verdict(cold <= TARGET_SECONDS)}; "
            f"median of {len(walls)} {median_wall:.2f} s {verdict(median_wall <= TARGET_SECONDS)}"
        )
        print(
            f"  peak memory ≤ 2 GB: ru_maxrss {mem.peak:,.0f} MiB {verdict(mem.peak <= TARGET_MIB)} "
            f"(whole process: imports, generation, every run so far; includes polars' native memory, "
            f"which tracemalloc would miss; memory mode above)"
        )
        return
    print(
        f"  wall time   ≤ {TARGET_SECONDS:.0f} s : run 1 {cold:.2f} s {verdict(cold <= TARGET_SECONDS)}; "
        f"median of {len(walls)} {median_wall:.2f} s {verdict(median_wall <= TARGET_SECONDS)} "
        f"(every run starts {jobs} fresh workers: pool start-up included, each worker cold)"
    )
    workers = ", ".join(f"{w:,.0f}" for w in mem.workers)
    print(
        f"  peak memory ≤ 2 GB: max over processes {mem.peak:,.0f} MiB {verdict(mem.peak <= TARGET_MIB)}; "
        f"sum {mem.total:,.0f} MiB {verdict(mem.total <= TARGET_MIB)} "
        f"(ru_maxrss of the parent {mem.parent:,.0f} MiB + workers {workers} MiB; "
        f"the sum bounds what the processes held at once)"
    )


def print_side_by_side(results: dict[int, tuple[list[Run], Memory]]) -> None:
    jobs_list = sorted(results)
    cols = [f"jobs={j}" for j in jobs_list]
    head = f"\n{'side by side, medians':<34}" + "".join(f"{c:>12}" for c in cols)
    rule = "-" * (len(head) - 1)
    print(head)
    print(rule)

    def row(label: str, vals: list[str]) -> None:
        print(f"{label:<34}" + "".join(f"{v:>12}" for v in vals))

    for stage, _ in STAGES:
        row(f"{stage} (sum over 50)", [f"{median([r.stage(stage) for r in results[j][0]]):.2f}s" for j in jobs_list])
    print(rule)
    row("pool start-up", ["-" if j == 1 else f"{median([r.startup for r in results[j][0]]):.2f}s" for j in jobs_list])
    row("run 1 wall", [f"{results[j][0][0].wall:.2f}s" for j in jobs_list])
    row("median wall", [f"{median([r.wall for r in results[j][0]]):.2f}s" for j in jobs_list])
    row(
        f"  ≤ {TARGET_SECONDS:.0f} s",
        [verdict(median([r.wall for r in results[j][0]]) <= TARGET_SECONDS) for j in jobs_list],
    )
    row("peak RSS, max over processes", [f"{results[j][1].peak:,.0f} MiB" for j in jobs_list])
    row("  ≤ 2 GB", [verdict(results[j][1].peak <= TARGET_MIB) for j in jobs_list])
    row("peak RSS, sum over processes", [f"{results[j][1].total:,.0f} MiB" for j in jobs_list])
    row("  ≤ 2 GB", [verdict(results[j][1].total <= TARGET_MIB) for j in jobs_list])
    print(
        "(jobs=1 runs in this process, run 1 cold and later runs warm; jobs>1 starts fresh workers for every "
        "run; the jobs>1 parent figure is its ru_maxrss before any in-process run)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed pipeline runs per setting (default 3)")
    parser.add_argument(
        "--retain",
        action="store_true",
        help="keep every conflict's typed claims and outputs alive until the end of a run "
        "(worst case for memory); default: released after each conflict",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="worker processes for the per-conflict pipeline (default 1: in this process)",
    )
    parser.add_argument(
        "--compare-jobs",
        action="store_true",
        help="run with jobs=1 and jobs=2 and print them side by side (overrides --jobs)",
    )
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=None,
        help="polars threads in each worker when jobs>1 (default: CPUs // jobs, at least 1)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the timed runs, profile one more in-process run with cProfile and print the top functions",
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    if args.jobs < 1:
        parser.error("--jobs must be >= 1")
    if args.worker_threads is not None and args.worker_threads < 1:
        parser.error("--worker-threads must be >= 1")
    settings = [1, 2] if args.compare_jobs else [args.jobs]

    print(
        f"python {sys.version.split()[0]}, polars {pl.__version__}, {os.cpu_count()} CPU(s), "
        f"polars threads {pl.thread_pool_size()}"
    )
    print(f"peak RSS after imports: {rss_mib():,.0f} MiB")

    with tempfile.TemporaryDirectory(prefix="bench_engine_") as tmp:
        data_dir = Path(tmp)
        g0 = time.perf_counter()
        totals = [0, 0, 0]
        ids = []
        for k in range(N_CONFLICTS):
            cid = f"conflict-{k:02d}"
            for j, n in enumerate(generate_conflict(data_dir / cid, k)):
                totals[j] += n
            ids.append(cid)
        gen_s = time.perf_counter() - g0
        size = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
        n_statements, n_curated, n_series = totals
        print(
            f"\ngenerated {N_CONFLICTS} conflicts in {gen_s:.1f} s (not timed below), {size / 2**20:,.0f} MiB "
            f"of CSV/YAML in {data_dir}"
        )
        print(
            f"  statements: {n_statements:,}   curated claims (claims.csv rows): {n_curated:,}   "
            f"series records: {n_series:,}"
        )
        print(f"  TOTAL CLAIMS: {n_curated + n_series:,}")
        assert n_curated + n_series == 1_000_000, n_curated + n_series
        print(f"peak RSS after generation: {rss_mib():,.0f} MiB")

        mode = (
            "--retain: all 50 conflicts' claims and outputs kept alive until the run ends"
            if args.retain
            else "each conflict's claims and outputs released before the next conflict (--retain to keep all)"
        )
        print(f"\nmemory mode: {mode}")

        results: dict[int, tuple[list[Run], Memory]] = {}
        expected_counts: dict[str, int] | None = None
        # Pools first: the parent's ru_maxrss is a high-water mark, so it is read for the pool runs
        # before any in-process run has raised it.
        for jobs in sorted(settings, reverse=True):
            threads = args.worker_threads or max(1, (os.cpu_count() or 1) // jobs)
            runs = []
            for _ in range(args.repeat):
                run = (
                    run_in_pool(data_dir, ids, args.retain, jobs, threads)
                    if jobs > 1
                    else run_in_process(data_dir, ids, args.retain)
                )
                if expected_counts is None:
                    expected_counts = run.counts
                elif run.counts != expected_counts:
                    raise SystemExit(f"jobs={jobs}: row counts differ between runs: {run.counts} vs {expected_counts}")
                runs.append(run)
            results[jobs] = (runs, memory_of(runs, rss_mib()) if jobs > 1 else Memory(rss_mib(), []))

        for jobs in sorted(results):
            runs, mem = results[jobs]
            print(
                f"\n==== jobs={jobs}: "
                + (
                    "in this process"
                    if jobs == 1
                    else f"{jobs} spawned worker processes ({len(split_evenly(ids, jobs)[0])}+ conflicts each), "
                    f"polars threads per worker {runs[0].worker_threads}"
                )
                + " ===="
            )
            print(
                (
                    "run 1 is cold for the engine (first polars/pandera call paths)"
                    if jobs == 1
                    else "every run is cold: fresh workers import polars, pandera and the engine and take the first "
                    "call paths"
                )
                + f", warm for the OS page cache (files just written). Validation: 0 problems "
                f"in all {len(ids)} conflicts."
            )
            print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in runs[0].counts.items()))
            print_runs(runs, jobs)
            print_targets(runs, jobs, mem)

        print("\nwhat each line contains:")
        for stage, what in STAGES:
            print(f"  {stage:<12} {what}")
        print(
            "  pipeline wall: perf_counter around the whole loop over the 50 conflicts (all stages above, "
            "plus loop overhead); generation excluded. jobs>1: the parent's clock from before creating the "
            "pool to its shutdown, start-up of the workers (interpreter, imports) included"
        )
        print("  pool start-up: from creating the pool until the last worker began its first conflict")

        if len(results) > 1:
            print_side_by_side(results)

        # Cross-check: the public one-call loader (read + validate + type) timed as a whole.
        c0 = time.perf_counter()
        for cid in ids:
            load_conflict(cid, data_dir)
        load_s = time.perf_counter() - c0
        print(
            f"\ncross-check, not part of the pipeline: analysis.dataset.load_conflict (read+validate+type, "
            f"plus its list_conflicts glob) over 50 conflicts, in this process: {load_s:.2f} s"
        )

        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run_pipeline(data_dir, ids, args.retain)
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stdout)
            print(
                "\ncProfile of one more in-process pipeline run (inflated by profiling overhead), "
                "top by cumulative time:"
            )
            stats.sort_stats("cumulative").print_stats(r"analysis|pandera|polars|csv", 35)
            print("top by own time:")
            stats.sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
