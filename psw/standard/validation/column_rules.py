"""The checks of the row contract: one registered function per rule, of kind `column`
(the values of one column, parsed once for all its checks) or `row` (the whole frame).

psw/standard/validation/contract.py builds them into a pandera schema. A check returns True for
each valid value or row; the rule id names the pandera check, and so the finding.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from psw.standard.model import Column, Standard
from psw.standard.validation.parsing import parse_dates, parse_numbers
from psw.standard.validation.rules import Context, Decorator, Wording, register

# How a column check wants its values: as written, or parsed (unparseable -> NaN/NaT).
PARSERS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "date": parse_dates,
    "number": parse_numbers,
    "money": lambda values: parse_numbers(values, money=True),
}


def column_rule(
    rule_id: str,
    *,
    column: str | None = None,
    applies: Callable[[Column], bool] | None = None,
    parsed: str | None = None,
    unparsed_passes: bool = True,
    ignore_na: bool = True,
    wording: Wording | None = None,
) -> Decorator:
    """Register a check of one column: `function(values, ctx, column, standard)` returns
    True for each valid value. It runs on the column named, or on every column `applies`
    accepts. With `parsed`, it gets the parsed values, and a value that does not parse
    passes (the rule about parsing reports it) unless `unparsed_passes` is False."""
    if (column is None) == (applies is None):
        raise ValueError(f"{rule_id}: give the column or the columns it applies to")
    return register(
        rule_id,
        "column",
        wording=wording,
        applies=applies or (lambda c: c.name == column),
        parsed=parsed,
        unparsed_passes=unparsed_passes,
        ignore_na=ignore_na,
    )


def row_rule(
    rule_id: str, *, column: str, needs: set[str], wording: Wording | None = None
) -> Decorator:
    """Register a whole-row check: `function(frame, present)` returns True per valid row.
    It runs when the file has every column in `needs`; breaches are reported on `column`."""
    return register(rule_id, "row", wording=wording, column=column, needs=needs)


def _ts(day) -> pd.Timestamp:
    return pd.Timestamp(day)


def _period_end(ctx: Context, column: Column | None, standard: Standard) -> dict[str, str]:
    return {"expected": ctx.period_end.isoformat()}


# ---- column checks, by the kind of column ---------------------------------------------


@column_rule("VALUE_REQUIRED", applies=lambda c: c.is_required, ignore_na=False)
def value_given(values: pd.Series, ctx: Context, column: Column, standard: Standard) -> pd.Series:
    return values.notna()


@column_rule(
    "TEXT_FORMAT",
    # trust_ods_code may be one value only, the bucket's trust: TRUST_MISMATCH says which.
    applies=lambda c: c.pattern is not None and c.name != "trust_ods_code",
    wording=lambda ctx, column, standard: {
        "detail": column.format_hint or f"in the format {column.pattern}"
    },
)
def text_in_format(
    values: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return values.str.fullmatch(column.pattern)


@column_rule(
    "TEXT_TOO_LONG",
    applies=lambda c: c.max_length is not None,
    wording=lambda ctx, column, standard: {"detail": str(column.max_length)},
)
def text_short_enough(
    values: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return values.str.len() <= column.max_length


@column_rule(
    "CODE_INVALID",
    applies=lambda c: c.type == "code",
    wording=lambda ctx, column, standard: {"allowed": ", ".join(standard.codes(column.code_list))},
)
def code_allowed(values: pd.Series, ctx: Context, column: Column, standard: Standard) -> pd.Series:
    return values.str.lower().isin({c.lower() for c in standard.codes(column.code_list)})


@column_rule(
    "DATE_INVALID", applies=lambda c: c.type == "date", parsed="date", unparsed_passes=False
)
def date_parses(dates: pd.Series, ctx: Context, column: Column, standard: Standard) -> pd.Series:
    return dates.notna()


@column_rule(
    "NUMBER_INVALID",
    applies=lambda c: c.type == "decimal" and c.is_required,
    parsed="number",
    unparsed_passes=False,
)
def number_parses(
    numbers: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return numbers.notna()


@column_rule(
    "SALARY_NOT_A_NUMBER", column="annual_salary_fte_gbp", parsed="money", unparsed_passes=False
)
def salary_parses(
    numbers: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return numbers.notna()


# ---- column checks of one column ------------------------------------------------------


@column_rule(
    "TRUST_MISMATCH",
    column="trust_ods_code",
    wording=lambda ctx, column, standard: {"expected": ctx.trust_ods_code},
)
def trust_is_the_buckets(
    values: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return values.str.upper() == ctx.trust_ods_code.upper()


@column_rule(
    "PERIOD_NOT_MONTH_END", column="reporting_period_end", parsed="date", wording=_period_end
)
def period_is_month_end(
    dates: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return dates.dt.is_month_end


@column_rule(
    "PERIOD_MISMATCH",
    column="reporting_period_end",
    parsed="date",
    wording=lambda ctx, column, standard: {
        "expected": ctx.period_end.isoformat(),
        "detail": ctx.period,
    },
)
def period_is_the_keys(
    dates: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return (dates.dt.year == ctx.period_end.year) & (dates.dt.month == ctx.period_end.month)


# Not named in_range: pandera dispatches functions named like its built-ins.
@column_rule("FTE_OUT_OF_RANGE", column="fte", parsed="number")
def fte_within_bounds(
    numbers: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return (numbers > column.min_exclusive) & (numbers <= column.max)


@column_rule(
    "FIXED_TERM_END_NOT_AFTER_PERIOD",
    column="fixed_term_end_date",
    parsed="date",
    wording=_period_end,
)
def fixed_term_ends_after_period(
    dates: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return dates > _ts(ctx.period_end)


@column_rule(
    "START_DATE_AFTER_PERIOD", column="start_date_in_role", parsed="date", wording=_period_end
)
def start_not_after_period(
    dates: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return dates <= _ts(ctx.period_end)


@column_rule(
    "START_DATE_TOO_EARLY",
    column="start_date_in_role",
    parsed="date",
    wording=lambda ctx, column, standard: {"expected": ctx.earliest_start.isoformat()},
)
def start_not_too_early(
    dates: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return dates >= _ts(ctx.earliest_start)


@column_rule(
    "LEAVING_DATE_OUTSIDE_MONTH",
    column="leaving_date",
    parsed="date",
    wording=lambda ctx, column, standard: {
        "expected": f"{ctx.period_start.isoformat()} to {ctx.period_end.isoformat()}"
    },
)
def leaving_in_month(
    dates: pd.Series, ctx: Context, column: Column, standard: Standard
) -> pd.Series:
    return (dates >= _ts(ctx.period_start)) & (dates <= _ts(ctx.period_end))


# ---- whole-row checks -----------------------------------------------------------------


@row_rule("FIXED_TERM_END_REQUIRED", column="fixed_term_end_date", needs={"contract_type"})
def fixed_term_has_end(frame: pd.DataFrame, present: set[str]) -> pd.Series:
    fixed = frame["contract_type"].astype("string").str.upper() == "FIXED_TERM"
    if "fixed_term_end_date" not in present:
        return ~fixed.fillna(False)  # without the column every FIXED_TERM row lacks its end
    return ~(fixed.fillna(False) & frame["fixed_term_end_date"].isna())


@row_rule("ASSIGNMENT_DUPLICATE", column="assignment_id", needs={"staff_id", "assignment_id"})
def unique_assignment(frame: pd.DataFrame, present: set[str]) -> pd.Series:
    keys = frame[["staff_id", "assignment_id"]]
    both = keys.notna().all(axis=1)
    return ~(keys.duplicated(keep=False) & both)
