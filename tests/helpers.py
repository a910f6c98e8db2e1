"""Helpers shared by test modules (fixtures stay in conftest.py)."""

from __future__ import annotations

from pathlib import Path

# Columns that hold when the store received a file: two runs of one scenario differ there.
STORE_TIME_TYPES = ("TIMESTAMP WITH TIME ZONE",)


def warehouse_tables(path: Path, schemas=("marts", "published")) -> dict[str, list[tuple]]:
    """Every table of a warehouse's marts and published schemas, as sorted rows, without
    the columns of store time; doubles rounded to 9 places (engines sum in their order)."""
    import duckdb

    tables: dict[str, list[tuple]] = {}
    with duckdb.connect(str(path), read_only=True) as db:
        columns = db.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns where table_schema in "
            f"({', '.join('?' for _ in schemas)}) order by table_schema, table_name, "
            "ordinal_position",
            list(schemas),
        ).fetchall()
        kept: dict[str, list[str]] = {}
        for schema, table, column, data_type in columns:
            kept.setdefault(f"{schema}.{table}", [])
            if data_type not in STORE_TIME_TYPES:
                kept[f"{schema}.{table}"].append(f'"{column}"')
        for name, names in kept.items():
            rows = db.execute(f"select {', '.join(names)} from {name}").fetchall()
            tables[name] = sorted(
                (tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows),
                key=repr,
            )
    return tables
