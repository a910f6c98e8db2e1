"""Settings for any S3-compatible store, and boto3 clients that retry.

Any S3-compatible store works (AWS S3, MinIO, Ceph, the local server). Settings come from
psw/core/settings.py; a store other than AWS is addressed path-style.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psw.core.settings import current

# boto3's clients have no type information without the boto3-stubs packages: named here
# so signatures say what they take.
S3Client = Any
IAMClient = Any

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
    def from_env(cls, env: Mapping[str, str] | None = None) -> S3Settings:
        """The store's settings from `env` (the process environment by default)."""
        settings = current(env)
        endpoint = settings.s3_endpoint_url
        access, secret = settings.access_key, settings.secret_access_key()
        if endpoint and not access:  # a local or private store: the demo pair by default
            access, secret = DEMO_ACCESS_KEY, DEMO_SECRET_KEY
        return cls(endpoint, access, secret, settings.region, settings.platform_bucket)


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """PSW_DATA_DIR: the warehouse, serving database, report and local lake."""
    return current(env).data_dir


def s3_client(settings: S3Settings | None = None) -> S3Client:
    """A boto3 S3 client that retries transient errors (throttling, 5xx, timeouts)."""
    settings = settings or S3Settings.from_env()
    path_style = {"addressing_style": "path"} if settings.endpoint_url else {}
    return boto_client(
        "s3", settings, read_timeout=READ_TIMEOUT_S, s3=path_style, signature_version="s3v4"
    )


# A store that stops answering (issue 21: a hung store cost about 72 s per pending upload)
# costs at most ATTEMPTS x READ_TIMEOUT_S, once per pass: `store_unreachable` then stops
# the pass. A healthy store sends within milliseconds; the timeout is per read, not per
# object, so a large file is not cut short. Four attempts still ride out throttling and
# 5xx answers (exponential backoff).
READ_TIMEOUT_S = 10
ATTEMPTS = 4


def boto_client(service: str, settings: S3Settings, **config: Any) -> Any:
    """A boto3 client for the configured store, retrying transient errors."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        region_name=settings.region,
        config=Config(
            retries={"max_attempts": ATTEMPTS, "mode": "standard"}, connect_timeout=5, **config
        ),
    )


def store_unreachable(exc: Exception) -> bool:
    """Whether a client call failed because the store cannot be reached at all, or stopped
    answering (after its retries): trying further objects would only wait as long again."""
    from botocore.exceptions import ConnectionError as StoreConnectionError
    from botocore.exceptions import ReadTimeoutError

    return isinstance(exc, StoreConnectionError | ReadTimeoutError)
