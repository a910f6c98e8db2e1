"""Helpers shared by test modules (fixtures stay in conftest.py): validating bytes as a
trust's upload, a `psw` process's environment and run, comparing warehouses, the sensor."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from psw.core.periods import parse_period
from psw.standard.validation import validate_return
from psw.synth import to_csv_bytes

# Far enough ahead that every test period has ended; tests of the future pass their own.
TODAY = dt.date(2026, 11, 23)
TRUST = "RV3"
PERIOD = "2025-06"

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
    from orchestration.ingestion.sensors import upload_sensor

    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"platform": platform}, definitions=defs()
    )
    result = upload_sensor(5)(context)
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


def validate_bytes(data: bytes, period: str = PERIOD, trust: str = TRUST, **kwargs):
    """Validate bytes as a trust's upload; returns the ValidationResult."""
    kwargs.setdefault("today", TODAY)
    return validate_return(
        data,
        trust_ods_code=trust,
        period_end=parse_period(period),
        file_name="upload.csv",
        **kwargs,
    )


def validate_rows(rows: list[dict], columns: list[str] | None = None, **kwargs):
    return validate_bytes(to_csv_bytes(rows, columns), **kwargs)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def with_changes(rows: list[dict], index: int = 0, **changes) -> list[dict]:
    """A copy of rows with one row changed."""
    out = [dict(r) for r in rows]
    out[index].update(changes)
    return out


def rules_of(result) -> dict[str, int]:
    return result.report.rule_counts()


def validate_argv(path, *extra: str, trust: str = TRUST, period: str = PERIOD) -> list[str]:
    """Arguments of `psw validate` for a file, with a fixed --today."""
    return [
        "validate",
        str(path),
        "--trust",
        trust,
        "--period",
        period,
        "--today",
        TODAY.isoformat(),
        *extra,
    ]


# Charts are kept by the hash of their specification (psw/site/charts.py), so every
# test's data folder can share one cache: each test's report then draws only the charts
# no earlier test drew (test_charts.py tests the cache itself).
SHARED_CHARTS = Path(os.environ.get("TMPDIR", "/tmp")) / f"psw-test-charts-{os.getuid()}"
SHARED_DOCS = Path(os.environ.get("TMPDIR", "/tmp")) / f"psw-test-dbt-docs-{os.getuid()}"


def platform_env(server, root: Path, **extra: str) -> dict[str, str]:
    """The environment of a `psw` process talking to a local S3 server, state under root."""
    cache = root / "data" / "cache"
    # Charts and dbt docs are cached by what they show: every test platform shares them.
    for name, shared in (("charts", SHARED_CHARTS), ("dbt-docs", SHARED_DOCS)):
        if not (cache / name).exists():
            shared.mkdir(parents=True, exist_ok=True)
            cache.mkdir(parents=True, exist_ok=True)
            (cache / name).symlink_to(shared, target_is_directory=True)
    env = {
        **os.environ,
        "PSW_S3_ENDPOINT_URL": server.endpoint_url,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "PSW_DATA_DIR": str(root / "data"),
        "PSW_PSEUDONYMISATION_KEY": "e2e-key",
        "DAGSTER_HOME": str(root / "dagster"),
    }
    env.pop("PSW_TRUST_REGISTRY", None)
    return {**env, **extra}


def upload_month(client, ods: str, period: str, seed: int, staff: int = 30) -> None:
    """A clean return of a trust's month, simulated, put at returns/<period>/r.csv."""
    from psw.standard.reference import trusts
    from psw.synth import simulate

    rows = dict(simulate(trusts()[ods], [period], seed=seed, staff=staff))[period]
    client.put_object(
        Bucket=f"psw-{ods.lower()}", Key=f"returns/{period}/r.csv", Body=to_csv_bytes(rows)
    )


def psw(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    """A `psw` command run in this process, with `env` as its whole environment: the
    same main() the command runs, its output and exit code, without starting Python and
    importing Dagster, dbt's adapters and Great Expectations again (about 10 s of a
    30 s pass, 8 of a 10 s intake pass). dbt still runs as its own process. Tests of the
    process itself (its exit, signals, a kill), and tests holding a DuckDB file open
    across the pass (one process's DuckDB refuses a second configuration of an open
    file), start one: psw_command, psw_run(process=True), spawn_psw_run."""
    import io

    from orchestration.cli import main

    saved = dict(os.environ)
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(env)
        with (
            dagster_state_storage_kept(),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = main(list(argv))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(["psw", *argv], code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def dagster_state_storage_kept() -> Iterator[None]:
    """Dagster keeps the "current" instance's definitions-state storage in a context
    variable, set when an instance is entered and reset when it is left. Code that leaves
    one set (an instance entered and never left, or left out of order) makes the next
    resolution of definitions in this process fail with "Attempted to resolve undefined
    DagsterInstance weakref" once that instance is gone. A process that exits never
    meets it; in a test process, each test and each in-process `psw` command gets back
    the value it started with, so its failures are its own."""
    from dagster._core.storage.defs_state.base import _current_storage  # no public handle

    before = _current_storage.get()
    try:
        yield
    finally:
        if _current_storage.get() is not before:
            _current_storage.set(before)


PSW_PROCESS = [sys.executable, "-m", "orchestration.cli"]  # the `psw` command, in its own process


def psw_command(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    """A `psw` command in its own process (the interpreter's start and exit included)."""
    return subprocess.run(
        [*PSW_PROCESS, *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def psw_run(env: dict[str, str], *args: str, process: bool = False) -> subprocess.CompletedProcess:
    """`psw run` (in this process unless `process`); it must exit 0 (the platform did its job)."""
    result = (psw_command if process else psw)(env, "run", *args)
    # The head says which stage failed; the tails say how.
    said = result.stdout[:1500] + "\n...\n" + result.stdout[-3000:]
    assert result.returncode == 0, said + result.stderr[-3000:]
    return result


def spawn_psw_run(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`psw run` started in its own session (a test may kill it, or its group)."""
    return subprocess.Popen(
        [*PSW_PROCESS, "run", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
