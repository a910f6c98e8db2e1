"""The published schema for BI tools that cannot open a DuckDB file (docs/analysts.md).

When `PSW_SERVING_POSTGRES_URL` is set, every publish also copies schema `published` of
the serving file into that PostgreSQL database: the same schema name, tables, column
types, rows and comments, replaced whole in one transaction (a reader sees the previous
publish or this one, never half of each). Role `psw_reader` may read it and nothing
else: it logs in with `PSW_SERVING_POSTGRES_READER_PASSWORD` (without one it cannot log
in, and an operator grants it to people's own roles), every session of it is read-only,
and it holds no right but USAGE on the schema and SELECT on its tables.

The copy is made from the serving file after it is swapped in, so PostgreSQL never
holds figures analysts of the file have not seen; a failed copy leaves PostgreSQL with
the previous publish and the next publish tries again.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = "published"
READER = "psw_reader"
# DuckDB's type names -> PostgreSQL's. A type not here fails the copy by name, rather
# than guessing how analysts see it.
POSTGRES_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}


@dataclass(frozen=True)
class Copied:
    tables: int
    rows: int
    seconds: float


def copy_to_postgres(serving: Path, url: str, reader_password: str | None) -> Copied:
    """Replace schema `published` in the database at `url` with the serving file's."""
    import duckdb
    import psycopg2

    started = time.monotonic()
    with duckdb.connect(str(serving), read_only=True) as source:
        tables = _described(source)
        target = psycopg2.connect(url)
        try:
            with target, target.cursor() as cursor:
                _reader_role(cursor, reader_password)
                cursor.execute(f"drop schema if exists {SCHEMA} cascade")
                cursor.execute(f"create schema {SCHEMA}")
                rows = sum(
                    _copy_table(source, cursor, name, columns) for name, columns in tables.items()
                )
                _copy_comments(source, cursor)
                cursor.execute(f"revoke all on schema {SCHEMA} from public")
                cursor.execute(f"grant usage on schema {SCHEMA} to {READER}")
                cursor.execute(f"grant select on all tables in schema {SCHEMA} to {READER}")
        finally:
            target.close()
    return Copied(len(tables), rows, time.monotonic() - started)


def _described(source) -> dict[str, list[tuple[str, str]]]:
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in source.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where schema_name = ? order by table_name, column_index",
        [SCHEMA],
    ).fetchall():
        if kind not in POSTGRES_TYPES:
            raise TypeError(f"{SCHEMA}.{table}.{column}: no PostgreSQL type for {kind}")
        tables.setdefault(table, []).append((column, POSTGRES_TYPES[kind]))
    return tables


def _copy_table(source, cursor, table: str, columns: list[tuple[str, str]]) -> int:
    from pyarrow import csv as pacsv

    body = ", ".join(f'"{name}" {kind}' for name, kind in columns)
    cursor.execute(f"create table {SCHEMA}.{table} ({body})")
    rows = source.execute(f"select * from {SCHEMA}.{table}").fetch_arrow_table()
    if rows.num_rows:
        buffer = io.BytesIO()
        # Nulls are unquoted empty fields, empty strings quoted: COPY tells them apart.
        pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False))
        buffer.seek(0)
        cursor.copy_expert(f"copy {SCHEMA}.{table} from stdin with (format csv)", buffer)
    return rows.num_rows


def _copy_comments(source, cursor) -> None:
    for table, comment in source.execute(
        "select table_name, comment from duckdb_tables() "
        "where schema_name = ? and comment is not null",
        [SCHEMA],
    ).fetchall():
        cursor.execute(f"comment on table {SCHEMA}.{table} is %s", [comment])
    for table, column, comment in source.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where schema_name = ? and comment is not null",
        [SCHEMA],
    ).fetchall():
        cursor.execute(f'comment on column {SCHEMA}.{table}."{column}" is %s', [comment])


def _reader_role(cursor, password: str | None) -> None:
    """`psw_reader`: made once, its password set from the setting each time (a changed
    secret takes effect at the next publish), read-only in every session."""
    cursor.execute("select 1 from pg_roles where rolname = %s", [READER])
    if cursor.fetchone() is None:
        cursor.execute(f"create role {READER}")
    if password:
        cursor.execute(f"alter role {READER} with login password %s", [password])
    else:
        cursor.execute(f"alter role {READER} with nologin password null")
    cursor.execute(f"alter role {READER} set default_transaction_read_only = on")
