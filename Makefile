# The two commands: `make run` (demo clinic on http://127.0.0.1:5000) and `make test` (what CI runs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PG_TEST_URL ?= postgresql://postgres@127.0.0.1/test
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1/postgres
PYTEST := $(BIN)/python -m pytest

export FLASK_APP := wsgi

.PHONY: install run test lint security test-unit test-integration test-sqlite test-postgres test-e2e drill bench mutate clock-sweep clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed
	$(BIN)/flask serve --host 127.0.0.1 --port 5000

# pytest exits non-zero (5) when it collects no test, so an empty run fails `make test`.
test: install lint security test-unit test-integration drill test-e2e

# The integration suite on SQLite and on PostgreSQL side by side (two pytest processes; each suite makes
# its own databases and picks free ports, so they share nothing). Much of the PostgreSQL run waits on the
# server and the served tests wait on their workers, so on 2 cores the pair takes far less than the sum.
# -O prints each suite's output whole when it ends; either failing fails the target.
test-integration: install
	$(MAKE) --no-print-directory -O -j2 test-sqlite test-postgres

# Import contracts (pyproject.toml [tool.importlinter], docs/architecture.md): no new arrow against the layers.
# mypy: strict everywhere but the per-module baseline at the end of pyproject.toml. About 15 s of CPU
# with no cache (mostly mypy reading SQLAlchemy, pydantic and Flask), 1-2 s warm.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python tools/import_graph.py --check
	$(BIN)/mypy

# bandit: no high-severity finding in our code; pip-audit: no known vulnerability in what we install.
security: install
	$(BIN)/bandit -q -r app -lll
	bash tools/pip_audit.sh $(BIN)

test-unit: install
	$(PYTEST) tests/unit

test-sqlite: install
	$(PYTEST) tests/integration

test-postgres: install
	TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST) tests/integration

# Load and fault drills on PostgreSQL (a database of their own): 2 gunicorn instances, 2 scheduler
# processes, the fake Twilio and Stripe; one line per drill, non-zero exit on any violation (~3 minutes).
drill: install
	DRILL_ADMIN_URL=$(PG_ADMIN_URL) $(BIN)/python -m bench.drill

AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json
	npm ci --no-audit --no-fund --silent
	touch $(AXE)

test-e2e: install $(AXE)
	$(PYTEST) tests/e2e

# The HTTP benchmark drives gunicorn with wrk (Debian's package), installed here when missing.
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python -m bench

# Mutation testing, not part of `make test` (several hours on 2 shared cores from scratch): first the pure
# modules (slots, measures) against their unit tests only (tools/mutate_pure.py, a mutmut project in
# build/mutate-pure/), then the rule-bearing modules listed in pyproject's [tool.mutmut] against the tests
# that reach each mutant; then the hand-made rule mutants of issue 18 run against the tests named to kill
# them. Report and the disposition of every survivor: bench/results/mutation.md. `mutmut show NAME`
# (or `python tools/mutate_pure.py show NAME`) shows a survivor; mutants/ and build/mutate-pure/mutants/
# keep the results so a second run only re-checks what changed.
MUTATE_CHILDREN ?= 2
mutate: install
	$(BIN)/python tools/mutate_pure.py run --max-children $(MUTATE_CHILDREN)
	$(BIN)/python tools/mutate_pure.py results
	$(BIN)/mutmut run --max-children $(MUTATE_CHILDREN)
	$(BIN)/mutmut results
	$(BIN)/python tools/mutants_table.py

# The SQLite integration suite at the clock's risky instants (DST nights in New York, midnight, year end,
# leap day) under libfaketime (Debian's faketime, installed here when missing); not part of `make test`
# (about 15 minutes on 2 cores). One line per instant; logs in test-artifacts/clock-sweep/.
clock-sweep: install
	command -v faketime >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime)
	$(BIN)/python tools/clock_sweep.py

clean:
	rm -rf $(VENV) instance test-artifacts mutants build/mutate-pure
