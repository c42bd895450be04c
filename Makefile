# Two commands for a new machine: `make run` and `make test`. Each sets up .venv first
# (once: the stamp file makes it a no-op afterwards) from pyproject.toml and requirements.lock.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup db run test serve bench clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	$(BIN)/kb model prepare
	touch $(STAMP)

setup: $(STAMP)

db: setup
	$(BIN)/kb build

run: db
	$(BIN)/kb tui

test: setup
	$(BIN)/python -m pytest

serve: db
	$(BIN)/kb serve

bench: db
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) data/lessons.db
