import os
import sys

import pytest
import yaml

from analysis.dataset import load_conflict
from tests.fixture_data import SITES, claims_build


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


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """site(name) -> (catalog entries, output dir, data dir): a catalog of fixture_data.SITES built
    once per test run. Several files read the same built reports (the sparse war's: read as text,
    audited, printed, downloaded), and each build costs kernels; tests only read the output (one
    that changes a page writes a copy elsewhere).

    Under pytest-xdist each worker is a session, so the folder is the run's, shared by the workers
    (the parent of a worker's basetemp), and every worker runs the build: the build's own lock makes
    the second wait, and it then finds every report up to date (an incremental no-op build)."""
    done = {}
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent

    def build(name: str):
        if name not in done:
            catalog, data_dir = SITES[name]
            out = root / f"site-{name}"
            result = claims_build("--catalog", catalog, "--out", out, timeout=900)
            assert result.returncode == 0, result.stdout + result.stderr
            done[name] = (yaml.safe_load(catalog.read_text(encoding="utf-8"))["reports"], out, data_dir)
        return done[name]

    return build


@pytest.fixture(autouse=True)
def altair_data_transformer_reset():
    """The pages enable VegaFusion's data transformer process-wide, as a notebook does; after each
    test altair is given back its default, so no test depends on which ran before it in the same
    process (under pytest-xdist a worker runs files in another order than a single process)."""
    yield
    altair = sys.modules.get("altair")
    if altair is not None and altair.data_transformers.active != "default":
        altair.data_transformers.enable("default")
