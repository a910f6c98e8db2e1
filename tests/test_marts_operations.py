"""The marts scenario in operation (tests/marts_scenario.py): a late correction in
published.revisions, an analyst's read-only connection through a rebuild (which adds an
August upload), dbt docs, the trust registry's lifecycle, publishing on its own, and the
same marts from a lake on object storage and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from psw.standard.reference import _load_trusts
from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
from psw.synth import to_csv_bytes
from tests.helpers import platform_env, psw
from tests.marts_scenario import (
    NOT_COMPARED,
    YEAR_LONG,
    expected_published,
    psw_run,
    run_scenario,
    write_registry,
)
from tests.postgres import server_binaries


def test_the_last_build_names_the_project_code_so_the_next_is_incremental(scenario):
    """README: a build reads only the returns newly in force unless the project changed
    or the last build failed; `psw run`'s build records the code it was built with."""
    from psw.warehouse.writer import built_with, project_fingerprint

    assert built_with(scenario["data"]) == project_fingerprint()


def test_a_late_correction_appears_in_revisions(scenario):
    """RV3's May return was corrected after May had been published: the figures that moved
    are in published.revisions with the cause (each value as published, perturbed), only
    where RV3 counts, and their rows are marked revised."""
    secret = scenario["env"]["PSW_PSEUDONYMISATION_KEY"]
    first = dict(scenario["in_force"])
    first["RV3", "2025-05"] = scenario["rv3_may_first"]
    was, now = expected_published(first, secret), expected_published(scenario["in_force"], secret)
    moved = {
        k: (was.get(k, 0), now.get(k, 0))
        for k in was.keys() | now.keys()
        if k[2] == "2025-05" and was.get(k, 0) != now.get(k, 0)
    }
    assert moved  # the correction moved published figures
    serving = scenario["data"] / "serving" / "psw.duckdb"
    with duckdb.connect(str(serving), read_only=True) as db:
        recorded = db.execute(
            "select geography_level, geography_code, breakdown, measure, previous_value, "
            "new_value, previous_flag, new_flag, caused_by from published.revisions "
            "where table_name in ('psw_headcount', 'psw_role_diversity', 'psw_pay_bands') "
            "and measure in ('headcount', 'joiners', 'leavers')"
        ).fetchall()
        places = db.execute(
            "select distinct strftime(period_end, '%Y-%m'), geography_code "
            "from published.revisions order by 1, 2"
        ).fetchall()
        causes = {r[0] for r in db.execute("select caused_by from published.revisions").fetchall()}
        revised = dict(
            (r[0], r[1])
            for r in db.execute(
                "select strftime(period_end, '%Y-%m'), revised from published.psw_headcount "
                "where geography_level = 'trust' and geography_code = 'RV3'"
            ).fetchall()
        )
    figures = {}
    for level, code, breakdown, measure, previous, new, previous_flag, new_flag, _ in recorded:
        where = (
            (level, code, "2025-05", measure)
            if breakdown == "total"
            else (level, code, "2025-05", *breakdown.split("=", 1))
        )
        figures[where] = (previous, new)
        assert previous_flag is None and new_flag is None
    assert figures == moved
    (cause,) = causes
    assert cause.startswith("RV3 accepted") and "uploaded" in cause
    # Only May moved, only where RV3 counts (RV3, London, England), all for that upload.
    assert {p for p, _ in places} == {"2025-05"}
    assert {g for _, g in places} <= {"RV3", "Y56", "ENG"}
    assert revised == {"2025-04": False, "2025-05": True, "2025-06": False, "2025-07": False}


def test_a_read_only_analyst_survives_a_rebuild(scenario, marts_platform):
    client, env, data = marts_platform
    serving = data / "serving" / "psw.duckdb"
    analyst = duckdb.connect(str(serving), read_only=True)
    try:
        before = analyst.execute("select count(*) from published.submission_status").fetchone()[0]
        rows = [
            dict(r, reporting_period_end=r["reporting_period_end"].replace(month=8, day=31))
            for r in scenario["in_force"]["RV3", "2025-07"]
            if not r["leaving_date"]
        ]
        client.put_object(Bucket="psw-rv3", Key="returns/2025-08/late.csv", Body=to_csv_bytes(rows))
        out = psw_run(env, process=True)  # the analyst's connection is another process's
        assert "serving database published" in out
        # The old connection still reads its snapshot; a new one sees the new month.
        assert (
            analyst.execute("select count(*) from published.submission_status").fetchone()[0]
            == before
        )
    finally:
        analyst.close()
    with duckdb.connect(str(serving), read_only=True) as fresh:
        assert (
            fresh.execute("select count(*) from published.submission_status").fetchone()[0]
            == before + 5  # the trusts open in August: RPG closed in May
        )


def test_dbt_docs_generate_describes_every_mart_column(scenario, tmp_path):
    import json

    from psw.warehouse.writer import dbt_command, dbt_environment

    target = tmp_path / "docs"
    subprocess.run(
        dbt_command("docs", "generate", "--target-path", str(target)),
        env={**scenario["env"], **dbt_environment(scenario["data"])},
        check=True,
        capture_output=True,
    )
    catalog = json.loads((target / "catalog.json").read_text())["nodes"]
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    checked = 0
    for unique_id, node in manifest.items():
        if node["resource_type"] != "model" or node["schema"] not in ("marts", "published"):
            continue
        described = {n for n, c in node["columns"].items() if c.get("description")}
        assert node["description"], unique_id
        assert set(catalog[unique_id]["columns"]) <= described, unique_id
        checked += 1
    # ten marts, ten published (issue 22 added three of each), six reference tables and
    # disclosure_control
    assert checked == 27


def test_a_closed_trust_is_refused_and_the_registry_is_served(scenario, marts_platform):
    client, _, data = marts_platform
    body = client.get_object(Bucket="psw-rpg", Key="feedback/2025-06/return.csv.report.json")
    report = json.loads(body["Body"].read())
    assert report["status"] == "rejected"
    assert report["rule_counts"] == {"PERIOD_OUTSIDE_TRUST_DATES": 1}
    message = report["findings"][0]["message"]
    assert "RPG is registered to submit up to 2025-05, and 2025-06 is not" in message
    assert "its services are reported by RV3" in message
    with duckdb.connect(str(data / "serving" / "psw.duckdb"), read_only=True) as db:
        lifecycle = db.execute(
            "select trust_ods_code, valid_from, valid_to, successor_ods_code "
            "from published.trusts where trust_ods_code in ('RPG', 'RXM', 'RV3') order by 1"
        ).fetchall()
        rxm_months = db.execute(
            "select strftime(period_end, '%Y-%m'), status, expected from "
            "published.submission_status where trust_ods_code = 'RXM' order by 1"
        ).fetchall()
    assert lifecycle == [
        ("RPG", None, dt.date(2025, 5, 31), "RV3"),
        ("RV3", None, None, None),
        ("RXM", dt.date(2025, 6, 1), None, None),
    ]
    # A trust that opens in June is not missing before it.
    assert [m for m, *_ in rxm_months] == ["2025-06", "2025-07", "2025-08"]
    assert all(expected for *_, expected in rxm_months)


def test_deleting_a_trust_from_the_registry_publishes_nothing(scenario, marts_platform):
    """A trust leaves the registry only by closing: deleted, its history would vanish from
    every regional and national figure. The build refuses, names the trust and keeps the
    figures already published. Last in the module: it restores the registry."""
    _, env, data = marts_platform
    registry = Path(env["PSW_TRUST_REGISTRY"])
    serving = data / "serving" / "psw.duckdb"
    query = "select sum(headcount) from published.psw_headcount where geography_level = 'national'"
    with duckdb.connect(str(serving), read_only=True) as db:
        before = db.execute(query).fetchone()[0]
    write_registry(registry, leave_out="RPG")
    try:
        (data / "submissions").touch()  # let the pass rebuild though nothing new came in
        os.utime(next((data / "submissions").rglob("*.json")))
        result = psw(env, "run")
        assert result.returncode != 0
        assert "RPG has returns but is not in the trust registry" in result.stdout
        with duckdb.connect(str(serving), read_only=True) as db:
            assert db.execute(query).fetchone()[0] == before
    finally:
        write_registry(registry)
        _load_trusts.cache_clear()


def test_the_serving_database_can_be_launched_on_its_own(scenario, tmp_path):
    """`serving_database` is an asset like any other: launched alone (here with `dagster
    asset materialize`, as from the UI's Materialize button) it publishes the warehouse's
    last successful build again, revision history included. While the warehouse holds a
    build that did not finish, it refuses, and the file analysts read keeps its figures."""
    import filecmp
    import shutil

    from psw.warehouse.writer import mark_build
    from tests.helpers import warehouse_tables

    data, env = scenario["data"], scenario["env"]
    serving = data / "serving" / "psw.duckdb"
    kept = tmp_path / "psw.duckdb"
    shutil.copy(serving, kept)
    launch = [
        str(Path(sys.executable).parent / "dagster"),
        *("asset", "materialize", "--select", "serving_database"),
        *("-m", "orchestration.definitions"),
    ]
    try:
        mark_build(data, succeeded=False)  # as a build that failed part way leaves it
        result = subprocess.run(launch, env=env, capture_output=True, text=True)
        assert result.returncode != 0
        said = result.stdout + result.stderr
        assert "last dbt build did not finish" in said, said[-4000:]
        assert filecmp.cmp(serving, kept, shallow=False)

        serving.unlink()  # lost, say: `psw run` builds and publishes again
        assert "serving database published" in psw_run(env)
        served = warehouse_tables(serving, schemas=("published",))
        assert served["published.revisions"], "the scenario's late correction was revised"
        serving.unlink()  # lost again: publishing alone is enough now
        result = subprocess.run(launch, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-3000:]
        assert warehouse_tables(serving, schemas=("published",)) == served
    finally:
        if not serving.exists():
            shutil.copy(kept, serving)


def test_a_lake_on_object_storage_gives_the_same_marts(scenario, tmp_path_factory):
    """Issue 11: the same uploads with PSW_LAKE_URL on the S3 server build the same marts
    (dbt reads the lake over HTTP with DuckDB's httpfs), and no lake object is written to
    local disk."""
    from tests.helpers import warehouse_tables

    root = tmp_path_factory.mktemp("s3lake")
    with LocalS3Server(root / "s3", f"http://127.0.0.1:{free_port()}") as server:
        env = platform_env(
            server,
            root,
            PSW_TRUST_REGISTRY=scenario["env"]["PSW_TRUST_REGISTRY"],
            PSW_LAKE_URL="s3://psw-platform/lake",
        )
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        run_scenario(client, env, late_run=False)
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket="psw-platform", Prefix="lake/"
        )
        in_bucket = [o["Key"] for page in pages for o in page.get("Contents", [])]

    built = scenario["built"]  # on local disk, before other tests added uploads
    landed = [k for k in in_bucket if k.startswith("lake/validated/")]
    assert built["landed"] and len(landed) == built["landed"]
    assert len([k for k in in_bucket if k.startswith("lake/submissions/")]) == built["ledger"]
    data = root / "data"
    # The serving folder's exports (revisions.parquet) are for analysts, and dbt's build
    # folders (run results, manifest) are the warehouse's: neither is the lake.
    left = [
        p
        for p in data.rglob("*")
        if p.suffix in (".parquet", ".json")
        and p.relative_to(data).parts[0] not in ("serving", "dbt")
    ]
    assert not (data / "validated").exists() and not (data / "submissions").exists()
    assert not left, left

    on_disk, on_s3 = built["tables"], warehouse_tables(data / "warehouse.duckdb")
    assert on_disk.keys() == on_s3.keys() and len(on_disk) >= 12
    for table, rows in on_disk.items():
        assert rows or table.split(".")[-1] in YEAR_LONG, table
        assert on_s3[table] == rows, table


@pytest.mark.skipif(
    server_binaries() is None,
    reason="PostgreSQL's server is not installed (apt-get install postgresql; .ci/run does)",
)
def test_the_marts_build_on_postgresql_identical_row_for_row(scenario, tmp_path_factory):
    """Issue 11: PSW_WAREHOUSE=postgres. The same uploads, the lake copied into a real
    PostgreSQL server, the same dbt models (tests and unit tests included) give the same
    marts and published tables row for row, and the serving file published from
    PostgreSQL holds the same tables, with their descriptions, as one from DuckDB.

    Issue 21: built twice, with the late resubmission between, as on DuckDB (the second
    build failed: the lake's tables were dropped under dbt's views)."""
    from tests.helpers import tables, warehouse_tables
    from tests.postgres import LocalPostgres

    root = tmp_path_factory.mktemp("postgres")
    with (
        LocalPostgres() as postgres,
        LocalS3Server(root / "s3", f"http://127.0.0.1:{free_port()}") as server,
    ):
        env = platform_env(
            server,
            root,
            PSW_TRUST_REGISTRY=scenario["env"]["PSW_TRUST_REGISTRY"],
            PSW_WAREHOUSE="postgres",
            **postgres.env(),
        )
        provision_buckets(s3_client(server.settings()), "psw-platform")
        runs = run_scenario(s3_client(server.settings()), env)["runs"]
        built = tables(lambda sql: postgres.query("psw", sql))
        landed = postgres.query("psw", "select count(*) from platform.landed_files")
    assert landed == [(scenario["built"]["landed"],)]  # the lake, copied before the build

    data = root / "data"
    assert not (data / "warehouse.duckdb").exists()  # nothing was built in DuckDB
    expected = scenario["built"]["tables"]
    assert built.keys() == expected.keys() and len(built) >= 12
    for table, rows in expected.items():
        assert rows or table.split(".")[-1] in YEAR_LONG, table
        assert built[table] == rows, table
    assert [r.count("marts built") for r in runs] == [1, 1]
    # The serving file holds what PostgreSQL published, plus the revisions (the same as
    # DuckDB's, but for when) and the `revised` mark they add.
    served = warehouse_tables(
        data / "serving" / "psw.duckdb", schemas=("published",), leave_out=NOT_COMPARED
    )
    assert served.pop("published.revisions") == scenario["built"]["revisions"] != []
    assert served.pop("published.releases") == []  # listed by the publish, not built by dbt
    assert served == {k: v for k, v in built.items() if k.startswith("published.")}
    with duckdb.connect(str(data / "serving" / "psw.duckdb"), read_only=True) as db:
        described = db.execute(
            "select count(*) from duckdb_columns() where schema_name = 'published' "
            "and table_name = 'psw_headcount' and comment is not null"
        ).fetchone()[0]
    assert described >= 10


def _digests(folder: Path) -> dict[str, str]:
    import hashlib

    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_release_is_frozen_refused_twice_and_never_changed_by_a_later_upload(scenario):
    """docs/interfaces.md, official releases: `psw release 2025-06` freezes the figures for
    the months to June (its database, report and downloads); a second call exits 1 and
    changes nothing; a later return for June changes the live figures, records the
    revision and lists the release, and leaves every byte of the release as it was."""
    client, env, data = scenario["client"], scenario["env"], scenario["data"]
    serving, folder = data / "serving" / "psw.duckdb", data / "serving" / "releases" / "2025-06"
    june_total = (
        "select headcount from published.psw_headcount "
        "where geography_level = 'national' and period_end = '2025-06-30'"
    )
    made = psw(env, "release", "2025-06")
    assert made.returncode == 0, made.stderr
    assert "release 2025-06:" in made.stdout
    assert "the release calendar had it due on 25 July 2025" in made.stdout
    frozen = _digests(folder)
    assert {"psw.duckdb", "release.json", "report/index.html"} <= frozen.keys()
    assert "report/downloads/psw_published.xlsx" in frozen
    with duckdb.connect(str(folder / "psw.duckdb"), read_only=True) as db:
        months = db.execute("select distinct period_end from published.psw_headcount").fetchall()
        released = db.execute(june_total).fetchone()[0]
        assert db.execute("select release_month from published.releases").fetchall() == [
            ("2025-06",)
        ]
    assert max(m for (m,) in months) == dt.date(2025, 6, 30)  # nothing after June
    with duckdb.connect(str(serving), read_only=True) as db:
        assert db.execute(june_total).fetchone()[0] == released  # as the live file held
    assert "Official release" in (folder / "report" / "index.html").read_text()

    again = psw(env, "release", "2025-06")
    assert again.returncode == 1 and "never changes; nothing was done" in again.stderr
    assert _digests(folder) == frozen

    # RWK's June was a nil return; now it sends its staff for June: the live figures move.
    rows = [
        dict(r, reporting_period_end=r["reporting_period_end"].replace(month=6, day=30))
        for r in scenario["in_force"]["RWK", "2025-05"]
        if not r["leaving_date"]
    ]
    client.put_object(Bucket="psw-rwk", Key="returns/2025-06/late.csv", Body=to_csv_bytes(rows))
    assert "serving database published" in psw_run(env)
    # What stands now, for the modules after this one (the trusts' histories).
    scenario["in_force"]["RWK", "2025-06"] = rows
    scenario["status"]["RWK", "2025-06"] = "accepted"
    with duckdb.connect(str(serving), read_only=True) as db:
        assert db.execute(june_total).fetchone()[0] > released
        assert db.execute("select release_month from published.releases").fetchall() == [
            ("2025-06",)
        ]
        assert db.execute(
            "select count(*) from published.revisions where period_end = '2025-06-30' "
            "and caused_by like 'RWK%'"
        ).fetchone()[0]
    assert _digests(folder) == frozen  # every byte of the release as it was
    live = (data / "serving" / "report" / "index.html").read_text()
    assert "href='../releases/2025-06/report/index.html'" in live and "Provisional" in live
    assert "The next official release, of " in live  # the release calendar
    # The data-quality statement counts the figures changed since the release.
    with duckdb.connect(str(serving), read_only=True) as db:
        changed = db.execute(
            "select count(distinct (period_end, geography_code, table_name, breakdown, "
            "measure)) from published.revisions where period_end <= '2025-06-30' "
            "and revised_at > (select published_at from published.releases)"
        ).fetchone()[0]
    statement = (data / "serving" / "report" / "data-quality.html").read_text()
    assert changed > 0 and "Revisions to official releases" in statement
    assert re.search(rf"<td[^>]*>2025-06</td>\s*<td[^>]*>{changed}</td>", statement), statement
