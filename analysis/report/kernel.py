"""The kernel the report build runs each notebook in: a fresh, ordinary ipykernel process.

    python -m analysis.report.kernel -f CONNECTION_FILE

One difference from `python -m ipykernel_launcher`: the module `rfc3987_syntax` is made
unimportable before anything else is imported. jsonschema (imported by altair) imports it to
offer the `iri` / `iri-reference` format checkers, and building its lark grammars costs about
1-2.4 s of CPU in every process (python-jsonschema/jsonschema#1392; the fork rfc3987-syntax2 loads
lazily). Neither altair's Vega-Lite schema (formats: uri, uri-reference, color-hex) nor nbformat's
schema uses those two formats, so validation results are unchanged; jsonschema simply does not
register the two checkers. Each notebook still runs top to bottom in a new kernel process.
"""

from __future__ import annotations

import sys

BLOCKED_MODULES = ("rfc3987_syntax",)


def block_slow_imports() -> None:
    """Make the slow, unused modules unimportable (ImportError) unless already imported."""
    for name in BLOCKED_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def main() -> None:
    block_slow_imports()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
