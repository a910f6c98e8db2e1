"""Issue 21's faults that start from a platform which has published (RV3's June: the
session fixture `published_june`): a zero-length ledger entry, a read-write analyst, a
corrupt serving file, a kill between the publish and the report. One module, run on one
worker, so that platform is built once (about 25 s)."""

from __future__ import annotations

import os
import signal
import stat
import time
from pathlib import Path

from tests.helpers import psw, psw_run, spawn_psw_run, upload_month


def _national_headcount(serving: Path) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(serving), read_only=True) as db:
        return db.execute(
            "select period_end, headcount from published.psw_headcount "
            "where geography_level = 'national' order by 1"
        ).fetchall()


def test_a_zero_length_ledger_entry_is_set_aside_and_made_again(published_platform):
    """Fault 1: a zero-length ledger entry (a rename without fsync, then a power cut) made
    the next pass publish a wrong national headcount and a revision "caused" by it, then
    say "nothing new"; `psw lake rebuild` failed without naming the file. Now it is named
    and set aside, nothing is published until `psw lake rebuild` has made it again from
    the archive (with its receipt), and the figures come back as they were."""
    client, env, lake = published_platform  # RV3's June published
    published = _national_headcount(lake.serving)
    [entry] = [e.key for e in lake.ledger_entries("RV3")]
    before = lake.outcome("RV3", entry.rsplit("/", 1)[1].removesuffix(".json"))
    (lake.root / entry).write_bytes(b"")  # what a power cut after an unsynced rename leaves

    broken = psw(env, "run")
    assert broken.returncode != 0
    assert f"the ledger entry quarantine/{entry} is unreadable" in broken.stdout
    assert "`psw lake rebuild` makes these entries again" in broken.stdout
    assert _national_headcount(lake.serving) == published  # nothing wrong was published
    assert (lake.root / "quarantine" / entry).exists() and not (lake.root / entry).exists()
    again = psw(env, "run", "--intake-only")  # the upload is not taken for a new one
    assert "0 new" in again.stdout

    rebuilt = psw(env, "lake", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "1 submissions made again" in rebuilt.stdout
    assert lake.outcome("RV3", before["submission_id"])["receipt"] == before["receipt"]
    assert lake.quarantined() == []
    assert "marts built" in psw_run(env).stdout
    assert _national_headcount(lake.serving) == published
    assert _revisions(lake.serving) == 0


def _revisions(serving: Path) -> int:
    import duckdb

    with duckdb.connect(str(serving), read_only=True) as db:
        return db.execute("select count(*) from published.revisions").fetchone()[0]


def test_an_analyst_with_the_serving_file_open_read_write_blocks_no_publish(
    published_platform,
):
    """Fault 3: DuckDB opens read-write by default (DBeaver too), and the lock it holds
    made every publish fail. Publishing no longer reads the served file; the served file
    is read-only; an analyst's write-ahead log is not carried into the new file; what a
    killed publish left behind goes."""
    import duckdb

    client, env, lake = published_platform  # RV3's June published
    assert stat.S_IMODE(lake.serving.stat().st_mode) == 0o444
    leftover = lake.serving.with_name(".psw.duckdb.999999999.new")
    leftover.write_bytes(b"a killed publish")
    analyst = duckdb.connect(str(lake.serving))  # read-write, held open
    try:
        analyst.execute("create table main.my_notes as select 1 as n")  # a write: a WAL
        upload_month(client, "RWK", "2025-06", seed=6)
        # The pass in its own process, as an analyst's tool is (one process's DuckDB
        # refuses a second configuration of an open file, which is not the fault here).
        assert "marts built" in psw_run(env, process=True).stdout
        assert analyst.execute("select count(*) from published.psw_headcount").fetchone()[0]
    finally:
        analyst.close()
    with duckdb.connect(str(lake.serving), read_only=True) as db:
        trusts_served = db.execute(
            "select count(distinct geography_code) from published.psw_headcount "
            "where geography_level = 'trust'"
        ).fetchone()[0]
        notes = db.execute(
            "select count(*) from duckdb_tables() where table_name = 'my_notes'"
        ).fetchone()[0]
    assert trusts_served >= 2 and notes == 0
    assert not leftover.exists()


def test_a_corrupt_serving_file_is_published_again(published_platform):
    """Fault 4: a corrupt or empty serving file blocked every publish until someone
    deleted it, with a generic message. The next pass sees it and publishes again from
    the last build (no dbt build: it holds every return; test_warehouse.py tests when
    it does not), with the revisions history kept."""
    _, env, lake = published_platform  # RV3's June published
    published = _national_headcount(lake.serving)
    revisions = _revisions(lake.serving)
    for damage in (b"", b"not a database" * 100):
        lake.serving.chmod(0o644)
        lake.serving.write_bytes(damage)
        again = psw_run(env)
        assert "published again from the last build" in again.stdout, again.stdout
        assert "dbt build" not in again.stdout
        assert _national_headcount(lake.serving) == published
        assert _revisions(lake.serving) == revisions


def test_a_pass_killed_between_the_publish_and_the_report_is_made_good(published_platform):
    """Fault 6: a kill between the serving swap and the report left the national report
    and trust histories stale while every later pass said "nothing new", and report
    folders behind. The report records the serving file it was built from; the next pass
    sees the difference and writes the report again, and removes what the kill left."""
    from psw.warehouse.writer import report_is_stale, serving_identity

    client, env, lake = published_platform  # RV3's June published
    assert not report_is_stale(lake)
    assert "nothing new" in psw_run(env).stdout
    upload_month(client, "RWK", "2025-06", seed=6)
    first = serving_identity(lake.serving)
    victim = spawn_psw_run(env)
    deadline = time.monotonic() + 300
    while serving_identity(lake.serving) == first and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(victim.pid, signal.SIGKILL)  # just after the swap
    victim.wait()
    assert report_is_stale(lake)  # the kill beat the report
    (lake.report.parent / f".report.{999999999}.new").mkdir()  # as a killed build leaves it

    again = psw_run(env)
    assert "national report and trust histories written" in again.stdout, again.stdout
    assert not report_is_stale(lake)
    assert (lake.report / "trust-RWK.html").exists()  # the trust the killed pass published
    assert not list(lake.report.parent.glob(".report.*"))
    assert "nothing new" in psw_run(env).stdout
