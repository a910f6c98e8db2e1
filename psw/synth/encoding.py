"""Rows of a return as the bytes a trust would upload: CSV, Excel or Parquet."""

from __future__ import annotations

import csv
import datetime as dt
import io

from psw.standard.model import load_standard


def _text(value: object, uk_dates: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y") if uk_dates else value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_csv_bytes(
    rows: list[dict[str, object]], columns: list[str] | None = None, uk_dates: bool = False
) -> bytes:
    columns = columns or load_standard().column_names
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(row.get(c), uk_dates) for c in columns])
    return buffer.getvalue().encode("utf-8")


def to_xlsx_bytes(rows: list[dict[str, object]], columns: list[str] | None = None) -> bytes:
    import openpyxl

    columns = columns or load_standard().column_names
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("PSW return")
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) for c in columns])  # real date and number cells
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_parquet_bytes(rows: list[dict[str, object]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    standard = load_standard()
    types = {"text": pa.string(), "code": pa.string(), "date": pa.date32(), "decimal": pa.float64()}
    table = pa.table(
        {
            c.name: pa.array([r.get(c.name) for r in rows], type=types[c.type])
            for c in standard.columns
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def encode(rows: list[dict[str, object]], file_format: str, uk_dates: bool = False) -> bytes:
    if file_format == "xlsx":
        return to_xlsx_bytes(rows)
    if file_format == "parquet":
        return to_parquet_bytes(rows)
    return to_csv_bytes(rows, uk_dates=uk_dates)
