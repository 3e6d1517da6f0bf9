"""Where a project and its data are, from any folder, installed or not.

A project is the nearest folder upwards from the working directory that holds reports.yml (the
report catalog); its data folder is the catalog's `data_dir` (default data/raw). CLAIMS_DATA_DIR
names a data folder directly. Precedence: what a caller names explicitly (a data_dir argument,
`claims --project`, `claims build --catalog`) > CLAIMS_DATA_DIR > the reports.yml found upwards.
Nothing is looked up relative to this package's own files: one environment serves any checkout.
Plain Python and PyYAML only (the build's driver imports it before anything heavy).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

DATA_DIR_ENV = "CLAIMS_DATA_DIR"
CATALOG_FILE = "reports.yml"  # marks a project's folder (the report catalog)
DEFAULT_DATA_DIR = "data/raw"  # a catalog's data_dir when it names none, relative to the catalog
CONFLICT_FILE = "conflict.yml"  # marks a conflict's folder in the data folder


class NoDataDir(LookupError):
    """Neither a project (reports.yml, upwards from the working directory) nor CLAIMS_DATA_DIR:
    one line that names both ways of pointing at data."""


def find_project(start: Path | None = None) -> Path | None:
    """The nearest folder upwards from start (the working directory) that holds reports.yml."""
    here = Path(start or Path.cwd()).resolve()
    return next((folder for folder in (here, *here.parents) if (folder / CATALOG_FILE).is_file()), None)


def catalog_data_dir(catalog: Path, value: object = None) -> Path:
    """A catalog's data folder: its `data_dir` (relative to the catalog file), default data/raw.
    value: the key as already parsed (the catalog reader has it); None reads it from the file."""
    catalog = Path(catalog).resolve()
    if value is None:
        try:
            data = yaml.safe_load(catalog.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            data = None  # `claims validate` and the build report a broken catalog themselves
        value = data.get("data_dir") if isinstance(data, dict) else None
    return catalog.parent / str(value or DEFAULT_DATA_DIR)


def default_data_dir(start: Path | None = None) -> Path:
    """The data folder when none is given: CLAIMS_DATA_DIR, else the data_dir of the nearest
    reports.yml upwards from the working directory (so a notebook, the library and `claims`
    find the same data from any folder of a project, installed or not); NoDataDir otherwise.
    The build gives its kernels CLAIMS_DATA_DIR explicitly."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    project = find_project(start)
    if project is None:
        here = Path(start or Path.cwd()).resolve()
        raise NoDataDir(
            f"no data folder: no {CATALOG_FILE} in {here} or any parent (use --project DIR) "
            f"and {DATA_DIR_ENV} is not set"
        )
    return catalog_data_dir(project / CATALOG_FILE)


def conflict_dirs(data_dir: Path) -> list[Path]:
    """Every folder under data_dir that holds a conflict.yml, sorted by name (here, not in
    analysis.load, so that the build lists conflicts without importing polars)."""
    return sorted(p.parent for p in Path(data_dir).glob(f"*/{CONFLICT_FILE}"))


def compose_and_construct(text: str, loader_class) -> tuple:
    """(node, data) of a single-document YAML text: what yaml.compose and then yaml.load do,
    parsing the text once instead of twice."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def parse_yaml(text: str, careful, fast=None) -> tuple:
    """(node, data) of a YAML text whose node marks give line numbers: from libyaml's C parser
    (`fast`, about ten times faster) when it parses the text cleanly, else from the pure-Python
    `careful` loader, which raises the error we report. A merge key (<<) makes constructing rewrite
    the node tree, so such a text is composed and loaded apart."""
    if "<<" in text:
        return yaml.compose(text, Loader=careful), yaml.load(text, Loader=careful)  # noqa: S506 - safe loaders
    if fast is None:
        return compose_and_construct(text, careful)
    try:
        return compose_and_construct(text, fast)
    except yaml.YAMLError:  # reported as the pure-Python parser words it, at its line
        return compose_and_construct(text, careful)


FAST_SAFE_LOADER = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else None  # for parse_yaml
