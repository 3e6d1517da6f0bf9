"""Claimant styles, in polars alone: a claimant's colour is its side's (conflict.yml), third-party
and independent claimants get an Okabe-Ito colour no side uses, and claimants sharing a colour
differ by shape and dash, in conflict.yml order, so a claimant looks the same in every chart.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from analysis.charts.theme import CLAIMANT_DASHES, CLAIMANT_SHAPES, GROUP_LABEL, NON_BELLIGERENT_COLOURS
from analysis.dataset import Conflict
from analysis.vocabulary import NON_BELLIGERENT_SIDES


def claimant_styles(conflict: Conflict) -> pl.DataFrame:
    """Every claimant of the conflict: `claimant` (label), `side`, `side_label`, `colour`, `shape`, `dash`.

    Colour is the side's colour from conflict.yml; third-party and independent claimants get an
    Okabe-Ito colour no side uses. Within one colour, claimants take shapes and dashes in
    conflict.yml order, so a claimant looks the same in every chart of the conflict.
    """
    side_colour = dict(zip(conflict.sides["side_id"], conflict.sides["colour"], strict=True))
    side_label = dict(zip(conflict.sides["side_id"], conflict.sides["label"], strict=True))
    group_colour = _non_belligerent_colours(list(side_colour.values()))
    order = list(side_colour) + list(NON_BELLIGERENT_SIDES)
    rows = []
    for row in conflict.claimants.iter_rows(named=True):
        side = row["side"]
        if side in side_colour:
            colour, label = side_colour[side], side_label[side]
        elif side in group_colour:
            colour, label = group_colour[side], GROUP_LABEL.get(side, side)
        else:
            raise ValueError(f"Unknown side {side!r} of claimant {row['claimant_id']!r}; valid: {', '.join(order)}")
        rows.append(
            {
                "claimant_id": row["claimant_id"],
                "claimant": row["short_name"] or row["name"],
                "side": side,
                "side_label": label,
                "colour": colour,
                "_rank": order.index(side),
            }
        )
    styles = pl.DataFrame(
        rows,
        schema={
            "claimant_id": pl.String,
            "claimant": pl.String,
            "side": pl.String,
            "side_label": pl.String,
            "colour": pl.String,
            "_rank": pl.Int64,
        },
    )
    clash = pl.col("claimant").is_duplicated()  # one label per claimant, or the legend merges them
    styles = (
        styles.with_columns(
            claimant=pl.when(clash)
            .then(pl.col("claimant") + " (" + pl.col("claimant_id") + ")")
            .otherwise(pl.col("claimant"))
        )
        .with_row_index("_order")
        .sort("_rank", "_order")
    )
    return with_shape_and_dash(styles, "colour").drop("_rank", "_order")


def with_shape_and_dash(frame: pl.DataFrame, group: str) -> pl.DataFrame:
    """A shape and a dash per row, in order within each `group` (rows of one colour differ by them)."""
    index = pl.int_range(pl.len()).over(group)
    return frame.with_columns(
        shape=index.map_elements(lambda i: CLAIMANT_SHAPES[i % len(CLAIMANT_SHAPES)], return_dtype=pl.String),
        dash=index.map_elements(
            lambda i: list(CLAIMANT_DASHES[i % len(CLAIMANT_DASHES)]), return_dtype=pl.List(pl.Int64)
        ),
    )


def _non_belligerent_colours(side_colours: Sequence[str]) -> dict[str, str]:
    used = {c.upper() for c in side_colours}
    out = {}
    for group, preferred in NON_BELLIGERENT_COLOURS.items():
        colour = next((c for c in preferred if c.upper() not in used), None)
        if colour is None:
            raise ValueError(f"No Okabe-Ito colour left for {group} claimants: the sides use {sorted(used)}")
        used.add(colour.upper())
        out[group] = colour
    return out


def styles_for(conflict: Conflict, claimant_ids) -> pl.DataFrame:
    """The styles of the claimants drawn, or ValueError naming the unknown ones."""
    styles = claimant_styles(conflict)
    unknown = sorted(set(claimant_ids) - set(styles["claimant_id"]))
    if unknown:
        raise ValueError(
            f"Unknown claimants {unknown} for conflict {conflict.conflict_id!r}; "
            f"valid: {', '.join(styles['claimant_id'])}"
        )
    return styles.filter(pl.col("claimant_id").is_in(list(claimant_ids)))
