"""The data dictionary (data/raw/README.md) documents exactly the vocabularies in the code."""

import re
from pathlib import Path

import pytest

from analysis import vocabulary

DICTIONARY = (Path(__file__).resolve().parent.parent / "data" / "raw" / "README.md").read_text()


def documented_terms(heading: str) -> list[str]:
    section = re.search(rf"^### {re.escape(heading)}\b.*?\n(.*?)(?=^### |\Z)", DICTIONARY, re.S | re.M)
    assert section, f"data/raw/README.md has no '### {heading}' section"
    return re.findall(r"^\| `([a-z_]+)` \|", section.group(1), re.M)


@pytest.mark.parametrize("name", sorted(vocabulary.VOCABULARIES))
def test_every_vocabulary_term_is_documented_and_nothing_else(name):
    assert documented_terms(name) == list(vocabulary.VOCABULARIES[name])


def test_roles_are_documented():
    assert documented_terms("role") == list(vocabulary.ROLE)


def test_every_term_has_a_definition():
    for name, terms in vocabulary.VOCABULARIES.items():
        for term, definition in terms.items():
            assert len(definition) > 10, f"{name}.{term} needs a real definition"


def test_every_claim_role_is_shown_in_exactly_one_report_role():
    shown = {report: vocabulary.roles_shown_as(report) for report in vocabulary.REPORT_ROLES}
    assert shown == {
        "official": ("official",),
        "opposing": ("opposing",),
        "independent": ("third_party", "independent"),
    }
    assert sorted(role for roles in shown.values() for role in roles) == sorted(vocabulary.ROLE)
