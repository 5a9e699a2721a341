# ReturnPath — the two commands of the README, and a few helpers.
#   make run    a fresh clone → the demo at http://127.0.0.1:8000 (SQLite, filesystem broker)
#   make test   the whole suite; uses PostgreSQL and Redis when they answer on their local ports

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_URL ?= postgres://postgres@127.0.0.1:5432/returnpath
REDIS_LOCAL ?= redis://127.0.0.1:6379/0

.PHONY: run test install lint check messages schema docs bench bench-parts clean restore-drill

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# The compiled catalogues are committed; with gettext installed they are rebuilt from the sources.
messages: install
	@if command -v msgfmt >/dev/null 2>&1; then $(PY) manage.py compilemessages --ignore=.venv --verbosity 0; \
	 else echo "gettext is not installed: using the committed .mo files"; fi

run: install messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) bin/run_demo.py

# Services are used when they answer; REQUIRE_SERVICES=1 (CI) makes a missing one a failure.
# axe-core (package.json) for the accessibility tests, when npm is there (CI installs it).
node_modules/axe-core/axe.min.js: package.json
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --silent; else echo "npm is not installed: the accessibility tests need it"; fi

test: install messages node_modules/axe-core/axe.min.js
	@DATABASE_URL=$${DATABASE_URL:-$$($(PY) bin/service_url.py postgres $(PG_URL))} \
	 REDIS_URL=$${REDIS_URL:-$$($(PY) bin/service_url.py redis $(REDIS_LOCAL))} \
	 $(PY) -m pytest $(PYTEST_ARGS)

# mypy reads [tool.mypy] in pyproject.toml: the application code, with the Django and DRF stubs.
# lint-imports: the one-way rule counselling → cases → offices → returnpath (pyproject.toml, decision 095).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy

# Production refuses SQLite and the filesystem broker at start-up: the check gets placeholders
# it never connects to when the caller has none set.
check: lint
	DJANGO_ENV=production DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(50))') \
	 DATABASE_URL=$${DATABASE_URL:-postgres://check@127.0.0.1:5432/check} \
	 CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
	 DJANGO_ALLOWED_HOSTS=returnpath.example $(PY) manage.py check --deploy --fail-level WARNING

# The committed OpenAPI schema of the API (a test fails when the code and this copy disagree).
schema: install
	@# The schema is PostgreSQL's (integer bounds come from the backend); no connection is made.
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(PY) manage.py spectacular --validate --fail-on-warn --file docs/api/openapi.yaml

docs: install
	$(PY) manage.py trajectory_diagram --write docs/trajectory.md

# Benchmarks print ratios against a baseline measured in the same run. `make bench` is the scale
# table (bench/scale.py): it builds or reuses generated databases of BENCH_CASES and 1,000 cases
# with seed_volume on the PostgreSQL server of BENCH_PG (never real data) and writes
# bench/results.json. `make bench-parts` runs the older focused benchmarks in scratch databases.
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
BENCH_CASES ?= 1000000
bench: install
	BENCH_PG=$(BENCH_PG) $(PY) bench/scale.py --cases $(BENCH_CASES)

bench-parts: install
	DATABASE_URL=$(BENCH_PG)/returnpath_planning_bench $(PY) bench/planning.py --cases 2000
	DATABASE_URL=$(BENCH_PG)/returnpath_api_bench $(PY) bench/api_batch.py 300
	-psql $(BENCH_PG)/postgres -qc "CREATE DATABASE returnpath_dashboards_bench" 2>/dev/null
	DATABASE_URL=$(BENCH_PG)/returnpath_dashboards_bench $(PY) bench/dashboards.py --sizes 20000 100000
	DATABASE_URL=$(BENCH_PG)/returnpath_dashboards_bench $(PY) bench/caseload.py --cases 100000

# Dump the database, restore it into a scratch database, compare row counts and the case-event
# chain (docs/operations.md). DATABASE_URL must be PostgreSQL; the scratch one is <name>_restore_drill.
restore-drill:
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(PY) bin/restore_drill.py

clean:
	rm -rf $(VENV) db.sqlite3 .celery-broker staticfiles
