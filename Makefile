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

.PHONY: setup run test lint bench migrate catalog admin worker clean fuzz

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
	  echo "(scripts/supervise starts the worker again if it ever exits)"; \
	  scripts/supervise $(BIN)/celery -A config worker --beat \
	    --schedule=$(VENV)/celerybeat-schedule --loglevel=INFO --concurrency=$$(nproc) & \
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

# Schemathesis's phases against the API with a fresh seed (printed: replay a failure with
# `make fuzz FUZZ_SEED=N`) and six times CI's fuzzed examples per operation; FUZZ_COVERAGE=all
# adds the negative coverage cases (about 6,500 more requests per caller).
FUZZ_MAX_EXAMPLES ?= 25
FUZZ_COVERAGE ?= positive
fuzz: catalog
	@seed=$${FUZZ_SEED:-$$($(BIN)/python -c 'import secrets; print(secrets.randbelow(2**31))')}; \
	echo "make fuzz: seed $$seed (replay with: make fuzz FUZZ_SEED=$$seed)"; \
	FUZZ_SEED=$$seed FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_COVERAGE=$(FUZZ_COVERAGE) \
	  $(BIN)/python -m pytest tests/contract/test_phases.py -k every_phase -q -s -p no:cacheprovider \
	  || { echo "make fuzz: FAILED with seed $$seed"; exit 1; }

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
