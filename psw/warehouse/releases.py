"""Official releases (docs/interfaces.md): figures frozen for good.

The serving file is management information that changes with every upload. `psw release
YYYY-MM` freezes the figures for the months up to YYYY-MM as they stand: a copy of the
serving file with later months taken out, its own report and downloads, under
`$PSW_DATA_DIR/serving/releases/YYYY-MM/`, written read-only and never changed again. A
second release of the same month is refused. `published.releases` lists every release:
in each release's own file (the releases up to it) and in the live serving file from the
next publish on (a release never rewrites the live file: a publish could be swapping in a
newer one at that moment).

A release is made from the live serving file the platform serves, never from a build in
progress: it copies the file analysts read, which a publish replaces whole, so the copy
is one publish's figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from psw.core.periods import parse_period
from psw.core.sql import literal, scalar
from psw.lake.layout import Lake
from psw.warehouse.writer import remove_leftovers

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

TABLE = "releases"
MANIFEST = "release.json"
COMMENTS = {
    None: "Every official release: the figures for the months up to release_month, frozen "
    "when it was published and never changed; the live tables are provisional.",
    "release_month": "The last month a release covers (YYYY-MM).",
    "published_at": "When the release was made (UTC).",
    "figures_as_at": "When the serving file it froze was published (UTC): the figures are "
    "those of that moment.",
}


@dataclass(frozen=True)
class Calendar:
    """Where the release calendar stands on a day: the month whose release is due and not
    made (None when every due release is made), and the next release to come."""

    overdue: tuple[str, dt.date] | None
    upcoming: tuple[str, dt.date]


def calendar(latest_made: str | None, today: dt.date) -> Calendar:
    """The release calendar of the standard (its `publication` section) on `today`,
    given the latest release made (YYYY-MM). A release covers every month up to its
    own, so only the latest month due matters."""
    from psw.standard.model import load_standard

    publication = load_standard().publication
    month = _shift(f"{today:%Y-%m}", -publication.release_months_after)
    if publication.release_due(month) > today:
        month = _shift(month, -1)  # this month's release day has not come yet
    overdue = None
    if latest_made is None or latest_made < month:
        overdue = (month, publication.release_due(month))
    upcoming = _shift(month, 1)
    return Calendar(overdue, (upcoming, publication.release_due(upcoming)))


def _shift(month: str, months: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class ReleaseRefused(RuntimeError):
    """The release was not made; the message says why."""


class ReleaseExists(ReleaseRefused):
    """A release of that month was made already (or its folder is taken): never remade."""


@dataclass(frozen=True)
class Release:
    month: str
    folder: Path
    published_at: str
    figures_as_at: str
    tables: int


def releases_dir(data_dir: Path) -> Path:
    return Lake(data_dir).serving.parent / "releases"


def releases(folder: Path) -> list[dict[str, str]]:
    """Every release made, oldest month first, from each release's manifest (never one
    being made, or left by a kill: those are in hidden `.<month>.<pid>.new` folders)."""
    return [
        json.loads(manifest.read_text(encoding="utf-8"))
        for manifest in sorted(folder.glob(f"*/{MANIFEST}"))
        if not manifest.parent.name.startswith(".")
    ]


def write_releases_table(db: DuckDBPyConnection, listed: list[dict[str, str]]) -> None:
    """`published.releases` (replaced) listing `listed`."""
    db.execute(f"drop table if exists published.{TABLE}")
    db.execute(
        f"create table published.{TABLE} (release_month varchar, published_at timestamp, "
        "figures_as_at timestamp)"
    )
    for release in listed:
        db.execute(
            f"insert into published.{TABLE} values (?, ?, ?)",
            [release["release_month"], release["published_at"], release["figures_as_at"]],
        )
    for column, text in COMMENTS.items():
        target = (
            f"table published.{TABLE}" if column is None else f"column published.{TABLE}.{column}"
        )
        db.execute(f"comment on {target} is {literal(text)}")


def make_release(
    data_dir: Path, month: str, report: Callable[[Path, Path, dict[str, str]], object]
) -> Release:
    """Freeze the figures for the months up to `month` (YYYY-MM) as the serving file holds
    them now, with `report(serving file, folder, release)` writing its pages beside it;
    refused when that release exists or the month has no published figures."""
    import duckdb

    last_day = parse_period(month)  # the month's last day; a ValueError names the fault
    lake = Lake(data_dir)
    folder = releases_dir(data_dir)
    target = folder / month
    if (target / MANIFEST).exists():
        made = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        raise ReleaseExists(
            f"release {month} was made at {made['published_at']} UTC and never changes; "
            "nothing was done"
        )
    if target.exists():
        raise ReleaseExists(f"{target} exists but holds no release: move it away first")
    if not lake.serving.exists():
        raise ReleaseRefused(f"no serving database at {lake.serving} yet: `psw run` builds it")
    first, latest = published_months(lake.serving)
    if latest is None or latest < last_day:
        shown = f"{latest:%Y-%m}" if latest else "none"
        raise ReleaseRefused(
            f"no published figures for {month} yet (the latest month published is {shown})"
        )
    # A release of nothing, and never remade: a mistyped year, say.
    if first is not None and first > last_day:
        raise ReleaseRefused(
            f"no published figures for {month}: the first month published is {first:%Y-%m}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    remove_leftovers(folder, month)  # what a killed release left
    staging = folder / f".{month}.{os.getpid()}.new"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    frozen = staging / "psw.duckdb"
    figures_as_at = dt.datetime.fromtimestamp(lake.serving.stat().st_mtime, dt.UTC)
    published_at = dt.datetime.now(dt.UTC)
    made = {
        "release_month": month,
        "published_at": published_at.strftime("%Y-%m-%d %H:%M:%S"),
        "figures_as_at": figures_as_at.strftime("%Y-%m-%d %H:%M:%S"),
    }
    try:
        shutil.copyfile(lake.serving, frozen)
        os.chmod(frozen, 0o644)  # the copy of a read-only file, written to once
        with duckdb.connect(str(frozen)) as db:
            tables = _months_up_to(db, last_day)
            write_releases_table(db, [*releases(folder), made])
            db.execute("checkpoint")
        os.chmod(frozen, 0o444)
        report(frozen, staging / "report", made)
        (staging / MANIFEST).write_text(json.dumps(made, indent=2) + "\n", encoding="utf-8")
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for path in target.rglob("*"):
        if path.is_file():
            os.chmod(path, 0o444)  # a release never changes
    return Release(month, target, made["published_at"], made["figures_as_at"], tables)


def published_months(serving: Path) -> tuple[dt.date | None, dt.date | None]:
    """The first and the latest month (last day) with published figures."""
    import duckdb

    with duckdb.connect(str(serving), read_only=True) as db:
        first, latest = db.execute(
            "select min(period_end), max(period_end) from published.psw_headcount"
        ).fetchone() or (None, None)
    return first, latest


def _months_up_to(db: DuckDBPyConnection, last_day: dt.date) -> int:
    """Take out every row of a month after `last_day`; the number of tables kept."""
    monthly = db.execute(
        "select table_name from duckdb_columns() where schema_name = 'published' "
        "and column_name = 'period_end'"
    ).fetchall()
    for (name,) in monthly:
        db.execute(f'delete from published."{name}" where period_end > ?', [last_day])
    return scalar(db, "select count(*) from duckdb_tables() where schema_name = 'published'")
