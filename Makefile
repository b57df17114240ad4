# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: help install lock run serve test quick fuzz lint audit fixtures bench clean
WORKERS ?= 3
HOST    ?= 127.0.0.1

help:
	@echo "make run    - install, migrate, load the seed incidents, serve at http://127.0.0.1:$(PORT)/"
	@echo "make serve  - production: migrate, collect static files, gunicorn on \$$DATABASE_URL (see README, Operations)"
	@echo "make test   - install, then ruff, migration check and the whole pytest suite"
	@echo "make quick  - the edit-test loop: ruff and the suite without browser, fuzz and durability runs"
	@echo "make fuzz   - the hostile query strings at full size (2,000 per view)"
	@echo "make bench  - build a 1,000,000-incident database in var/bench/ and measure (about 15 min)"
	@echo "make lock   - refresh requirements.lock (pinned versions with hashes) from pyproject.toml"
	@echo "make clean  - remove the virtual environment (var/ with the database is kept)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

# Every dependency at the version and hashes of requirements.lock (`make lock` refreshes it
# from pyproject.toml), then the project itself.
$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.11 --upgrade -o requirements.lock

install: $(STAMP)

fixtures: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_seeds

run: fixtures
	$(MANAGE) ensure_admin
	@echo "Serving at http://127.0.0.1:$(PORT)/ (admin login at /admin/). Ctrl-C stops."
	DEBUG=1 $(MANAGE) runserver 127.0.0.1:$(PORT)

# Production: settings from the environment (DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL),
# static files collected and served by whitenoise, gunicorn behind an HTTPS proxy.
serve: install
	$(MANAGE) check --deploy --fail-level WARNING
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v0
	$(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--timeout 900 --access-logfile - --forwarded-allow-ips "$${TRUSTED_PROXIES:-127.0.0.1}"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --recursive incidents config --severity-level medium

# Known vulnerabilities in the installed dependencies. It asks pypi.org's JSON API, so it
# needs that host (a registry mirror is not enough); --strict fails on any package it
# could not check rather than passing it silently.
audit: install
	$(BIN)/pip-audit --strict --skip-editable

test: lint
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest

quick: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q -x -n 2 -m "not slow"

fuzz: install
	FUZZ_EXAMPLES=2000 $(BIN)/pytest -q tests/test_fuzz.py

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $@

# Figures print as a table and go to var/bench/results.json. BENCH_ARGS="--rows 100000" for less;
# BENCH_ARGS="--compare saved.json" prints each figure beside a saved run's (bench/run.py --help).
bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
