"""The casualty_claims look: fonts, sizes, colours, shapes and the Vega-Lite config every chart carries.

Plain values, no altair: each builder puts `theme_config()["config"]` into its own chart (see
analysis.charts.layers.compose), so a chart looks the same whatever altair theme a notebook has
enabled, and building a chart changes no global state.
"""

from __future__ import annotations

WIDTH = 640  # the width of exported SVG/PNG; on a page a chart follows its container ("container" width)
HEIGHT = 340
SUBTITLE_CHARS = 52  # a subtitle line fits a phone's width (390 px) at its font size; the title never wraps itself
TITLE_CHARS = 40  # a title line fits a phone's width at the phone's title size
PHONE_WIDTH = 560  # below this container width, axis labels and legends take less room
LADDER_ROW_STEP = 46  # room for the figure in words above each mark
ROW_STEP = 30  # px per claimant in ladder and staleness charts
FONT = "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
TEXT_COLOUR = "#222222"
MUTED = "#6b6b6b"
NUMBER_FORMAT = ",~r"  # 1,400,000 and 2.5 alike (a bare "," gives 1.4e+6 on Vega axes)

# Okabe & Ito (2008): the colour-blind-safe palette conflict.yml's side colours come from.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Non-belligerent claimants take the first colour of their list that no side uses
# (yellow is left out: too faint on white).
NON_BELLIGERENT_COLOURS = {
    "third_party": ("#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#0072B2", "#D55E00"),
    "independent": ("#CC79A7", "#000000", "#009E73", "#E69F00", "#56B4E9", "#0072B2", "#D55E00"),
}
GROUP_LABEL = {"third_party": "Third party", "independent": "Independent"}

# Claimants of one colour differ by shape and dash; triangles are reserved for open ends.
STAR = (
    "M0,-1L0.225,-0.309L0.951,-0.309L0.363,0.118L0.588,0.809L0,0.382L-0.588,0.809"
    "L-0.363,0.118L-0.951,-0.309L-0.225,-0.309Z"
)
HEXAGON = "M0,-1L0.866,-0.5L0.866,0.5L0,1L-0.866,0.5L-0.866,-0.5Z"
CLAIMANT_SHAPES = ("circle", "square", "diamond", "cross", STAR, HEXAGON)
CLAIMANT_DASHES = ((1, 0), (7, 3), (2, 2), (9, 3, 2, 3), (4, 4), (12, 3, 2, 3, 2, 3))  # one per shape


def theme_config() -> dict:
    """The casualty_claims theme: readable sizes, quiet axes, legends below the plot."""
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "padding": 8,
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "title": {
                "fontSize": {"expr": f"isFinite(containerSize()[0]) && containerSize()[0] < {PHONE_WIDTH} ? 15 : 18"},
                "fontWeight": 600,
                "color": TEXT_COLOUR,
                "anchor": "start",
                "subtitleFontSize": 12,
                "subtitleColor": "#444444",
                "subtitlePadding": 6,
                "offset": 14,
            },
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 13,
                "titleFontWeight": "normal",
                "labelColor": TEXT_COLOUR,
                "titleColor": TEXT_COLOUR,
                "gridColor": "#e8e8e8",
                "domainColor": "#888888",
                "tickColor": "#888888",
                "labelOverlap": True,
                "titlePadding": 10,
                # long claimant names give way on a phone (cut with an ellipsis; the tooltip has them)
                "labelLimit": {
                    "expr": f"isFinite(containerSize()[0]) && containerSize()[0] < {PHONE_WIDTH} ? 120 : 300"
                },
            },
            # one column on a phone, three from 560 px (the chart follows its container's width)
            # ticks follow the chart's width (a wide page would otherwise crowd its labels together)
            "axisX": {"tickCount": {"expr": "ceil(width / 110)"}},
            "legend": {
                "orient": "bottom",
                "direction": "horizontal",
                "columns": {"expr": f"width < {PHONE_WIDTH} ? 1 : 3"},
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleFontWeight": 600,
                "labelLimit": 260,
                "symbolSize": 100,
                "symbolStrokeWidth": 0,
                "symbolOpacity": 1,
                "columnPadding": 18,
                "rowPadding": 6,
                "titleOrient": "top",
                "offset": 14,
            },
            # no line/rule strokeWidth here: Vega-Lite copies it onto legend symbols, whose dashed
            # outlines then garble the shapes; builders set stroke widths per mark
            "point": {"size": 70, "filled": True},
            "text": {"fontSize": 12, "color": TEXT_COLOUR},
        }
    }
