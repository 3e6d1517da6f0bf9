import pytest

from analysis.dataset import load_conflict


@pytest.fixture(scope="session")
def ru_ua():
    """The real Russia–Ukraine data, loaded once (data tests run the real data/raw)."""
    return load_conflict("russia-ukraine")
