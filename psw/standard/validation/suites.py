"""The Great Expectations suites: written from the standard, run on one return.

Each warning rule's expectations sit in its entry in `schemas/return_v1.yaml`;
`render_suites` gathers them into one suite per stage (quality, history) and `psw spec`
writes those to `expectations/` (tests/test_quality.py fails when they drift). At run
time `run_suites` builds the same suites from the standard it is given, binds their
parameters, runs them in an ephemeral context and hands each failed expectation to its
rule's registered check.

Great Expectations is imported inside `run_suites` and nowhere at module level: importing
it costs seconds and hundreds of MB, so loading the validation code (or the Dagster
definitions) must not pay for it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from psw.core.paths import expectations_dir
from psw.standard.model import Standard
from psw.standard.validation.quality import (
    BAND_BOUNDS,
    PreviousReturn,
    history_parameters,
    quality_parameters,
)
from psw.standard.validation.rules import Context, Hit, checks

# One suite per stage of the warning rules, with what it is for.
SUITES = {
    "quality": (
        "psw_return_v1_quality",
        "Warning-level data quality rules of the PSW workforce return v1. Every threshold "
        "and code set is a $PARAMETER bound at run time from schemas/return_v1.yaml, except "
        "the salary range of each row's band, which comes as two columns "
        "(salary_band_min_gbp, salary_band_max_gbp) from the Agenda for Change pay table "
        "for the period's pay year (psw/standard/validation/suites.py).",
    ),
    "history": (
        "psw_return_v1_history",
        "Warning-level rules that compare a return with the trust's previous accepted "
        "return. Staff ids are compared in whatever form both sides share (raw for psw "
        "validate --previous, keyed hashes inside the platform).",
    ),
}


def render_suites(standard: Standard) -> dict[str, dict]:
    """Each suite as Great Expectations stores it, from the rules' expectations."""
    suites = {}
    for stage, (name, description) in SUITES.items():
        expectations = [
            {
                "type": e["type"],
                "kwargs": e["kwargs"],
                "meta": {"rule_id": rule.id, **e.get("meta", {})},
            }
            for rule in standard.rules.values()
            if rule.stage == stage
            for e in rule.expectations
        ]
        suites[name] = {
            "name": name,
            "meta": {"description": description},
            "expectations": expectations,
        }
    return suites


def suite_json(suite: dict) -> str:
    return json.dumps(suite, indent=2, ensure_ascii=False) + "\n"


def write_suites(standard: Standard, folder: Path | None = None) -> list[Path]:
    folder = folder or expectations_dir()
    written = []
    for name, suite in render_suites(standard).items():
        path = folder / f"{name}.json"
        path.write_text(suite_json(suite), encoding="utf-8")
        written.append(path)
    return written


def load_suite_json(name: str) -> dict:
    return json.loads((expectations_dir() / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class SuiteRun:
    """What the warning rules' checks get: the return, its context and the bound parameters."""

    standard: Standard
    ctx: Context
    typed: pd.DataFrame
    previous: PreviousReturn | None
    params: dict
    missing_pay_year: str | None
    leaver_check: bool
    present: dict[str, set] = field(default_factory=dict)  # values of afc_band, role_category

    @property
    def last_return(self) -> PreviousReturn:
        """The previous return, for the history rules (their suite runs only with one)."""
        if self.previous is None:
            raise RuntimeError("a history rule ran without a previous return")
        return self.previous


def run_suites(
    standard: Standard,
    ctx: Context,
    typed: pd.DataFrame,
    previous: PreviousReturn | None = None,
    leaver_check: bool = True,
) -> list[Hit]:
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
    run = SuiteRun(standard, ctx, typed, previous, params, missing_pay_year, leaver_check)
    run.present = {
        column: set(typed[column].dropna().unique())
        for column in ("afc_band", "role_category")
        if column in typed.columns
    }
    hits: list[Hit] = [hit for check in checks("quality", standard) for hit in check.function(run)]
    by_rule = {check.rule_id: check for check in checks("expectation", standard)}

    stages = ["quality"]
    if previous is not None:
        stages.append("history")
        params.update(history_parameters(standard, previous))
    suites = render_suites(standard)
    expectations = [
        e
        for stage in stages
        for e in suites[SUITES[stage][0]]["expectations"]
        if by_rule[e["meta"]["rule_id"]].options["applies"](e["meta"], run)
        and _columns_of(e["kwargs"], standard) - set(BAND_BOUNDS) <= set(typed.columns)
    ]
    # Table-level expectations (the column set) run on the header alone; the rest on the
    # columns they read. GX's row conditions cost a pandas query over every column of the
    # frame, so a narrow frame makes the stage several times faster.
    table_level = [e for e in expectations if e["type"].startswith("expect_table_")]
    column_level = [e for e in expectations if e not in table_level]
    needed = {c for e in column_level for c in _columns_of(e["kwargs"], standard)}
    narrow = typed[[c for c in typed.columns if c in needed]].copy()
    if needed & set(BAND_BOUNDS):
        # Each row's band range as two columns: two expectations check every band at once
        # (one expectation per band, each filtering the rows, cost half the whole stage).
        for column, bound in BAND_BOUNDS.items():
            by_band = {
                band: params[f"salary_{bound}_band_{band}"]
                for band in run.present.get("afc_band", ())
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
                hits.extend(by_rule[meta["rule_id"]].function(outcome.result, meta, run))
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


def _columns_of(kwargs: dict, standard: Standard) -> set[str]:
    """The columns an expectation reads: those it names, those its row condition names,
    and afc_band for a band bound (worked out from it). An expectation on a column the
    file lacks is skipped: the contract reports the missing column."""
    named = {str(kwargs[k]) for k in ("column", "column_A", "column_B") if kwargs.get(k)}
    condition = kwargs.get("row_condition", "")
    named |= {c for c in standard.column_names if re.search(rf"\b{c}\b", condition)}
    return named | ({"afc_band"} if named & set(BAND_BOUNDS) else set())
