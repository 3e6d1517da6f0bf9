# casualty-claims — `make reports` and `make test` are all a newcomer needs (Python >= 3.11, make, git).
SHELL := /bin/bash
# The Python that creates .venv: PYTHON=... when given, else the first of these on PATH that is 3.11
# or newer (the lock is resolved and checked for 3.11, 3.12 and 3.13). python3 first: it is the one
# the user chose (an activated environment, pyenv, CI's setup-python), where a system python3.12
# could otherwise win over it; the versioned names serve where python3 is older. Deferred (?=):
# only the recipes that create .venv run it.
PYTHONS := python3 python3.13 python3.12 python3.11
PYTHON ?= $(firstword $(foreach p,$(PYTHONS),$(shell $(p) -c 'import sys; print(sys.version_info >= (3, 11) and "$(p)" or "")' 2>/dev/null)))
VENV := .venv
BIN := $(VENV)/bin
# The environment is rebuilt when the lock, the package metadata or this recipe is newer than this stamp.
# --compile-bytecode: with PYTHONDONTWRITEBYTECODE=1 (set on our machines) every process would
# otherwise compile each imported module from source (~0.45 s of CPU per kernel).
# --install-vega-assets: the inline vega bundle of the reports, made once per environment.
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help reports test test-all validate lab lock lock-check benchmark clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.lock requirements-bootstrap.txt pyproject.toml Makefile
	@test -n "$(PYTHON)" || { echo "casualty-claims needs Python >= 3.11 and none of $(PYTHONS) on PATH is one: set PYTHON=/path/to/python3.11 (or newer)" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "casualty-claims needs Python >= 3.11, %s is %s: set PYTHON=/path/to/python3.11 (or newer)" % (sys.executable, sys.version.split()[0]))'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-bootstrap.txt
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes --compile-bytecode requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m analysis.report.export --install-vega-assets
	@touch $(STAMP)

reports: $(STAMP) ## Build the stale reports of reports.yml into reports/ (creates .venv first if needed)
	$(BIN)/claims build

# pytest-xdist: one worker per core; --dist loadfile keeps a file's tests on one worker, so its
# module-scoped fixtures (builds, subprocess runs) run once. (Not loadgroup: with pytest 9.2 it
# silently stops grouping, pytest-xdist issue #1386.)
PYTEST := $(BIN)/python -m pytest -n logical --dist loadfile

test: $(STAMP) ## Run the fast tests: all but those marked slow (kernels, builds, Chromium); ~1-2 min
	$(PYTEST) -m "not slow"

test-all: $(STAMP) ## Run every test, the slow ones too (what CI runs)
	$(PYTEST)

validate: $(STAMP) ## Validate data/raw
	$(BIN)/claims validate

# Jupyter refuses to start as root without --allow-root (containers, CI machines); given only then.
lab: $(STAMP) ## Open JupyterLab on notebooks/ in the project environment
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root )notebooks/

benchmark: $(STAMP) ## Run the benchmarks in benchmarks/ (prints figures; not a test)
	@echo "== benchmarks/bench_build.py"; $(BIN)/python benchmarks/bench_build.py
	@echo "== benchmarks/bench_engine.py (in one process and in 2 worker processes, side by side)"; \
	  $(BIN)/python benchmarks/bench_engine.py --compare-jobs

lock: $(STAMP) ## Re-resolve requirements.lock and environment.yml (every OS, Python >= 3.11) from pyproject.toml + requirements.in
	$(BIN)/python scripts/lock.py

lock-check: $(STAMP) ## Fail with a diff when requirements.lock or environment.yml is not what `make lock` writes (CI)
	$(BIN)/python scripts/lock.py --check

clean: ## Remove the environment and built reports (with the build cache and run manifest)
	rm -rf $(VENV) reports/*.html reports/*/ reports/manifest.json reports/.build
