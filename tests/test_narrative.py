import html
import re

from analysis import narrative
from analysis.params import check_compare_parameters, check_overview_parameters
from analysis.views import compare_view, overview_view

RUSSIA = dict(conflict="russia-ukraine", subject_side="russia", population="military")


def text(fragment: str) -> str:
    """What a reader sees: the fragment without tags, entities unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_key_numbers_state_the_seed_article_figures_with_their_qualifiers():
    view = compare_view(
        check_compare_parameters(**RUSSIA, metric="killed_and_wounded", start="2022-03-01", end="2022-03-31")
    )
    out = text(narrative.key_numbers(view))
    assert (
        "As of 25 March 2022, Moscow (MoD) acknowledged 1,351 “have died” (killed) and 3,825 “wounded”;\n"
        "Kyiv (General Staff) claimed about 16,100 “personnel” (personnel losses)"
    ) in out
    assert "a ratio of about 3.1." in out  # 3.10–3.12 to two significant digits is 3.1
    assert "imply 2.8 wounded per killed" in out  # 3,825 / 1,351 = 2.83, to two significant digits


def test_assumptions_and_caveats_name_conversions_staleness_and_dependence():
    view = compare_view(check_compare_parameters(**RUSSIA, metric="killed"))
    assumptions = text(narrative.assumptions(view))
    assert "16,100 → 16,050–16,150" in assumptions
    assert "wounded:killed ratio between 2.5 and 13" in assumptions
    caveats = text(narrative.caveats(view))
    assert "Latest figure from Moscow (MoD): as of 21 September 2022" in caveats
    assert "UK Defence Intelligence's figure(s) of" in caveats and "Kyiv (General Staff)'s" in caveats
    assert "never a death toll" in caveats


def test_sources_link_only_http_urls_with_noopener(ru_ua):
    out = narrative.sources_table(ru_ua.claims)
    assert out.count('rel="noopener noreferrer"') == out.count("<a ")
    assert out.count("<tr>") == 1 + 91  # 90 statements + the series (2026-12-06)


def test_text_from_the_data_is_escaped_and_unsafe_urls_are_not_links():
    assert narrative.safe_url("javascript:alert(1)") is None
    assert narrative.safe_url("https://example.org/a?b=c") == "https://example.org/a?b=c"
    out = narrative.render("list.html.j2", heading="<b>h</b>", items=["<script>alert(1)</script>"])
    assert "<script>" not in out and "&lt;script&gt;" in out and "<b>" not in out


def test_overview_summary_groups_by_side_and_population():
    view = overview_view(check_overview_parameters(conflict="russia-ukraine"))
    out = text(narrative.overview_summary(view))
    assert "Russia's military losses" in out and "Ukraine's civilian losses" in out


def test_table_html_reads_like_a_table_not_a_repr():
    import datetime as dt

    import polars as pl

    frame = pl.DataFrame(
        {
            "claimant": ["Kyiv (General Staff)", "<b>Moscow</b> & co"],
            "low": [1167.857142857, 1351.0],
            "high": [None, 1351.0],
            "as_of_date": [dt.date(2022, 3, 31), dt.date(2022, 3, 25)],
            "is_stale": [False, True],
            "url": ["https://example.org/a?b=1", "javascript:alert(1)"],
        }
    )
    out = narrative.table_html(frame, max_rows=10, name="latest", title="Latest <figures>")
    # a scrolling region the keyboard reaches (axe scrollable-region-focusable), named by its title
    assert (
        '<div class="cc-table" id="cc-table-latest" tabindex="0" role="region" aria-label="Latest &lt;figures&gt;">'
        in out
    )
    assert "<caption>Latest &lt;figures&gt;</caption>" in out
    assert "<th>claimant</th>" in out and "<th>as of date</th>" in out
    assert "<td>Kyiv (General Staff)</td>" in out and '"Kyiv' not in out  # no repr quotes
    assert "&lt;b&gt;Moscow&lt;/b&gt; &amp; co" in out and "<b>" not in out
    # people are whole numbers for reading, a low end rounded down (the CSV keeps every digit)
    assert "<td>1,167</td>" in out and "<td>1,351</td>" in out
    assert "Numbers are rounded for reading; the CSV has every digit." in out
    assert '<td class="cc-null" title="no value">—</td>' in out
    assert "<td>2022-03-31</td>" in out and "<td>no</td>" in out and "<td>yes</td>" in out
    assert '<a href="https://example.org/a?b=1" rel="noopener noreferrer" target="_blank">example.org</a>' in out
    assert "<td>javascript:alert(1)</td>" in out and out.count("<a ") == 1  # only http(s) becomes a link
    # alignment per column: text and links left, numbers, dates and links on one line
    assert "#cc-table-latest td:nth-child(1), #cc-table-latest th:nth-child(1) { text-align: left; }" in out
    assert "#cc-table-latest td:nth-child(2), #cc-table-latest th:nth-child(2) { white-space: nowrap;" in out
    assert "&gt;" not in out.split("<style>")[1].split("</style>")[0]  # nothing escaped inside the CSS
    assert "The first" not in out


def test_table_html_says_when_it_shows_only_the_first_rows_and_refuses_unsafe_names():
    import polars as pl
    import pytest

    out = narrative.table_html(pl.DataFrame({"n": list(range(250))}), max_rows=100, name="n")
    assert out.count("<tr>") == 1 + 100
    assert "The first 100 of 250 rows." in out and "rounded" not in out
    with pytest.raises(ValueError, match="must be 1-64 of a-z"):
        narrative.table_html(pl.DataFrame({"n": [1]}), max_rows=1, name="x{}</style>")


def test_a_collapsed_table_states_a_repeated_assumption_once():
    import polars as pl

    assumption = "killed = killed and wounded ÷ (1 + wounded:killed) with a wounded:killed ratio between 2.5 and 13"
    frame = pl.DataFrame(
        {"claimant": ["a", "b", "c"], "ratio_low": [12.5712, 1.0, 0.5], "assumption": [assumption] * 3}
    )
    out = narrative.table_html(frame, max_rows=2, name="ratios", title="Ratios", collapsed=True)
    assert out.startswith('<details class="cc-table-details"><summary>Ratios (3 rows)</summary>')
    assert out.count(assumption) == 1 and "For every row, assumption:" in out
    assert "<td>13</td>" in out and "The first 2 of 3 rows." in out


def test_the_headline_answers_the_reports_question_with_dates_and_the_paired_ratio():
    view = compare_view(check_compare_parameters(**RUSSIA, metric="killed", start="2022-03-01", end="2022-03-31"))
    line = narrative.headline(view)
    assert line.startswith(
        "Russia's military losses, killed: Moscow (MoD) last gave 1,351 “have died” (killed) as of 25 March 2022"
    )
    assert "The latest honest comparison, figures at most 7 days apart:" in line and " times Moscow (MoD)'s" in line
