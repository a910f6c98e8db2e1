"""Issue 3 acceptance: uploads over the real local S3 server, then `psw run` (real CLI,
real Dagster instance): reports with the right status in the trust's bucket, every upload
archived, Parquet only for accepted returns, no raw staff id anywhere outside the archive,
and a second `psw run` does nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
from psw.synth import to_csv_bytes
from tests.helpers import platform_env, psw_run


@pytest.fixture()
def platform(tmp_path):
    with LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}") as server:
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        env = platform_env(server, tmp_path)
        yield client, env, tmp_path / "data", tmp_path / "s3"


def status(client, bucket, key) -> str:
    body = client.get_object(Bucket=bucket, Key=f"{key}.report.json")["Body"].read()
    return json.loads(body)["status"]


def test_uploads_to_reports_archive_and_pseudonymised_parquet(platform, clean_rows, standard):
    client, env, data, s3_root = platform
    good = to_csv_bytes(clean_rows)
    bad = [dict(r) for r in clean_rows]
    bad[0]["afc_band"] = "1"
    named = [dict(r, first_name="Ada") for r in clean_rows]
    rwk = [dict(r, trust_ods_code="RWK") for r in clean_rows]
    client.put_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=good)
    client.put_object(Bucket="psw-rwk", Key="returns/2025-06/rwk.csv", Body=to_csv_bytes(rwk))
    client.put_object(Bucket="psw-rwk", Key="returns/2025-06/rwk-v2.csv", Body=to_csv_bytes(bad))
    client.put_object(
        Bucket="psw-taj",
        Key="returns/2025-06/names.csv",
        Body=to_csv_bytes(named, [*standard.column_names, "first_name"]),
    )
    client.put_object(Bucket="psw-rx4", Key="returns/2025-06/nil.csv", Body=to_csv_bytes([]))
    first = psw_run(env, process=True)  # the command itself, from its own process
    assert "5 processed (2 rejected)" in first.stdout
    # The terminal: a line per upload and the pass's stages; dbt and Dagster in the log.
    assert sum(line.startswith("[") and "/5] " in line for line in first.stdout.splitlines()) == 5
    assert len(first.stdout.splitlines()) < 25 and first.stderr == "", first.stdout + first.stderr
    log = Path(env["PSW_DATA_DIR"]) / "logs" / "psw-run.log"
    assert "Running with dbt=" in log.read_text() and "Running with dbt=" not in first.stdout

    corrected = [dict(r) for r in clean_rows[:-3]]
    client.put_object(
        Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=to_csv_bytes(corrected)
    )
    second = psw_run(env)
    assert "1 processed (0 rejected), 4 already processed" in second.stdout
    second_log = log.read_text().rsplit("==== psw run ", 1)[1]  # this pass's part
    assert "Running with dbt=" in second_log
    assert "Unable to do partial parsing" not in second_log  # the first build's parse kept

    assert status(client, "psw-rv3", "feedback/2025-06/june.csv") == "accepted"
    assert status(client, "psw-rwk", "feedback/2025-06/rwk.csv") == "accepted"
    assert status(client, "psw-rwk", "feedback/2025-06/rwk-v2.csv") == "rejected"
    assert status(client, "psw-taj", "feedback/2025-06/names.csv") == "rejected"
    assert status(client, "psw-rx4", "feedback/2025-06/nil.csv") == "accepted"

    listed = client.list_objects_v2(Bucket="psw-platform", Prefix="archive/")["Contents"]
    archive = [o for o in listed if "/submissions/" not in o["Key"]]
    assert len(archive) == 6  # every upload, the resubmission included

    landed = sorted((data / "validated").rglob("*.parquet"))
    trusts_landed = sorted(p.parts[-3] for p in landed)
    assert trusts_landed == ["trust=RV3", "trust=RV3", "trust=RWK", "trust=RX4"]
    rv3 = [pq.read_table(p).num_rows for p in landed if p.parts[-3] == "trust=RV3"]
    assert sorted(rv3) == sorted([len(clean_rows), len(corrected)])

    raw_ids = {r["staff_id"].encode() for r in clean_rows}
    dagster_home = Path(env["DAGSTER_HOME"])  # run logs and asset metadata too
    for path in [*data.rglob("*"), *s3_root.rglob("*"), *dagster_home.rglob("*")]:
        if path.is_file() and "psw-platform" not in path.parts:  # the archive holds originals
            if "returns" in path.parts:
                continue  # the trust's own uploads
            content = path.read_bytes()
            assert not any(i in content for i in raw_ids), path

    third = psw_run(env)
    assert "0 processed (0 rejected), 5 already processed, 0 failed" in third.stdout
    # README: a second `psw run` with nothing new does nothing, marts included.
    assert "nothing new: the marts and the serving database are up to date" in third.stdout
