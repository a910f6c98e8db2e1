"""Helpers shared by test modules (fixtures stay in conftest.py)."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from pathlib import Path

# Columns that hold when the store received a file: two runs of one scenario differ there.
STORE_TIME_TYPES = ("timestamp with time zone",)
SCHEMAS = ("marts", "published")

Fetch = Callable[[str], list[tuple]]


def platform_resource(server, data_dir: Path):
    """The Dagster `platform` resource for a local S3 server, state under data_dir."""
    from orchestration.ingestion.resources import PlatformResource

    return PlatformResource(
        endpoint_url=server.endpoint_url,
        access_key=server.access_key,
        secret_key=server.secret_key,
        platform_bucket="psw-platform",
        data_dir=str(data_dir),
        pseudonymisation_key="k",
    )


def warehouse_tables(path: Path, schemas=SCHEMAS, leave_out=()) -> dict[str, list[tuple]]:
    """Every table of a DuckDB warehouse's marts and published schemas (see `tables`)."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as db:
        return tables(lambda sql: db.execute(sql).fetchall(), schemas, leave_out)


def tables(fetch: Fetch, schemas=SCHEMAS, leave_out=()) -> dict[str, list[tuple]]:
    """Every table of the schemas, as sorted rows without the columns of store time, so
    two builds of the same uploads compare equal on any engine: numbers as floats rounded
    to 9 places (engines sum in their own order, and a count may be an integer on one
    and a numeric on another). Columns named in `leave_out` are left out too."""
    listed = ", ".join(f"'{s}'" for s in schemas)
    columns = fetch(
        "select table_schema, table_name, column_name, data_type "
        f"from information_schema.columns where table_schema in ({listed}) "
        "order by table_schema, table_name, ordinal_position"
    )
    kept: dict[str, list[str]] = {}
    for schema, table, column, data_type in columns:
        kept.setdefault(f"{schema}.{table}", [])
        if data_type.lower() not in STORE_TIME_TYPES and column not in leave_out:
            kept[f"{schema}.{table}"].append(f'"{column}"')
    return {
        name: sorted(
            (
                tuple(_plain(v) for v in row)
                for row in fetch(f"select {', '.join(names)} from {name}")
            ),
            key=repr,
        )
        for name, names in kept.items()
    }


def _plain(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return round(float(value), 9)
    return value


def sensor_tick(instance, platform, cursor=None):
    """One tick of the upload sensor: (its result, the cursor after it)."""
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.ingestion.sensors import trust_uploads

    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"platform": platform}, definitions=defs
    )
    result = trust_uploads(context)
    return result, result.cursor or cursor


def end_a_run_without_outcome(instance, run_key: str) -> None:
    """A finished run with the sensor's run key that wrote no outcome (its worker died)."""
    import dagster as dg

    @dg.op
    def nothing():
        pass

    @dg.job
    def stand_in():
        nothing()

    stand_in.execute_in_process(instance=instance, tags={"dagster/run_key": run_key})
