"""The ingestion sensor and asset with real Dagster, against the real local S3 server.

Sensor tests use build_sensor_context and instance_for_test and assert run requests and
cursors; the asset test materialises a partition and checks the two asset checks.
"""

from __future__ import annotations

import json

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.ingestion.assets import CONTRACT_CHECK, QUALITY_CHECK, submission
from orchestration.ingestion.resources import PlatformResource
from orchestration.ingestion.sensors import scan, trust_uploads
from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
from psw.synth import to_csv_bytes


@pytest.fixture()
def store(tmp_path):
    with LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}") as server:
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        platform = PlatformResource(
            endpoint_url=server.endpoint_url,
            access_key=server.access_key,
            secret_key=server.secret_key,
            platform_bucket="psw-platform",
            data_dir=str(tmp_path / "data"),
            pseudonymisation_key="k",
        )
        yield client, platform


def _tick(platform, cursor=None):
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"platform": platform}, definitions=defs
        )
        result = trust_uploads(context)
        return result, context.cursor


def test_new_object_requests_one_partitioned_run(store):
    client, platform = store
    client.put_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=b"a")
    result, cursor = _tick(platform)
    assert len(result) == 1
    request = result[0]
    assert request.partition_key == "2025-06|RV3"
    assert request.run_config["ops"]["submission"]["config"]["key"] == "returns/2025-06/june.csv"
    assert json.loads(cursor)["seen"] == {
        "psw-rv3/returns/2025-06/june.csv": request.run_config["ops"]["submission"]["config"][
            "etag"
        ]
    }


def test_reupload_with_new_content_is_new_and_nothing_new_is_skipped(store):
    client, platform = store
    client.put_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=b"a")
    first, cursor = _tick(platform)
    again, cursor = _tick(platform, cursor)
    assert isinstance(again, dg.SkipReason)
    client.put_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=b"b")
    changed, _ = _tick(platform, cursor)
    assert len(changed) == 1 and changed[0].run_key != first[0].run_key


def test_objects_outside_returns_and_unregistered_buckets_are_ignored(store):
    client, platform = store
    client.put_object(Bucket="psw-rv3", Key="feedback/2025-06/x.report.json", Body=b"{}")
    client.put_object(Bucket="psw-rv3", Key="notes/readme.txt", Body=b"x")
    client.create_bucket(Bucket="psw-zzz")
    client.put_object(Bucket="psw-zzz", Key="returns/2025-06/stranger.csv", Body=b"x")
    result, _ = _tick(platform)
    assert isinstance(result, dg.SkipReason)


def test_time_budget_resumes_where_it_stopped(store):
    client, _ = store
    ticks = iter(range(0, 10_000, 10))
    new, cursor = scan(client, {}, budget_s=5, clock=lambda: next(ticks))
    assert cursor["next"] == 1  # one bucket per tick at this budget
    _, cursor = scan(client, cursor, budget_s=5, clock=lambda: next(ticks))
    assert cursor["next"] == 2


def test_materialising_a_partition_reports_and_checks(store, clean_rows):
    client, platform = store
    rows = [dict(r) for r in clean_rows]
    rows[0]["fte"] = "5"
    client.put_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=to_csv_bytes(rows))
    etag = client.head_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv")["ETag"]
    result = dg.materialize(
        [submission],
        partition_key="2025-06|RV3",
        resources={"platform": platform},
        run_config={
            "ops": {
                "submission": {
                    "config": {"key": "returns/2025-06/june.csv", "etag": etag.strip('"')}
                }
            }
        },
        raise_on_error=False,
    )
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks[CONTRACT_CHECK].passed is False
    assert checks[QUALITY_CHECK].passed is True
    report = json.loads(
        client.get_object(Bucket="psw-rv3", Key="feedback/2025-06/june.csv.report.json")[
            "Body"
        ].read()
    )
    assert report["status"] == "rejected"
