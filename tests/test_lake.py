"""The lake is derived, and guarded (real S3 server, real `psw run`, real dbt): a return in
force whose landed rows are lost fails the build loudly, names the return and publishes
nothing; `psw lake rebuild` makes the lake again from the archive and the marts come out
identical.
"""

from __future__ import annotations

import shutil

import duckdb

from psw.standard.reference import trusts
from psw.synth import simulate, to_csv_bytes
from tests.helpers import psw, psw_run

MONTHS = ["2025-05", "2025-06"]


def _exact(value):
    return round(value, 9) if isinstance(value, float) else value  # sums in another order


def snapshot(path) -> dict[str, list]:
    """Every table of the marts and published schemas, rows sorted."""
    with duckdb.connect(str(path), read_only=True) as db:
        tables = db.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('marts', 'published') order by 1, 2"
        ).fetchall()
        return {
            f"{schema}.{table}": sorted(
                repr(tuple(map(_exact, row)))
                for row in db.execute(f"select * from {schema}.{table}").fetchall()
            )
            for schema, table in tables
        }


def test_a_lost_lake_fails_loudly_and_is_made_again_from_the_archive(platform):
    client, env, lake = platform
    for i, ods in enumerate(["RV3", "RWK"]):
        for period, rows in simulate(trusts()[ods], MONTHS, seed=3 + i, staff=30):
            client.put_object(
                Bucket=f"psw-{ods.lower()}",
                Key=f"returns/{period}/r.csv",
                Body=to_csv_bytes(rows),
            )
    client.put_object(Bucket="psw-rv3", Key="returns/2025-06/bad.csv", Body=b"not,a\nreturn,!")
    psw_run(env)
    before = snapshot(lake.warehouse)
    served = lake.serving.stat().st_mtime
    assert before["marts.psw_headcount"]

    # One landed file is lost; the next build (a new return arrives) must not shrink.
    [lost] = lake.root.glob("validated/trust=RWK/period=2025-05/*.parquet")
    lost.unlink()
    july = dict(simulate(trusts()["RV3"], [*MONTHS, "2025-07"], seed=3, staff=30))["2025-07"]
    client.put_object(Bucket="psw-rv3", Key="returns/2025-07/r.csv", Body=to_csv_bytes(july))
    failed = psw(env, "run")
    assert failed.returncode == 3, failed.stdout[-2000:]
    assert "RWK 2025-05: the landed rows of returns/2025-05/r.csv are missing" in failed.stdout
    assert "psw lake rebuild" in failed.stdout
    assert lake.serving.stat().st_mtime == served  # nothing published from the broken lake

    # As the failure advises: only the lost file is made again (its ledger entry is kept).
    def rebuild(env=env):
        return psw(env, "lake", "rebuild")

    partial = rebuild()
    assert "done: 1 submissions made again from the archive, 5 already in the lake" in (
        partial.stdout
    ), partial.stdout + partial.stderr[-2000:]
    assert lost.exists()

    # The store out of reach: one clear line and a failure exit, never a traceback.
    down = rebuild({**env, "PSW_S3_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert down.returncode == 3 and "Traceback" not in down.stderr, down.stderr[-2000:]
    assert "psw lake rebuild stopped" in down.stderr

    # The whole lake gone: made again from the archive, the marts identical.
    report = {"Bucket": "psw-rv3", "Key": "feedback/2025-05/r.csv.report.json"}
    reported = client.head_object(**report)["LastModified"]
    shutil.rmtree(lake.root / "validated")
    shutil.rmtree(lake.root / "submissions")
    rebuilt = rebuild()
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert "done: 6 submissions made again from the archive, 0 already in the lake" in (
        rebuilt.stdout
    )
    psw_run(env)
    after = snapshot(lake.warehouse)
    # The same marts plus July, which the failed build had processed but not published.
    july_free = {
        name: [row for row in rows if "2025, 7, 31" not in row] for name, rows in after.items()
    }
    assert july_free == before
    assert any("2025, 7, 31" in row for row in after["marts.psw_headcount"])
    assert client.head_object(**report)["LastModified"] == reported  # no second report
    # A lake that is whole is left alone.
    again = rebuild()
    assert "done: 0 submissions made again from the archive, 6 already in the lake" in (
        again.stdout
    )


def test_a_lake_on_object_storage_is_made_again_from_the_archive(platform):
    """PSW_LAKE_URL on S3 (issue 11): the lake's objects deleted from the bucket are made
    again by `psw lake rebuild`, with nothing written to local disk; this is also how a
    platform moves its lake to a new URL (README "Running at scale")."""
    client, env, _ = platform
    env = {**env, "PSW_LAKE_URL": "s3://psw-platform/lake"}
    for period, rows in simulate(trusts()["RV3"], MONTHS, seed=5, staff=20):
        client.put_object(Bucket="psw-rv3", Key=f"returns/{period}/r.csv", Body=to_csv_bytes(rows))
    psw_run(env, "--intake-only")

    def lake_keys() -> list[str]:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket="psw-platform", Prefix="lake/"
        )
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    before = lake_keys()
    assert len([k for k in before if k.endswith(".parquet")]) == 2
    assert len([k for k in before if k.endswith(".json")]) == 2
    client.delete_objects(Bucket="psw-platform", Delete={"Objects": [{"Key": k} for k in before]})
    rebuilt = psw(env, "lake", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert "done: 2 submissions made again from the archive" in rebuilt.stdout
    assert lake_keys() == before  # the same keys: the ids come from the uploads
    data = platform[2].root
    assert not (data / "validated").exists() and not (data / "submissions").exists()
