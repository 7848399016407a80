# rack-planner: `make run` serves the app, `make test` runs the whole suite.
# Both set everything up first (virtual env, install, migrate, seed catalog).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: setup run test lint bench migrate catalog admin worker clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(BIN)/python manage.py migrate --noinput

catalog: migrate
	$(BIN)/python manage.py loadcatalog

# The first user, from RACK_PLANNER_ADMIN_USER / RACK_PLANNER_ADMIN_PASSWORD when set.
admin: migrate
	$(BIN)/python manage.py ensureadmin

# Without REDIS_URL tasks run in-process (eager); with it a real worker runs beside the server.
run: catalog admin
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "REDIS_URL set: starting a Celery worker (with beat) beside the web server"; \
	  $(BIN)/celery -A config worker --beat --schedule=$(VENV)/celerybeat-schedule \
	    --loglevel=INFO --concurrency=$$(nproc) & \
	  worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT); \
	else \
	  echo "No REDIS_URL: Celery tasks run in-process (eager)"; \
	  DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT); \
	fi

worker: setup
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=$$(nproc)

test: catalog
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# The load section drives gunicorn with wrk (Debian's package; installed here when missing).
bench: catalog $(BENCH_STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache .hypothesis
