"""Print (issue #13, item 9): Chromium's print-to-PDF of a built report gives readable pages with
every chart and no cut table.

Prints two reports of the fictional sparse war (conftest.py's `site`, built once a test run) over
the DevTools protocol (Page.printToPDF, the report's print stylesheet and CSS page sizes) and reads
the PDF back with pdftotext (Debian's poppler-utils; .ci/run installs it): more than one page, every
chart's title and every published table's last column header in the text, and no word beyond
the right edge of its page. Slow: real kernels."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.report.audit import print_to_pdf
from analysis.report.offline import Browser, find_chromium

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None, reason="chromium is not installed (.ci/run installs it)"),
]

SLUGS = ["ruritania-losses", "ruritania-borduria-overview"]
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')
MARGIN = 36  # points: the report's @page margin, 0.5in
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)


@pytest.fixture(scope="module")
def printed(site, tmp_path_factory):
    """(folder, {slug: print result}): the PDFs go to a folder of their own; the HTML is read from
    the shared build."""
    built = site("sparse")[1]
    out = tmp_path_factory.mktemp("printed")
    with Browser() as browser:
        results = {slug: print_to_pdf(built / f"{slug}.html", browser) for slug in SLUGS}
    for slug, printed_page in results.items():
        (out / f"{slug}.pdf").write_bytes(printed_page.pdf)
        shutil.copy(built / f"{slug}.html", out / f"{slug}.html")
    return out, results


def pdf_words(pdf: Path) -> list[tuple[float, float, list[tuple[float, float, str]]]]:
    """[(page width, page height, [(xMin, xMax, word)])] from pdftotext -bbox."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext is not installed (Debian's poppler-utils; .ci/run installs it)")
    out = subprocess.run([pdftotext, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [
        (float(w), float(h), [(float(a), float(b), html.unescape(t)) for a, b, t in WORD.findall(body)])
        for w, h, body in PAGE.findall(out)
    ]


def on_one_page(text: str, pages) -> bool:
    """Every word of `text` is on one page (a header may wrap, its words between other cells')."""
    wanted = set(text.split())
    return any(wanted <= {word for _, _, word in words} for _, _, words in pages)


@pytest.mark.parametrize("slug", SLUGS)
def test_print_to_pdf_has_pages_every_chart_and_every_table_whole(printed, slug):
    out, results = printed
    result = results[slug]
    assert result.pdf.startswith(b"%PDF-")
    pages = pdf_words(out / f"{slug}.pdf")
    assert len(pages) > 1
    assert result.chart_titles and all(result.chart_titles), result.chart_titles
    for title in result.chart_titles:
        assert on_one_page(title, pages), f"chart {title!r} is not in the PDF"
    assert result.table_last_headers, "the report has published tables"
    for header in result.table_last_headers:
        assert on_one_page(header, pages), f"a table's last column {header!r} is not in the PDF"
    cut = [
        (number, word, x_max, width)
        for number, (width, _, words) in enumerate(pages, 1)
        for _, x_max, word in words
        if x_max > width - MARGIN + 0.5
    ]
    assert not cut, f"words beyond the right margin (page, word, right edge, page width): {cut[:10]}"


def test_print_opens_collapsed_sections_and_hides_the_chart_menus(printed):
    out, _ = printed
    pages = pdf_words(out / f"{SLUGS[0]}.pdf")
    text = " ".join(word for _, _, words in pages for _, _, word in words)
    built = (out / f"{SLUGS[0]}.html").read_text(encoding="utf-8")
    assert "<details" in built
    # the parameters table sits in a collapsed <details>; printed, its rows show
    assert "subject_side" in text and "ruritania" in text
    assert "Save as SVG" not in text and "View Source" not in text
