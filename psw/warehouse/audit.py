"""What a failed marts build found: the failing rows its audit tests keep for operators.

Two dbt tests store their failures in the warehouse's `audit` schema so that `psw run`
can name what to fix, not only say that the build failed:
- returns in force whose landed rows are missing (`psw lake rebuild` makes them again);
- trusts with returns that are no longer in the registry (close a trust, never delete it).
"""

from __future__ import annotations

from pathlib import Path

from psw.core.sql import scalar
from psw.lake.layout import Lake

LOST_RETURNS = "audit.assert_every_return_in_force_has_landed_rows"
UNREGISTERED_TRUSTS = "audit.assert_every_trust_with_returns_is_registered"


def _failures(data_dir: Path, table: str, columns: str) -> list[tuple]:
    """The failing rows an audit test kept in the last build, [] if it passed or never ran."""
    import duckdb

    path = Lake(data_dir).warehouse
    if not path.exists():
        return []
    schema, name = table.split(".")
    with duckdb.connect(str(path), read_only=True) as db:
        found = scalar(
            db,
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, name],
        )
        if not found:
            return []
        return db.execute(f"select {columns} from {table} order by all").fetchall()


def lost_returns(data_dir: Path) -> list[tuple[str, str, str]]:
    """Returns in force whose landed rows are missing: (trust, month, source key)."""
    return _failures(
        data_dir, LOST_RETURNS, "trust_ods_code, strftime(period_end, '%Y-%m'), source_key"
    )


def unregistered_trusts(data_dir: Path) -> list[str]:
    """Trusts with returns in the lake that the registry no longer lists."""
    return [row[0] for row in _failures(data_dir, UNREGISTERED_TRUSTS, "trust_ods_code")]
