"""The ingestion sensor, the intake job and the submission asset with real Dagster, against
the real local S3 server.

Sensor tests use build_sensor_context and instance_for_test and assert run requests,
cursors and dynamic partition requests; the intake job runs for real and reports each
upload as a materialisation of its trust-month with its two checks.
"""

from __future__ import annotations

import csv
import json

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.ingestion.assets import (
    CONTRACT_CHECK,
    QUALITY_CHECK,
    SUBMISSION,
    submission_asset,
)
from orchestration.ingestion.jobs import INTAKE_JOB
from orchestration.ingestion.partitions import TRUSTS
from orchestration.ingestion.resources import PlatformResource
from orchestration.ingestion.sensors import plan_batches
from psw.intake.discovery import list_submissions, scan
from psw.intake.submissions import Submission
from psw.standard.reference import trusts
from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
from psw.synth import to_csv_bytes
from tests.helpers import end_a_run_without_outcome, platform_resource, sensor_tick


@pytest.fixture()
def store(tmp_path):
    with LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}") as server:
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        platform = platform_resource(server, tmp_path / "data")
        yield client, platform


@pytest.fixture()
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def _keys(result: dg.SensorResult) -> list[str]:
    return sorted(
        s["key"]
        for r in result.run_requests
        for s in r.run_config["ops"]["process_uploads"]["config"]["submissions"]
    )


def _registry(path, *ods_codes):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ods_code", "trust_name", "region_code", "region_name"])
        for ods in ods_codes:
            writer.writerow([ods, f"Trust {ods}", "Y56", "London"])


def test_new_uploads_become_one_intake_run_and_are_not_handed_out_twice(store, instance):
    client, platform = store
    client.put_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=b"a")
    client.put_object(Bucket="psw-rv3", Key="RV3_June.csv", Body=b"a")  # misplaced: answered too
    client.put_object(Bucket="psw-rv3", Key="feedback/2025-06/x.report.json", Body=b"{}")
    client.create_bucket(Bucket="psw-zzz")  # not a registered trust's bucket
    client.put_object(Bucket="psw-zzz", Key="returns/2025-06/stranger.csv", Body=b"x")
    first, cursor = sensor_tick(instance, platform)
    assert len(first.run_requests) == 1
    assert first.run_requests[0].job_name in (None, INTAKE_JOB)
    assert _keys(first) == ["RV3_June.csv", "returns/2025-06/june.csv"]
    requested = json.loads(cursor)["requested"]
    assert len(requested) == 2
    # Handed to a run that may still be going: not requested again, and the trust's next
    # upload waits for that run (its months stay in order).
    client.put_object(Bucket="psw-rv3", Key="returns/2025-07/july.csv", Body=b"b")
    again, cursor = sensor_tick(instance, platform, cursor)
    assert again.run_requests == [] and again.skip_reason


def test_an_upload_whose_run_ended_without_an_outcome_is_handed_out_again(store, instance):
    client, platform = store
    client.put_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=b"a")
    first, cursor = sensor_tick(instance, platform)
    key = first.run_requests[0].run_key

    end_a_run_without_outcome(instance, key)  # it died
    retry, _ = sensor_tick(instance, platform, cursor)
    assert _keys(retry) == ["returns/2025-06/june.csv"]
    assert retry.run_requests[0].run_key != key


def test_an_upload_with_an_outcome_is_done_whatever_the_cursor(store, instance, clean_rows):
    client, platform = store
    client.put_object(
        Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=to_csv_bytes(clean_rows)
    )
    first, cursor = sensor_tick(instance, platform)
    defs().resolve_job_def(INTAKE_JOB).execute_in_process(
        run_config=first.run_requests[0].run_config,
        instance=instance,
        resources={"platform": platform},
    )
    done, cursor = sensor_tick(instance, platform, None)  # even with the cursor lost
    assert done.run_requests == []
    # The same bytes uploaded again are a new submission: the last upload wins.
    client.put_object(
        Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=to_csv_bytes(clean_rows)
    )
    again, _ = sensor_tick(instance, platform, cursor)
    assert _keys(again) == ["returns/2025-06/june.csv"]


def test_a_missing_bucket_is_passed_over_and_a_new_trust_needs_no_restart(
    store, instance, tmp_path, monkeypatch
):
    client, platform = store
    registry = tmp_path / "registry.csv"
    _registry(registry, "RV3", "ZZ9")  # ZZ9's bucket was never provisioned
    monkeypatch.setenv("PSW_TRUST_REGISTRY", str(registry))
    client.put_object(Bucket="psw-rv3", Key="returns/2025-06/a.csv", Body=b"a")
    first, cursor = sensor_tick(instance, platform)
    assert _keys(first) == ["returns/2025-06/a.csv"]
    assert first.dynamic_partitions_requests[0].partition_keys == ["RV3", "ZZ9"]
    instance.add_dynamic_partitions(TRUSTS, ["RV3", "ZZ9"])

    _registry(registry, "RV3", "ZZ9", "RWK")  # a trust joins while the sensor runs
    client.put_object(Bucket="psw-rwk", Key="returns/2025-06/b.csv", Body=b"b")
    second, _ = sensor_tick(instance, platform, cursor)
    assert _keys(second) == ["returns/2025-06/b.csv"]
    assert second.dynamic_partitions_requests[0].partition_keys == ["RWK"]


def test_an_unreachable_store_skips_the_tick_and_keeps_the_cursor(store, instance):
    _, platform = store
    down = PlatformResource(
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        access_key=platform.access_key,
        secret_key=platform.secret_key,
        data_dir=platform.data_dir,
    )
    result, cursor = sensor_tick(instance, down, '{"next": 3}')
    assert "cannot be reached" in result.skip_reason.skip_message
    assert cursor == '{"next": 3}'


def _sub(ods: str, n: int) -> Submission:
    import datetime as dt

    moment = dt.datetime(2025, 7, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=n)
    return Submission(ods, f"psw-{ods.lower()}", f"returns/2025-06/{n}.csv", "e", 1, moment)


def test_batches_keep_a_trust_together_and_share_a_backlog_between_two_runs():
    assert plan_batches([]) == []
    assert len(plan_batches([_sub("RV3", 1), _sub("RWK", 2)])) == 1  # a couple: one run
    burst = [_sub(ods, n) for n, ods in enumerate(sorted(trusts()))]  # 49 at month end
    runs = plan_batches(burst)
    assert len(runs) == 2 and abs(len(runs[0]) - len(runs[1])) <= 1
    backlog = [_sub(ods, n) for ods in sorted(trusts()) for n in range(24)]  # 1,176
    runs = plan_batches(backlog)
    assert len(runs) == 12 and sum(map(len, runs)) == len(backlog)
    for run in runs:
        trusts_in = {s.trust_ods_code for s in run}
        others = [s for r in runs if r is not run for s in r]
        assert not trusts_in & {s.trust_ods_code for s in others}


def test_the_scan_keeps_to_its_time_budget_and_resumes(store):
    client, _ = store
    registry = sorted(trusts().values(), key=lambda t: t.ods_code)
    ticks = iter(range(0, 10_000, 10))
    first = scan(client, registry, 0, budget_s=5, clock=lambda: next(ticks))
    assert first.scanned == 1 and first.next_start == 1
    second = scan(client, registry, first.next_start, budget_s=5, clock=lambda: next(ticks))
    assert second.next_start == 2


def test_the_intake_run_reports_each_trust_month_with_its_checks(store, instance, clean_rows):
    client, platform = store
    instance.add_dynamic_partitions(TRUSTS, ["RV3"])
    bad = [dict(r) for r in clean_rows]
    bad[0]["fte"] = "5"
    client.put_object(Bucket="psw-rv3", Key="returns/2025-05/may.csv", Body=to_csv_bytes(bad))
    client.put_object(
        Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=to_csv_bytes(clean_rows)
    )
    client.put_object(Bucket="psw-rv3", Key="returns/2025-06/sub/x.csv", Body=b"x")
    batch = list_submissions(client, trusts()["RV3"])
    result = (
        defs()
        .resolve_job_def(INTAKE_JOB)
        .execute_in_process(
            run_config={
                "ops": {
                    "process_uploads": {"config": {"submissions": [s.to_config() for s in batch]}}
                }
            },
            instance=instance,
            resources={"platform": platform},
        )
    )
    assert result.success  # a rejection is an answer, not a failed run
    materialised = {
        e.materialization.partition: e.materialization.metadata["status"].value
        for e in result.get_asset_materialization_events()
    }
    assert materialised == {"2025-05|RV3": "rejected", "2025-06|RV3": "accepted"}
    evaluations = result.get_asset_check_evaluations()
    checks = {(c.partition, c.check_name): c.passed for c in evaluations}
    # What came from the file (column names, values) reaches the UI as JSON data, never
    # as markdown or HTML it would render.
    listed = [c.metadata["first_findings"] for c in evaluations]
    assert all(isinstance(m, dg.JsonMetadataValue) for m in listed)
    assert any(m.data for m in listed)
    assert checks[("2025-05|RV3", CONTRACT_CHECK)] is False
    assert checks[("2025-06|RV3", CONTRACT_CHECK)] is True
    assert checks[("2025-06|RV3", QUALITY_CHECK)] is True
    summary = {
        k: v.value
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_OUTPUT
        for k, v in e.step_output_data.metadata.items()
    }
    assert summary["rejected"] == 2 and summary["faults"] == 0  # the misplaced key too
    # the instance now knows each trust-month's latest check result
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(SUBMISSION, CONTRACT_CHECK)]
    )
    assert record

    # Materialising a partition re-reports the ledger; it never processes a file again.
    again = dg.materialize(
        [submission_asset("2024-04")],
        partition_key="2025-06|RV3",
        resources={"platform": platform},
        instance=instance,
    )
    assert again.success
    [event] = again.get_asset_materialization_events()
    assert event.materialization.metadata["status"].value == "accepted"


def test_passes_started_together_on_a_fresh_data_folder_both_open_the_instance(tmp_path):
    """Without the lock in open_instance one of two processes failed about every other
    time with "table runs already exists" (and `psw run` exited 3)."""
    import os
    import subprocess
    import sys

    opener = "from orchestration.run_once import open_instance\nwith open_instance() as i: pass\n"
    for attempt in range(4):
        env = {**os.environ, "PSW_DATA_DIR": str(tmp_path / str(attempt))}
        env.pop("DAGSTER_HOME", None)
        procs = [
            subprocess.Popen([sys.executable, "-c", opener], env=env, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        errors = [p.communicate(timeout=120)[1].decode() for p in procs]
        assert [p.returncode for p in procs] == [0, 0], errors
