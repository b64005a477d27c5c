# Quick start: `make demo` and `make test` set everything up on a machine with Python 3.10+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock

.PHONY: setup demo lint test test-fast bench lock clean

# The runtime dependencies are installed from the lock, exactly as the image installs them (every
# version pinned, every file checked against its hash), so the tests run on the tree the image
# ships; the development tools come from pyproject.toml's ranges, with the runtime tree held at
# the lock (pip refuses hashes in a constraints file, hence the copy without them).
$(STAMP): pyproject.toml sendoso_sandbox/pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	sed -e '/^ *--hash=/d' -e 's/ *\\$$//' $(LOCK) > $(VENV)/lock-constraints.txt
	$(BIN)/python -m pip install --quiet -e ./sendoso_sandbox -e '.[dev]' -c $(VENV)/lock-constraints.txt
	@touch $(STAMP)

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

# Rewrites the lock after a change to the runtime dependencies in pyproject.toml. Versions the
# lock already has are kept where they still fit; `make lock UPGRADE=--upgrade` takes the latest.
# It needs only uv (a development extra), not `setup`: an old lock may not fit the new ranges.
$(BIN)/uv:
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$$(grep -o '"uv[<>=~!][^"]*"' pyproject.toml | tr -d '"')"

lock: $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.10 --generate-hashes $(UPGRADE) \
		--custom-compile-command 'make lock' --quiet --output-file $(LOCK)

clean:
	rm -rf $(VENV) .venv-pyairbyte build dist *.egg-info sendoso_sandbox/build sendoso_sandbox/*.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache
