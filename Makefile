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

.PHONY: setup test test-fast lint demo spec bench lock clean setup-spark test-spark css

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# The lock is complete (uv resolved every dependency), so --no-deps; pip check proves it.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements.lock
	# The project itself, editable, built by the hatchling pinned in the lock (no network at build).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

# Two pytest workers, one per core (decision 0122); tests/conftest.py keeps the modules
# whose tests share one platform on one worker.
# Python's bytecode cache on, whatever the shell says (a machine here sets
# PYTHONDONTWRITEBYTECODE): without it every worker compiles every module again, about 2 s.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

test: setup lint
	$(PYTEST) -n 2

# The fast tier: unit and component tests, about a minute (tests/conftest.py says which
# are slow: end to end, or over about 3 s). No lint: `make lint` is its own target.
test-fast: setup
	$(PYTEST) -n 2 -q -m "not spark and not slow"

# The marts built on Spark (a local session, the stand-in for Databricks) and compared
# with DuckDB's: its own venv from requirements-spark.lock (the same packages and
# pyspark), as pyspark is large and needs a JDK (Debian's openjdk-17-jre-headless).
SPARK_VENV := .venv-spark
SPARK_STAMP := $(SPARK_VENV)/.installed

setup-spark: $(SPARK_STAMP)

$(SPARK_STAMP): requirements-spark.lock pyproject.toml
	test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-spark.lock
	$(SPARK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(SPARK_VENV)/bin/python -m pip check
	touch $(SPARK_STAMP)

test-spark: setup-spark
	PSW_REQUIRE_SPARK=1 $(SPARK_VENV)/bin/python -m pytest -m spark

lint: setup
	$(BIN)/ruff check psw orchestration tests benchmarks
	$(BIN)/ruff format --check psw orchestration tests benchmarks
	cd dbt_project && ../$(BIN)/sqlfluff lint models tests/*.sql
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

demo: setup
	$(BIN)/psw demo

spec: setup
	$(BIN)/psw spec --out docs/spec
	$(BIN)/python -c "from psw.warehouse.dbt_artifacts import write_artifacts; write_artifacts()"
	$(BIN)/python -c "from psw.standard.model import load_standard; from psw.standard.validation.suites import write_suites; write_suites(load_standard())"

bench: setup
	$(BIN)/python benchmarks/validate_bench.py
	$(BIN)/python benchmarks/marts_bench.py --staff 100
	$(BIN)/python benchmarks/disclosure_bench.py
	$(BIN)/python benchmarks/portal_bench.py

# Re-resolve the lock files after changing dependencies in pyproject.toml (uv from .venv).
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra platform --extra dev --python-version 3.11 --generate-hashes -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra platform --extra dev --extra spark --python-version 3.11 --generate-hashes -o requirements-spark.lock
	# `psw validate` alone, for any machine (Windows, macOS, Linux): decision 0134.
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -o requirements-validate.lock

# The pages' stylesheets: the subsets of NHS.UK frontend in psw/core/static/nhsuk-*.scss,
# compiled with dart-sass (needs npm). Its output is committed: nothing is fetched at run time.
NHSUK_FRONTEND := 10.6.1
css:
	rm -rf build/css && mkdir -p build/css/nhs
	cd build/css && npm pack --silent nhsuk-frontend@$(NHSUK_FRONTEND) && tar xzf nhsuk-frontend-$(NHSUK_FRONTEND).tgz -C nhs
	cd build/css && npm install --silent --no-save sass@1
	for part in subset portal; do \
	  (cd build/css && npx sass --no-source-map --style=compressed --load-path=. ../../psw/core/static/nhsuk-$$part.scss $$part.css) && \
	  (echo "/* NHS.UK frontend $(NHSUK_FRONTEND) (MIT licence, https://github.com/nhsuk/nhsuk-frontend), the part in nhsuk-$$part.scss, compiled by make css */"; sed '1s/^\xEF\xBB\xBF//' build/css/$$part.css) > psw/core/static/nhsuk-$$part.min.css || exit 1; \
	done

clean:
	rm -rf $(VENV) $(SPARK_VENV) .pytest_cache .ruff_cache
