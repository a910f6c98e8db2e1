"""psw.warehouse.engines: the lake as tables for PostgreSQL, and its published tables back out,
against a real server (Debian's package). The marts built on it are compared row for row
with DuckDB's in test_marts_operations.py."""

from __future__ import annotations

import io
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from psw.lake.layout import Lake
from psw.warehouse.engines import copy_published, load_lake, read_lake, warehouse_kind
from tests.postgres import LocalPostgres, server_binaries


def test_the_warehouse_is_named_by_one_variable():
    assert warehouse_kind({}) == "duckdb"
    assert warehouse_kind({"PSW_WAREHOUSE": " Postgres "}) == "postgres"
    with pytest.raises(ValueError, match="PSW_WAREHOUSE='oracle': Input should be 'duckdb'"):
        warehouse_kind({"PSW_WAREHOUSE": "oracle"})


def _lake(tmp_path) -> Lake:
    """Two landed returns, one written before a column existed and one with a column
    since dropped; a filed and an unfiled ledger entry."""
    lake = Lake(tmp_path)
    old = pa.table({"trust_ods_code": ["RV3"], "fte": [1.0], "local_job_title": ["PSW"]})
    new = pa.table({"trust_ods_code": ["RV3", "RV3"], "fte": [0.5, 0.8], "training": ["Y", ""]})
    for sid, table in (("a", old), ("b", new)):
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        lake.write_landed("RV3", "2025-06", sid, buffer.getvalue())
    record = {
        "submission_id": "b",
        "trust_ods_code": "RV3",
        "period": "2025-06",
        "status": "accepted",
        "rows": 2,
    }
    lake.write_outcome("RV3", "2025-06", "b", dict(record, rule_counts={"X": 1}))
    lake.write_outcome("RV3", None, "c", dict(record, submission_id="c", period=None))
    return lake


def test_the_lake_is_read_as_the_sources_declare(tmp_path):
    registry = tmp_path / "trusts.csv"
    registry.write_text("ods_code,trust_name,region_code,region_name\nRV3,CNWL,Y56,London\n")
    lake = _lake(tmp_path)
    tables = read_lake(lake, registry).tables
    _, rows = tables["return_rows"]
    assert rows.num_rows == 3 and "local_job_title" not in rows.column_names
    assert sorted(rows.column("training").to_pylist(), key=str) == ["", None, "Y"]
    _, ledger = tables["submissions"]
    assert ledger.column("submission_id").to_pylist() == ["b"]  # filed entries only
    assert json.loads(ledger.column("rule_counts")[0].as_py()) == {"X": 1}
    assert sorted(tables["landed_files"][1].column("file_name").to_pylist()) == [
        "a.parquet",
        "b.parquet",
    ]
    _, trusts = tables["trust_registry"]
    assert trusts.column("valid_to").to_pylist() == [None]  # optional, absent: null
    assert "trust_registry" not in read_lake(lake, None).tables


@pytest.mark.slow
@pytest.mark.skipif(server_binaries() is None, reason="PostgreSQL's server is not installed")
def test_postgres_gets_the_lake_and_gives_back_its_published_tables(tmp_path, monkeypatch):
    with LocalPostgres() as postgres:
        for name, value in postgres.env().items():
            monkeypatch.setenv(name, value)
        lake = _lake(tmp_path)
        load_lake("postgres", lake, None)
        load_lake("postgres", lake, None)  # replaced whole, not appended
        assert postgres.query("psw", "select count(*) from platform.return_rows") == [(3,)]
        # Empty strings stay empty strings; nulls stay null.
        training = postgres.query("psw", "select training from platform.return_rows")
        assert sorted(training, key=str) == [("",), ("Y",), (None,)]

        postgres.query("psw", "create schema published")
        postgres.query(
            "psw",
            "create table published.t (n bigint, share double precision, at date, ok boolean);"
            "insert into published.t values (7, 0.25, '2025-06-30', true),"
            " (null, null, null, null); comment on column published.t.n is 'people'",
        )
        with duckdb.connect() as db:
            db.execute("create schema published")
            assert copy_published("postgres", db, "published", tmp_path) == ["t"]
            assert db.execute("select * from published.t order by n").fetchall()[0][:2] == (7, 0.25)
            types = db.execute(
                "select data_type, comment from duckdb_columns() where table_name = 't'"
            ).fetchall()
            assert types[0] == ("BIGINT", "people") and types[1][0] == "DOUBLE"

        postgres.query("psw", "create table published.u (x numeric)")
        with duckdb.connect() as db, pytest.raises(TypeError, match="no serving type for numeric"):
            db.execute("create schema published")
            copy_published("postgres", db, "published", tmp_path)
