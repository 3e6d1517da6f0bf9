"""The lock: one environment for Python 3.11-3.13 on Linux, macOS and Windows (issue #15).

environment.yml (conda users) and requirements.lock (pip/uv) must pin the same environment, the lock
must be what `make lock` writes (the CI check), and every pin must have a distribution for every
target. The last two ask the package index, as `make lock` does (CI reaches PyPI).
"""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s\\;]+)(?:\s*;\s*([^\\]+?))?\s*\\?\s*$")
WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


platforms = load_script("check_lock_platforms")


def lock_pins(text: str | None = None) -> dict[str, tuple[str, str | None]]:
    pins = {}
    for line in (text or (ROOT / "requirements.lock").read_text()).splitlines():
        if m := PIN.match(line):
            pins[m.group(1).lower()] = (m.group(2), m.group(3))
    return pins


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def environment_pins() -> dict[str, tuple[str, str | None]]:
    pip_section = next(d["pip"] for d in environment()["dependencies"] if isinstance(d, dict) and "pip" in d)
    pins = {}
    for item in pip_section:
        if m := PIN.match(item):
            pins[m.group(1).lower()] = (m.group(2), m.group(3))
    return pins


def test_environment_yml_and_lock_pin_the_same_packages_versions_and_markers():
    lock, env = lock_pins(), environment_pins()
    assert len(lock) > 50, "the lock should pin the whole environment"
    only_lock = {k: v for k, v in lock.items() if k not in env}
    only_env = {k: v for k, v in env.items() if k not in lock}
    differ = {k: (lock[k], env[k]) for k in lock.keys() & env.keys() if lock[k] != env[k]}
    assert not (only_lock or only_env or differ), (
        f"run `make lock`: only in lock {only_lock}, only in environment.yml {only_env}, "
        f"different versions or markers {differ}"
    )


def test_the_lock_is_universal():
    """Pins that only some platforms and Pythons install carry their markers (a lock resolved for
    one platform, as before, has none)."""
    markers = {name: marker for name, (_, marker) in lock_pins().items() if marker}
    assert "os_name == 'nt'" in markers.get("pywinpty", ""), "Windows' terminal for Jupyter"
    assert "sys_platform == 'darwin'" in markers.get("appnope", ""), "macOS' App Nap for ipykernel"
    for name, marker in markers.items():  # every marker parses and holds on some target
        requirement = Requirement(f"{name} ; {marker}")
        assert any(
            requirement.marker.evaluate(platforms.environment(python, platform))
            for python in platforms.PYTHONS
            for platform in platforms.PLATFORMS
        ), f"{name} is installed on none of the targets: {marker}"


def test_the_projects_pythons_agree_everywhere():
    """3.11-3.13: the targets checked, conda's python spec, the CI matrix and requires-python."""
    checked = set(platforms.PYTHONS)
    (python_spec,) = [d for d in environment()["dependencies"] if isinstance(d, str) and d.startswith("python")]
    conda = SpecifierSet(python_spec.removeprefix("python"))
    candidates = [f"3.{minor}" for minor in range(8, 16)]
    assert {v for v in candidates if f"{v}.0" in conda} == checked
    requires = re.search(r'^requires-python\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert all(f"{v}.0" in SpecifierSet(requires) for v in checked)
    matrix = yaml.safe_load(WORKFLOW.read_text())["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert set(matrix) == checked


def test_every_lock_entry_is_hashed():
    text = (ROOT / "requirements.lock").read_text()
    entries = [line for line in text.splitlines() if PIN.match(line)]
    assert all(line.rstrip().endswith("\\") for line in entries), "every pin must be followed by its hashes"
    assert text.count("--hash=sha256:") >= len(entries)


# --- every pin has a distribution on every target (the hashes' files) -------------------------

WHEEL_LINUX = "demo-1.0-cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_MAC = "demo-1.0-cp311-abi3-macosx_11_0_arm64.whl"


def test_the_distribution_check_sees_a_missing_wheel_and_an_sdist():
    """The control of the check below, offline: a pin whose hashed files are Linux and macOS-arm
    wheels has nothing for Windows or Intel Macs; an sdist-only pin is reported as such; an unhashed
    file does not count; a pin whose marker excludes the target is not looked for."""
    lock = (
        "demo==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
        "pure==2.0 \\\n    --hash=sha256:cc\n"
        "winonly==3.0 ; sys_platform == 'win32' \\\n    --hash=sha256:dd\n"
    )
    files = {
        "demo": [
            {"filename": WHEEL_LINUX, "hashes": {"sha256": "aa"}},
            {"filename": WHEEL_MAC, "hashes": {"sha256": "bb"}},
            {"filename": "demo-1.0-cp311-abi3-win_amd64.whl", "hashes": {"sha256": "not-in-the-lock"}},
        ],
        "pure": [{"filename": "pure-2.0.tar.gz", "hashes": {"sha256": "cc"}}],
        "winonly": [{"filename": "winonly-3.0-py3-none-any.whl", "hashes": {"sha256": "dd"}}],
    }
    pins = platforms.read_lock_text(lock)
    by_name = {p.name: p for p in platforms.PLATFORMS}
    names, wheels, sdists, missing = platforms.check_hashes(pins, files, "3.12", by_name["linux x86_64"])
    assert (names, wheels, sdists, missing) == ({"demo", "pure"}, {"demo"}, {"pure"}, set())
    names, wheels, sdists, missing = platforms.check_hashes(pins, files, "3.13", by_name["Windows x86_64"])
    assert (names, wheels, missing) == ({"demo", "pure", "winonly"}, {"winonly"}, {"demo"})
    assert platforms.check_hashes(pins, files, "3.11", by_name["macOS x86_64"])[3] == {"demo"}
    assert platforms.check_hashes(pins, files, "3.11", by_name["macOS arm64"])[3] == set()


def test_every_locked_package_has_a_distribution_on_every_target():
    """3.11-3.13 x Linux x86_64/aarch64, macOS arm64/x86_64, Windows x86_64, asked of uv and read
    from the hashes' files (needs the package index)."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_lock_platforms.py"), str(ROOT / "requirements.lock")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith(("ok", "FAIL"))]
    assert len(lines) == len(platforms.PYTHONS) * len(platforms.PLATFORMS), run.stdout + run.stderr
    assert run.returncode == 0 and all(line.startswith("ok") for line in lines), run.stdout + run.stderr


# --- the lock check of CI (`make lock-check`) ---------------------------------------------------


def lock_check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lock.py"), "--check", "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def project_copy(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "requirements.in", "requirements.lock", "environment.yml", "README.md"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_committed_lock_is_what_make_lock_writes(tmp_path):
    run = lock_check(project_copy(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_lock_check_fails_with_a_diff_when_requirements_change_without_make_lock(tmp_path):
    root = project_copy(tmp_path)
    with (root / "requirements.in").open("a") as requirements:
        requirements.write("texttable\n")
    run = lock_check(root)
    assert run.returncode == 1
    assert "+texttable==" in run.stdout and "requirements.lock (what `make lock` writes)" in run.stdout
    assert "run `make lock`" in run.stderr


def test_the_lock_check_fails_when_environment_yml_is_edited_by_hand(tmp_path):
    root = project_copy(tmp_path)
    text = (root / "environment.yml").read_text()
    (root / "environment.yml").write_text(text.replace("polars==", "polars>=", 1))
    run = lock_check(root)
    assert run.returncode == 1 and "-      - polars>=" in run.stdout, run.stdout + run.stderr
