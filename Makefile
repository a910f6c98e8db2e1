# Two commands do all the set-up on a fresh machine (python3 and make only):
#   make demo   the platform end to end on the embedded default
#   make test   every test
# Both create or reuse .venv from the committed lock file (requirements.lock).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Nothing may phone home: telemetry off for Dagster, dbt and Great Expectations.
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: setup test lint demo spec bench lock clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# The lock is complete (uv resolved every dependency), so --no-deps; pip check proves it.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements.lock
	# The project itself, editable, built by the hatchling pinned in the lock (no network at build).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

test: setup lint
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check psw orchestration tests benchmarks
	$(BIN)/ruff format --check psw orchestration tests benchmarks
	cd dbt_project && ../$(BIN)/sqlfluff lint models tests/*.sql

demo: setup
	$(BIN)/psw demo

spec: setup
	$(BIN)/psw spec --out docs/spec
	$(BIN)/python -c "from psw.dbt_artifacts import write_artifacts; write_artifacts()"

bench: setup
	$(BIN)/python benchmarks/validate_bench.py
	$(BIN)/python benchmarks/marts_bench.py --staff 100

# Re-resolve the lock file after changing dependencies in pyproject.toml (needs uv).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
