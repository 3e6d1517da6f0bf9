"""Every combination works (issue: honest comparisons, item 6): for every conflict, side, population
and metric, compare_claims either builds every section or stops with one ParameterError line, and
the catalog check refuses exactly what the notebook refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import vocabulary as vocab
from analysis.dataset import list_conflicts, load_conflict
from analysis.params import ParameterError, check_compare_parameters, conflict_facts
from analysis.publish import artifact_bundle
from analysis.report.catalog import check_entries, read_catalog
from tests.fixture_data import REAL_DATA, REPO, SPARSE_DATA, VALID_DATA

DATA_DIRS = {"real": REAL_DATA, "valid": VALID_DATA, "sparse": SPARSE_DATA}
SECTIONS = (
    "header",
    "latest",
    "key_numbers",
    "cumulative",
    "ratio",
    "rates",
    "ladder",
    "staleness",
    "assumptions",
    "caveats",
    "tables",
    "sources",
)


def combinations():
    for name, data_dir in DATA_DIRS.items():
        for conflict in list_conflicts(data_dir):
            sides = load_conflict(conflict, data_dir).sides["side_id"].to_list()
            for side in sides:
                for population in vocab.POPULATION:
                    for metric in vocab.METRIC:
                        yield pytest.param(
                            data_dir, conflict, side, population, metric, id=f"{name}-{side}-{population}-{metric}"
                        )


def run_compare(data_dir: Path, **parameters) -> int:
    """Every section of the compare page, publish replaced by a collector; the artifacts made."""
    import analysis.pages as pages

    made = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            pages,
            "publish",
            lambda name, obj, title=None, collapsed=False: made.append(artifact_bundle(name, obj, title=title)),
        )
        patch.setattr(pages.ComparePage, "_nothing", staticmethod(lambda message: None))
        page = pages.compare_page(data_dir=data_dir, **parameters)
        for section in SECTIONS:
            getattr(page, section)()
    return len(made)


@pytest.mark.parametrize("data_dir, conflict, side, population, metric", list(combinations()))
def test_compare_claims_builds_or_says_why_in_one_line(data_dir, conflict, side, population, metric):
    parameters = dict(conflict=conflict, subject_side=side, population=population, metric=metric)
    try:
        check_compare_parameters(data_dir=data_dir, **parameters)
    except ParameterError as exc:
        assert "\n" not in str(exc) and "valid" in str(exc) or "the data hold" in str(exc)
        assert exc._render_traceback_() == [f"ParameterError: {exc}"]
        return
    assert run_compare(data_dir, **parameters) >= 3  # tables at least


@pytest.mark.parametrize("name", sorted(DATA_DIRS))
def test_the_catalog_refuses_exactly_what_the_notebook_refuses(name, tmp_path):
    data_dir = DATA_DIRS[name]
    entries, expected = [], {}
    for number, conflict in enumerate(list_conflicts(data_dir)):
        for side in load_conflict(conflict, data_dir).sides["side_id"].to_list():
            for population in vocab.POPULATION:
                for metric in vocab.METRIC:
                    # the conflict by its number: a slug has at most 64 characters, and a long
                    # conflict id with a side, population and metric can exceed them
                    slug = f"c{number}-{side}-{population}-{metric}".replace("_", "-")
                    parameters = dict(conflict=conflict, subject_side=side, population=population, metric=metric)
                    try:
                        check_compare_parameters(data_dir=data_dir, **parameters)
                        expected[slug] = True
                    except ParameterError:
                        expected[slug] = False
                    entries.append(
                        {
                            "slug": slug,
                            "title": slug,
                            "notebook": str(REPO / "notebooks" / "compare_claims.ipynb"),
                            "parameters": parameters,
                        }
                    )
    catalog = tmp_path / "catalog.yml"
    catalog.write_text(json.dumps({"data_dir": str(data_dir), "reports": entries}), encoding="utf-8")
    read = read_catalog(catalog)
    facts = {c: conflict_facts(load_conflict(c, data_dir)) for c in list_conflicts(data_dir)}
    problems, accepted = check_entries(read, list_conflicts(data_dir), facts.__getitem__)
    assert {slug: slug in accepted for slug in expected} == expected, problems
    assert any(expected.values()) and not all(expected.values())
