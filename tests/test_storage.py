"""The local S3 server (rclone, real HTTP) and bucket provisioning. No mocked S3."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from psw.standard.reference import _load_trusts, trusts
from psw.storage import LocalS3Server, S3Settings, free_port, provision_buckets, s3_client


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("s3")
    with LocalS3Server(root, f"http://127.0.0.1:{free_port()}") as running:
        yield running


def test_provision_creates_every_bucket_once(server):
    client = s3_client(server.settings())
    created = provision_buckets(client, "psw-platform")
    assert len(created) == len(trusts()) + 1 and all(created.values())
    assert {b["Name"] for b in client.list_buckets()["Buckets"]} >= {"psw-platform", "psw-rv3"}
    assert not any(provision_buckets(client, "psw-platform").values())  # idempotent


def test_provision_creates_the_lakes_own_bucket(server):
    """PSW_LAKE_URL may name a bucket of its own (issue 11); the platform's is not asked twice."""
    client = s3_client(server.settings())
    created = provision_buckets(client, "psw-platform", lake_bucket="psw-lake")
    assert created["psw-lake"] and len(created) == len(trusts()) + 2
    again = provision_buckets(client, "psw-platform", lake_bucket="psw-platform")
    assert len(again) == len(trusts()) + 1


def test_objects_round_trip_over_http_and_live_on_disk(server):
    client = s3_client(server.settings())
    provision_buckets(client, "psw-platform")
    key = "returns/2025-06/RV3_June.csv"
    first = client.put_object(Bucket="psw-rv3", Key=key, Body=b"a,b\r\n1,2\r\n")["ETag"]
    second = client.put_object(Bucket="psw-rv3", Key=key, Body=b"a,b\r\n1,3\r\n")["ETag"]
    assert first != second  # a re-upload is a new version, seen by its ETag
    assert client.get_object(Bucket="psw-rv3", Key=key)["Body"].read() == b"a,b\r\n1,3\r\n"
    assert (server.root / "psw-rv3" / key).read_bytes() == b"a,b\r\n1,3\r\n"


def test_wrong_credentials_are_refused(server):
    from botocore.exceptions import ClientError

    wrong = S3Settings(server.endpoint_url, "intruder", "nope", "eu-west-2", "psw-platform")
    with pytest.raises(ClientError):
        s3_client(wrong).list_buckets()


def test_registry_may_name_another_bucket(server, tmp_path, monkeypatch):
    registry = tmp_path / "trusts.csv"
    registry.write_text(
        "ods_code,trust_name,region_code,region_name,bucket\n"
        "RV3,Central and North West London,Y56,London,cnwl-psw-returns\n"
        "RWK,East London,Y56,London,\n"
    )
    monkeypatch.setenv("PSW_TRUST_REGISTRY", str(registry))
    _load_trusts.cache_clear()
    created = provision_buckets(s3_client(server.settings()), "psw-platform")
    assert "cnwl-psw-returns" in created and "psw-rwk" in created and len(created) == 3


@pytest.mark.slow
def test_psw_s3_serve_and_provision_commands(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PSW_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "PSW_DATA_DIR": str(tmp_path),
        "PSW_LAKE_URL": "s3://psw-lake/v1",
    }
    env.pop("AWS_ACCESS_KEY_ID", None)
    env.pop("PSW_TRUST_REGISTRY", None)
    serve = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "s3", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        # As a shell starts a background job (`psw s3 serve &`, a suite run in the
        # background): SIGINT ignored. Ctrl-C and `kill -INT` must still stop it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        assert "local S3 server on" in serve.stdout.readline()
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "trusts", "provision"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert f"{len(trusts()) + 2} buckets created" in result.stdout  # with the lake's
        assert (tmp_path / "s3" / "psw-rv3").is_dir() and (tmp_path / "s3" / "psw-lake").is_dir()
    finally:
        serve.send_signal(2)  # Ctrl-C
        started = time.monotonic()
        assert serve.wait(timeout=15) == 0
        assert time.monotonic() - started < 15
