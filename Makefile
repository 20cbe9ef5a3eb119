PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench-ingest lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed   ## install, then run the embedded demo (SQLite, in-process queue, sandbox Shopify)
	$(BIN)/flask --app orderflow demo

test: $(BIN)/.installed   ## the whole suite: real PostgreSQL and Redis on their default local ports
	$(BIN)/python -m pytest -q

bench-ingest: $(BIN)/.installed
	$(BIN)/python bench/webhook_ingest.py
