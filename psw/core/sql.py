"""Small helpers for DuckDB queries shared across modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


def scalar(db: DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> Any:
    """The one value of a query that always returns one row (a count, a setting)."""
    row = db.execute(sql, list(params)).fetchone()
    if row is None:
        raise RuntimeError(f"no row from: {sql}")
    return row[0]


def literal(text: str) -> str:
    """`text` as an SQL string literal (for statements that take no parameters, such as
    COMMENT ON): quoted, each quote inside doubled."""
    return "'" + text.replace("'", "''") + "'"
