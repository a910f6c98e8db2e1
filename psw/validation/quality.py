"""Warning-level rules run as Great Expectations suites stored in `expectations/`.

Great Expectations is imported here, inside `run_suites`, and nowhere at module level:
importing it costs seconds and hundreds of MB, so loading the validation code (or the
Dagster definitions) must not pay for it. The suites hold every threshold as a
`$PARAMETER`; this module binds them from the standard and the pay tables, runs the
suites in an ephemeral context, and turns each expectation result into findings.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from psw.paths import expectations_dir
from psw.reference import pay_ranges, pay_year
from psw.standard import Standard
from psw.validation.contract import Context

QUALITY_SUITE = "psw_return_v1_quality"
HISTORY_SUITE = "psw_return_v1_history"


@dataclass(frozen=True)
class PreviousReturn:
    """The trust's previous accepted return, as the history rules need it.

    `in_post` maps each staff key in post at that month end to its row in that return.
    Keys are raw staff ids for `psw validate --previous`, keyed hashes in the platform;
    the current file's ids must be given to `run_suites` in the same form.
    """

    period_end: object  # datetime.date
    in_post: dict[str, int] = field(default_factory=dict)

    @property
    def headcount(self) -> int:
        return len(self.in_post)


def in_post(staff_keys, leaving_dates, rows) -> dict[str, int]:
    """Each staff key in post at the month end, to its row: someone with an assignment
    that has no leaving date. The one definition in Python (the validator and the
    previous month's return); dbt's is `is_in_post` in int_assignments_in_force."""
    return {
        key: int(row)
        for key, left, row in zip(staff_keys, leaving_dates, rows, strict=True)
        if not pd.isna(key) and pd.isna(left)
    }


@dataclass(frozen=True)
class QualityHit:
    """One failed expectation, reduced to what a finding needs."""

    rule_id: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    placeholders: dict = field(default_factory=dict)


def load_suite_json(name: str) -> dict:
    return json.loads((expectations_dir() / f"{name}.json").read_text(encoding="utf-8"))


def afc_bands_in_order(standard: Standard) -> list[str]:
    return [c for c in standard.codes("afc_band") if c != "NON_AFC"]


def quality_parameters(standard: Standard, ctx: Context) -> tuple[dict, str | None]:
    """Suite parameters from the standard and the pay table; also the pay year lacking a table."""
    t = standard.thresholds
    bands = afc_bands_in_order(standard)
    params: dict = {
        "psw_atypical_bands": bands[bands.index(t["psw_atypical_band_from"]) :],
        "peer_lead_atypical_bands": bands[: bands.index(t["peer_lead_atypical_band_to"]) + 1],
        "min_stated_ethnicity_share": round(1 - float(t["max_not_stated_ethnicity_share"]), 6),
        # The codes marked not_stated in the standard (data quality reads the same marks).
        "not_stated_ethnic_categories": [
            c.code for c in standard.code_lists["ethnic_category"] if c.not_stated
        ],
        "standard_columns": standard.column_names,
    }
    year = pay_year(ctx.period_end)
    table = pay_ranges().get(year)
    if table is None:
        return params, year
    for band, pay in table.items():
        params[f"salary_min_band_{band}"] = pay.min_gbp
        params[f"salary_max_band_{band}"] = pay.max_gbp
    return params, None


def history_parameters(standard: Standard, previous: PreviousReturn) -> dict:
    t = standard.thresholds
    prev = previous.headcount
    allowed = max(prev * float(t["headcount_swing_share"]), float(t["headcount_swing_people"]))
    return {
        "headcount_min": max(0, math.ceil(prev - allowed)),
        "headcount_max": math.floor(prev + allowed),
        "previous_in_post": sorted(previous.in_post),
    }


def run_suites(
    standard: Standard,
    ctx: Context,
    typed: pd.DataFrame,
    previous: PreviousReturn | None = None,
    leaver_check: bool = True,
) -> list[QualityHit]:
    """Run the quality suite (and the history suite when a previous return is given).

    `typed` is the return with parsed values, indexed by spreadsheet row, including any
    unknown extra columns; its staff_id values must be comparable with `previous`.
    """
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    # An unnamed index makes GX report unexpected rows as plain index values (row numbers).
    typed = typed.rename_axis(None)
    params, missing_pay_year = quality_parameters(standard, ctx)
    hits: list[QualityHit] = []
    if missing_pay_year:
        hits.append(
            QualityHit("SALARY_CHECK_NOT_APPLIED", placeholders={"detail": missing_pay_year})
        )
    present = {
        column: set(typed[column].dropna().unique())
        for column in ("afc_band", "role_category")
        if column in typed.columns
    }

    def skip(meta: dict) -> bool:
        rule = meta["rule_id"]
        if rule == "SALARY_OUTSIDE_BAND":
            return missing_pay_year is not None or "afc_band" not in typed.columns
        if rule == "ROLE_BAND_ATYPICAL":
            return meta["role_category"] not in present.get("role_category", ())
        if rule == "LEAVER_NOT_REPORTED":
            return not leaver_check
        return False

    suites = [QUALITY_SUITE]
    if previous is not None:
        suites.append(HISTORY_SUITE)
        params.update(history_parameters(standard, previous))
    expectations = [
        e
        for name in suites
        for e in load_suite_json(name)["expectations"]
        if not skip(e["meta"]) and _columns_present(e["kwargs"], typed)
    ]
    # Table-level expectations (the column set) run on the header alone; the rest on the
    # columns they read. GX's row conditions cost a pandas query over every column of the
    # frame, so a narrow frame makes the stage several times faster.
    table_level = [e for e in expectations if e["type"].startswith("expect_table_")]
    column_level = [e for e in expectations if e not in table_level]
    needed = {c for e in column_level for c in _columns_of(e["kwargs"])} | {
        c for e in column_level for c in typed.columns if c in e["kwargs"].get("row_condition", "")
    }
    narrow = typed[[c for c in typed.columns if c in needed]].copy()
    if needed & set(BAND_BOUNDS):
        # Each row's band range as two columns: two expectations check every band at once
        # (one expectation per band, each filtering the rows, cost half the whole stage).
        for column, bound in BAND_BOUNDS.items():
            by_band = {
                band: params[f"salary_{bound}_band_{band}"]
                for band in present.get("afc_band", ())
                if f"salary_{bound}_band_{band}" in params
            }
            narrow[column] = narrow["afc_band"].map(by_band).astype("float64")
    for frame, chosen in ((typed.iloc[0:0], table_level), (narrow, column_level)):
        if not chosen:
            continue
        suite = ExpectationSuite(
            name="psw_return_v1",
            expectations=[
                ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"])
                for e in chosen
            ],
        )
        result = (
            _batch_definition()
            .get_batch(batch_parameters={"dataframe": frame})
            .validate(
                suite, expectation_parameters=params, result_format={"result_format": "COMPLETE"}
            )
        )
        for outcome in result.results:
            if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                raise RuntimeError(
                    f"Great Expectations failed on {outcome.expectation_config.type}: "
                    f"{outcome.exception_info.get('exception_message')}"
                )
            if not outcome.success:
                meta = outcome.expectation_config.meta
                hits.extend(_hits(meta, outcome.result, typed, ctx, previous, params))
    return hits


@cache
def _batch_definition():
    """One ephemeral GX context per process, built on first use and kept warm: a batch of
    uploads pays for it (and for importing GX) once."""
    import great_expectations as gx  # heavy: only when validation actually runs
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return (
        context.data_sources.add_pandas("psw")
        .add_dataframe_asset("return")
        .add_batch_definition_whole_dataframe("whole")
    )


# Columns the quality stage adds for the salary check: each row's band range.
BAND_BOUNDS = {"salary_band_min_gbp": "min", "salary_band_max_gbp": "max"}


def _columns_of(kwargs: dict) -> set[str]:
    """The columns an expectation reads; a band bound needs afc_band to be worked out."""
    named = {kwargs.get(k) for k in ("column", "column_A", "column_B")} - {None}
    return named | ({"afc_band"} if named & set(BAND_BOUNDS) else set())


def _columns_present(kwargs: dict, typed: pd.DataFrame) -> bool:
    """An expectation on a column the file lacks is skipped (the contract reports it)."""
    needed = _columns_of(kwargs) - set(BAND_BOUNDS)
    condition = kwargs.get("row_condition", "")
    needed |= {c for c in ("afc_band", "role_category", "leaving_date") if c in condition}
    return all(c in typed.columns for c in needed)


def _money(value: float) -> str:
    return f"£{value:,.0f}"


def _hits(meta, result, typed, ctx, previous, params) -> list[QualityHit]:
    rule = meta["rule_id"]
    if rule == "SALARY_OUTSIDE_BAND":  # a row below its band's range, or above it
        hits = []
        for row in result["unexpected_index_list"]:
            band = typed.at[row, "afc_band"]
            detail = (
                f"{pay_year(ctx.period_end)} Agenda for Change range for band {band} "
                f"({_money(params[f'salary_min_band_{band}'])} to "
                f"{_money(params[f'salary_max_band_{band}'])})"
            )
            value = f"{typed.at[row, 'annual_salary_fte_gbp']:g}"
            hits.append(
                QualityHit(rule, int(row), "annual_salary_fte_gbp", value, {"detail": detail})
            )
        return hits
    if rule == "ROLE_BAND_ATYPICAL":
        role = meta["role_category"]
        return [
            QualityHit(
                rule, int(row), "afc_band", str(band), {"detail": f"A {role} at band {band}"}
            )
            for row, band in zip(
                result["unexpected_index_list"], result["unexpected_list"], strict=True
            )
        ]
    if rule == "ETHNICITY_NOT_STATED_HIGH":
        share = result.get("unexpected_percent") or 0.0
        return [QualityHit(rule, None, "ethnic_category", None, {"detail": f"{share:.0f}%"})]
    if rule == "UNKNOWN_COLUMN":
        unexpected = result.get("details", {}).get("mismatched", {}).get("unexpected", [])
        return [QualityHit(rule, None, column) for column in unexpected]
    if rule == "HEADCOUNT_SWING":
        now, before = int(result["observed_value"]), previous.headcount
        change = f"{(now - before) / before:+.0%}" if before else "from none"
        detail = f"went from {before} in {previous.period_end:%Y-%m} to {now} this month ({change})"
        return [QualityHit(rule, None, "staff_id", None, {"detail": detail})]
    if rule == "LEAVER_NOT_REPORTED":
        present = set(typed["staff_id"].dropna())
        missing = sorted((row, key) for key, row in previous.in_post.items() if key not in present)
        return [
            QualityHit(
                rule,
                None,
                "staff_id",
                None,
                {"detail": str(row), "expected": f"{previous.period_end:%Y-%m}"},
            )
            for row, _ in missing
        ]
    raise ValueError(f"no finding mapping for expectation rule {rule}")
