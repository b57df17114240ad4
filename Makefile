# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT   ?= 8000
STAMP  := $(VENV)/.installed
FIXTURES := $(sort $(wildcard fixtures/*.json))

.PHONY: help install run serve-setup test lint fixtures bench clean

help:
	@echo "make run    - install, migrate, load the seed incidents, serve at http://127.0.0.1:$(PORT)/"
	@echo "make test   - install, then ruff, migration check and the pytest suite"
	@echo "make bench  - build a 1,000,000-incident database in var/bench/ and measure (about 15 min)"
	@echo "make clean  - remove the virtual environment (var/ with the database is kept)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(STAMP)

fixtures: install
	$(MANAGE) migrate --noinput
	$(MANAGE) loaddata $(FIXTURES)

run: fixtures
	$(MANAGE) ensure_admin
	@echo "Serving at http://127.0.0.1:$(PORT)/ (admin login at /admin/). Ctrl-C stops."
	$(MANAGE) runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $@

# Figures print as a table and go to var/bench/results.json. BENCH_ARGS="--rows 100000" for less.
bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
