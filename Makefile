# Two commands for a new machine: `make run` and `make test` (`make check` is the quick run
# for developers). Each sets up .venv first
# (once: the stamp files make it a no-op afterwards) from pyproject.toml and requirements.lock.
# `make run` installs the runtime only (no torch); `make test` adds the test tools, which
# include sentence-transformers and a CPU torch for the parity test.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
CHROMIUM := /usr/bin/chromium
# pip with one line of progress and its warnings, not its log (tools/pip_progress.py).
PIP := $(BIN)/python tools/pip_progress.py -c requirements.lock
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup test-setup db run test check serve bench clean

$(STAMP): pyproject.toml requirements.lock
	@echo "Setting up $(VENV) (once): 75 pinned packages, no torch, 400 MB; a minute or two, more on a busy machine."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(PIP) -e .
	@$(BIN)/kb model prepare
	@touch $(STAMP)
	@echo "Set up. In a new shell, run the commands as $(BIN)/kb …, or first: source $(BIN)/activate"

setup: $(STAMP)

$(TEST_STAMP): $(STAMP) tests/web/package-lock.json
	@echo "Adding the test tools to $(VENV) (once): pytest, Playwright, and sentence-transformers with a CPU torch for the parity test; about 1.2 GB more."
	@$(PIP) -e '.[test]'
	@if command -v npm >/dev/null 2>&1; then \
		echo "Installing axe-core for the browser tests' accessibility checks (tests/web/package-lock.json)."; \
		npm ci --prefix tests/web --no-audit --no-fund --silent; \
	else echo "make test: no npm, so the accessibility checks will be SKIPPED (install it with: apt-get install npm)."; fi
	@touch $(TEST_STAMP)

test-setup: $(TEST_STAMP)

db: setup
	@$(BIN)/kb build

run: db
	$(BIN)/kb tui

# Both runs use two processes (pytest-xdist), each test file kept whole in one of them
# (--dist loadfile: a file's module fixtures are made once). Each process loads the model
# and copies the session's database, which pytest's cache keeps between runs (tests/
# conftest.py). `bench/suite.py` times them. A plain `pytest tests/<area>` runs in one process.
TEST_PROCESSES ?= 2
XDIST := -n $(TEST_PROCESSES) --dist loadfile

test: test-setup
	@test -x $(CHROMIUM) || echo "make test: no Chromium at $(CHROMIUM), so the browser tests will be SKIPPED (install it with: apt-get install chromium)."
	$(BIN)/python -m pytest $(XDIST)

# The quick run for developers, to run often: everything but the browser (Chromium) tests,
# the slow ones (killed processes, hostile files, fresh virtual environments, a database
# embedded from nothing, the model loaded anew) and the quality floors over whole
# evaluation sets (bench/ reports the same figures). `make test` runs them all.
check: test-setup
	$(BIN)/python -m pytest -q $(XDIST) -m "not slow and not browser and not quality"

serve: db
	$(BIN)/kb serve

bench: db
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) data/lessons.db
