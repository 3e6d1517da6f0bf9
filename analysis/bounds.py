"""Qualifiers as bounds (DESIGN.md §2, §7): every claim becomes an interval, open ends stay open.

- exact X      -> [X, X]
- about X      -> [X - h, X + h], h = half a unit of X's last non-zero digit (the numbers that
                  round to X at the precision X was given), but never more than
                  `about_max_share` of X (default 10%): 16,100 -> 16,050..16,150 (the rounding
                  unit decides); 10,000 -> 9,000..11,000 and 1,000,000 -> 900,000..1,100,000 (the
                  cap decides, where the rounding unit alone would give ±50%).
- at_least X   -> [X, open)
- more_than X  -> (X, open)   (is_low_exclusive)
- up_to X      -> (open, X]
- range X..Y   -> [X, Y], central value if the source gave one
- at_least X..Y  -> [X, open)   a stated range with an open top ("at least 7,000-8,000"): the floor
- more_than X..Y -> (X, open)   is the range's low end, the top stays open (the speaker's range
- up_to X..Y     -> (open, Y]   is where their floor lies, not where the count ends); likewise a
                                ceiling "up to 7,000-8,000" is its high end, the bottom open

Why the cap, and why 10%: a speaker who says "about 10,000" is rounding, not saying "anywhere
from 5,000 to 15,000"; half the last digit's unit is right for "about 16,100" and absurd for a
one-significant-digit figure. 10% is the widest reading a round figure bears that still keeps
the figures it is usually rounded from (Kyiv's "about 10,000" of March 2022 came between 9,166
and 11,000), and a claimant's own neighbouring figures tighten it further (tighten_by_series).

The stated range ends are kept as `stated_low` / `stated_high` (what the source said), apart
from `value_low` / `value_high` (the interval the analysis uses, tightened and perhaps converted).
"""

from __future__ import annotations

import polars as pl

from analysis import arguments

DEFAULT_ABOUT_MAX_SHARE = 0.10


def about_rule(max_share: float = DEFAULT_ABOUT_MAX_SHARE) -> str:
    """The rule in words, for every report's assumptions."""
    percent = f"{max_share * 100:g}%"
    return (
        f"'about X' is read as X rounded at its last non-zero digit, X ± half a unit of that digit "
        f"(16,100 → 16,050–16,150), but never wider than ± {percent} of X (about 10,000 → 9,000–11,000; "
        f"about 1,000,000 → 900,000–1,100,000)"
    )


ABOUT_RULE = about_rule()


def check_about_max_share(value) -> float:
    """The cap as a float in (0, 1]; ValueError naming the rule otherwise."""
    return arguments.share("about_max_share", value)


def about_half_width(value: pl.Expr, max_share: float | None = None) -> pl.Expr:
    """Half a unit of the last non-zero digit of a non-negative integer expression, capped at
    `max_share` of the value when given.

    The trailing zeros are counted arithmetically (divisible by 10, by 100, ...; an Int64 has at
    most 18): the same count as in the written number, without writing a million numbers out."""
    whole = value.cast(pl.Int64)
    trailing_zeros = sum((whole % 10**k == 0).cast(pl.UInt32) for k in range(1, 19))
    half_unit = pl.lit(10.0).pow(trailing_zeros) / 2
    if max_share is not None:
        half_unit = pl.min_horizontal(half_unit, value.cast(pl.Float64) * max_share)
    return pl.when(value == 0).then(0.0).otherwise(half_unit)


_HALF_WIDTH = "_about_half_width"


def apply_bounds(
    claims: pl.LazyFrame | pl.DataFrame, *, about_max_share: float = DEFAULT_ABOUT_MAX_SHARE
) -> pl.LazyFrame:
    """Each claim's interval from its qualifier.

    Input: `qualifier`, `value` and, for ranges, `value_low`/`value_high` (integers).
    Output: `stated_low`/`stated_high` (Int64: the range ends as stated, open-ended ranges included;
    null otherwise), Float64
    `value_low`, `value_high` (null = open), `is_low_exclusive`, and `value_central` (the stated
    value, or a range's midpoint) for plotting and sorting.
    """
    q = pl.col("qualifier")
    v = pl.col("value").cast(pl.Float64)
    h = pl.col(_HALF_WIDTH)  # computed once below, for both ends
    stated_low, stated_high = pl.col("value_low").cast(pl.Float64), pl.col("value_high").cast(pl.Float64)
    low = (
        pl.when(q.is_in(["exact", "at_least", "more_than"]))
        .then(pl.coalesce(stated_low, v))
        .when(q == "about")
        .then(v - h)
        .when(q == "range")
        .then(stated_low)
        .otherwise(None)
    )
    high = (
        pl.when(q == "exact")
        .then(v)
        .when(q == "about")
        .then(v + h)
        .when(q == "up_to")
        .then(pl.coalesce(stated_high, v))
        .when(q == "range")
        .then(stated_high)
        .otherwise(None)
    )
    # An open-ended range is drawn and sorted at the end it states (its floor, or its ceiling), as
    # every open-ended figure is; a closed range at its midpoint unless the source gave a value.
    central = pl.coalesce(
        v,
        pl.when(q == "up_to")
        .then(stated_high)
        .when(q.is_in(["at_least", "more_than"]))
        .then(stated_low)
        .otherwise((stated_low + stated_high) / 2),
    )
    has_stated_ends = pl.col("value_low").is_not_null() & pl.col("value_high").is_not_null()
    return (
        claims.lazy()
        .with_columns(
            about_half_width(pl.col("value"), about_max_share).alias(_HALF_WIDTH),
            stated_low=pl.when(has_stated_ends).then(pl.col("value_low").cast(pl.Int64)),
            stated_high=pl.when(has_stated_ends).then(pl.col("value_high").cast(pl.Int64)),
        )
        .with_columns(
            value=pl.col("value").cast(pl.Int64),
            value_low=low,
            value_high=high,
            is_low_exclusive=q == "more_than",
            value_central=central,
        )
        .drop(_HALF_WIDTH)
    )


SERIES_KEY = ["claimant_id", "subject_side", "population", "metric", "method"]
_SERIES = "_series_hash"
TIGHTENING_RULE = (
    "A claimant's cumulative count in one metric cannot fall, so each of its figures lies between "
    "its earlier figures' floors and its later figures' ceilings: a hedged figure's interval is "
    "narrowed to that (never widened, open ends stay open; figures that contradict each other are left as stated)"
)


def tighten_by_series(claims: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """Narrow each cumulative claim's interval by its own series' neighbours (DESIGN.md §7).

    A series is one claimant's cumulative claims in one subject side, population, metric and
    method. The quantity counted cannot fall, so a claim as of day t is at least the highest
    floor stated for an earlier day, and at most the lowest ceiling stated for a later day.
    Claims of the same day do not bound each other (they are rival readings of one figure).
    Open ends stay open. Where the narrowed interval would be empty, the series contradicts
    itself (a revision downwards): the claim keeps its own interval. Adds `is_tightened`.
    Fastest on claims in as-of order (what load_conflict has); any order gives the same result.
    """
    frame = claims.collect() if isinstance(claims, pl.LazyFrame) else claims
    inf = float("inf")
    floor = pl.col("_floor").fill_null(-inf)
    cap = pl.col("_cap").fill_null(inf)
    # Only stated ends move: an open end ('more than', 'up to') is the claimant's own word that it
    # gave no ceiling or floor, and stays open (in text, tables and charts alike).
    new_low = pl.when(floor > pl.col("value_low")).then(floor).otherwise(pl.col("value_low"))
    new_high = pl.when(cap < pl.col("value_high")).then(cap).otherwise(pl.col("value_high"))
    use = (new_low.fill_null(-inf) <= new_high.fill_null(inf)) & (pl.col("period_type") == "cumulative").fill_null(
        False
    )
    low = pl.when(use).then(new_low).otherwise(pl.col("value_low"))
    high = pl.when(use).then(new_high).otherwise(pl.col("value_high"))
    # Worked on the five columns involved, then put back: the wide frame is never copied.
    narrow = frame.select("value_low", "value_high", "value_central", "is_low_exclusive", "period_type")
    tightened = (
        narrow.hstack(_neighbour_bounds(frame).get_columns())
        .with_columns(_low=low, _high=high)
        .select(
            value_low=pl.col("_low"),
            value_high=pl.col("_high"),
            value_central=pl.min_horizontal(pl.max_horizontal("value_central", "_low"), "_high"),  # nulls: open
            is_low_exclusive=pl.col("is_low_exclusive") & pl.col("_low").eq_missing(pl.col("value_low")),
            is_tightened=(
                pl.col("_low").ne_missing(pl.col("value_low")) | pl.col("_high").ne_missing(pl.col("value_high"))
            ),
        )
    )
    return frame.with_columns(tightened.get_columns())


def _neighbour_bounds(frame: pl.DataFrame) -> pl.DataFrame:
    """`_floor` (highest floor of the series' earlier days) and `_cap` (lowest ceiling of its later
    days) of every row, in the frame's row order; null outside cumulative series.

    On rows in as-of order each series' rows are in date order, so running maxima and minima per
    series give the bounds without sorting the claims: a day's first row takes the running maximum
    up to the row before it (all earlier days), its other rows copy it forward; a day's last row
    takes the reverse running minimum from the row after it. Series are told apart by a 64-bit
    hash of their key columns (a collision among a conflict's few thousand series is ~1e-12
    likely), so windows work on one integer, not five text columns."""
    inf = float("inf")
    date = pl.col("as_of_date")
    first_of_day = date.ne_missing(date.shift(1)).over(_SERIES)
    last_of_day = date.ne_missing(date.shift(-1)).over(_SERIES)
    floor = pl.when(first_of_day).then(pl.col("_lo").cum_max().shift(1).fill_null(-inf)).forward_fill().over(_SERIES)
    cap = (
        pl.when(last_of_day)
        .then(pl.col("_hi").cum_min(reverse=True).shift(-1).fill_null(inf))
        .backward_fill()
        .over(_SERIES)
    )
    narrow = frame.select(
        pl.when(pl.col("period_type") == "cumulative").then(pl.struct(SERIES_KEY).hash()).alias(_SERIES),
        "as_of_date",
        pl.col("value_low").fill_null(-inf).alias("_lo"),
        pl.col("value_high").fill_null(inf).alias("_hi"),
    )
    in_order = narrow["as_of_date"].is_sorted()
    order = None if in_order else narrow.select(pl.arg_sort_by("as_of_date", maintain_order=True)).to_series()
    ordered = narrow if order is None else narrow[order]
    bounds = ordered.select(
        _floor=pl.when(pl.col(_SERIES).is_not_null()).then(floor), _cap=pl.when(pl.col(_SERIES).is_not_null()).then(cap)
    )
    return bounds if order is None else bounds[order.arg_sort()]
