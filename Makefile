# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT   ?= 8000
STAMP  := $(VENV)/.installed
FIXTURES := $(sort $(wildcard fixtures/*.json))

.PHONY: help install run serve-setup test lint fixtures clean

help:
	@echo "make run    - install, migrate, load the seed incidents, serve at http://127.0.0.1:$(PORT)/"
	@echo "make test   - install, then ruff, migration check and the pytest suite"
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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
