"""The row contract as a pandera schema, derived from the standard in `schemas/`.

The schema validates the text the trust wrote (so a finding can quote it), lazily, so
every breach in every row is collected in one pass. Each check is named with the rule id
it enforces; `run_contract` turns pandera's failure cases into report findings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from psw.periods import period_of
from psw.standard import Column, Standard
from psw.validation.parsing import parse_dates, parse_numbers

_ALWAYS_TEXT = object  # every column arrives as text (or None); typing is by the checks


@dataclass(frozen=True)
class Context:
    """What the contract needs to know besides the file: whose return, for which month."""

    trust_ods_code: str
    period_end: dt.date
    earliest_start: dt.date = dt.date(1990, 1, 1)

    @property
    def period_start(self) -> dt.date:
        return self.period_end.replace(day=1)

    @property
    def period(self) -> str:
        return period_of(self.period_end)


@dataclass(frozen=True)
class Breach:
    """One failed check on one cell (column None: a whole-row check)."""

    rule_id: str
    row: int
    column: str | None
    value: str | None


class _ParsedOnce:
    """Parses a column once for all its checks: pandera hands each check the same Series.

    If it ever hands a different object, the value is simply parsed again.
    """

    def __init__(self, parse):
        self.parse = parse
        self.source: pd.Series | None = None
        self.value: pd.Series | None = None

    def __call__(self, values: pd.Series) -> pd.Series:
        if self.source is not values:
            self.source, self.value = values, self.parse(values)
        return self.value


def _check(fn, rule_id: str, **kwargs) -> pa.Check:
    return pa.Check(fn, name=rule_id, **kwargs)


def _ts(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


def column_checks(column: Column, standard: Standard, ctx: Context) -> list[pa.Check]:
    """The checks for one column, from its definition in the standard."""
    checks: list[pa.Check] = []
    name = column.name
    if name == "trust_ods_code":
        trust = ctx.trust_ods_code.upper()
        checks.append(_check(lambda s: s.str.upper() == trust, "TRUST_MISMATCH"))
    elif column.pattern:
        checks.append(_check(lambda s, p=column.pattern: s.str.fullmatch(p), "TEXT_FORMAT"))
    if column.max_length:
        limit = column.max_length
        checks.append(_check(lambda s: s.str.len() <= limit, "TEXT_TOO_LONG"))
    if column.type == "code":
        allowed = {c.lower() for c in standard.codes(column.codes)}
        checks.append(_check(lambda s: s.str.lower().isin(allowed), "CODE_INVALID"))
    if column.type == "date":
        dates = _ParsedOnce(parse_dates)
        checks.append(_check(lambda s: dates(s).notna(), "DATE_INVALID"))
        checks.extend(_date_rule_checks(name, ctx, dates))
    if column.type == "decimal":
        if name == "fte":
            numbers = _ParsedOnce(parse_numbers)
            checks.append(_check(lambda s: numbers(s).notna(), "NUMBER_INVALID"))
            low, high = column.min_exclusive, column.max

            # Not named in_range: pandera dispatches functions named like its built-ins.
            def fte_within_bounds(s: pd.Series) -> pd.Series:
                n = numbers(s)
                return n.isna() | ((n > low) & (n <= high))

            checks.append(_check(fte_within_bounds, "FTE_OUT_OF_RANGE"))
        else:
            checks.append(
                _check(lambda s: parse_numbers(s, money=True).notna(), "SALARY_NOT_A_NUMBER")
            )
    return checks


def _date_rule_checks(name: str, ctx: Context, dates: _ParsedOnce) -> list[pa.Check]:
    """Rules on a parsed date; an unparseable date passes here (DATE_INVALID reports it)."""
    end, start = _ts(ctx.period_end), _ts(ctx.period_start)

    def rule(predicate, rule_id: str) -> pa.Check:
        def fn(s: pd.Series) -> pd.Series:
            d = dates(s)
            return d.isna() | predicate(d)

        return _check(fn, rule_id)

    if name == "reporting_period_end":
        return [
            rule(lambda d: d.dt.is_month_end, "PERIOD_NOT_MONTH_END"),
            rule(lambda d: (d.dt.year == end.year) & (d.dt.month == end.month), "PERIOD_MISMATCH"),
        ]
    if name == "start_date_in_role":
        earliest = _ts(ctx.earliest_start)
        return [
            rule(lambda d: d <= end, "START_DATE_AFTER_PERIOD"),
            rule(lambda d: d >= earliest, "START_DATE_TOO_EARLY"),
        ]
    if name == "fixed_term_end_date":
        return [rule(lambda d: d > end, "FIXED_TERM_END_NOT_AFTER_PERIOD")]
    if name == "leaving_date":
        return [rule(lambda d: (d >= start) & (d <= end), "LEAVING_DATE_OUTSIDE_MONTH")]
    return []


# Whole-row checks and the column each one is reported against.
ROW_CHECK_COLUMNS = {
    "FIXED_TERM_END_REQUIRED": "fixed_term_end_date",
    "ASSIGNMENT_DUPLICATE": "assignment_id",
}


def row_checks(present: set[str]) -> list[pa.Check]:
    checks = []
    if "contract_type" in present:
        # Without the column every FIXED_TERM row lacks its end date (and says so).
        has_column = "fixed_term_end_date" in present

        def fixed_term_has_end(df: pd.DataFrame) -> pd.Series:
            fixed = df["contract_type"].astype("string").str.upper() == "FIXED_TERM"
            if not has_column:
                return ~fixed.fillna(False)
            return ~(fixed.fillna(False) & df["fixed_term_end_date"].isna())

        checks.append(_check(fixed_term_has_end, "FIXED_TERM_END_REQUIRED", ignore_na=False))
    if {"staff_id", "assignment_id"} <= present:

        def unique_assignment(df: pd.DataFrame) -> pd.Series:
            keys = df[["staff_id", "assignment_id"]]
            both = keys.notna().all(axis=1)
            return ~(keys.duplicated(keep=False) & both)

        checks.append(_check(unique_assignment, "ASSIGNMENT_DUPLICATE", ignore_na=False))
    return checks


def build_contract(standard: Standard, ctx: Context, present: list[str]) -> pa.DataFrameSchema:
    """The pandera schema for the standard columns present in a file.

    Missing columns are a file-level finding (HEADER_MISSING_COLUMN), so the schema covers
    what is there and the trust still learns about every bad row in one report.
    """
    columns = {
        c.name: pa.Column(
            _ALWAYS_TEXT,
            nullable=not c.is_required,
            checks=column_checks(c, standard, ctx),
            required=True,
        )
        for c in standard.columns
        if c.name in present
    }
    return pa.DataFrameSchema(
        columns, checks=row_checks(set(present)), strict=False, name="psw_return_v1"
    )


def run_contract(standard: Standard, ctx: Context, frame: pd.DataFrame) -> list[Breach]:
    """Validate lazily and return every breach, one per failed check and cell."""
    present = [c for c in standard.column_names if c in frame.columns]
    schema = build_contract(standard, ctx, present)
    try:
        schema.validate(frame[present], lazy=True)
    except pa.errors.SchemaErrors as errors:
        return _breaches(errors.failure_cases)
    return []


def _breaches(cases: pd.DataFrame) -> list[Breach]:
    breaches: dict[tuple, Breach] = {}
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            # A check that raised is a bug in the contract, not a problem in the file.
            raise RuntimeError(f"contract check {case.check} failed to run: {case.failure_case}")
        check = "VALUE_REQUIRED" if case.check == "not_nullable" else str(case.check)
        row = int(case.index)
        if check in ROW_CHECK_COLUMNS:
            column = ROW_CHECK_COLUMNS[check]
            value = None
        else:
            column = case.column
            value = None if pd.isna(case.failure_case) else str(case.failure_case)
        key = (check, row, column)
        if key not in breaches:
            breaches[key] = Breach(check, row, column, value)
    return list(breaches.values())
