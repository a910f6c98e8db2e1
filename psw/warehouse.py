"""The two DuckDB files (INTERFACES.md) and the one-writer rule.

- `$PSW_DATA_DIR/warehouse.duckdb` is written by dbt only, one build at a time
  (`writer_lock`): DuckDB allows one writer process or many readers, never both.
- `$PSW_DATA_DIR/serving/psw.duckdb` is what analysts open. `publish_serving` copies the
  `published` schema of a finished build into a new file and renames it over the old
  one: a reader holding the old file keeps reading it (the inode lives on until they
  close it) and never blocks the pipeline; the next connection sees the new build.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from psw.lake import Lake
from psw.paths import dbt_project_dir
from psw.revisions import TABLE as REVISIONS
from psw.revisions import export_backup, record_revisions
from psw.sql import scalar

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

PUBLISHED_SCHEMA = "published"
# The tables a build must publish (the rest are checked as they come).
REQUIRED_TABLES = ("psw_headcount", "psw_pay_bands", "psw_role_diversity")
INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)
# Column names that would mean row-level data reached the serving file.
ROW_LEVEL_COLUMNS = {"staff_key", "staff_id", "assignment_id", "source_row", "local_job_title"}


def warehouse_path(data_dir: Path) -> Path:
    return Lake(data_dir).warehouse


def serving_path(data_dir: Path) -> Path:
    return Lake(data_dir).serving


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv need not be on PATH)."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def dbt_environment(data_dir: Path) -> dict[str, str]:
    """Environment for a dbt process: an absolute data dir, the lake's location (its
    credentials are the platform's, from the environment), nothing phoning home."""
    from psw.engines import warehouse_kind

    env = {
        "PSW_DATA_DIR": str(data_dir.resolve()),
        "PSW_LAKE_URL": Lake.from_env(data_dir).url,
        "PSW_WAREHOUSE": warehouse_kind(),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if env["PSW_WAREHOUSE"] == "spark":
        # The metastore's log (derby.log) beside the metastore, not in whatever folder
        # dbt runs from: a JVM option, so set before pyspark starts the JVM.
        home = data_dir.resolve() / "spark"
        env["PYSPARK_SUBMIT_ARGS"] = (
            f"--driver-java-options -Dderby.system.home={home} pyspark-shell"
        )
    return env


@contextmanager
def environment_for_dbt(data_dir: Path) -> Iterator[None]:
    """dbt_environment set for the dbt process started inside, and restored after.

    dagster-dbt's `DbtCliResource.cli` starts dbt with a copy of os.environ and takes no
    environment of its own; setting it only around that call keeps a `psw run` (one
    process for intake and marts) free of dbt's settings afterwards."""
    wanted = dbt_environment(data_dir)
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def writer_lock(data_dir: Path, wait_seconds: float = 1800) -> Iterator[None]:
    """Hold the warehouse's writer lock (an flock, freed if the process dies).

    Once held, a dbt build left running by a holder that was killed is stopped: it would
    hold DuckDB's own lock on the warehouse and fail the next build."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with Lake(data_dir).writer_lock.open("a") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError("another build held the warehouse too long") from None
                time.sleep(0.5)
        try:
            stop_orphaned_build(data_dir)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record_build(data_dir: Path, dbt_pid: int) -> None:
    """Note which process runs dbt for whom, for `stop_orphaned_build`."""
    Lake(data_dir).build_record.write_text(f"{os.getpid()} {dbt_pid}\n")


def mark_build(data_dir: Path, succeeded: bool) -> None:
    """Whether the warehouse now holds a whole successful build. Unmarked when a build
    starts, marked when dbt finished without error: a build that failed or was killed
    part way leaves a mix of new and old tables, which must never be published."""
    marker = Lake(data_dir).build_outcome
    if succeeded:
        marker.write_text(f"{time.time():.0f}\n")
    else:
        marker.unlink(missing_ok=True)


def holds_successful_build(data_dir: Path) -> bool:
    return Lake(data_dir).build_outcome.exists()


def stop_orphaned_build(data_dir: Path) -> int | None:
    """Kill a recorded dbt build whose owner is gone; its pid when one was stopped."""
    import signal

    record = Lake(data_dir).build_record
    if not record.exists():
        return None
    owner, dbt_pid = (int(x) for x in record.read_text().split())
    record.unlink()
    if owner == os.getpid() or pid_alive(owner) or not _is_dbt(dbt_pid):
        return None
    os.kill(dbt_pid, signal.SIGKILL)
    return dbt_pid


def pid_alive(pid: int) -> bool:
    """Whether a process of this host is running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        pass
    return True


def _is_dbt(pid: int) -> bool:
    """Whether a live process is a dbt command (a recycled pid is left alone)."""
    try:
        return b"dbt" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def manifest_path() -> Path:
    return dbt_project_dir() / "target" / "manifest.json"


def manifest_is_stale() -> bool:
    """Whether the dbt manifest is missing or older than any file of the project."""
    manifest = manifest_path()
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    project = dbt_project_dir()
    sources = [project / "dbt_project.yml", project / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += [p for p in (project / folder).rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in sources)


def prepare_manifest(data_dir: Path) -> Path:
    """`dbt parse` when the manifest is missing or stale (what prepare_if_dev does only
    under `dagster dev`); tests, CI and `psw run` call this before loading definitions."""
    import subprocess

    if manifest_is_stale():
        project = dbt_project_dir()
        subprocess.run(
            [
                dbt_executable(),
                "parse",
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
            ],
            env={**os.environ, **dbt_environment(data_dir)},
            check=True,
            capture_output=True,
            text=True,
        )
    return manifest_path()


def serving_is_stale(lake: Lake) -> bool:
    """Whether the serving file is missing or older than an outcome in the ledger (a new
    upload, or a build that failed after one)."""
    if not lake.serving.exists():
        return True
    built = lake.serving.stat().st_mtime
    return any(e.modified > built for e in lake.ledger_entries())


@dataclass(frozen=True)
class Published:
    path: Path
    tables: dict[str, int]  # table -> rows
    bytes: int
    seconds: float
    revisions: int = 0  # figures of months published before that this publish changed


class DisclosureError(RuntimeError):
    """The build would have served something it must not; nothing was published."""


def publish_serving(data_dir: Path) -> Published:
    """Copy the `published` schema of the warehouse to a new serving file, then swap it in."""
    import duckdb

    started = time.monotonic()
    target = serving_path(data_dir)
    backup = target.with_name("revisions.parquet")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.new")
    staging.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    try:
        with duckdb.connect(str(staging)) as db:
            db.execute(f"create schema {PUBLISHED_SCHEMA}")
            for name in _copy_published(db, data_dir):
                tables[name] = scalar(db, f"select count(*) from {PUBLISHED_SCHEMA}.{name}")
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            revised = record_revisions(db, target if target.exists() else None, backup, now)
            tables[REVISIONS] = scalar(db, f"select count(*) from {PUBLISHED_SCHEMA}.{REVISIONS}")
            check_disclosure(db)
            exported = export_backup(db, backup)
            db.execute("checkpoint")
        os.replace(staging, target)
        exported.replace(backup)  # only once the history it holds is published
    finally:
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
    return Published(target, tables, target.stat().st_size, time.monotonic() - started, revised)


def _copy_published(db, data_dir: Path) -> list[str]:
    """The warehouse's published tables, with their comments, into the new serving file;
    from DuckDB by attaching its file, from another engine through psw.engines."""
    from psw.engines import copy_published, warehouse_kind

    kind = warehouse_kind()
    if kind != "duckdb":
        return copy_published(kind, db, PUBLISHED_SCHEMA, data_dir)
    db.execute(f"attach '{warehouse_path(data_dir)}' as warehouse (read_only)")
    names = [
        row[0]
        for row in db.execute(
            "select table_name from duckdb_tables() "
            "where database_name = 'warehouse' and schema_name = ? order by 1",
            [PUBLISHED_SCHEMA],
        ).fetchall()
    ]
    for name in names:
        db.execute(
            f"create table {PUBLISHED_SCHEMA}.{name} as "
            f"select * from warehouse.{PUBLISHED_SCHEMA}.{name}"
        )
    _copy_comments(db)
    db.execute("detach warehouse")
    return names


def _copy_comments(db) -> None:
    """Table and column descriptions from the dbt docs, for SQL tools to show."""
    for table, comment in db.execute(
        "select table_name, comment from duckdb_tables() where database_name = 'warehouse' "
        "and schema_name = ? and comment is not null",
        [PUBLISHED_SCHEMA],
    ).fetchall():
        db.execute(f"comment on table {PUBLISHED_SCHEMA}.{table} is {_quote(comment)}")
    for table, column, comment in db.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where database_name = 'warehouse' and schema_name = ? and comment is not null",
        [PUBLISHED_SCHEMA],
    ).fetchall():
        db.execute(f'comment on column {PUBLISHED_SCHEMA}.{table}."{column}" is {_quote(comment)}')


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def check_disclosure(db: DuckDBPyConnection) -> None:
    """Refuse to publish row-level columns, or any sub-national count off the disclosure
    rules: every integer column of every published table is a count unless the standard
    exempts it (it counts no people). A table without geography_level is per trust."""
    from psw.standard import load_standard

    rules = load_standard().disclosure
    columns = db.execute(
        "select table_name, column_name, data_type from duckdb_columns() where schema_name = ?",
        [PUBLISHED_SCHEMA],
    ).fetchall()
    row_level = [f"{t}.{c}" for t, c, _ in columns if c in ROW_LEVEL_COLUMNS]
    if row_level:
        raise DisclosureError(f"row-level columns would be served: {', '.join(row_level)}")
    tables = {t for t, _, _ in columns}
    for table in REQUIRED_TABLES:
        if table not in tables:
            raise DisclosureError(f"published.{table} is missing from the build")
    by_level = {t for t, c, _ in columns if c == "geography_level"}
    for table, column, data_type in columns:
        if data_type not in INTEGER_TYPES or column in rules.exempt_columns:
            continue
        below_national = "geography_level != 'national' and " if table in by_level else ""
        bad = scalar(
            db,
            f"select count(*) from {PUBLISHED_SCHEMA}.{table} where {below_national}"
            f'("{column}" between 1 and {rules.largest_suppressed} '
            f'or "{column}" % {rules.rounding_base} != 0)',
        )
        if bad:
            raise DisclosureError(
                f"{bad} sub-national values of {table}.{column} would be served that are "
                f"1-{rules.largest_suppressed} or not rounded to {rules.rounding_base}"
            )
