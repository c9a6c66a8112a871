# The README's commands. Stamps under .make/ keep a second `make run` from
# repeating work whose inputs have not changed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON_CANDIDATES := python3.13 python3.12 python3 python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench loadtest assets migrate demo lint clean

run: $(VENV)/.installed static/vendor/.built
	DEBUG=1 $(PY) manage.py migrate --no-input -v 0
	DEBUG=1 $(PY) manage.py seed_demo
	@echo "Reminders are sent by: DEBUG=1 $(PY) manage.py send_due_reminders [--now 2027-03-15T08:05:00Z]"
	@echo "  (inline here; in another terminal, or see the README for a simulated week of the demo)"
	@echo "Serving the demo on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed static/vendor/.built
	$(PY) -m pytest $(PYTEST_ARGS)

# The budgets are for PostgreSQL: a dedicated database, seeded once (seed_bench is idempotent).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/amhe_bench
# Production keeps the shared cache in Redis: the bench does too when one answers (its own database, 15).
BENCH_REDIS_URL ?= $(shell redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && echo redis://127.0.0.1:6379/15)
bench: $(VENV)/.installed
	@psql "$(BENCH_DATABASE_URL)" -c "select 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres amhe_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) TESTING=1 $(PY) manage.py migrate --no-input -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL) TESTING=1 $(PY) manage.py seed_bench --orgs 100 --months 36 --seed 1
	@[ -n "$(BENCH_REDIS_URL)" ] || echo "Warning: no Redis answers on 127.0.0.1:6379; the bench uses the database cache, unlike production."
	@[ -z "$(BENCH_REDIS_URL)" ] || redis-cli -u "$(BENCH_REDIS_URL)" flushdb >/dev/null
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) TESTING=1 $(PY) manage.py bench

# The bench data under load: gunicorn with the production settings, locust headless (README, "Load test").
# LOADTEST_USERS (150) and LOADTEST_TIME (60 s) may be overridden.
loadtest: $(VENV)/.installed static/vendor/.built
	@psql "$(BENCH_DATABASE_URL)" -c "select 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres amhe_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) TESTING=1 $(PY) manage.py migrate --no-input -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL) TESTING=1 $(PY) manage.py seed_bench --orgs 100 --months 36 --seed 1
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) PY=$(PY) bash scripts/loadtest/run.sh

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

$(VENV)/.installed: requirements.lock requirements-dev.lock
	@if [ ! -x $(PY) ]; then \
	  found=""; \
	  for c in $(PYTHON_CANDIDATES); do \
	    if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then found=$$c; break; fi; \
	  done; \
	  if [ -z "$$found" ]; then \
	    echo "Python 3.12 or newer is needed and none was found (tried: $(PYTHON_CANDIDATES)). Install Python 3.12+ and try again." >&2; exit 1; \
	  fi; \
	  echo "Creating $(VENV) with $$found ($$($$found --version))"; \
	  $$found -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm (Node.js 20+) is needed to install the front-end packages." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/vendor/.built: node_modules/.installed scripts/build_assets.py
	$(VENV)/bin/python scripts/build_assets.py 2>/dev/null || python3 scripts/build_assets.py
	@touch $@

assets: static/vendor/.built

clean:
	rm -rf static/vendor staticfiles node_modules/.installed
