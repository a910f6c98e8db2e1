"""Issue 20 acceptance at national scale: all 49 registered trusts, most of them small (3
to 12 PSWs; a few of 40), over four months, published, then corrected returns from five
trusts and published again (revisions). The independent attacker (tests/attacker.py)
reads only the serving file and must pin no count; every count it bounds, it bounds
soundly. Built with dbt on DuckDB from returns landed straight into the lake (intake is
tested elsewhere; this is about what is published)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import duckdb
import pytest

from psw.core.periods import months, parse_period
from psw.standard.reference import trusts
from psw.synth import simulate
from psw.synth.landing import land_directly, land_return
from psw.warehouse.publish import publish_serving
from psw.warehouse.writer import dbt_command, dbt_environment
from tests import attacker

# 14 months: the 12-month retention and progression of June and July 2025 (issue 22).
PERIODS = months("2024-06", "2025-07")
STAFF = [3, 5, 8, 12, 4, 6, 40]  # cycled through the trusts: mostly small
SECRET = "national-scenario"
CORRECTED = 5  # trusts whose May return is corrected after the first publish


def build_and_publish(data):
    env = {k: v for k, v in os.environ.items() if k != "PSW_TRUST_REGISTRY"}
    # Its own target folder: dbt rewrites the manifest it writes, and the project's own
    # one is what Dagster processes on the other pytest worker load (CI failed on that).
    result = subprocess.run(
        dbt_command("build", "--target-path", str(data / "dbt-target")),
        env={**env, **dbt_environment(data)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return publish_serving(data)


def build_national_scenario(data):
    """The scenario landed, built and published, then CORRECTED trusts' May returns
    corrected (one row fewer, uploaded later) and published again; the second publish."""
    land_directly(data, PERIODS, STAFF, secret=SECRET)
    build_and_publish(data)
    for i, trust in enumerate(list(trusts().values())[:CORRECTED]):
        may = dict(simulate(trust, PERIODS, seed=100 + i, staff=STAFF[i % len(STAFF)]))["2025-05"]
        later = dt.datetime.combine(parse_period("2025-08"), dt.time(9), dt.UTC)
        land_return(data, trust.ods_code, "2025-05", may[:-1], later, SECRET)
    return build_and_publish(data)


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    data = tmp_path_factory.mktemp("national") / "data"
    return data, build_national_scenario(data)


def test_the_scenario_has_small_counts_and_revisions(national):
    """What the attacker is tried on: many counts of 1-7 below national level, in every
    table, and revisions of published figures caused by single trusts."""
    data, published = national
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as db:
        small = db.execute(
            "select count(*) from marts.psw_role_diversity "
            "where geography_level != 'national' and headcount between 1 and 7"
        ).fetchone()[0]
        small_trusts = db.execute(
            "select count(*) from marts.psw_headcount "
            "where geography_level = 'trust' and headcount between 1 and 7"
        ).fetchone()[0]
        research = {
            table: db.execute(
                f"select count(*) from marts.{table} "
                "where geography_level != 'national' and " + column + " between 1 and 7"
            ).fetchone()[0]
            for table, column in (
                ("psw_crosstab", "headcount"),
                ("psw_progression", "headcount"),
                ("psw_retention", "stability_stayers"),
            )
        }
    assert small > 1000 and small_trusts > 50
    assert min(research.values()) > 20, research
    assert published.tables["revisions"] > 0
    with duckdb.connect(str(published.path), read_only=True) as db:
        causes = db.execute("select distinct caused_by from published.revisions").fetchall()
    assert len(causes) >= CORRECTED


def test_an_attacker_with_the_serving_file_recovers_no_count(national):
    data, published = national
    attack = attacker.attack(published.path, **attacker.public_rules())
    assert not attack.contradictions
    assert attack.recovered() == {}
    truth = attacker.truth(data / "warehouse.duckdb")
    bounded = [k for k in truth if k in attack.low]
    assert len(bounded) > 10_000
    assert all(attack.low[k] <= truth[k] <= attack.high[k] for k in bounded)
