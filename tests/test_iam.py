"""Per-trust credentials isolate trusts, tested against moto's server with IAM enforced.

moto's server enforces IAM policies once INITIAL_NO_AUTH_ACTION_COUNT unauthenticated
calls are used up: the test spends them creating a platform admin, then everything goes
through real signed HTTP requests. (rclone's server, the local default, has no IAM.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from botocore.exceptions import ClientError

from psw.standard.reference import trusts
from psw.storage import (
    S3Settings,
    free_port,
    iam_client,
    provision_buckets,
    provision_credentials,
    s3_client,
    supports_iam,
)


@pytest.fixture(scope="module")
def admin():
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "moto server did not start"
            time.sleep(0.1)
    url = f"http://127.0.0.1:{port}"
    bootstrap = iam_client(S3Settings(url, "bootstrap", "bootstrap", "eu-west-2", "psw-platform"))
    bootstrap.create_user(UserName="platform")
    bootstrap.put_user_policy(
        UserName="platform",
        PolicyName="admin",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    key = bootstrap.create_access_key(UserName="platform")["AccessKey"]
    yield S3Settings(url, key["AccessKeyId"], key["SecretAccessKey"], "eu-west-2", "psw-platform")
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def provisioned(admin, tmp_path_factory):
    folder = tmp_path_factory.mktemp("credentials")
    provision_buckets(s3_client(admin), admin.platform_bucket)
    assert supports_iam(iam_client(admin))
    written = provision_credentials(iam_client(admin), folder)
    return folder, written


def _client_for(admin: S3Settings, path) -> object:
    creds = json.loads(path.read_text())
    return s3_client(
        S3Settings(
            admin.endpoint_url,
            creds["aws_access_key_id"],
            creds["aws_secret_access_key"],
            "eu-west-2",
            "psw-platform",
        )
    )


def test_every_trust_gets_one_owner_only_key_file(provisioned):
    folder, written = provisioned
    assert set(written) == set(trusts())
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in written.values())


def test_trust_can_upload_and_read_its_own_returns_and_feedback(admin, provisioned):
    _, written = provisioned
    rv3 = _client_for(admin, written["RV3"])
    rv3.put_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=b"a\r\n")
    assert rv3.get_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv")["Body"].read()
    s3_client(admin).put_object(
        Bucket="psw-rv3", Key="feedback/2025-06/june.csv.report.json", Body=b"{}"
    )
    assert (
        rv3.get_object(Bucket="psw-rv3", Key="feedback/2025-06/june.csv.report.json")["Body"].read()
        == b"{}"
    )


@pytest.mark.parametrize(
    "attempt",
    [
        lambda c: c.list_objects_v2(Bucket="psw-rwk"),
        lambda c: c.get_object(Bucket="psw-rwk", Key="returns/2025-06/theirs.csv"),
        lambda c: c.put_object(Bucket="psw-rwk", Key="returns/2025-06/evil.csv", Body=b"x"),
        lambda c: c.list_objects_v2(Bucket="psw-platform"),
        lambda c: c.get_object(Bucket="psw-platform", Key="archive/RWK/x.csv"),
        lambda c: c.put_object(Bucket="psw-platform", Key="archive/evil.csv", Body=b"x"),
        lambda c: c.put_object(
            Bucket="psw-rv3", Key="feedback/2025-06/forged.report.json", Body=b"x"
        ),
        lambda c: c.delete_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv"),
    ],
    ids=[
        "list-other",
        "read-other",
        "write-other",
        "list-platform",
        "read-platform",
        "write-platform",
        "write-own-feedback",
        "delete-own-return",
    ],
)
def test_trust_cannot_touch_another_trust_or_the_platform(admin, provisioned, attempt):
    _, written = provisioned
    s3_client(admin).put_object(Bucket="psw-rwk", Key="returns/2025-06/theirs.csv", Body=b"x")
    s3_client(admin).put_object(Bucket="psw-platform", Key="archive/RWK/x.csv", Body=b"x")
    rv3 = _client_for(admin, written["RV3"])
    with pytest.raises(ClientError) as denied:
        attempt(rv3)
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_reprovisioning_keeps_existing_keys(admin, provisioned, tmp_path):
    assert provision_credentials(iam_client(admin), tmp_path) == {}
