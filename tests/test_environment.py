"""environment.yml (conda users) and requirements.lock (pip/uv) must pin the same environment."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s\\;]+)")


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if m := PIN.match(line):
            pins[m.group(1).lower()] = m.group(2)
    return pins


def environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    pins = {}
    for item in pip_section:
        if m := PIN.match(item):
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_environment_yml_and_lock_pin_the_same_packages_and_versions():
    lock, env = lock_pins(), environment_pins()
    assert len(lock) > 50, "the lock should pin the whole environment"
    only_lock = {k: v for k, v in lock.items() if k not in env}
    only_env = {k: v for k, v in env.items() if k not in lock}
    differ = {k: (lock[k], env[k]) for k in lock.keys() & env.keys() if lock[k] != env[k]}
    assert not (only_lock or only_env or differ), (
        f"run `make lock`: only in lock {only_lock}, only in environment.yml {only_env}, "
        f"different versions {differ}")


def test_environment_yml_uses_the_projects_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


def test_every_lock_entry_is_hashed():
    text = (ROOT / "requirements.lock").read_text()
    entries = [line for line in text.splitlines() if PIN.match(line)]
    assert all(line.rstrip().endswith("\\") for line in entries), "every pin must be followed by its hashes"
    assert text.count("--hash=sha256:") >= len(entries)
