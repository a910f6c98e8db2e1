"""The person-level models are built incrementally (dbt_project/macros/in_force_increments.sql):
after corrections, a nil return over a month with data and a new month, the incremental
build holds exactly what a whole build holds."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import duckdb

from psw.lake.layout import Lake
from psw.standard.reference import trusts
from psw.synth import simulate
from psw.synth.landing import land_return
from psw.warehouse.writer import dbt_command, dbt_environment
from tests.helpers import warehouse_tables

INCREMENTAL = ["int_assignments_in_force", "int_staff_months", "int_trust_breakdowns"]
SELECTED = [
    "+int_trust_breakdowns",
    "+int_staff_months",
    "+int_submission_keys",
    "+stg_reference__trusts",
]
SECRET = "incremental"


def _build(data: Path, target: Path, *extra: str) -> None:
    result = subprocess.run(
        dbt_command("build", "--target-path", str(target), "--select", *SELECTED, *extra),
        env={**os.environ, **dbt_environment(data)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def _land(data: Path, ods: str, period: str, rows: list[dict], day: int) -> str:
    received = dt.datetime(2025, 8, day, 9, tzinfo=dt.UTC)
    return land_return(data, ods, period, rows, received, SECRET)


def _nil(data: Path, ods: str, period: str, day: int) -> None:
    """A nil return as intake records it: an empty landed file, status nil_return."""
    lake, sid = Lake(data), _land(data, ods, period, [], day)
    lake.write_outcome(ods, period, sid, {**lake.outcome(ods, sid), "status": "nil_return"})


def test_an_incremental_build_holds_what_a_whole_build_holds(tmp_path):
    data = tmp_path / "data"
    months = ["2025-04", "2025-05", "2025-06"]
    returns = {
        ods: dict(simulate(trusts()[ods], [*months, "2025-07"], seed=3 + i, staff=12))
        for i, ods in enumerate(("RV3", "RWK"))
    }
    first_of = {
        (ods, period): _land(data, ods, period, by_month[period], day=1)
        for ods, by_month in returns.items()
        for period in months
    }
    _build(data, tmp_path / "target", "--full-refresh")
    first = warehouse_tables(data / "warehouse.duckdb", schemas=("intermediate",))

    replaced = _land(data, "RV3", "2025-05", returns["RV3"]["2025-05"][:-4], day=2)
    _nil(data, "RWK", "2025-06", day=2)  # a month with data becomes a nil return
    _land(data, "RV3", "2025-07", returns["RV3"]["2025-07"], day=2)  # a new month
    _build(data, tmp_path / "target")
    incremental = warehouse_tables(data / "warehouse.duckdb", schemas=("intermediate",))
    _build(data, tmp_path / "target", "--full-refresh")
    whole = warehouse_tables(data / "warehouse.duckdb", schemas=("intermediate",))

    for model in INCREMENTAL:
        name = f"intermediate.{model}"
        assert incremental[name] != first[name], name  # the changes reached it
        assert incremental[name] == whole[name], name
    assert (
        incremental["intermediate.int_submission_keys"] == whole["intermediate.int_submission_keys"]
    )
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as db:
        held = dict(
            db.execute(
                "select submission_id, count(*) from intermediate.int_assignments_in_force "
                "where trust_ods_code = 'RV3' and period_end = '2025-05-31' group by 1"
            ).fetchall()
        )
        rwk_june = db.execute(
            "select sum(headcount) from intermediate.int_trust_breakdowns "
            "where trust_ods_code = 'RWK' and period_end = '2025-06-30'"
        ).fetchone()[0]
    # only the correction's rows: the replaced return's are gone
    assert held == {replaced: len(returns["RV3"]["2025-05"]) - 4}
    assert first_of["RV3", "2025-05"] != replaced
    assert rwk_june == 0
