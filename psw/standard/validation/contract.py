"""The row contract as a pandera schema, built from the standard and the registered checks.

The schema validates the text the trust wrote (so a finding can quote it), lazily, so
every breach in every row is collected in one pass. Each pandera check is named with the
rule id it enforces and comes from one function in psw/standard/validation/column_rules.py:
`column` checks (one column, its values parsed once for all its checks) and `row` checks
(the whole frame). `run_contract` turns pandera's failure cases into hits.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa

from psw.standard.model import Column, Standard
from psw.standard.validation.column_rules import PARSERS
from psw.standard.validation.rules import Check, Context, Hit, checks

_ALWAYS_TEXT = object  # every column arrives as text (or None); typing is by the checks


class _ParsedOnce:
    """Parses a column once for all its checks: pandera hands each check the same Series.

    If it ever hands a different object, the value is simply parsed again.
    """

    def __init__(self, parse: Callable[[pd.Series], pd.Series]) -> None:
        self.parse = parse
        self.source: pd.Series | None = None
        self.value = pd.Series(dtype=object)

    def __call__(self, values: pd.Series) -> pd.Series:
        if self.source is not values:
            self.source, self.value = values, self.parse(values)
        return self.value


def _pandera_check(check: Check, column: Column, standard: Standard, ctx: Context, parsers):
    options = check.options
    function = check.function
    parse = (
        parsers.setdefault(options["parsed"], _ParsedOnce(PARSERS[options["parsed"]]))
        if (options["parsed"])
        else None
    )

    def run(values: pd.Series) -> pd.Series:
        if parse is None:
            return function(values, ctx, column, standard)
        parsed = parse(values)
        valid = function(parsed, ctx, column, standard)
        return parsed.isna() | valid if options["unparsed_passes"] else valid

    return pa.Check(run, name=check.rule_id, ignore_na=options["ignore_na"])


def column_checks(column: Column, standard: Standard, ctx: Context) -> list[pa.Check]:
    """The checks for one column: every registered column check that applies to it."""
    parsers: dict[str, _ParsedOnce] = {}
    return [
        _pandera_check(check, column, standard, ctx, parsers)
        for check in checks("column", standard)
        if check.options["applies"](column)
    ]


def row_checks(standard: Standard, present: set[str]) -> list[pa.Check]:
    return [
        pa.Check(
            lambda frame, function=check.function: function(frame, present),
            name=check.rule_id,
            ignore_na=False,
        )
        for check in checks("row", standard)
        if check.options["needs"] <= present
    ]


def build_contract(standard: Standard, ctx: Context, present: list[str]) -> pa.DataFrameSchema:
    """The pandera schema for the standard columns present in a file.

    Missing columns are a file-level finding (HEADER_MISSING_COLUMN), so the schema covers
    what is there and the trust still learns about every bad row in one report. Empty
    required cells are the VALUE_REQUIRED check's, so pandera's own nullability is off.
    """
    columns = {
        c.name: pa.Column(
            _ALWAYS_TEXT, nullable=True, checks=column_checks(c, standard, ctx), required=True
        )
        for c in standard.columns
        if c.name in present
    }
    return pa.DataFrameSchema(
        columns, checks=row_checks(standard, set(present)), strict=False, name="psw_return_v1"
    )


def run_contract(standard: Standard, ctx: Context, frame: pd.DataFrame) -> list[Hit]:
    """Validate lazily and return every breach, one per failed check and cell."""
    present = [c for c in standard.column_names if c in frame.columns]
    schema = build_contract(standard, ctx, present)
    try:
        schema.validate(frame[present], lazy=True)
    except pa.errors.SchemaErrors as errors:
        return _hits(standard, errors.failure_cases)
    return []


def _hits(standard: Standard, cases: pd.DataFrame) -> list[Hit]:
    row_columns = {c.rule_id: c.options["column"] for c in checks("row", standard)}
    hits: dict[tuple, Hit] = {}
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            # A check that raised is a bug in the contract, not a problem in the file.
            raise RuntimeError(f"contract check {case.check} failed to run: {case.failure_case}")
        rule_id, row = str(case.check), int(case.index)
        if rule_id in row_columns:
            column, value = row_columns[rule_id], None
        else:
            column = case.column
            value = None if pd.isna(case.failure_case) else str(case.failure_case)
        hits.setdefault((rule_id, row, column), Hit(rule_id, row, column, value))
    return list(hits.values())
