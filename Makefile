# readinggroup: `make run` serves the site, `make test` checks everything (`make test-fast`: the
# quick part). See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
TEMPLATES := $(shell find templates -name '*.html')

.PHONY: install run serve worker test test-fast lint format migrate organizer lead pg-test bench loadtest checkin-load clean

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

# The site and, beside it, the email worker (in its own process group, so that it is stopped
# with its reloader when the server stops: Ctrl-C stops both). Mail goes to the console backend
# unless EMAIL_URL is set: the worker prints each message in this terminal.
run: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py ensure_demo_data
	export READINGGROUP_SITE_URL="$${READINGGROUP_SITE_URL:-http://$(HOST):$(PORT)}"; \
	DJANGO_DEBUG=1 setsid $(BIN)/python manage.py email_worker & worker=$$!; \
	trap 'kill -TERM -- -$$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The email worker alone, as production runs it beside `make serve` (docs/email.md has a
# systemd unit): it sends the outbox's email; the site never sends any itself.
worker: install
	$(BIN)/python manage.py email_worker

# Production: gunicorn with DEBUG off. Needs DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS (and
# DATABASE_URL, DJANGO_HTTPS=1 ...) in the environment: see README "Deploying". Email also needs
# `make worker` (manage.py email_worker) running beside it, with the same environment.
serve: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/gunicorn readinggroup.wsgi --bind $(HOST):$(PORT) \
		--workers $${WEB_CONCURRENCY:-2} --threads $${GUNICORN_THREADS:-1} \
		--access-logfile - --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}"

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
	scripts/get-vnu.sh
	scripts/get-axe.sh
	DJANGO_SECRET_KEY=test-only-not-secret $(BIN)/pytest $(PYTEST_ARGS)

# The edit-test loop (under a minute): lint, then every test not marked `slow` or `browser`.
# `make test` (and CI) still runs them all.
test-fast: lint
	DJANGO_SECRET_KEY=test-only-not-secret $(BIN)/pytest -m "not slow and not browser" $(PYTEST_ARGS)

# The whole suite against a throwaway PostgreSQL server (started and stopped here).
pg-test: install
	scripts/with-postgres.sh $(MAKE) test

# Throughput and latency of every page as ratios to a trivial view; writes docs/benchmarks.md
# (its closing notes come from docs/benchmark-notes.md).
# SQLite unless DATABASE_URL is set (e.g. scripts/with-postgres.sh make bench). Not part of test.
bench: install
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# 64 connections on the public pages for 60 s, then 16 leads saving rosters for 30 s, on
# gunicorn; checks the records. SQLite unless DATABASE_URL is set (scripts/with-postgres.sh
# make loadtest). Not part of test. Shorter: make loadtest LOADTEST_ARGS="--duration 5".
loadtest: install
	$(BIN)/python scripts/loadtest.py $(LOADTEST_ARGS)

# Check-ins per second at the door: 400 signed-in members, then 400 by email, 32 at once, each
# checking in once over HTTP on gunicorn (2 workers); checks the records. SQLite unless
# DATABASE_URL is set (scripts/with-postgres.sh make checkin-load). Not part of test.
checkin-load: install
	$(BIN)/python scripts/checkin_load.py $(CHECKIN_LOAD_ARGS)

# Create or reset an organizer account: make organizer USERNAME=emichaud
organizer: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py create_organizer $(USERNAME)

# Create or reset a section lead's account: make lead USERNAME=emichaud SECTION=fall-2022/wednesday
lead: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py create_lead $(USERNAME) --section $(SECTION)

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache .ruff_cache *.egg-info
