"""Publishing the serving DuckDB file (docs/interfaces.md) from a finished build.

`$PSW_DATA_DIR/serving/psw.duckdb` is what analysts open. `publish_serving` copies the
`published` schema of a finished build into a new file, records the revisions of figures
already published, checks disclosure control once more, and renames the file over the
old one: a reader holding the old file keeps reading it (the inode lives on until they
close it) and never blocks the pipeline; the next connection sees the new build.

Publishing never reads the file analysts open (issue 21: a read-write connection, DuckDB's
default, locked it and every publish failed; a corrupt one did the same). It compares
with the platform's own copy of the last publish (`$PSW_DATA_DIR/published.duckdb`), and
the served file is read-only, so analysts' tools open it read-only. What a killed publish
left behind is removed by the next.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from psw.core.sql import literal, scalar
from psw.lake.layout import Lake
from psw.warehouse.releases import TABLE as RELEASES
from psw.warehouse.releases import releases, releases_dir, write_releases_table
from psw.warehouse.revisions import TABLE as REVISIONS
from psw.warehouse.revisions import export_backup, record_revisions
from psw.warehouse.writer import remove_leftovers, warehouse_path

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

PUBLISHED_SCHEMA = "published"
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
# The tables a build must publish (the rest are checked as they come).
REQUIRED_TABLES = ("psw_headcount", "psw_pay_bands", "psw_role_diversity", "disclosure_control")
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
    lake = Lake(data_dir)
    target, private = lake.serving, lake.last_published
    backup = target.with_name("revisions.parquet")
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target.parent, target.name)
    remove_leftovers(private.parent, private.name)
    staging = target.with_name(f".{target.name}.{os.getpid()}.new")
    copy = private.with_name(f".{private.name}.{os.getpid()}.new")
    staging.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    try:
        with duckdb.connect(str(staging)) as db:
            db.execute(f"create schema {PUBLISHED_SCHEMA}")
            for name in _copy_published(db, data_dir):
                tables[name] = scalar(db, f"select count(*) from {PUBLISHED_SCHEMA}.{name}")
            write_releases_table(db, releases(releases_dir(data_dir)))
            tables[RELEASES] = scalar(db, f"select count(*) from {PUBLISHED_SCHEMA}.{RELEASES}")
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            revised = record_revisions(db, previous_publish(lake), backup, now)
            tables[REVISIONS] = scalar(db, f"select count(*) from {PUBLISHED_SCHEMA}.{REVISIONS}")
            check_disclosure(db)
            exported = export_backup(db, backup)
            db.execute("checkpoint")
        shutil.copyfile(staging, copy)
        os.chmod(staging, READ_ONLY)  # analysts' tools cannot open it for writing
        # A write-ahead log beside the path is an analyst's writes to the file replaced:
        # DuckDB would replay it into the new one.
        Path(f"{target}.wal").unlink(missing_ok=True)
        os.replace(staging, target)
        os.replace(copy, private)
        exported.replace(backup)  # only once the history it holds is published
    finally:
        for leftover in (staging, copy, Path(f"{staging}.wal")):
            leftover.unlink(missing_ok=True)
    return Published(target, tables, target.stat().st_size, time.monotonic() - started, revised)


def previous_publish(lake: Lake) -> Path | None:
    """What the last publish served, to compare the new build with: the platform's own
    copy, never the file analysts open (issue 21: an analyst's read-write connection
    locked it, and every publish failed; a corrupt serving file did the same). The
    serving file itself only before there was a copy, and only when it can be read."""
    for candidate in (lake.last_published, lake.serving):
        if is_readable_database(candidate):
            return candidate
    return None


def is_readable_database(path: Path) -> bool:
    """Whether a DuckDB file opens read-only and holds the published tables."""
    import duckdb

    if not path.exists():
        return False
    try:
        with duckdb.connect(str(path), read_only=True) as db:
            db.execute(f"select count(*) from {PUBLISHED_SCHEMA}.psw_headcount").fetchone()
    except duckdb.Error:
        return False
    return True


def _copy_published(db, data_dir: Path) -> list[str]:
    """The warehouse's published tables, with their comments, into the new serving file;
    from DuckDB by attaching its file, from another engine through psw.warehouse.engines."""
    from psw.warehouse.engines import copy_published, warehouse_kind

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
        db.execute(f"comment on table {PUBLISHED_SCHEMA}.{table} is {literal(comment)}")
    for table, column, comment in db.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where database_name = 'warehouse' and schema_name = ? and comment is not null",
        [PUBLISHED_SCHEMA],
    ).fetchall():
        db.execute(f'comment on column {PUBLISHED_SCHEMA}.{table}."{column}" is {literal(comment)}')


def check_disclosure(db: DuckDBPyConnection) -> None:
    """Refuse to publish row-level columns, a build without its tables, or an integer
    column the disclosure control does not know: each is a count the mechanism perturbs
    or is exempt because it counts no people (`disclosure` in the standard). Whether the
    published counts give anything away is the attacker test's question
    (tests/attacker.py), not a rule a column can be checked against."""
    from psw.standard.model import load_standard

    rules = load_standard().disclosure
    columns = db.execute(
        "select table_name, column_name, data_type from duckdb_columns() where schema_name = ?",
        [PUBLISHED_SCHEMA],
    ).fetchall()
    # A *_key column is a pseudonym or a disclosure-control key (with the keys, the noise
    # could be worked out and taken off): never served.
    row_level = [f"{t}.{c}" for t, c, _ in columns if c in ROW_LEVEL_COLUMNS or c.endswith("_key")]
    if row_level:
        raise DisclosureError(f"row-level or key columns would be served: {', '.join(row_level)}")
    tables = {t for t, _, _ in columns}
    for table in REQUIRED_TABLES:
        if table not in tables:
            raise DisclosureError(f"published.{table} is missing from the build")
    known = rules.perturbed_columns.keys() | rules.exempt_columns.keys()
    unknown = [
        f"{table}.{column}"
        for table, column, data_type in columns
        if data_type in INTEGER_TYPES and column not in known
    ]
    if unknown:
        raise DisclosureError(
            f"integer columns that are neither perturbed counts nor exempt would be served: "
            f"{', '.join(unknown)} (see disclosure in schemas/return_v1.yaml)"
        )
