"""What differs between the warehouses dbt builds the marts on (`PSW_WAREHOUSE`):
getting the lake in, and getting the published tables out to the serving file.

DuckDB reads the landed Parquet and the ledger where they lie (local or S3, the dbt
sources' external_location). PostgreSQL cannot read files, and a Spark session's own
readers need options a source cannot pass (the ledger's entries are pretty-printed
JSON), so before each build on those this module copies the lake into schema `platform`:

  platform.return_rows     every landed row (the columns of the dbt source)
  platform.submissions     every filed ledger entry
  platform.landed_files    the landed file names (the audit's "rows lost" test)
  platform.trust_registry  PSW_TRUST_REGISTRY, when set, with all seven columns

PostgreSQL gets them by COPY; Spark as Parquet files under $PSW_DATA_DIR/spark/lake
that dbt's on-run-start hook makes external tables of.

After a build, `copy_published` copies their `published` schema into the new serving
DuckDB file (psw.warehouse.publish.publish_serving), with the column types and the comments, so
analysts see the same file whichever engine built it.

The lake is small beside what these engines carry (1.4 million rows for 49 trusts over
two years), so each build replaces the tables whole, in one transaction: a reader never
sees half a load, and nothing incremental can drift from the lake.

One module (about 330 lines): the two directions for the two engines mirror each other
(what goes in as `platform.*` comes back as `published.*`), which reads best together.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from psw.core.settings import current
from psw.core.sql import literal
from psw.lake.layout import Lake
from psw.standard.reference import REGISTRY_COLUMNS

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

WAREHOUSES = ("duckdb", "postgres", "spark")
SCHEMA = "platform"

# The dbt sources' DuckDB types, as Arrow and PostgreSQL types.
ARROW_TYPES = {
    "varchar": pa.string(),
    "date": pa.date32(),
    "double": pa.float64(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "json": pa.string(),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
}
POSTGRES_TYPES = {
    "varchar": "text",
    "date": "date",
    "double": "double precision",
    "integer": "integer",
    "bigint": "bigint",
    "json": "text",
    "timestamp with time zone": "timestamptz",
}


def warehouse_kind(env: Mapping[str, str] | None = None) -> str:
    """PSW_WAREHOUSE: the engine dbt builds the marts on (duckdb by default)."""
    return current(env).warehouse


@dataclass(frozen=True)
class LakeTables:
    """The lake read into memory, typed as the dbt sources declare."""

    tables: dict[str, tuple[list[tuple[str, str]], pa.Table]]  # name -> (columns, rows)

    @property
    def rows(self) -> int:
        return self.tables["return_rows"][1].num_rows


def read_lake(lake: Lake, registry: Path | None) -> LakeTables:
    """Every landed row, every filed ledger entry, the landed file names, the registry."""
    from psw.standard.model import load_standard
    from psw.warehouse.dbt_artifacts import landed_columns, ledger_columns

    row_columns = [(n, t) for n, t, _ in landed_columns(load_standard())]
    ledger = [(n, t) for n, t, _ in ledger_columns()]
    landed = [e.key for e in lake.landed_entries()]
    parts = [
        _conform(pq.read_table(io.BytesIO(data)), row_columns)
        for data in lake.store.get_many(landed)
        if data is not None
    ]
    rows = pa.concat_tables(parts) if parts else _empty(row_columns)
    entries = list(lake.outcomes())  # each entry checked as it is read (psw/lake/ledger.py)
    submissions = pa.table(
        {
            name: pa.array(
                [_ledger_value(entry.get(name), kind) for entry in entries], ARROW_TYPES[kind]
            )
            for name, kind in ledger
        }
    )
    names = [key.rsplit("/", 1)[-1] for key in landed]
    tables = {
        "return_rows": (row_columns, rows),
        "submissions": (ledger, submissions),
        "landed_files": (
            [("file_name", "varchar")],
            pa.table({"file_name": pa.array(names, pa.string())}),
        ),
    }
    if registry is not None:
        tables["trust_registry"] = _registry(registry)
    return LakeTables(tables)


def _conform(table: pa.Table, columns: list[tuple[str, str]]) -> pa.Table:
    """A landed file as the source's columns: missing ones null (files landed under an
    older standard), extra ones dropped (the free-text job title of early files)."""
    arrays = []
    for name, kind in columns:
        target = ARROW_TYPES[kind]
        if name in table.column_names:
            arrays.append(table.column(name).cast(target))
        else:
            arrays.append(pa.nulls(table.num_rows, target))
    return pa.table(arrays, names=[n for n, _ in columns])


def _empty(columns: list[tuple[str, str]]) -> pa.Table:
    return pa.table({n: pa.array([], ARROW_TYPES[k]) for n, k in columns})


def _ledger_value(value, kind: str):
    if kind == "json":
        return None if value is None else json.dumps(value, sort_keys=True)
    return value


def _registry(path: Path) -> tuple[list[tuple[str, str]], pa.Table]:
    """The registry CSV, every column text; the optional lifecycle columns null when absent."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        records = list(csv.DictReader(handle))
    columns = [(name, "varchar") for name in REGISTRY_COLUMNS]
    table = pa.table(
        {name: pa.array([r.get(name) for r in records], pa.string()) for name in REGISTRY_COLUMNS}
    )
    return columns, table


# ---- PostgreSQL ------------------------------------------------------------------------


def postgres_connection() -> Any:  # a psycopg2 connection
    """A connection from libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
    PGDATABASE), the same ones the dbt profile reads."""
    import psycopg2

    return psycopg2.connect("")


def load_postgres(tables: LakeTables) -> None:
    """Replace schema `platform`'s tables with the lake's, in one transaction."""
    from pyarrow import csv as pacsv

    db = postgres_connection()
    try:
        with db, db.cursor() as cursor:
            cursor.execute(f"create schema if not exists {SCHEMA}")
            for name, (columns, rows) in tables.tables.items():
                # cascade: dbt's staging views read these tables, and the build that
                # follows makes them again (without it every second build failed).
                cursor.execute(f"drop table if exists {SCHEMA}.{name} cascade")
                body = ", ".join(f'"{n}" {POSTGRES_TYPES[k]}' for n, k in columns)
                cursor.execute(f"create table {SCHEMA}.{name} ({body})")
                if rows.num_rows == 0:
                    continue
                buffer = io.BytesIO()
                # Nulls are unquoted empty fields, empty strings quoted: COPY tells them apart.
                pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False))
                buffer.seek(0)
                cursor.copy_expert(f"copy {SCHEMA}.{name} from stdin with (format csv)", buffer)
    finally:
        db.close()


DUCKDB_TYPES = {  # PostgreSQL's information_schema names -> DuckDB and Arrow types
    "text": ("varchar", pa.string()),
    "character varying": ("varchar", pa.string()),
    "bigint": ("bigint", pa.int64()),
    "integer": ("integer", pa.int32()),
    "double precision": ("double", pa.float64()),
    "boolean": ("boolean", pa.bool_()),
    "date": ("date", pa.date32()),
    "timestamp with time zone": ("timestamptz", pa.timestamp("us", tz="UTC")),
}


def copy_published(kind: str, db: DuckDBPyConnection, schema: str, data_dir: Path) -> list[str]:
    """Copy the warehouse's `schema` tables into the DuckDB connection `db` (its schema of
    the same name exists), with their comments; the table names copied."""
    if kind == "spark":
        return copy_spark_export(db, schema, spark_export_folder(data_dir) / schema)
    if kind != "postgres":
        raise ValueError(f"no copy of published tables from {kind!r}")
    source = postgres_connection()
    try:
        with source.cursor() as cursor:
            cursor.execute(
                "select table_name, column_name, data_type, "
                "col_description(format('%%I.%%I', table_schema, table_name)::regclass, "
                "ordinal_position) from information_schema.columns "
                "where table_schema = %s order by table_name, ordinal_position",
                [schema],
            )
            columns: dict[str, list[tuple[str, str, str | None]]] = {}
            for table, column, data_type, comment in cursor.fetchall():
                columns.setdefault(table, []).append((column, data_type, comment))
            for table, described in columns.items():
                _copy_table(cursor, db, schema, table, described)
    finally:
        source.close()
    return sorted(columns)


def _copy_table(cursor, db, schema: str, table: str, described) -> None:
    unknown = [t for _, t, _ in described if t not in DUCKDB_TYPES]
    if unknown:  # a new type in a model: say so, rather than guess how analysts see it
        raise TypeError(f"{schema}.{table}: no serving type for {', '.join(unknown)}")
    names = [f'"{c}"' for c, _, _ in described]
    cursor.execute(f"select {', '.join(names)} from {schema}.{table}")
    rows = cursor.fetchall()
    incoming = pa.table(
        {
            column: pa.array([row[i] for row in rows], DUCKDB_TYPES[data_type][1])
            for i, (column, data_type, _) in enumerate(described)
        }
    )
    body = ", ".join(f'"{c}" {DUCKDB_TYPES[t][0]}' for c, t, _ in described)
    db.execute(f"create table {schema}.{table} ({body})")
    db.register("incoming", incoming)
    db.execute(f"insert into {schema}.{table} select * from incoming")
    db.unregister("incoming")
    cursor.execute("select obj_description(%s::regclass)", [f"{schema}.{table}"])
    comment = cursor.fetchone()[0]
    if comment:
        db.execute(f"comment on table {schema}.{table} is {literal(comment)}")
    for column, _, column_comment in described:
        if column_comment:
            db.execute(
                f'comment on column {schema}.{table}."{column}" is {literal(column_comment)}'
            )


def load_lake(kind: str, lake: Lake, registry: Path | None) -> LakeTables | None:
    """Before a build: the lake into the warehouse, for the engines that cannot read it."""
    if kind == "duckdb":
        return None
    tables = read_lake(lake, registry)
    if kind == "postgres":
        load_postgres(tables)
    else:
        load_spark(tables, lake.root)
    return tables


# ---- Spark -----------------------------------------------------------------------------


def spark_lake_folder(data_dir: Path) -> Path:
    """Where the lake's tables are written as Parquet for Spark's external tables (the
    dbt hook `spark_lake_tables` points `platform.*` at them)."""
    return Path(data_dir).resolve() / "spark" / "lake"


def spark_export_folder(data_dir: Path) -> Path:
    """Where dbt's on-run-end hook leaves Spark's marts and published tables as Parquet."""
    return Path(data_dir).resolve() / "spark" / "export"


def copy_spark_export(db: DuckDBPyConnection, schema: str, folder: Path) -> list[str]:
    """Spark's exported tables into DuckDB, types as Parquet carries them (Spark keeps
    no column comments on Parquet tables, so the serving file has none from Spark)."""
    names = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    for name in names:
        files = f"{folder / name}/*.parquet"
        db.execute(f"create table {schema}.{name} as select * from read_parquet('{files}')")
    return names


def load_spark(tables: LakeTables, data_dir: Path) -> None:
    """Each table as one Parquet file in its own folder, swapped in whole. Spark reads
    them as external tables: no Spark session is started here (the JVM starts once, in
    dbt), and the files are the lake conformed to the sources' columns."""
    import shutil

    # The last build's export goes first: a table no longer built must not be published.
    shutil.rmtree(spark_export_folder(data_dir), ignore_errors=True)
    folder = spark_lake_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for name, (_, rows) in tables.tables.items():
        staging = folder / f".{name}.{os.getpid()}.new"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        pq.write_table(rows, staging / "part-0.parquet")
        old = folder / f".{name}.{os.getpid()}.old"
        if (folder / name).exists():
            (folder / name).rename(old)
        staging.rename(folder / name)
        shutil.rmtree(old, ignore_errors=True)
    for name in {p.name for p in folder.iterdir() if not p.name.startswith(".")} - set(
        tables.tables
    ):
        shutil.rmtree(folder / name)  # a registry no longer set: its table goes too
