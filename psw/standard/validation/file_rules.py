"""Checks of the file as a whole: its month, its header row, its row lengths.

Each is the registered check of one rule (psw/standard/validation/rules.py). A check with
`before_reading` judges the upload without its content (so even an unreadable file is
told); the others get the file as read. Rules about reading the bytes themselves are
raised by psw/standard/validation/reading.py; personal data in values is in personal.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from psw.standard.model import Standard
from psw.standard.validation import personal
from psw.standard.validation.reading import RawReturn
from psw.standard.validation.rules import Context, Decorator, Hit, Wording, register


def file_rule(
    rule_id: str, *, before_reading: bool = False, wording: Wording | None = None
) -> Decorator:
    """Register a whole-file check: `function(raw, ctx, standard)` yields a hit per breach
    (`function(ctx, standard)` when `before_reading`)."""
    return register(rule_id, "file", wording=wording, before_reading=before_reading)


@file_rule("HEADER_DUPLICATE_COLUMN")
def duplicate_columns(raw: RawReturn, ctx: Context, standard: Standard) -> Iterator[Hit]:
    for column in raw.duplicate_columns:
        yield Hit("HEADER_DUPLICATE_COLUMN", column=raw.original_names.get(column, column))


@file_rule("HEADER_MISSING_COLUMN")
def missing_columns(raw: RawReturn, ctx: Context, standard: Standard) -> Iterator[Hit]:
    for column in standard.required_columns:
        if column not in raw.columns:
            yield Hit("HEADER_MISSING_COLUMN", column=column)


@file_rule("PERSONAL_DATA_COLUMN")
def personal_columns(raw: RawReturn, ctx: Context, standard: Standard) -> Iterator[Hit]:
    for column in raw.columns:
        kind = personal.personal_column_kind(column, standard)
        if kind:
            yield Hit(
                "PERSONAL_DATA_COLUMN",
                column=raw.original_names[column],
                placeholders={"detail": kind},
                personal="column",
            )


# The key's month, not the rows': a month's return may be uploaded from its last day on.
@file_rule("PERIOD_IN_FUTURE", before_reading=True)
def period_in_future(ctx: Context, standard: Standard) -> Iterator[Hit]:
    if ctx.today is not None and ctx.period_end > ctx.today:
        yield Hit("PERIOD_IN_FUTURE", placeholders={"detail": ctx.period})


@file_rule("ROW_TOO_MANY_VALUES")
def overlong_rows(raw: RawReturn, ctx: Context, standard: Standard) -> Iterator[Hit]:
    for row, count in raw.overlong_rows.items():
        detail = f"{count} values, {len(raw.original_names)} column names"
        yield Hit("ROW_TOO_MANY_VALUES", row=row, placeholders={"detail": detail})
