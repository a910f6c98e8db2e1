"""Every published table as a download beside the report (docs/interfaces.md,
"Publication"): `downloads/<table>.csv` (UTF-8, a header row, the published rows exactly)
and `downloads/psw_published.xlsx` (a sheet per table and a `notes` sheet first).

Written from the same read-only connection the pages are drawn from, so a download always
matches the page that links it. Rows are ordered by every column, so two builds from the
same serving file give the same bytes and a diff shows only what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from psw.core.sql import scalar

if TYPE_CHECKING:
    import duckdb

FOLDER = "downloads"
WORKBOOK = "psw_published.xlsx"
NOTES_SHEET = "notes"
# Excel's limit: a table longer than this (none is, at national scale) is left to its CSV.
EXCEL_ROWS = 1_048_575


@dataclass(frozen=True)
class Download:
    table: str
    rows: int
    in_workbook: bool


def href(table: str) -> str:
    """A table's CSV, relative to the report's pages."""
    return f"{FOLDER}/{table}.csv"


def published_tables(db: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in db.execute(
            "select table_name from duckdb_tables() where schema_name = 'published' "
            "union select view_name from duckdb_views() where schema_name = 'published' "
            "and not internal order by 1"
        ).fetchall()
    ]


def write_downloads(
    db: duckdb.DuckDBPyConnection, out: Path, notes: Sequence[tuple[str, str]]
) -> list[Download]:
    """Each table of schema `published` to `out/downloads/` as CSV, and all of them in one
    workbook with `notes` (label, text) as its first sheet."""
    folder = out / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in published_tables(db):
        # DuckDB writes the CSV itself: dates as YYYY-MM-DD, nulls as empty fields, and
        # doubles in the shortest form that reads back as the same number.
        db.execute(
            f'copy (select * from published."{table}" order by all) '
            f"to '{folder / table}.csv' (header, delimiter ',', quote '\"')"
        )
        rows = scalar(db, f'select count(*) from published."{table}"')
        written.append(Download(table, rows, rows <= EXCEL_ROWS))
    _workbook(db, folder / WORKBOOK, written, notes)
    return written


def _workbook(
    db: duckdb.DuckDBPyConnection,
    path: Path,
    tables: list[Download],
    notes: Sequence[tuple[str, str]],
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)  # streamed: a sheet is never held whole
    sheet = book.create_sheet(NOTES_SHEET)
    bold = Font(bold=True)

    def heading(sheet, values):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = bold
            cells.append(cell)
        return cells

    sheet.append(heading(sheet, ["about these figures", ""]))
    for label, text in notes:
        sheet.append([label, text])
    sheet.append([])
    sheet.append(heading(sheet, ["sheet", "rows"]))
    for download in tables:
        shown = download.table if download.in_workbook else f"{download.table} (CSV only)"
        sheet.append([shown, download.rows])
    for download in tables:
        if not download.in_workbook:
            continue
        sheet = book.create_sheet(download.table[:31])  # Excel's limit on a sheet's name
        result = db.execute(f'select * from published."{download.table}" order by all')
        sheet.append(heading(sheet, [c[0] for c in result.description]))
        while batch := result.fetchmany(10_000):
            for row in batch:
                sheet.append([_cell(sheet, v) for v in row])
    partial = path.with_name(f".{path.name}.partial")
    book.save(partial)
    partial.replace(path)


def _cell(sheet, value: object) -> object:
    """A value as Excel keeps it: dates stay dates (Excel has no timezone, so a timestamp
    is written as UTC without one), text stays text. Text that looks like a formula (a
    name in the trust registry starting with "=", say) is written as text, never run, and
    a control character Excel refuses, which would stop the whole workbook, is written as
    its code."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, list | dict):
        value = str(value)
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    if text.startswith("="):
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text
