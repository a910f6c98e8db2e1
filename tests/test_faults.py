"""Issue 21: the faults found by trying to break the platform, each reproduced as it was
found (two passes at once on one trust-month, a deleted object, kills at the named
points, client dates in the future and the past, a hung store) and shown mended, over the
real local S3 server with `psw run` (real CLI, real Dagster, real dbt). Those that start
from a published platform are in test_faults_published.py.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import dagster as dg

from psw.intake.batches import process_batch
from psw.intake.discovery import list_submissions
from psw.intake.ingest import GONE, Settings
from psw.intake.workers import process_in_workers
from psw.lake.layout import Lake
from psw.standard.reference import trusts
from psw.storage import S3Settings
from psw.synth import simulate, to_csv_bytes
from tests.helpers import TODAY, psw_run, spawn_psw_run, upload_month


def _june(seed: int = 5) -> list[dict]:
    return dict(simulate(trusts()["RV3"], ["2025-06"], seed=seed, staff=12))["2025-06"]


def test_two_passes_on_one_trust_month_report_every_upload_once(platform):
    """Fault 2: each pass reports its own uploads to Dagster. It took the partition's
    newest materialisations for its own, and crashed (KeyError) when another pass had
    written them; both then said "0 processed"."""
    client, env, lake = platform
    body = to_csv_bytes(_june())
    count = 16
    for number in range(count):
        client.put_object(Bucket="psw-rv3", Key=f"returns/2025-06/r{number:02}.csv", Body=body)
    passes = [spawn_psw_run(env, "--intake-only") for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in passes]
    assert [p.returncode for p in passes] == [0, 0], outputs
    processed = [  # "done: 9 processed (0 rejected), ..."
        int(line.split()[1]) for out, _ in outputs for line in out.splitlines() if "done: " in line
    ]
    assert len(list(lake.ledger_entries())) == count
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        key = dg.AssetKey("submission")
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=["2025-06|RV3"]), limit=1000
        ).records
        checks = [
            instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(key, name), limit=1000
            )
            for name in ("return_contract", "return_quality")
        ]
    assert sum(processed) == count and len(records) == count
    # A check's history keeps a run's last result: one per pass, each naming one of the
    # partition's materialisations as its target.
    assert [len(history) for history in checks] == [2, 2]
    targets = {c.evaluation.target_materialization_data.storage_id for c in checks[0]}
    assert targets <= {r.storage_id for r in records} and len(targets) == 2


def test_an_object_deleted_before_it_is_read_is_the_trusts_doing(platform):
    """Fault 8: listed, then deleted (or a refused PUT the listing still shows): no fault,
    nothing to report, done; the pass stays green."""
    client, env, lake = platform
    key = "returns/2025-06/june.csv"
    client.put_object(Bucket="psw-rv3", Key=key, Body=to_csv_bytes(_june()))
    [listed] = list_submissions(client, trusts()["RV3"])
    client.delete_object(Bucket="psw-rv3", Key=key)
    settings = Settings("psw-platform", lake, "k", today=TODAY)

    [item] = process_batch(client, [listed], settings)
    assert item.fault is None and item.processed and item.processed.replaced
    assert item.processed.outcome.error == GONE and item.processed.outcome.period is None
    assert "deleted from the bucket before it was read" in item.line
    objects = client.list_objects_v2(Bucket="psw-rv3").get("Contents", [])
    listed_now = [o["Key"] for o in objects]
    assert not [k for k in listed_now if ".report." in k]  # no report on what is not there
    assert "0 new" in psw_run(env, "--intake-only").stdout


def _in_force(data) -> dict[str, str]:
    """trust-month -> the source key of the return in force, as the warehouse has it."""
    import duckdb

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as db:
        rows = db.execute(
            "select f.trust_ods_code || ' ' || strftime(f.period_end, '%Y-%m'), s.source_key "
            "from intermediate.int_submissions_in_force f "
            "join staging.stg_platform__submissions s using (submission_id)"
        ).fetchall()
    return dict(rows)


def test_uploads_are_ordered_by_the_platforms_receipt_not_the_clients_clock(platform):
    """Fault 7: the store's LastModified is the client's to set on some stores (rclone
    takes it from the `mtime` metadata). A file dated 2036 stayed in force over later
    corrections, and a correction dated in the past never took effect. Each pass's claim
    files are gone when it ends (fault 11: they were never removed)."""
    client, env, lake = platform
    rows = _june()

    def upload(name: str, staff: list[dict], mtime: str | None = None) -> None:
        extra = {"Metadata": {"mtime": mtime}} if mtime else {}
        body = to_csv_bytes(staff)
        client.put_object(Bucket="psw-rv3", Key=f"returns/2025-06/{name}", Body=body, **extra)

    upload("dated-2036.csv", rows, mtime="2082758400")
    psw_run(env, "--intake-only")
    upload("correction.csv", rows[:-2])
    psw_run(env, "--intake-only")
    upload("dated-2020.csv", rows[:-4], mtime="1577836800")
    psw_run(env)
    assert _in_force(lake.root)["RV3 2025-06"] == "returns/2025-06/dated-2020.csv"
    receipts = sorted((o["receipt"], o["source_key"]) for o in lake.outcomes())
    assert [key.rsplit("/", 1)[1] for _, key in receipts] == [
        "dated-2036.csv",
        "correction.csv",
        "dated-2020.csv",
    ]
    assert sorted(p.name for p in (lake.root / "claims").iterdir()) == ["receipts"]


def test_one_buckets_backlog_uses_both_workers_and_keeps_its_months_in_order(platform):
    """Fault 11: a thousand uploads of one bucket ran in one process (a trust's uploads were
    one task). Now every upload is a task; a month's history rules still compare it with
    the month before, landed first: each month drops one person in post the month before,
    and each month's report says so, exactly as when processed one by one."""
    client, env, lake = platform
    months = [f"2024-{m:02}" for m in range(4, 13)] + [f"2025-{m:02}" for m in range(1, 4)]
    before: set[str] = set()
    for period, rows in simulate(trusts()["RV3"], months, seed=3, staff=15):
        gone = next((r["staff_id"] for r in rows if r["staff_id"] in before), None)
        kept = [r for r in rows if r["staff_id"] != gone]
        before = {str(r["staff_id"]) for r in kept if not r.get("leaving_date")}
        key = f"returns/{period}/return.csv"
        client.put_object(Bucket="psw-rv3", Key=key, Body=to_csv_bytes(kept))
    listed = list_submissions(client, trusts()["RV3"])
    store = S3Settings.from_env(env)

    def history(workers: int, folder: str) -> tuple[dict[str, dict], set[int]]:
        settings = Settings("psw-platform", Lake(lake.root / folder), "k", today=TODAY)
        items = list(process_in_workers(store, listed, settings, workers))
        assert all(item.processed for item in items), [item.line for item in items]
        counts = {i.submission.key: i.processed.outcome.rule_counts for i in items}
        return counts, {item.pid for item in items}

    in_parallel, pids = history(2, "parallel")
    assert len(pids) == 2
    one_by_one, _ = history(1, "sequential")
    assert in_parallel == one_by_one
    warned = [key for key, counts in in_parallel.items() if "LEAVER_NOT_REPORTED" in counts]
    assert len(warned) == len(months) - 1


def _processes_of_session(session: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[3]) == session and fields[0] != "Z":  # session id, not a zombie
                found.append(int(entry))
    return found


def test_the_workers_die_with_a_pass_killed_alone(platform):
    """Fault 5: SIGKILL of the `psw run` process alone (not its group) left its two worker
    processes (~400 MB each) running for good. They watch their parent and end with it."""
    client, env, lake = platform
    body = to_csv_bytes(_june())
    for number in range(30):
        client.put_object(Bucket="psw-rv3", Key=f"returns/2025-06/r{number:02}.csv", Body=body)
    victim = spawn_psw_run(env, "--intake-only")
    deadline = time.monotonic() + 300
    while not list(lake.ledger_entries()) and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = [pid for pid in _processes_of_session(victim.pid) if pid != victim.pid]
    assert len(workers) >= 2  # the two workers (and the resource tracker)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    deadline = time.monotonic() + 10
    while _processes_of_session(victim.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_of_session(victim.pid) == []
    assert psw_run(env, "--intake-only").returncode == 0  # and the next pass finishes the work
    assert len(list(lake.ledger_entries())) == 30


def test_a_hung_store_costs_one_timeout_per_pass_not_one_per_upload(platform, tmp_path):
    """Fault 9: a store that stops answering cost about 72 s per pending upload (a backlog
    of 1,000 would have taken 20 hours). The first upload that times out stops the pass:
    the rest are not tried (the next pass does), whatever the backlog."""
    from botocore.exceptions import ReadTimeoutError

    from psw.storage import s3_client, store_unreachable
    from psw.storage.client import ATTEMPTS, READ_TIMEOUT_S
    from tests.hung_store import HangingProxy

    client, env, lake = platform
    months = [f"2024-{m:02}" for m in range(4, 13)]
    for ods in ("RV3", "RWK", "TAJ"):
        for number, month in enumerate(months):
            upload_month(client, ods, month, seed=number, staff=5)
    port = int(env["PSW_S3_ENDPOINT_URL"].rsplit(":", 1)[1])
    with HangingProxy(port) as proxy:
        store = S3Settings.from_env({**env, "PSW_S3_ENDPOINT_URL": proxy.endpoint_url})
        listed = [
            s
            for ods in ("RV3", "RWK", "TAJ")
            for s in list_submissions(s3_client(store), trusts()[ods])
        ]
        assert len(listed) == 27
        proxy.hang()
        settings = Settings("psw-platform", lake, "k", today=TODAY)
        started = time.monotonic()
        items = list(process_in_workers(store, listed, settings, workers=2))
        seconds = time.monotonic() - started
        print(f"hung store, 2 workers: 27 uploads answered in {seconds:.0f} s")
        assert all(item.fault for item in items) and len(items) == 27
        tried = [item for item in items if not item.fault.startswith("not tried")]
        assert len(tried) <= 2, [item.line for item in items]  # one each, at the same time
        assert seconds < 2 * ATTEMPTS * READ_TIMEOUT_S  # one timeout, not one per upload
    assert lake.processed_ids() == set()  # nothing lost: every upload waits for the next pass
    # One process (the sensor's runs) stops at the first such fault too.
    assert store_unreachable(ReadTimeoutError(endpoint_url=proxy.endpoint_url))


def test_a_worker_has_its_passs_environment_and_finds_the_libraries_imported(monkeypatch):
    """Workers are forked from a server started once per process, which imported Great
    Expectations (decision 0122): each worker still takes the environment of its own
    pass (tests, and any long-lived process, change it between passes), not the
    server's from when it started."""
    from psw.intake.workers import worker_context, worker_pool
    from psw.storage import S3Settings

    context = worker_context()
    store = S3Settings(None, None, None, "eu-west-2", "psw-platform")
    for value in ("first pass", "second pass"):
        monkeypatch.setenv("PSW_PROBE", value)
        shared = (context.Array("b", 1, lock=False), context.Value("b", 0, lock=False))
        with worker_pool(1, store, *shared) as pool:
            assert pool.submit(_probe).result() == (value, True)


def _probe() -> tuple[str | None, bool]:
    """In a worker: its PSW_PROBE, and whether GX was imported before any upload."""
    import sys

    return os.environ.get("PSW_PROBE"), "great_expectations" in sys.modules


def _pyspark_blocked() -> bool:
    """In a worker: `import pyspark` fails there, whether or not it is installed."""
    import sys

    try:
        import pyspark  # noqa: F401
    except ImportError:
        return sys.modules.get("pyspark", "absent") is None
    return False


def test_a_worker_never_imports_pyspark():
    """Found by the Spark build: with pyspark installed, Great Expectations' import pulled
    it into each intake worker, and pyspark exited workers spawned by `python -m pytest`
    (and would those of `python -m dagster`), so every upload of a backlog failed."""
    from psw.intake.workers import worker_context, worker_pool
    from psw.storage import S3Settings

    context = worker_context()
    store = S3Settings(None, None, None, "eu-west-2", "psw-platform")
    shared = (context.Array("b", 1, lock=False), context.Value("b", 0, lock=False))
    with worker_pool(1, store, *shared) as pool:
        assert pool.submit(_pyspark_blocked).result()
