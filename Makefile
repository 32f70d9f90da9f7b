# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORPUS ?= corpus
INDEX ?= var/index

CHROMIUM := /usr/bin/chromium
AXE := $(VENV)/node/node_modules/axe-core/axe.min.js
AXE_VERSION := 4.10.3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint index check clean browser bench eval

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

index: $(STAMP)
	$(BIN)/coop-library index --corpus $(CORPUS) --index $(INDEX) --report var/last-index-report.json || test $$? -eq 1

check: $(STAMP)
	$(BIN)/coop-library check --corpus $(CORPUS)

run: index
	$(BIN)/coop-library serve --index $(INDEX) --corpus $(CORPUS) --host 127.0.0.1 --port 5000

# Browser tests drive Debian's Chromium through Playwright; the browser is never downloaded by a test tool.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core

$(AXE): $(STAMP)
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node axe-core@$(AXE_VERSION)

browser: $(CHROMIUM) $(AXE)

test: $(STAMP) browser
	$(BIN)/python -m pytest

# Benchmarks print figures; they are never timed tests. SIZES="1000 10000 100000" for the large run.
SIZES ?= 1000 10000
bench: $(STAMP)
	$(BIN)/python -m bench $(foreach s,$(SIZES),--size $(s))

# Relevance on the labelled queries in tests/relevance/, beside a plain SQLite FTS5 bm25 baseline.
eval: $(STAMP)
	$(BIN)/python -m bench.relevance

lint: $(STAMP)
	$(BIN)/ruff check library indexer webui coop_library bench tests
	$(BIN)/ruff format --check library indexer webui coop_library bench tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var test-artifacts
