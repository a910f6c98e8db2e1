"""Typing a read return: codes in their standard spelling, parsed dates and numbers.

Used for the Great Expectations stage (which needs numbers and dates) and for the clean
Arrow table an accepted return is landed from. Values that do not parse become nulls;
for an accepted return that only happens in optional columns.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from psw.standard.model import Column, Standard
from psw.standard.validation.parsing import canonical_codes, parse_dates, parse_numbers

_ARROW_TYPES = {
    "text": pa.string(),
    "code": pa.string(),
    "date": pa.date32(),
    "decimal": pa.float64(),
}


def arrow_schema(standard: Standard) -> pa.Schema:
    """The typed schema of a validated return as landed (the platform adds lineage
    columns); columns the standard does not land (free text) are left out."""
    fields = [
        pa.field(c.name, _ARROW_TYPES[c.type], nullable=not c.is_required)
        for c in standard.columns
        if c.landed
    ]
    return pa.schema([pa.field("source_row", pa.int32(), nullable=False), *fields])


def _typed_column(column: Column, values: pd.Series, standard: Standard) -> pd.Series:
    if column.type == "code":
        return canonical_codes(values, standard.codes(column.code_list))
    if column.type == "date":
        return parse_dates(values)
    if column.type == "decimal":
        return parse_numbers(values, money=column.name != "fte")
    if column.name == "trust_ods_code":
        return values.astype("string").str.upper().astype(object).where(values.notna(), None)
    return values


def typed_frame(standard: Standard, frame: pd.DataFrame) -> pd.DataFrame:
    """Standard columns present in the file, typed; other columns passed through as text."""
    out = frame.copy()
    for column in standard.columns:
        if column.name in out.columns:
            out[column.name] = _typed_column(column, out[column.name], standard)
    return out


def to_arrow(standard: Standard, typed: pd.DataFrame) -> pa.Table:
    """The landed standard columns of a typed frame as an Arrow table; absent optional
    columns null."""
    schema = arrow_schema(standard)
    arrays = [pa.array(typed.index.to_numpy(), type=pa.int32())]
    for column in (c for c in standard.columns if c.landed):
        field = schema.field(column.name)
        if column.name not in typed.columns:
            arrays.append(pa.nulls(len(typed), type=field.type))
            continue
        values = typed[column.name]
        if column.type == "date":
            values = values.dt.date
        arrays.append(
            pa.array(values.astype(object).where(values.notna(), None).tolist(), type=field.type)
        )
    return pa.Table.from_arrays(arrays, schema=schema)
