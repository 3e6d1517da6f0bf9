import pytest

from analysis.dataset import load_conflict


@pytest.fixture(scope="session")
def ru_ua():
    """The real Russia–Ukraine data, loaded once (data tests run the real data/raw)."""
    return load_conflict("russia-ukraine")


@pytest.fixture(scope="session")
def sparse():
    """The fictional sparse war (tests/fixtures/sparse): statements weeks apart, a ceasefire on
    15 June 2024, final tolls months later, one revision downwards."""
    from tests.fixture_data import SPARSE_DATA, SPARSE_ID

    return load_conflict(SPARSE_ID, SPARSE_DATA)
