# readinggroup: `make run` serves the site, `make test` checks everything. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
TEMPLATES := $(shell find templates -name '*.html')

.PHONY: install run test lint format migrate organizer lead pg-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

migrate: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput

run: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py ensure_demo_data
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djhtml --check $(TEMPLATES)
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djhtml $(TEMPLATES)

# The suite runs with DEBUG off, as production does; the key is for tests only.
test: lint
	DJANGO_SECRET_KEY=test-only-not-secret $(BIN)/pytest $(PYTEST_ARGS)

# The whole suite against a throwaway PostgreSQL server (started and stopped here).
pg-test: install
	scripts/with-postgres.sh $(MAKE) test

# Create or reset an organizer account: make organizer USERNAME=emichaud
organizer: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py create_organizer $(USERNAME)

# Create or reset a section lead's account: make lead USERNAME=emichaud SECTION=fall-2022/wednesday
lead: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py create_lead $(USERNAME) --section $(SECTION)

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache .ruff_cache *.egg-info
