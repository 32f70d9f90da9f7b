# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORPUS ?= corpus
INDEX ?= var/index

.PHONY: run test lint index check clean

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
	$(BIN)/coop-library --help >/dev/null
	@if $(BIN)/coop-library serve --help >/dev/null 2>&1; then \
		$(BIN)/coop-library serve --index $(INDEX) --host 127.0.0.1 --port 5000; \
	else echo "Indexed $(CORPUS) into $(INDEX)."; fi

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check library indexer webui tests
	$(BIN)/ruff format --check library indexer webui tests

clean:
	rm -rf $(VENV) var test-artifacts
