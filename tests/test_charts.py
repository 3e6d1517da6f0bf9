"""Chart builders on the real data and on a tiny synthetic conflict: specs validate, carry their
titles and sources, take colours from the conflict, render to SVG (with and without VegaFusion),
stay small on 10,000 daily rows, and never put data text into a Vega expression."""

from __future__ import annotations

import datetime as dt
import html
import json
import subprocess
import sys
from pathlib import Path

import altair as alt
import polars as pl
import pytest

from analysis import charts, formatting
from analysis.bounds import apply_bounds
from analysis.compare import implied_daily_rates, latest_claims, merge_consecutive_rates, ratio_over_time
from analysis.dataset import Conflict
from analysis.harmonise import Conversion, LikeForLikeError, combine_killed_and_wounded, convert_metric, select_claims
from analysis.views import harmonise_to

RUSSIA_MIL = {"subject_side": "russia", "population": "military"}
SOURCE = [field for field, _ in charts.SOURCE_FIELDS]
PAYLOAD = '"); alert(1); //{{x}} datum.y ${z}'  # propaganda text is data, never code


# --- fixtures: the real data ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(ru_ua):
    """The five charts on the real Russia–Ukraine data, as a report would build them."""
    claims = ru_ua.claims
    moscow = select_claims(claims, **RUSSIA_MIL, claimants=["ru_mod"])
    kyiv = select_claims(claims, **RUSSIA_MIL, claimants=["ua_general_staff"], metric="personnel_losses")
    killed = select_claims(claims, **RUSSIA_MIL, metric="killed")
    kyiv_kw = convert_metric(kyiv, Conversion("killed_and_wounded"))
    killed_and_wounded = pl.concat([kyiv_kw, combine_killed_and_wounded(moscow)], how="diagonal_relaxed")
    latest = latest_claims(killed, dt.date(2026, 3, 1))
    return ru_ua, {
        "cumulative": charts.cumulative_chart(
            killed_and_wounded,
            ru_ua,
            title="Russian losses as each side tells it",
            subtitle="Cumulative killed and wounded",
            description="Kyiv and Moscow on Russian losses.",
        ),
        "ratio": charts.ratio_chart(
            ratio_over_time(kyiv_kw, combine_killed_and_wounded(moscow), tolerance_days=7),
            ru_ua,
            title="Kyiv over Moscow",
            subtitle="Killed and wounded, Kyiv over Moscow",
            description="Ratio of Kyiv's figure to Moscow's own.",
        ),
        "rates": charts.rates_chart(
            merge_consecutive_rates(implied_daily_rates(killed_and_wounded), 48),
            ru_ua,
            title="Implied losses a day",
            subtitle="Killed and wounded per day",
            description="Implied daily rates.",
        ),
        "ladder": charts.ladder_chart(
            latest,
            ru_ua,
            title="Who says how many died",
            subtitle="Latest killed figure",
            description="Each claimant's latest figure for Russian dead.",
        ),
        "staleness": charts.staleness_chart(
            latest,
            ru_ua,
            title="How old the latest figures are",
            subtitle="Killed, as of 1 March 2026",
            description="Age of each claimant's latest figure.",
        ),
    }


# --- fixtures: a tiny synthetic conflict -----------------------------------------------------------------

SIDES = [("north", "Northland", "#E69F00"), ("south", "Southland", "#56B4E9")]
CLAIMANTS = [  # id, short name, side
    ("n_mod", "North (MoD)", "north"),
    ("s_staff", "South (Staff)", "south"),
    ("s_president", "South (President)", "south"),
    ("observer", "Observer", "third_party"),
    ("monitor", "Monitor", "independent"),
]


def synthetic_conflict(short_names: dict | None = None) -> Conflict:
    names = {cid: (short_names or {}).get(cid, short) for cid, short, _ in CLAIMANTS}
    sides = pl.DataFrame(SIDES, schema=["side_id", "label", "colour"], orient="row")
    claimants = pl.DataFrame(
        {
            "claimant_id": [c[0] for c in CLAIMANTS],
            "name": [f"The {c[1]}" for c in CLAIMANTS],
            "short_name": [names[c[0]] for c in CLAIMANTS],
            "side": [c[2] for c in CLAIMANTS],
            "kind": ["military"] * len(CLAIMANTS),
            "independence_group": [c[0] for c in CLAIMANTS],
            "notes": [None] * len(CLAIMANTS),
        },
        schema_overrides={"notes": pl.String},
    )
    return Conflict(
        "north-south", "A synthetic war", dt.date(2030, 1, 1), sides, claimants, pl.DataFrame(), pl.DataFrame(), {}
    )


def synthetic_claims(rows: list[tuple]) -> pl.DataFrame:
    """rows: (claimant_id, as_of_date, qualifier, value, value_low, value_high, quote)."""
    frame = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "claimant_id": pl.String,
            "as_of_date": pl.Date,
            "qualifier": pl.String,
            "value": pl.Int64,
            "value_low": pl.Int64,
            "value_high": pl.Int64,
            "quote": pl.String,
        },
    )
    side = {cid: s for cid, _, s in CLAIMANTS}
    claimant_side = pl.col("claimant_id").replace_strict(side)
    claim_id = pl.col("claimant_id") + "." + pl.col("as_of_date").dt.strftime("%Y-%m-%d") + "." + pl.col("qualifier")
    return (
        apply_bounds(frame)
        .collect()
        .with_columns(
            claim_id=claim_id,
            statement_id=claim_id,
            statement_date=pl.col("as_of_date"),
            claimant_side=claimant_side,
            independence_group=pl.col("claimant_id"),
            role=pl.when(claimant_side == "north")
            .then(pl.lit("official"))
            .when(claimant_side == "south")
            .then(pl.lit("opposing"))
            .otherwise(claimant_side),
            subject_side=pl.lit("north"),
            population=pl.lit("military"),
            metric=pl.lit("killed"),
            period_type=pl.lit("cumulative"),
            method=pl.lit("reported"),
            outlet=pl.lit("Synthetic Wire"),
            url=pl.lit("https://example.org/") + claim_id,
            derived_from=pl.lit(None, pl.String),
            derived_from_group=pl.lit(None, pl.String),
            is_dependent=pl.lit(False),
            assumption=pl.lit(None, pl.String),
        )
        .sort("as_of_date", "claimant_id")
    )


D0 = dt.date(2030, 3, 1)
LONG_QUOTE = "We have counted them one by one, " * 10
TINY_ROWS = [
    ("n_mod", D0, "exact", 500, None, None, "a total of 500 have died"),
    ("n_mod", D0 + dt.timedelta(days=23), "exact", 1300, None, None, LONG_QUOTE),
    ("n_mod", D0 + dt.timedelta(days=200), "exact", 5900, None, None, None),
    ("s_staff", D0, "about", 16100, None, None, PAYLOAD),
    ("s_staff", D0 + dt.timedelta(days=23), "more_than", 14000, None, None, "more than 14,000"),
    ("s_staff", D0 + dt.timedelta(days=60), "about", 30000, None, None, "about 30,000"),
    ("s_president", D0 + dt.timedelta(days=10), "range", None, 7000, 15000, "between 7,000 and 15,000"),
    ("s_president", D0 + dt.timedelta(days=90), "up_to", 40000, None, None, "up to 40,000"),
    ("observer", D0 + dt.timedelta(days=30), "range", 47000, 40000, 55000, "about 47,000, 40,000-55,000"),
    ("monitor", D0 + dt.timedelta(days=40), "at_least", 3000, None, None, "at least 3,000 named"),
]


@pytest.fixture(scope="module")
def tiny():
    conflict = synthetic_conflict(short_names={"s_staff": "South (Staff) " + PAYLOAD})
    claims = synthetic_claims(TINY_ROWS)
    latest = latest_claims(claims, D0 + dt.timedelta(days=250))
    ratios = ratio_over_time(
        claims.filter(pl.col("claimant_id") == "s_staff"),
        claims.filter(pl.col("claimant_id") == "n_mod"),
        tolerance_days=10,
    )
    return conflict, {
        "cumulative": charts.cumulative_chart(
            claims, conflict, title="Synthetic cumulative", subtitle="Killed", description="Synthetic claims."
        ),
        "ratio": charts.ratio_chart(
            ratios,
            conflict,
            title="Synthetic ratio",
            subtitle="Killed, Staff over MoD",
            description="Synthetic ratios.",
        ),
        "rates": charts.rates_chart(
            implied_daily_rates(claims),
            conflict,
            title="Synthetic rates",
            subtitle="Killed per day",
            description="Synthetic rates.",
        ),
        "ladder": charts.ladder_chart(
            latest, conflict, title="Synthetic ladder", subtitle="Killed, latest", description="Synthetic ladder."
        ),
        "staleness": charts.staleness_chart(
            latest, conflict, title="Synthetic staleness", subtitle="Killed", description="Synthetic staleness."
        ),
    }


@pytest.fixture
def vegafusion():
    with alt.data_transformers.enable("vegafusion"):  # as analysis.publish serialises a chart
        yield


def render_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as SVG via its Vega spec (with or without VegaFusion), as the build renders it."""
    import vl_convert as vlc

    return vlc.vega_to_svg(chart.to_dict(format="vega"))


# --- helpers ---------------------------------------------------------------------------------------------


def units(spec: dict) -> list[dict]:
    """Every single-mark view of a (possibly nested) layered Vega-Lite spec."""
    if "layer" in spec:
        return [u for layer in spec["layer"] for u in units(layer)]
    return [spec] if "mark" in spec else []


def tooltip_fields(unit: dict) -> list[str]:
    tooltip = unit.get("encoding", {}).get("tooltip", [])
    return [t["field"] for t in (tooltip if isinstance(tooltip, list) else [tooltip])]


def unit_rows(spec: dict, unit: dict) -> list[dict]:
    return spec["datasets"][unit["data"]["name"]]


def strings_in(node, keys=("expr", "signal", "update", "test", "init")) -> list[str]:
    """Every expression string in a Vega spec."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys and isinstance(value, str):
                found.append(value)
            found += strings_in(value, keys)
    elif isinstance(node, list):
        for value in node:
            found += strings_in(value, keys)
    return found


def colour_maps(spec: dict) -> dict[str, str]:
    """label -> colour from every colour scale of the spec."""
    out = {}
    for unit in units(spec):
        scale = unit.get("encoding", {}).get("color", {}).get("scale")
        if scale and "domain" in scale:
            out.update(zip(scale["domain"], scale["range"], strict=True))
    return out


KINDS = ["cumulative", "ratio", "rates", "ladder", "staleness"]


# --- the value/qualifier formatter ----------------------------------------------------------------------


def test_figure_text_adds_the_mixed_case_to_the_shared_formatter():
    """Every stated qualifier is tested in test_formatting.py; figure_text adds 'mixed' (a sum of
    differently hedged figures), shown by its interval."""
    assert charts.figure_text("mixed", 5176, 5126, 5226) == "5,126–5,226"
    assert charts.figure_text("about", 16100, 16050, 16150) == "about 16,100"


def test_figure_text_of_a_converted_claim_says_what_it_was_read_as():
    text = charts.figure_text(
        "about",
        16100,
        16050,
        16150,
        metric="killed_and_wounded",
        original_metric="personnel_losses",
        assumption="read as killed and wounded",
    )
    assert text == "about 16,100 personnel losses, read as killed and wounded: 16,050–16,150"
    text = charts.figure_text(
        "about",
        16100,
        16050,
        16150,
        metric="killed_and_wounded",
        source_term="personnel",
        original_metric="personnel_losses",
        assumption="read as killed and wounded",
    )
    assert text == "about 16,100 “personnel”, read as killed and wounded: 16,050–16,150"
    assert (
        charts.figure_text(
            "at_least",
            None,
            60000,
            None,
            metric="killed",
            stated_low=60000,
            stated_high=100000,
            source_term="have died",
        )
        == "at least 60,000–100,000 “have died”"
    )


def test_every_qualifier_reaches_the_tooltips_in_words(tiny):
    _, built = tiny
    spec = built["cumulative"].to_dict()
    figures = {row.get("figure") for name, rows in spec["datasets"].items() for row in rows}
    for expected in [
        "500",
        "about 16,100",
        "more than 14,000",
        "7,000–15,000",
        "up to 40,000",
        "47,000 (40,000–55,000)",
        "at least 3,000",
    ]:
        assert expected in figures, f"{expected!r} missing from the tooltip data: {sorted(f for f in figures if f)}"


# --- every builder, real and synthetic ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("data", ["real", "tiny"])
def test_spec_validates_with_title_subtitle_description_and_sourced_tooltips(kind, data, request):
    conflict, built = request.getfixturevalue(data)
    chart = built[kind]
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert spec["title"]["text"] and spec["title"]["subtitle"], "title and subtitle"
    assert spec["description"].strip(), "accessible description"
    layers = units(spec)
    assert layers
    for unit in layers:
        assert tooltip_fields(unit), f"a {unit['mark']} layer has no tooltip"
    linked = [u for u in layers if "href" in u.get("encoding", {})]
    assert linked, "clickable marks carry the source URL"
    for unit in linked:
        missing = [f for f in SOURCE if f not in tooltip_fields(unit)]
        assert not missing, f"{kind}: a {unit['mark']} layer's tooltip lacks {missing}"
        assert unit["encoding"]["href"]["field"] == "url"
    if kind == "ratio":  # both figures of a ratio are sourced
        assert {"den_claimant", "den_figure", "den_url", "den_quote_excerpt"} <= set(tooltip_fields(linked[-1]))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("data", ["real", "tiny"])
def test_colours_come_from_the_conflicts_sides(kind, data, request):
    conflict, built = request.getfixturevalue(data)
    spec = built[kind].to_dict()
    side_colour = dict(zip(conflict.sides["side_id"], conflict.sides["colour"], strict=True))
    styles = charts.claimant_styles(conflict)
    expected = dict(zip(styles["claimant"], styles["colour"], strict=True))
    expected |= dict(zip(styles["side_label"], styles["colour"], strict=True))
    used = colour_maps(spec)
    assert used
    for label, colour in used.items():
        claimant = label.split(" ÷ ")[0]  # a ratio takes its numerator's colour
        assert expected[claimant] == colour, f"{label}: {colour}"
    for row in styles.iter_rows(named=True):
        if row["side"] in side_colour:
            assert row["colour"] == side_colour[row["side"]]
        else:
            assert row["colour"] not in side_colour.values() and row["colour"] in charts.OKABE_ITO.values()


@pytest.mark.parametrize("kind", KINDS)
def test_real_charts_render_to_svg_with_their_title(kind, real):
    _, built = real
    svg = render_svg(built[kind])
    assert svg.startswith("<svg") and html.escape(built[kind].to_dict()["title"]["text"]) in svg


@pytest.mark.parametrize("kind", KINDS)
def test_synthetic_charts_render_to_svg_under_vegafusion(kind, tiny, vegafusion):
    _, built = tiny
    vega = built[kind].to_dict(format="vega")
    assert vega["description"].startswith("Synthetic"), "the description reaches the Vega spec (aria)"
    svg = render_svg(built[kind])
    assert built[kind].title.text in svg


@pytest.mark.parametrize("kind", KINDS)
def test_data_text_never_enters_a_vega_expression(kind, tiny):
    _, built = tiny
    vega = built[kind].to_dict(format="vega")
    text = json.dumps(vega)
    assert json.dumps(PAYLOAD)[1:-1] in text, "the payload travels as data (claimant label or quote)"
    leaks = [s for s in strings_in(vega) if "alert(1)" in s]
    assert not leaks, f"data text inside Vega expressions: {leaks[:2]}"


# --- what a reader sees --------------------------------------------------------------------------------


def test_a_dense_daily_series_does_not_drown_three_official_figures(real, ru_ua):
    _, built = real
    spec = built["cumulative"].to_dict()
    layers = units(spec)
    marker_rows = [
        r for u in layers if u["mark"]["type"] == "point" and "shape" in u["encoding"] for r in unit_rows(spec, u)
    ]
    moscow = [r for r in marker_rows if r["claimant"] == "Moscow (MoD)"]
    assert len(moscow) == 2, "Moscow's both killed+wounded figures are drawn as markers"
    assert not [r for r in marker_rows if r["claimant"] == "Kyiv (General Staff)"], "the daily series has no markers"
    line = [u for u in layers if u["mark"]["type"] == "line"][0]
    assert len(unit_rows(spec, line)) <= charts.LINE_POINTS + 1
    hover = [u for u in layers if u["mark"].get("color") == "transparent"][0]
    assert len(unit_rows(spec, hover)) <= charts.HOVER_POINTS + 1
    assert "a series of 1,626 figures" in spec["description"]


def test_claimants_of_one_side_differ_by_shape_and_dash(ru_ua):
    styles = charts.claimant_styles(ru_ua)
    for _, group in styles.group_by("colour"):
        assert group["shape"].n_unique() == group.height
        assert len({tuple(d) for d in group["dash"].to_list()}) == group.height
    assert not set(styles["shape"]) & {"triangle-up", "triangle-down", "triangle-right", "triangle-left"}


def test_assumptions_and_a_key_reach_the_subtitle_and_description(real, tiny):
    spec = real[1]["cumulative"].to_dict()
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "Assumption: 'personnel_losses' read as killed and wounded" in subtitle
    assert "Assumption:" in spec["description"]
    key = " ".join(tiny[1]["cumulative"].to_dict()["title"]["subtitle"])
    assert charts.KEY_OPEN in key and charts.KEY_INTERVAL in key


def test_stale_steps_pairs_and_figures_are_marked(real, tiny, ru_ua):
    spec = tiny[1]["cumulative"].to_dict()  # North's 1,300 stood 177 days before the next figure
    steps = [u for u in units(spec) if u["mark"]["type"] == "rule" and "opacity" in u["encoding"]]
    rows = unit_rows(spec, steps[0])
    north = [(r["held"], r["is_stale_hold"]) for r in rows if r["claimant"] == "North (MoD)"]
    assert north == [
        ("23 days, until the next figure of 24 March 2030", False),
        ("177 days, until the next figure of 17 September 2030", True),
    ]
    killed = select_claims(ru_ua.claims, **RUSSIA_MIL, metric="killed")
    ratios = ratio_over_time(
        killed.filter(pl.col("claimant_id") == "us_government"),
        killed.filter(pl.col("claimant_id") == "ru_mod"),
        tolerance_days=200,
    )
    spec = charts.ratio_chart(ratios, ru_ua, title="t", subtitle="s", description="d").to_dict()
    points = [u for u in units(spec) if "opacity" in u["encoding"]][0]
    assert [r["apart"] for r in unit_rows(spec, points)] == ["63 days (a stale pair)"]  # 20 Jul vs 21 Sep 2022
    assert "faint: a stale pair" in " ".join(spec["title"]["subtitle"])
    ladder = real[1]["ladder"].to_dict()
    assert "faint: not updated for more than 30 days" in " ".join(ladder["title"]["subtitle"])


def test_rates_chart_refuses_a_falling_count(ru_ua):
    kyiv = select_claims(ru_ua.claims, **RUSSIA_MIL, claimants=["ua_general_staff"], metric="personnel_losses")
    rates = implied_daily_rates(kyiv).head(3)
    falling = rates.with_columns(rate_low=pl.lit(-5.0))
    with pytest.raises(ValueError, match="cannot fall"):
        charts.rates_chart(falling, ru_ua, title="t", subtitle="s", description="d")
    revised = rates.with_columns(is_revision_down=pl.lit(True))
    with pytest.raises(ValueError, match="cannot fall"):
        charts.rates_chart(revised, ru_ua, title="t", subtitle="s", description="d")


# --- quote the source, then convert; stated and converted are different series (DESIGN.md §7) ------------


def as_metric(rows: list[tuple], stated_metric: str, to_metric: str = "killed") -> pl.DataFrame:
    """Synthetic claims stated in `stated_metric`, converted to `to_metric` (default ratio range)."""
    claims = synthetic_claims(rows).with_columns(metric=pl.lit(stated_metric))
    return convert_metric(claims, Conversion(to_metric))


def test_a_converted_range_is_quoted_as_the_source_stated_it_then_read_as(tiny):
    conflict, _ = tiny
    claims = as_metric(
        [("observer", D0, "range", None, 70000, 80000, "70,000 to 80,000 killed and wounded")], "killed_and_wounded"
    )
    assert claims.row(0, named=True)["value_low"] == pytest.approx(5000), "the analysis uses the converted interval"
    spec = charts.cumulative_chart(claims, conflict, title="t", subtitle="Killed", description="d").to_dict()
    figures = {r["figure"] for rows in spec["datasets"].values() for r in rows if "figure" in r}
    assert figures == {"70,000–80,000 killed and wounded, read as killed: 5,000–22,857"}
    assert charts.figure_text(
        "range",
        None,
        5000,
        22857.1,
        stated_low=70000,
        stated_high=80000,
        metric="killed",
        original_metric="killed_and_wounded",
        assumption="a ratio",
    ).startswith("70,000–80,000 killed and wounded")
    # a claimant's own killed + wounded summed: its stated ends are one summand's, so its interval
    assert (
        charts.figure_text(
            "range",
            None,
            11500,
            14000,
            stated_low=2500,
            stated_high=3000,
            metric="killed_and_wounded",
            original_metric="killed + wounded",
        )
        == "11,500–14,000"
    )


def test_a_dense_converted_series_is_drawn_with_its_conversion_band(tiny):
    conflict, _ = tiny
    daily = as_metric(daily_claims("s_staff", 200, D0, 100), "personnel_losses")
    spec = charts.cumulative_chart(daily, conflict, title="t", subtitle="Killed", description="d").to_dict()
    areas = [u for u in units(spec) if u["mark"]["type"] == "area"]
    assert len(areas) == 1, "one band under the converted line"
    assert (areas[0]["encoding"]["y"]["field"], areas[0]["encoding"]["y2"]["field"]) == ("value_low", "value_high")
    rows = unit_rows(spec, areas[0])
    assert 2 <= len(rows) <= charts.LINE_POINTS + 1
    assert all(r["value_low"] < r["value_high"] for r in rows)
    line = [u for u in units(spec) if u["mark"]["type"] == "line"][0]
    band = {r["as_of_date"]: (r["value_low"], r["value_high"]) for r in rows}
    for r in unit_rows(spec, line):
        assert band[r["as_of_date"]][0] <= r["y"] <= band[r["as_of_date"]][1], "the line lies inside its band"
    assert charts.KEY_CONVERSION_BAND in " ".join(spec["title"]["subtitle"])


def test_stated_and_converted_figures_of_one_claimant_are_never_joined(tiny):
    conflict, _ = tiny
    stated = synthetic_claims(
        [
            ("n_mod", D0, "exact", 500, None, None, "500 killed"),
            ("n_mod", D0 + dt.timedelta(days=100), "exact", 900, None, None, "900 killed"),
        ]
    )
    read = as_metric(
        [("n_mod", D0 + dt.timedelta(days=50), "exact", 7000, None, None, "7,000 killed and wounded")],
        "killed_and_wounded",
    )
    claims = pl.concat([stated, read], how="diagonal_relaxed")
    spec = charts.cumulative_chart(claims, conflict, title="t", subtitle="Killed", description="d").to_dict()
    layers = units(spec)
    assert not [u for u in layers if u["mark"]["type"] == "line"]
    joined = {
        (r["as_of_date"][:10], r["next_date"][:10]) for u in layers for r in unit_rows(spec, u) if r.get("next_date")
    }
    assert joined == {("2030-03-01", "2030-06-09")}, "only the two stated figures are joined"
    hollow = [
        r["figure"]
        for u in layers
        if u["mark"]["type"] == "point" and u["mark"].get("filled") is False
        for r in unit_rows(spec, u)
    ]
    assert hollow == ["7,000 killed and wounded, read as killed: 500–2,000"], "the converted figure is hollow"
    key = " ".join(spec["title"]["subtitle"])
    assert charts.KEY_CONVERTED in key


def test_a_claimants_cumulative_line_does_not_fall_between_stated_and_converted_figures(ru_ua):
    """UK Defence Intelligence: killed as stated and killed-and-wounded read as killed, once drawn as
    one step line 50,000 → 30,286 → 225,000 → 114,286."""
    claims = harmonise_to(select_claims(ru_ua.claims, **RUSSIA_MIL), "killed", (2.5, 13.0))
    spec = charts.cumulative_chart(claims, ru_ua, title="t", subtitle="Killed", description="d").to_dict()
    steps = [u for u in units(spec) if u["mark"]["type"] == "rule" and "x2" in u["encoding"]][0]
    uk = [r for r in unit_rows(spec, steps) if r["claimant"] == "UK Defence Intelligence"]
    assert uk and all(r["next_y"] >= r["y"] for r in uk), [(r["y"], r["next_y"]) for r in uk]
    assert {r["is_converted"] for r in uk} == {False, True}, "both of its series are drawn, apart"


def test_an_open_ended_ratio_is_drawn_at_its_stated_end_without_a_central_value(tiny):
    conflict, _ = tiny
    claims = synthetic_claims(
        [
            ("s_staff", D0, "more_than", 14000, None, None, "more than 14,000"),
            ("n_mod", D0, "about", 1300, None, None, "about 1,300"),
        ]
    )
    ratios = ratio_over_time(
        claims.filter(pl.col("claimant_id") == "s_staff"),
        claims.filter(pl.col("claimant_id") == "n_mod"),
        tolerance_days=10,
    )
    ratio = ratios.row(0, named=True)
    assert ratio["ratio_high"] is None and ratio["ratio_central"] > ratio["ratio_low"] + 0.1
    spec = charts.ratio_chart(ratios, conflict, title="t", subtitle="s", description="d").to_dict()
    points = [u for u in units(spec) if u["mark"]["type"] == "point"]
    markers = [r for u in points if "shape" in u["encoding"] for r in unit_rows(spec, u)]
    triangles = [r for u in points if u["mark"].get("shape") == "triangle-up" for r in unit_rows(spec, u)]
    assert len(markers) == 1 and len(triangles) == 1
    for row in markers + triangles:
        assert row["y"] == pytest.approx(ratio["ratio_low"])
        assert row["ratio_text"] == f"more than {formatting.significant(ratio['ratio_low'], 2)}"
    assert (
        charts.ratio_text(
            {"ratio_low": 1.02, "ratio_high": None, "ratio_is_low_exclusive": True, "ratio_central": 1.64}
        )
        == "more than 1.0"
    )  # two significant digits
    assert (
        charts.ratio_text({"ratio_low": None, "ratio_high": 0.8, "ratio_is_low_exclusive": False, "ratio_central": 0.5})
        == "at most 0.80"
    )


# --- size: VegaFusion keeps specs small ------------------------------------------------------------------


def daily_claims(claimant_id: str, n: int, start: dt.date, per_day: int) -> list[tuple]:
    return [(claimant_id, start + dt.timedelta(days=i), "about", (i + 1) * per_day, None, None, None) for i in range(n)]


@pytest.mark.parametrize("kind", ["cumulative", "ratio", "rates"])
def test_ten_thousand_daily_rows_give_a_spec_under_50_kb_with_vegafusion(kind, vegafusion):
    conflict = synthetic_conflict()
    daily = synthetic_claims(daily_claims("s_staff", 10_000, D0, 100) + TINY_ROWS[:3])
    if kind == "cumulative":
        chart = charts.cumulative_chart(daily, conflict, title="Big", subtitle="Killed", description="Big.")
    elif kind == "rates":
        chart = charts.rates_chart(
            merge_consecutive_rates(implied_daily_rates(daily), 48),
            conflict,
            title="Big",
            subtitle="Killed per day",
            description="Big.",
        )
    else:
        other = synthetic_claims(daily_claims("observer", 10_000, D0, 40))
        ratios = ratio_over_time(daily.filter(pl.col("claimant_id") == "s_staff"), other, tolerance_days=1)
        assert ratios.height == 10_000
        chart = charts.ratio_chart(ratios, conflict, title="Big", subtitle="Killed", description="Big.")
    size = len(chart.to_json(format="vega", indent=None))
    print(f"{kind}: 10,000 daily rows -> {size / 1024:.1f} KB Vega spec")
    assert size < 50_000, f"{kind}: {size / 1024:.1f} KB"


# --- loud failures -----------------------------------------------------------------------------------------


def test_two_metrics_on_one_axis_are_refused(ru_ua):
    claims = select_claims(ru_ua.claims, **RUSSIA_MIL, claimants=["ru_mod"])
    with pytest.raises(LikeForLikeError, match="one metric"):
        charts.cumulative_chart(claims, ru_ua, title="t", subtitle="s", description="d")


def test_unknown_claimant_empty_frame_missing_texts_and_bad_scales_fail_loudly(tiny):
    conflict, _ = tiny
    claims = synthetic_claims(TINY_ROWS)
    args = {"title": "t", "subtitle": "s", "description": "d"}
    with pytest.raises(ValueError, match="Unknown claimants"):
        charts.cumulative_chart(claims.with_columns(claimant_id=pl.lit("nobody")), conflict, **args)
    with pytest.raises(ValueError, match="empty"):
        charts.cumulative_chart(claims.clear(), conflict, **args)
    with pytest.raises(ValueError, match="title"):
        charts.cumulative_chart(claims, conflict, title="", subtitle="s", description="d")
    with pytest.raises(ValueError, match="description"):
        charts.cumulative_chart(claims, conflict, title="t", subtitle="s", description=" ")
    with pytest.raises(ValueError, match="log scale needs positive"):
        charts.cumulative_chart(claims.with_columns(value_central=pl.lit(0.0)), conflict, **args, y_scale="log")
    latest = latest_claims(claims, D0 + dt.timedelta(days=250))
    with pytest.raises(ValueError, match="stale_after_days=90"):
        charts.staleness_chart(latest, conflict, **args, stale_after_days=90)


def deep_items(config: dict, path: tuple = ()) -> list[tuple]:
    """(path, value) of every leaf of a nested config."""
    return [
        item
        for key, value in config.items()
        for item in (
            deep_items(value, (*path, key))
            if isinstance(value, dict) and "expr" not in value
            else [((*path, key), value)]
        )
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_a_chart_carries_its_theme_and_changes_no_global_state(kind, tiny):
    """The builders set neither altair's theme nor its data transformer; each chart has the theme's
    config as its own, so every setting of the theme holds even under another enabled theme
    (whose other settings altair merges in beside them)."""
    _, built = tiny
    assert (alt.theme.active, alt.data_transformers.active) == ("default", "default")
    with alt.theme.enable("dark"):
        merged = built[kind].to_dict()["config"]
    ours = deep_items(charts.theme_config()["config"])
    assert len(ours) > 40 and (("background",), "white") in ours
    got = dict(deep_items(merged))
    assert [path for path, value in ours if got.get(path, "missing") != value] == []
    assert alt.theme.active == "default"


def test_frames_and_texts_work_without_altair():
    """The frame preparation is polars alone: importing it (and the package) loads no altair."""
    code = (
        "import sys, analysis.charts, analysis.charts.texts, analysis.charts.styles, analysis.charts.checks, "
        "analysis.charts.placement, analysis.charts.frames; "
        "assert 'altair' not in sys.modules, sorted(m for m in sys.modules if m.startswith('altair'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
    assert (
        subprocess.run(
            [sys.executable, "-c", code + "; analysis.charts.ratio_chart; assert 'altair' in sys.modules"],
            cwd=Path(__file__).resolve().parents[1],
        ).returncode
        == 0
    )


def test_an_open_ended_converted_figure_is_drawn_at_its_stated_end(ru_ua):
    """'more than 100,000 killed and wounded', read as killed, is 'more than 7,143': drawn there."""
    eu = select_claims(
        ru_ua.claims,
        subject_side="ukraine",
        population="military",
        claimants=["eu_commission"],
        metric="killed_and_wounded",
    ).filter(pl.col("qualifier") == "more_than")
    read = convert_metric(eu, Conversion("killed"))
    spec = charts.cumulative_chart(read, ru_ua, title="t", subtitle="s", description="d").to_dict()
    drawn = {round(row["y"]) for unit in units(spec) for row in unit_rows(spec, unit) if "y" in row}
    assert drawn == {round(read["value_low"].item())}


def test_a_revision_downwards_is_never_drawn_as_a_fall(sparse):
    """Szohôd's 3,400 (30 Apr 2024) then 3,100 (31 May): the step holds 3,400, no riser goes down."""
    claims = select_claims(
        sparse.claims, subject_side="ruritania", population="military", claimants=["bor_mod"], metric="killed"
    )
    spec = charts.cumulative_chart(claims, sparse, title="t", subtitle="s", description="d").to_dict()
    risers = [
        row
        for unit in units(spec)
        if "y2" in unit["encoding"] and unit["encoding"]["y2"].get("field") == "next_y"
        for row in unit_rows(spec, unit)
    ]
    assert risers and all(row["next_y"] >= row["y"] for row in risers)
    assert any("revision downwards" in line for line in spec["title"]["subtitle"])


def test_a_floor_is_joined_only_to_floors_so_no_line_falls_from_a_middle_to_a_floor(ru_ua):
    """Kyiv's 'about 11,000' (6 Mar 2022) then 'more than 11,000' read as killed: no step joins them."""
    kyiv = select_claims(
        ru_ua.claims,
        subject_side="russia",
        population="military",
        claimants=["ua_general_staff"],
        metric="personnel_losses",
        start=dt.date(2022, 3, 1),
        end=dt.date(2022, 3, 31),
    )
    read = convert_metric(kyiv, Conversion("killed"))
    spec = charts.cumulative_chart(read, ru_ua, title="t", subtitle="s", description="d").to_dict()
    steps = [row for unit in units(spec) if "x2" in unit["encoding"] for row in unit_rows(spec, unit)]
    assert steps and all(row["next_y"] >= row["y"] for row in steps)
