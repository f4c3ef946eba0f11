# bilan — build the annual report and run the checks.
# `make report` and `make test` work on a fresh machine: they create .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
YEAR ?=
# Empty: every year of data/rapports/ (bilan build --all); YEAR=2016 builds that one only.
# Debian packages WeasyPrint needs for the PDF (Pango, HarfBuzz, fonts).
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2

.PHONY: install node system-packages validate report exemple-2017 test bench lint typecheck golden schemas docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m compileall -q src >/dev/null  # the .pyc a wheel install has: an editable one has none
	touch $(STAMP)

## install: create .venv with bilan and its development tools
install: $(STAMP)

## system-packages: install the PDF's Debian packages when running as root (as CI does);
## others: see the README
system-packages:
	@if dpkg -s $(PDF_PACKAGES) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(PDF_PACKAGES) >/dev/null; \
	else echo "Paquets pour le PDF absents ($(PDF_PACKAGES)) : voir le README."; fi

## validate: check every fiche, the communes and the narratives
validate: install
	$(BIN)/bilan validate

## exemple-2017: the fictitious second year (examples/annee-2017/) over a copy of data/,
## both editions built into build/exemple-2017/site/
exemple-2017: install
	rm -rf build/exemple-2017 && mkdir -p build/exemple-2017
	cp -r data build/exemple-2017/data
	cp -r examples/annee-2017/donnees/. build/exemple-2017/data/
	$(BIN)/bilan validate --data build/exemple-2017/data
	$(BIN)/bilan build --all --data build/exemple-2017/data --out build/exemple-2017/site

## report: validate, then build every edition into build/<year>/ and build/index.html
## (or only YEAR's, with YEAR=2016)
report: install system-packages
	$(BIN)/bilan validate
	$(BIN)/bilan build $(if $(YEAR),--year $(YEAR),--all)

## node: the HTML checker (vnu-jar) and axe-core of the accessibility tests, from
## package-lock.json; without npm those tests are skipped (they fail in CI). --ignore-scripts:
## vnu-jar's install script would download a Java runtime, the Debian one is used instead.
node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else echo "npm absent : tests HTML et accessibilité sautés (voir docs/accessibilite.md)."; fi

## test: ruff, mypy and the test suite (with the HTML and accessibility checks)
test: install lint typecheck node
	$(BIN)/pytest

## golden: rebuild the reference files of the tests (tests/golden/); review with git diff
golden: install
	$(BIN)/python -m tests.golden

## schemas: regenerate the JSON Schemas that editors use (schemas/), from the models
schemas: install
	for model in fiche bilan communes projet; do \
		$(BIN)/bilan schema $$model --out schemas/$$model.schema.json || exit 1; done

## docs: regenerate docs/diagnostics.md from the catalogue of codes (src/bilan/catalogue.py
## and the rules' docstrings); a test fails while it is stale
docs: install
	$(BIN)/python -m bilan.catalogue_doc docs/diagnostics.md

## bench: time validate and build on 27, 1,000 and 10,000 fiches, and the latency of
## bilan serve beside mkdocs serve (docs/performance.md)
bench: install
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m compileall -q src >/dev/null  # as a wheel install does, whatever PYTHONDONTWRITEBYTECODE says
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/serve_latency.py

lint: install
	$(BIN)/ruff check src tests $(wildcard benchmarks)

typecheck: install
	$(BIN)/mypy

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
