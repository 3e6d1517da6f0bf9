"""Write (`make lock`) or check (`make lock-check`, CI) requirements.lock and environment.yml.

One resolution for both, so the check is exactly what `make lock` would write: uv's universal
resolution of pyproject.toml + requirements.in (Python 3.11 and newer, every OS and machine), with
hashes, starting from the committed lock so that today's pins are kept (uv treats the existing
output file as preferences; `uv pip compile` has no `--check` of its own, which `uv lock` has).
`--check` exits 1 with a unified diff when pyproject.toml or requirements.in changed without
`make lock`, or when either file was edited by hand.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from write_environment_yml import render  # noqa: E402  (a sibling script, not a package)

COMPILE = [
    "pip",
    "compile",
    "pyproject.toml",
    "requirements.in",
    "--universal",
    "--python-version",
    "3.11",
    "--generate-hashes",
    "--no-header",
    "--quiet",
    "--custom-compile-command",
    "make lock",
]


def resolve(root: Path) -> str:
    """The lock `make lock` would write for the project in root, with the committed pins preferred."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        sys.exit("uv is not installed (it comes with `make .venv/.installed`)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "requirements.lock"
        if (root / "requirements.lock").exists():
            shutil.copyfile(root / "requirements.lock", out)
        subprocess.run([uv, *COMPILE, "-o", str(out)], cwd=root, check=True)
        return out.read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    lock = resolve(args.root)
    wanted = {"requirements.lock": lock, "environment.yml": render(lock)}
    if not args.check:
        for name, text in wanted.items():
            (args.root / name).write_text(text, encoding="utf-8")
        return 0
    stale = False
    for name, text in wanted.items():
        path = args.root / name
        have = path.read_text(encoding="utf-8") if path.exists() else ""
        if have != text:
            stale = True
            sys.stdout.writelines(
                difflib.unified_diff(
                    have.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    f"{name} (committed)",
                    f"{name} (what `make lock` writes)",
                )
            )
    if stale:
        print("requirements.lock or environment.yml is stale: run `make lock` and commit both", file=sys.stderr)
        return 1
    print("requirements.lock and environment.yml are what `make lock` writes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
