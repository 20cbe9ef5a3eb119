PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pip-tools pins pyproject.toml's dependencies; ARGS=--upgrade moves every pin to the newest allowed.
COMPILE = CUSTOM_COMPILE_COMMAND='make requirements' $(BIN)/pip-compile --quiet --strip-extras \
	--no-emit-index-url --no-emit-find-links $(ARGS)

.PHONY: demo test bench-ingest lint requirements

# Exactly the pinned versions (requirements-test.txt is requirements.txt's runtime pins plus the
# test tools), then the project itself without dependencies; pip check fails if the pins no longer
# satisfy pyproject.toml (run `make requirements`).
$(BIN)/.installed: pyproject.toml requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

demo: $(BIN)/.installed   ## install, then run the embedded demo (SQLite, in-process queue, sandbox Shopify)
	$(BIN)/flask --app orderflow demo

test: $(BIN)/.installed   ## the whole suite: real PostgreSQL and Redis on their default local ports
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed   ## ruff's rules as pyproject.toml selects them (formatting is not checked yet)
	$(BIN)/ruff check .

requirements:   ## pin again after a change to pyproject.toml's dependencies
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'pip-tools~=7.7'
	$(COMPILE) -o requirements.txt pyproject.toml
	$(COMPILE) --extra test -c requirements.txt -o requirements-test.txt pyproject.toml

bench-ingest: $(BIN)/.installed
	$(BIN)/python bench/webhook_ingest.py
