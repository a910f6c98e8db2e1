"""Issue 11: the marts built on Spark (dbt-spark, a local session from PyPI's pyspark and
Debian's JDK: the stand-in for Databricks) are DuckDB's, row for row, on the same uploads.

Run by `make test-spark` (its own venv with pyspark; `-m spark`), not by `make test`:
one JVM start and a Spark build take a few minutes on two cores."""

from __future__ import annotations

import importlib.util
import os
import shutil

import duckdb
import pytest

from psw.standard.reference import _load_trusts
from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
from tests.helpers import platform_env, psw_run, tables, warehouse_tables
from tests.marts_scenario import YEAR_LONG, run_scenario, write_registry

# `make test-spark` sets PSW_REQUIRE_SPARK: there a missing pyspark or JDK fails the run
# instead of skipping it (a green Spark build must mean Spark built).
MISSING = importlib.util.find_spec("pyspark") is None or shutil.which("java") is None
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        MISSING and not os.environ.get("PSW_REQUIRE_SPARK"),
        reason="needs pyspark (make test-spark) and a JDK (openjdk-17-jre-headless)",
    ),
]


def _exported(folder) -> dict[str, list[tuple]]:
    """Spark's marts and published tables, from the Parquet its on-run-end hook leaves."""
    with duckdb.connect() as db:
        for schema_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
            db.execute(f"create schema {schema_folder.name}")
            for table in sorted(p for p in schema_folder.iterdir() if p.is_dir()):
                db.execute(
                    f"create view {schema_folder.name}.{table.name} as "
                    f"select * from read_parquet('{table}/*.parquet')"
                )
        return tables(lambda sql: db.execute(sql).fetchall())


def test_the_marts_build_on_spark_identical_row_for_row(tmp_path, monkeypatch):
    registry = tmp_path / "registry.csv"
    write_registry(registry)
    monkeypatch.setenv("PSW_TRUST_REGISTRY", str(registry))
    _load_trusts.cache_clear()
    data = tmp_path / "data"
    with LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}") as server:
        env = platform_env(
            server, tmp_path, PSW_TRUST_REGISTRY=str(registry), PSW_WAREHOUSE="spark"
        )
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        # One Spark build, the resubmission already uploaded (each Spark build costs about
        # two minutes here; rebuilding over a previous build is tested on DuckDB).
        runs = run_scenario(client, env, late_run=False)["runs"]
        assert [r.count("marts built") for r in runs] == [1]
        assert not (data / "warehouse.duckdb").exists()  # nothing was built in DuckDB
        on_spark = _exported(data / "spark" / "export")
        served = warehouse_tables(
            data / "serving" / "psw.duckdb", schemas=("published",), leave_out=("revised",)
        )

        # The same lake built on DuckDB: the serving file gone, the next pass rebuilds.
        (data / "serving" / "psw.duckdb").unlink()
        psw_run({**env, "PSW_WAREHOUSE": "duckdb"})
    _load_trusts.cache_clear()
    on_duckdb = warehouse_tables(data / "warehouse.duckdb")

    assert on_spark.keys() == on_duckdb.keys() and len(on_duckdb) >= 12
    for table, rows in on_duckdb.items():
        assert rows or table.split(".")[-1] in YEAR_LONG, table
        assert on_spark[table] == rows, table
    # The serving file published from Spark holds what Spark published.
    assert served.pop("published.revisions") == []  # the first publication revises nothing
    assert served.pop("published.releases") == []  # no official release was made
    assert served == {k: v for k, v in on_spark.items() if k.startswith("published.")}
