"""Pair two claimants' cumulative claims by as-of date, never filling gaps silently.

Each pair carries its staleness (days between the two as-of dates); a claim with no partner
within the tolerance stays unpaired rather than being matched to an old figure.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis import arguments
from analysis.arguments import refusing
from analysis.dataset import DEFAULT_PAIR_WITHIN_DAYS
from analysis.harmonise import require_like_for_like

DEFAULT_TOLERANCE_DAYS = DEFAULT_PAIR_WITHIN_DAYS  # one default; a conflict sets its own in conflict.yml
DEFAULT_STALE_AFTER_DAYS = 30

PAIRED_COLUMNS = ("claimant_id", "as_of_date", "claim_id", "metric")  # what pairing reads of each frame
TRUCE_COLUMNS = ("start_date", "end_date", "name")  # what phase and truce_name read of a Conflict.truces frame
PAIR_FIELDS = [
    "claimant_id",
    "claimant_short_name",
    "role",
    "independence_group",
    "claim_id",
    "statement_id",
    "as_of_date",
    "statement_date",
    "metric",
    "original_metric",
    "qualifier",
    "value",
    "value_low",
    "value_high",
    "is_low_exclusive",
    "value_central",
    "assumption",
    "derived_from",
    "derived_from_group",
    "method",
    "confidence",
    "speaker",
    "outlet",
    "url",
    "quote",
    "source_term",
    "stated_low",
    "stated_high",
    "unconverted_low",
    "unconverted_high",
]


def _fields(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    """The pair fields of one side, prefixed; absent ones as nulls, at the end. Built from the
    frame's own columns (renaming 25 Series is cheaper than planning a select)."""
    present = [frame.get_column(c).alias(prefix + c) for c in PAIR_FIELDS if c in frame.columns]
    missing = [
        pl.repeat(None, frame.height, eager=True).alias(prefix + c) for c in PAIR_FIELDS if c not in frame.columns
    ]
    return pl.DataFrame([*present, *missing])


def phase(date: pl.Expr, truces: pl.DataFrame | None) -> pl.Expr:
    """Which stretch of fighting or truce a date falls in: 0 before the first truce, 1 inside it,
    2 after it, and so on (truces are sorted and never overlap, conflict.yml). A count's pace
    changes at each boundary, so two figures in different phases are not 'close in time'."""
    if truces is None or truces.is_empty():
        return pl.lit(0, pl.Int32)
    boundaries = [
        *truces["start_date"].to_list(),
        *(end + dt.timedelta(days=1) for end in truces["end_date"].to_list() if end is not None),
    ]
    return pl.sum_horizontal(*((date >= pl.lit(b)).cast(pl.Int32) for b in sorted(boundaries))).cast(pl.Int32)


def truce_name(phase_expr: pl.Expr, truces: pl.DataFrame | None) -> pl.Expr:
    """The truce a phase number stands for (odd phases are truces), null for fighting."""
    if truces is None or truces.is_empty():
        return pl.lit(None, pl.String)
    names = {2 * i + 1: name for i, name in enumerate(truces["name"].to_list())}
    return phase_expr.replace_strict(names, default=None, return_dtype=pl.String)


@refusing
def align(
    left: pl.DataFrame,
    right: pl.DataFrame,
    *,
    tolerance_days: int | None = DEFAULT_TOLERANCE_DAYS,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
    prefixes: tuple[str, str] = ("num_", "den_"),
    end_date: dt.date | None = None,
    truces: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Pair every left claim with the right claim of each right claimant nearest in as_of_date.

    The one pairing rule of every comparison (DESIGN.md §7): nearest in time, and only within
    `tolerance_days` (None: however far apart, to name the nearest figure where no pair exists).
    With the conflict's `end_date` (a ceasefire), a left claim as of that date or later is paired
    with the nearest right claim that is also as of it or later, whatever the gap: two final
    tolls are comparable. Both frames must hold one metric, the same one (LikeForLikeError
    otherwise). Output: one row per pair, prefixed columns for each side, `later_by_days` (right as-of
    date minus left as-of date: positive when the right figure is the later one), its absolute
    value `staleness_days`, `is_stale` (staleness above `stale_after_days`), `is_final_tolls`
    (both figures dated after the end of the fighting) and `is_dependent` (shared independence
    group, or one side derived from the other's group): such a pair is no independent corroboration.
    With `truces` (Conflict.truces) and a tolerance, two figures pair only within one phase (phase):
    never one from before a truce's start or end with one from after it. `is_across_truce` says
    whether a pair (possible only without a tolerance, to name the nearest figure) crosses one.
    """
    arguments.frame("left", left, PAIRED_COLUMNS)
    arguments.frame("right", right, PAIRED_COLUMNS)
    tolerance_days = arguments.days("tolerance_days", tolerance_days, allow_none=True)
    stale_after_days = arguments.days("stale_after_days", stale_after_days)
    prefixes = arguments.pair_of_names("prefixes", prefixes)
    end_date = arguments.date("end_date", end_date)
    arguments.optional_frame("truces", truces, TRUCE_COLUMNS)
    require_like_for_like(left, right)
    lp, rp = prefixes
    l_all, r_all = _fields(left, lp), _fields(right, rp)
    # Pair on narrow frames (row number, claimant, date, id) and gather the wide text fields
    # (quotes, URLs, speakers) once at the end: sorting and joining them at every step cost more
    # than the pairing itself. Same sorts on the same keys, so the same pairs in the same order.
    by_phase = tolerance_days is not None and truces is not None and not truces.is_empty()
    l_keys = _keys(l_all, lp, "_left_row", truces if by_phase else None)
    r_keys = _keys(r_all, rp, "_right_row", truces if by_phase else None)
    tolerance = None if tolerance_days is None else dt.timedelta(days=tolerance_days)
    after_end = (pl.col(f"{lp}as_of_date") >= end_date) if end_date else None
    # One lazy query for all claimant pairs (a few rows each): one collect, not five per pair.
    r_frames = [
        r_frame.lazy()
        .sort(f"{rp}as_of_date", f"{rp}claim_id")
        .with_columns(pl.col(f"{rp}as_of_date").alias("_right_date"))
        for r_frame in _by_claimant(r_keys, f"{rp}claimant_id")
    ]  # sorted once, used by every left claimant
    pieces = []
    for l_frame in _by_claimant(l_keys, f"{lp}claimant_id"):
        l_sorted = l_frame.lazy().sort(f"{lp}as_of_date", f"{lp}claim_id")
        for r_frame in r_frames:
            if end_date is None:
                pieces.append(_nearest(l_sorted, r_frame, lp, rp, tolerance, by_phase))
                continue
            late_right = r_frame.filter(pl.col(f"{rp}as_of_date") >= end_date)
            finals = _nearest(l_sorted.filter(after_end), late_right, lp, rp, None, by_phase)
            others = _nearest(l_sorted, r_frame, lp, rp, tolerance, by_phase).join(
                finals.select("_left_row"), on="_left_row", how="anti"
            )
            pieces += [finals, others]
    if not pieces:
        return _empty_pairs(l_all, r_all)
    order = (
        pl.concat(pieces, how="vertical_relaxed")
        .sort(f"{lp}as_of_date", f"{lp}claimant_id", f"{rp}claimant_id", maintain_order=True)
        .collect()
    )
    pairs = l_all[order["_left_row"]].hstack(r_all[order["_right_row"]].get_columns())
    gap = (pl.col(f"{rp}as_of_date") - pl.col(f"{lp}as_of_date")).dt.total_days()
    final = (
        ((pl.col(f"{lp}as_of_date") >= end_date) & (pl.col(f"{rp}as_of_date") >= end_date))
        if end_date
        else pl.lit(False)
    )
    same_group = pl.col(f"{lp}independence_group") == pl.col(f"{rp}independence_group")
    derived = (pl.col(f"{lp}derived_from_group") == pl.col(f"{rp}independence_group")).fill_null(False) | (
        pl.col(f"{rp}derived_from_group") == pl.col(f"{lp}independence_group")
    ).fill_null(False)
    return pairs.with_columns(
        later_by_days=gap,
        staleness_days=gap.abs(),
        is_stale=gap.abs() > stale_after_days,
        is_final_tolls=final,
        is_dependent=same_group.fill_null(False) | derived,
        is_across_truce=phase(pl.col(f"{lp}as_of_date"), truces) != phase(pl.col(f"{rp}as_of_date"), truces),
    )


def _nearest(
    l_sorted: pl.LazyFrame,
    r_sorted: pl.LazyFrame,
    lp: str,
    rp: str,
    tolerance: dt.timedelta | None,
    by_phase: bool = False,
) -> pl.LazyFrame:
    """Each left row with the nearest right row in as-of date (within `tolerance`, if given, and
    in the same phase when `by_phase`); both frames sorted by date and claim id, the right one
    with its date as `_right_date`."""
    return (
        l_sorted.join_asof(
            r_sorted,
            left_on=f"{lp}as_of_date",
            right_on="_right_date",
            strategy="nearest",
            tolerance=tolerance,
            by="_phase" if by_phase else None,
            check_sortedness=not by_phase,
        )  # sorted by date overall, so within each phase too
        .filter(pl.col(f"{rp}claim_id").is_not_null())
        .drop("_right_date", *(["_phase_right"] if by_phase else []), strict=False)
    )


def _keys(fields: pl.DataFrame, prefix: str, row: str, truces: pl.DataFrame | None = None) -> pl.DataFrame:
    """What pairing needs of one side: row number, claimant, as-of date and claim id (and the
    date's phase, when pairing respects truces)."""
    keys = pl.DataFrame(
        [
            pl.int_range(fields.height, dtype=pl.UInt32, eager=True).alias(row),
            *(fields.get_column(f"{prefix}{c}") for c in ("claimant_id", "as_of_date", "claim_id")),
        ]
    )
    if truces is None:
        return keys
    return keys.with_columns(phase(pl.col(f"{prefix}as_of_date"), truces).alias("_phase"))


def _by_claimant(keys: pl.DataFrame, column: str) -> list[pl.DataFrame]:
    """Each claimant's rows, in order of first appearance; one claimant's frame is not copied."""
    return [keys] if keys[column].n_unique() == 1 else keys.partition_by(column)


def _empty_pairs(l_all: pl.DataFrame, r_all: pl.DataFrame) -> pl.DataFrame:
    return (
        l_all.clear()
        .hstack(r_all.clear().get_columns())
        .with_columns(
            later_by_days=pl.lit(None, pl.Int64),
            staleness_days=pl.lit(None, pl.Int64),
            is_stale=pl.lit(None, pl.Boolean),
            is_final_tolls=pl.lit(None, pl.Boolean),
            is_dependent=pl.lit(None, pl.Boolean),
            is_across_truce=pl.lit(None, pl.Boolean),
        )
    )


@refusing
def flag_stale(
    claims: pl.DataFrame, reference_date: dt.date, *, stale_after_days: int = DEFAULT_STALE_AFTER_DAYS
) -> pl.DataFrame:
    """Add `age_days` (reference date minus as_of_date) and `is_stale` to every claim."""
    arguments.frame("claims", claims, ("as_of_date",))
    reference_date = arguments.date("reference_date", reference_date, allow_none=False)
    stale_after_days = arguments.days("stale_after_days", stale_after_days)
    age = (pl.lit(reference_date).cast(pl.Date) - pl.col("as_of_date")).dt.total_days()
    return claims.with_columns(age_days=age, is_stale=age > stale_after_days)
