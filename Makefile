# Quick start: `make demo` and `make test` set everything up on a machine with Python 3.10+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Poetry installs .venv from poetry.lock. It runs from an environment of its own inside .venv,
# as Poetry's documentation asks: in the environment it manages, installing the lock could
# replace a package Poetry itself runs on. .venv/bin/poetry links to it. Its version range is
# pyproject.toml's `requires-poetry` (Poetry refuses to work on the project outside it).
POETRY_ENV     := $(VENV)/poetry
POETRY         := $(BIN)/poetry
POETRY_VERSION  = $(shell sed -n 's/^requires-poetry *= *"\([^"]*\)".*/\1/p' pyproject.toml)
# Whatever environment the caller has active, Poetry works on .venv.
RUN_POETRY     := env -u CONDA_PREFIX VIRTUAL_ENV=$(CURDIR)/$(VENV) $(POETRY)

.PHONY: setup poetry demo lint test test-fast bench builder lock clean

# `poetry sync` makes .venv hold exactly the lock's runtime and dev groups, every file checked
# against its hash in the lock, plus the connector and the sandbox (the dev group's path
# dependency) installed editable from the checkout; the image installs the same lock's runtime group.
$(STAMP): pyproject.toml poetry.lock poetry.toml sendoso_sandbox/pyproject.toml
	@$(MAKE) --no-print-directory poetry
	$(RUN_POETRY) sync --no-interaction --quiet
	@touch $(STAMP)

poetry:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(POETRY_ENV)/bin/python || $(PYTHON) -m venv $(POETRY_ENV)
	$(POETRY_ENV)/bin/python -m pip install --quiet "poetry$(POETRY_VERSION)"
	@ln -sfn ../poetry/bin/poetry $(POETRY)

setup: $(STAMP)

demo: setup
	$(BIN)/python -m demo

# ruff and mypy read their settings from pyproject.toml. `ruff format .` fixes what the check finds.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Most of an integration test is a connector or sandbox process at work or waiting out a
# backoff, so two processes of tests keep two cores busy. A test file is the unit handed out:
# its module fixtures (a sandbox, a batch of connector runs side by side) run once.
# `make test TEST_WORKERS=0` runs them in this process.
TEST_WORKERS ?= 2

test: lint
	$(BIN)/python -m pytest --numprocesses $(TEST_WORKERS) --dist loadfile

# The everyday loop: the same, without the tests marked `slow` (they build virtual environments,
# as the packaging and PyAirbyte tests do, or wait out a long timeout). `make test` runs them all.
test-fast: lint
	$(BIN)/python -m pytest --numprocesses $(TEST_WORKERS) --dist loadfile -m "not slow"

bench: setup
	$(BIN)/python -m benchmarks

# The Builder edition (builder/manifest.yaml), written from the spine (source_sendoso/manifest.yaml):
# run after changing the spine or a schema; a test fails while the two differ.
builder: setup
	$(BIN)/python -m builder

# Rewrites poetry.lock after a change to the dependencies in pyproject.toml, keeping every
# locked version that still fits; `make lock UPGRADE=1` resolves everything anew, to the newest.
# It needs only Poetry, not `setup`: an old lock may not fit the new ranges.
lock: poetry
	$(RUN_POETRY) lock --no-interaction $(if $(UPGRADE),--regenerate)

clean:
	rm -rf $(VENV) .venv-pyairbyte build dist *.egg-info sendoso_sandbox/build sendoso_sandbox/*.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache
