"""The warning-level rules: data quality of one return, and its history against the last.

Each rule's expectations (Great Expectations configurations, every threshold a
`$PARAMETER`) sit in its entry in the standard; `psw spec` writes them out as the suites in
`expectations/`, which psw/standard/validation/suites.py runs. The check registered here for each
rule turns its failed expectation into hits (kind `expectation`), or judges the return
without Great Expectations (kind `quality`). This module binds the suites' parameters from
the standard and the pay tables and never imports Great Expectations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from psw.standard.model import Standard
from psw.standard.reference import pay_ranges, pay_year
from psw.standard.validation.rules import Context, Decorator, Hit, register

if TYPE_CHECKING:
    from psw.standard.validation.suites import SuiteRun

# Columns the quality stage adds for the salary check: each row's band range.
BAND_BOUNDS = {"salary_band_min_gbp": "min", "salary_band_max_gbp": "max"}


@dataclass(frozen=True)
class PreviousReturn:
    """The trust's previous accepted return, as the history rules need it.

    `in_post` maps each staff key in post at that month end to its row in that return.
    Keys are raw staff ids for `psw validate --previous`, keyed hashes in the platform;
    the current file's ids must be given to `suites.run_suites` in the same form.
    """

    period_end: Any  # datetime.date
    in_post: dict[str, int] = field(default_factory=dict)

    @property
    def headcount(self) -> int:
        return len(self.in_post)


def in_post(
    staff_keys: Iterable[Any], leaving_dates: Iterable[Any], rows: Iterable[Any]
) -> dict[str, int]:
    """Each staff key in post at the month end, to its row: someone with an assignment
    that has no leaving date. The one definition in Python (the validator and the
    previous month's return); dbt's is `is_in_post` in int_assignments_in_force."""
    return {
        key: int(row)
        for key, left, row in zip(staff_keys, leaving_dates, rows, strict=True)
        if not pd.isna(key) and pd.isna(left)
    }


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


def quality_rule(rule_id: str) -> Decorator:
    """Register a check of the typed return without Great Expectations:
    `function(run)` returns its hits."""
    return register(rule_id, "quality")


def expectation_rule(
    rule_id: str, *, applies: Callable[[dict, SuiteRun], bool] | None = None
) -> Decorator:
    """Register how a failed expectation of `rule_id` becomes hits:
    `function(result, meta, run)`. `applies(meta, run)` False skips the expectation."""
    return register(rule_id, "expectation", applies=applies or (lambda meta, run: True))


def _money(value: float) -> str:
    return f"£{value:,.0f}"


@expectation_rule(
    "SALARY_OUTSIDE_BAND",
    applies=lambda meta, run: run.missing_pay_year is None,
)
def salary_outside_band(result: dict, meta: dict, run: SuiteRun) -> list[Hit]:
    """A row below its band's range, or above it."""
    hits = []
    for row in result["unexpected_index_list"]:
        band = run.typed.at[row, "afc_band"]
        detail = (
            f"{pay_year(run.ctx.period_end)} Agenda for Change range for band {band} "
            f"({_money(run.params[f'salary_min_band_{band}'])} to "
            f"{_money(run.params[f'salary_max_band_{band}'])})"
        )
        value = f"{run.typed.at[row, 'annual_salary_fte_gbp']:g}"
        hits.append(
            Hit("SALARY_OUTSIDE_BAND", int(row), "annual_salary_fte_gbp", value, {"detail": detail})
        )
    return hits


@quality_rule("SALARY_CHECK_NOT_APPLIED")
def salary_check_not_applied(run: SuiteRun) -> list[Hit]:
    if run.missing_pay_year is None:
        return []
    return [Hit("SALARY_CHECK_NOT_APPLIED", placeholders={"detail": run.missing_pay_year})]


@expectation_rule(
    # An expectation for a role no row has is skipped (its row condition would select none).
    "ROLE_BAND_ATYPICAL",
    applies=lambda meta, run: meta["role_category"] in run.present.get("role_category", ()),
)
def role_band_atypical(result: dict, meta: dict, run: SuiteRun) -> list[Hit]:
    role = meta["role_category"]
    return [
        Hit(
            "ROLE_BAND_ATYPICAL",
            int(row),
            "afc_band",
            str(band),
            {"detail": f"A {role} at band {band}"},
        )
        for row, band in zip(
            result["unexpected_index_list"], result["unexpected_list"], strict=True
        )
    ]


@expectation_rule("ETHNICITY_NOT_STATED_HIGH")
def ethnicity_not_stated_high(result: dict, meta: dict, run: SuiteRun) -> list[Hit]:
    share = result.get("unexpected_percent") or 0.0
    return [
        Hit("ETHNICITY_NOT_STATED_HIGH", None, "ethnic_category", None, {"detail": f"{share:.0f}%"})
    ]


@expectation_rule("UNKNOWN_COLUMN")
def unknown_column(result: dict, meta: dict, run: SuiteRun) -> list[Hit]:
    unexpected = result.get("details", {}).get("mismatched", {}).get("unexpected", [])
    return [Hit("UNKNOWN_COLUMN", None, column) for column in unexpected]


@expectation_rule("HEADCOUNT_SWING")
def headcount_swing(result: dict, meta: dict, run: SuiteRun) -> list[Hit]:
    previous = run.last_return
    now, before = int(result["observed_value"]), previous.headcount
    change = f"{(now - before) / before:+.0%}" if before else "from none"
    detail = f"went from {before} in {previous.period_end:%Y-%m} to {now} this month ({change})"
    return [Hit("HEADCOUNT_SWING", None, "staff_id", None, {"detail": detail})]


@expectation_rule(
    # Only against the month just before: a gap of months has leavers no file reported.
    "LEAVER_NOT_REPORTED",
    applies=lambda meta, run: run.leaver_check,
)
def leaver_not_reported(result: dict, meta: dict, run: SuiteRun) -> list[Hit]:
    previous = run.last_return
    present = set(run.typed["staff_id"].dropna())
    missing = sorted((row, key) for key, row in previous.in_post.items() if key not in present)
    expected = f"{previous.period_end:%Y-%m}"
    return [
        Hit(
            "LEAVER_NOT_REPORTED",
            None,
            "staff_id",
            None,
            {"detail": str(row), "expected": expected},
        )
        for row, _ in missing
    ]
