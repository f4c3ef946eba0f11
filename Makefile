# bilan — build the annual report and run the checks.
# `make report` and `make test` work on a fresh machine: they create .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
YEAR ?= 2016

.PHONY: install validate report test lint typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## install: create .venv with bilan and its development tools
install: $(STAMP)

## validate: check every fiche, the communes and the narratives
validate: install
	$(BIN)/bilan validate

## report: validate, then build the $(YEAR) report into build/$(YEAR)/
report: install
	$(BIN)/bilan validate
	$(BIN)/bilan build --year $(YEAR)

## test: ruff, mypy and the test suite
test: install lint typecheck
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests

typecheck: install
	$(BIN)/mypy

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
