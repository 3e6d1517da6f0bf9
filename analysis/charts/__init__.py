"""Chart builders: one theme, colours and labels from conflict.yml, every mark traceable to its source.

Each builder takes a frame from analysis.harmonise / analysis.compare and the Conflict, and returns
an altair chart; nothing is written to disk, no input is mutated and no global altair state is
touched: each chart carries the theme's config (theme.py) itself, and the data transformer
(VegaFusion in the report build) is chosen where the chart is serialised
(analysis.publish).

- theme.py: fonts, sizes, colours, shapes, the Vega-Lite config. No altair.
- texts.py: every text (the figure as the source hedged it, `figure_text`; tooltips; titles with
  assumptions and key; descriptions). styles.py: claimant styles (a claimant's colour is its
  side's; third-party and independent ones get Okabe-Ito colours no side uses; claimants sharing a
  colour differ by shape and dash). checks.py: the checks of a builder's input. placement.py:
  scales, visible intervals, open ends, hollow markers, thinning of dense series, truce bands.
  frames.py: each chart's prepared frame. Polars only, no altair.
- layers.py: the altair pieces the builders share; cumulative.py, ratio.py, rates.py and latest.py
  (ladder, staleness): the builders, each checking its input (checks.py), taking its frame from
  frames.py and turning it into layers.

Every mark has a tooltip (claimant, dates, the figure as stated, a short quote, outlet, source URL);
point marks carry the URL as `href`. A dense series is drawn as a line through at most LINE_POINTS
claims, HOVER_POINTS of which answer hover. Texts from the data travel only as data, never inside a
Vega expression.

The builders are imported on first use (PEP 562), so the polars modules (texts, styles, checks,
placement, frames) can be used, and tested, without importing altair.
"""

from __future__ import annotations

import importlib

from analysis.charts.checks import CLAIM_COLUMNS_NEEDED
from analysis.charts.frames import DENSE_AFTER, HOVER_POINTS, LINE_POINTS
from analysis.charts.placement import VISIBLE_SHARE
from analysis.charts.styles import claimant_styles
from analysis.charts.texts import (
    KEY_CONVERSION_BAND,
    KEY_CONVERSION_BAR,
    KEY_CONVERTED,
    KEY_CONVERTED_LINE,
    KEY_HOLLOW,
    KEY_INTERVAL,
    KEY_MIDPOINT,
    KEY_OPEN,
    KEY_OPEN_HORIZONTAL,
    KEY_REVISED,
    SOURCE_FIELDS,
    figure_text,
    ratio_text,
)
from analysis.charts.theme import HEIGHT, NON_BELLIGERENT_COLOURS, OKABE_ITO, WIDTH, theme_config

_BUILDERS = {
    "cumulative_chart": "cumulative",
    "ratio_chart": "ratio",
    "rates_chart": "rates",
    "ladder_chart": "latest",
    "staleness_chart": "latest",
}

__all__ = [
    "CLAIM_COLUMNS_NEEDED",
    "DENSE_AFTER",
    "HEIGHT",
    "HOVER_POINTS",
    "KEY_CONVERSION_BAND",
    "KEY_CONVERSION_BAR",
    "KEY_CONVERTED",
    "KEY_CONVERTED_LINE",
    "KEY_HOLLOW",
    "KEY_INTERVAL",
    "KEY_MIDPOINT",
    "KEY_OPEN",
    "KEY_OPEN_HORIZONTAL",
    "KEY_REVISED",
    "LINE_POINTS",
    "NON_BELLIGERENT_COLOURS",
    "OKABE_ITO",
    "SOURCE_FIELDS",
    "VISIBLE_SHARE",
    "WIDTH",
    "claimant_styles",
    "figure_text",
    "ratio_text",
    "theme_config",
    *_BUILDERS,
]


def __getattr__(name: str):
    """The builders, imported (with altair) when first asked for."""
    if name in _BUILDERS:
        return getattr(importlib.import_module(f"analysis.charts.{_BUILDERS[name]}"), name)
    raise AttributeError(f"module 'analysis.charts' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_BUILDERS))
