"""Check that requirements.lock installs on every Python and platform it claims (issue #15).

Our machines run Linux x86_64 only (Python 3.11, with pyenv's 3.12 and 3.13 beside it), so the
other targets are checked from the outside, two ways that must agree:

1. uv itself: `uv pip install --dry-run --require-hashes --no-deps --python-platform P
   --python-version V -r requirements.lock` resolves the lock for the target (its markers, its
   hashes, a distribution for every pin) without installing anything;
2. the lock's own hashes: for every pin whose marker holds on the target, the files on the package
   index (PEP 691 JSON) whose sha256 the lock lists must include a wheel whose tags the target
   accepts (packaging.tags) or a source distribution, and admit the Python (requires-python).

Prints one line per target and exits 1 when a target lacks a distribution or the two disagree.
Needs the package index (as `make lock` does). Usage: check_lock_platforms.py [requirements.lock]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

INDEX = "https://pypi.org/simple"
PYTHONS = ("3.11", "3.12", "3.13")
# uv's default targets: manylinux_2_28 was the lock's only target before; macOS 13 is uv's default
# for both macOS triples (the oldest macOS Apple still supports).
GLIBC = (2, 28)
MACOS = (13, 0)


@dataclass(frozen=True)
class Platform:
    name: str
    uv: str  # uv's --python-platform
    markers: dict[str, str]
    platform_tags: tuple[str, ...]


def manylinux(arch: str) -> tuple[str, ...]:
    """Every manylinux tag a glibc-2.28 system accepts, with the legacy aliases wheels still use."""
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(GLIBC[1], 4, -1)]
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    return tuple(
        tags
        + [
            f"{alias}_{arch}"
            for minor, alias in legacy.items()
            if minor <= GLIBC[1] and (arch == "x86_64" or minor == 17)
        ]
    )


def linux(arch: str) -> Platform:
    return Platform(
        f"linux {arch}",
        f"{arch}-manylinux_2_28",
        {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": arch},
        manylinux(arch),
    )


def macos(arch: str) -> Platform:
    triple = "aarch64-apple-darwin" if arch == "arm64" else "x86_64-apple-darwin"
    return Platform(
        f"macOS {arch}",
        triple,
        {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": arch},
        tuple(mac_platforms(MACOS, arch)),
    )


PLATFORMS = (
    linux("x86_64"),
    linux("aarch64"),
    macos("arm64"),
    macos("x86_64"),
    Platform(
        "Windows x86_64",
        "x86_64-pc-windows-msvc",
        {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64"},
        ("win_amd64",),
    ),
)


@dataclass
class Pin:
    requirement: Requirement
    hashes: set[str]

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)

    @property
    def version(self) -> str:
        return next(iter(self.requirement.specifier)).version


def read_lock_text(text: str) -> list[Pin]:
    """The lock's pins with their hashes (uv writes one pin, then its `--hash=` lines)."""
    pins: list[Pin] = []
    for line in text.splitlines():
        entry = line.strip().rstrip("\\").strip()
        if not entry or entry.startswith("#"):
            continue
        if entry.startswith("--hash=sha256:"):
            pins[-1].hashes.add(entry.removeprefix("--hash=sha256:"))
        else:
            pins.append(Pin(Requirement(entry), set()))
    return pins


def index_files(name: str) -> list[dict]:
    request = urllib.request.Request(f"{INDEX}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["files"]


def target_tags(python: str, platform: Platform) -> set[Tag]:
    version = tuple(int(part) for part in python.split("."))
    interpreter = f"cp{version[0]}{version[1]}"
    return set(cpython_tags(version, platforms=platform.platform_tags)) | set(
        compatible_tags(version, interpreter, platform.platform_tags)
    )


def environment(python: str, platform: Platform) -> dict[str, str]:
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        **platform.markers,
    }


def check_hashes(pins: list[Pin], files: dict[str, list[dict]], python: str, platform: Platform):
    """(names on this target, names installed from a wheel, from an sdist, with nothing usable)."""
    tags, env = target_tags(python, platform), environment(python, platform)
    names, wheels, sdists, missing = set(), set(), set(), set()
    for pin in pins:
        if pin.requirement.marker is not None and not pin.requirement.marker.evaluate(env):
            continue
        names.add(pin.name)
        locked = [
            f
            for f in files[pin.name]
            if f["hashes"].get("sha256") in pin.hashes
            and not f.get("yanked")
            and python + ".0" in SpecifierSet(f.get("requires-python") or "")
        ]
        if any(f["filename"].endswith(".whl") and parse_wheel_filename(f["filename"])[3] & tags for f in locked):
            wheels.add(pin.name)
        elif any(not f["filename"].endswith(".whl") and parse_sdist_filename(f["filename"]) for f in locked):
            sdists.add(pin.name)
        else:
            missing.add(pin.name)
    return names, wheels, sdists, missing


def uv_names(lock: Path, python: str, platform: Platform) -> set[str]:
    """The names uv would install from the lock on the target (raises when it cannot)."""
    uv = Path(sys.executable).with_name("uv")
    with tempfile.TemporaryDirectory() as target:
        run = subprocess.run(
            [
                str(uv),
                "pip",
                "install",
                "--dry-run",
                "--require-hashes",
                "--no-deps",
                "--no-config",
                "--target",
                target,
                "--python-platform",
                platform.uv,
                "--python-version",
                python,
                "-r",
                str(lock),
            ],
            capture_output=True,
            text=True,
        )
    if run.returncode:
        raise RuntimeError(f"uv cannot install the lock on {python} {platform.name}:\n{run.stderr}")
    return {canonicalize_name(m.group(1)) for m in re.finditer(r"^ \+ ([^=\s]+)==", run.stderr, re.M)}


def main(lock: Path) -> int:
    pins = read_lock_text(lock.read_text(encoding="utf-8"))
    with ThreadPoolExecutor(8) as pool:
        files = dict(zip([p.name for p in pins], pool.map(index_files, [p.name for p in pins]), strict=True))
    failed = False
    print(f"{lock}: {len(pins)} pins")
    for python in PYTHONS:
        for platform in PLATFORMS:
            names, wheels, sdists, missing = check_hashes(pins, files, python, platform)
            try:
                by_uv = uv_names(lock, python, platform)
                agree = "uv agrees" if by_uv == names else f"uv differs: {sorted(by_uv ^ names)}"
            except RuntimeError as error:
                by_uv, agree = set(), str(error)
            bad = bool(missing) or by_uv != names
            failed |= bad
            print(
                f"{'FAIL' if bad else 'ok  '} Python {python} {platform.name:15} {len(names)} packages: "
                f"{len(wheels)} wheels, {len(sdists)} sdist only {sorted(sdists)}, "
                f"{len(missing)} without a distribution {sorted(missing)}; {agree}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock")))
