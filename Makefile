# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DJANGO_SETTINGS_MODULE ?= mycustomers.settings.dev
# Where `make run` serves (every URL it prints uses them).
HOST ?= 127.0.0.1
PORT ?= 8000
export MYCUSTOMERS_URL := http://$(HOST):$(PORT)/

.PHONY: run test install lock db db-stop lint format migrations-check check-deploy backup restore bench cpu load clean

LOCK := requirements.lock

# The venv holds exactly the hashed lock (uv, pinned in it, installs it): redone only when the
# lock changes, so a second `make run` installs nothing.
$(VENV)/.installed: $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed: set PYTHON=python3.11 (or newer)")'
	@$(PYTHON) -m mycustomers.devtools.bootstrap $(VENV) $(LOCK)
	@touch $@

install: $(VENV)/.installed

# After changing pyproject.toml's dependencies: pin every package, with hashes, for every platform.
lock: install
	$(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
		--extra dev pyproject.toml -o $(LOCK)
	@$(PYTHON) -m mycustomers.devtools.bootstrap $(VENV) $(LOCK) && touch $(VENV)/.installed

# Without DATABASE_URL the project runs its own PostgreSQL cluster under .var/.
db: install
ifeq ($(strip $(DATABASE_URL)),)
	@$(PY) -m mycustomers.devtools.pgcluster start
endif

# Without a venv (never installed, or cleaned) no cluster of ours can be running.
db-stop:
	@if [ -x $(PY) ]; then $(PY) -m mycustomers.devtools.pgcluster stop; fi

# The web server, and beside it the worker that runs large mass actions in the background
# (started again if it dies; it outlives a database restart by itself).
run: db
	$(PY) manage.py prepare_run
	@$(PY) -m mycustomers.devtools.supervise $(PY) manage.py run_worker --interval 0.5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# The test settings, whatever DJANGO_SETTINGS_MODULE says (pytest-django prefers it to pyproject's).
test: db
	DJANGO_SETTINGS_MODULE=mycustomers.settings.test $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: db
	$(PY) manage.py makemigrations --check --dry-run

PRODUCTION_ENV = DJANGO_SETTINGS_MODULE=mycustomers.settings.production \
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-check-deploy-only-$$(printf '%060d' 0)x7Qz} \
	DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-customers.example.com}

# As a deployment does: collect the static files (their manifest is checked), then check.
check-deploy: install
	$(PRODUCTION_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(PRODUCTION_ENV) $(PY) manage.py check --deploy --fail-level WARNING

# Benchmarks run in their own database on the local cluster, never in the dev one.
BENCH_DATABASE_URL ?= $(shell $(PY) -m mycustomers.devtools.pgcluster url mycustomers_bench 2>/dev/null)

bench: db
	@$(PY) -m mycustomers.devtools.pgcluster createdb mycustomers_bench >/dev/null
	DATABASE_URL='$(BENCH_DATABASE_URL)' $(PY) manage.py migrate --noinput
	DATABASE_URL='$(BENCH_DATABASE_URL)' $(PY) manage.py bench $(BENCH_ARGS)

# The web worker's CPU per request, in-process with production settings (DEBUG off).
cpu: db
	$(PRODUCTION_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	DATABASE_URL='$(BENCH_DATABASE_URL)' $(PRODUCTION_ENV) $(PY) manage.py bench --only cpu $(CPU_ARGS)

# Load test of the read path: gunicorn (production settings) + wrk on the bench data set.
# Not part of `make test`; needs wrk (apt-get install -y wrk) and `make bench` run once.
load: db
	DATABASE_URL='$(BENCH_DATABASE_URL)' $(PY) scripts/loadtest.py $(LOAD_ARGS)

BACKUP ?= .var/backups/mycustomers-$(shell date +%Y%m%d-%H%M%S).dump

backup: db
	@mkdir -p $(dir $(BACKUP))
	$(PY) -m mycustomers.devtools.backup backup $(BACKUP)

restore: db
	@test -n "$(FILE)" || (echo "usage: make restore FILE=path/to/backup.dump" && exit 2)
	$(PY) -m mycustomers.devtools.backup restore $(FILE)

clean: db-stop
	rm -rf $(VENV) .var
