"""Provisioning a store: the platform's buckets, and per-trust credentials where it has IAM.

Everything here is idempotent, so `psw trusts provision` can be re-run after each change
to the trust registry: buckets are created when missing, a trust's IAM policy is
re-applied, and a key is made only for a trust user without one (never rotated behind a
trust's back). rclone's local server has no IAM; AWS and moto's server do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from psw.storage.client import IAMClient, S3Client, S3Settings, boto_client


def ensure_bucket(client: S3Client, bucket: str) -> bool:
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
    client: S3Client,
    platform_bucket: str,
    progress: Callable[[str], None] | None = None,
    lake_bucket: str | None = None,
) -> dict[str, bool]:
    """The platform bucket, the lake's (when PSW_LAKE_URL names another bucket) and one
    bucket per registered trust; idempotent. Returns bucket -> created now.
    """
    from psw.standard.reference import trusts

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


def iam_client(settings: S3Settings | None = None) -> IAMClient:
    return boto_client("iam", settings or S3Settings.from_env())


def supports_iam(iam: IAMClient) -> bool:
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
    iam: IAMClient, out_dir: Path, progress: Callable[[str], None] | None = None
) -> dict[str, Path]:
    """An IAM user per trust with `trust_policy`; a key written once to out_dir/<ODS>.json.

    Idempotent: the policy is re-applied every time (so a changed bucket name takes
    effect); a key is created only for a user that has none, so re-running never rotates
    a trust's credentials behind its back. Key files are readable by the owner only.
    """
    from psw.standard.reference import trusts

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
