"""S3-compatible storage, in three rooms; the names the rest of the platform uses are here.

- `client`: settings from the environment, boto3 clients that retry, the data dir.
- `local_server`: rclone's `serve s3` on loopback (`psw s3 serve`, the demo, the tests).
- `provisioning`: buckets for the platform and each trust; IAM users and policies.
"""

from psw.storage.client import (
    DEFAULT_ENDPOINT,
    DEMO_ACCESS_KEY,
    DEMO_SECRET_KEY,
    IAMClient,
    S3Client,
    S3Settings,
    data_dir,
    s3_client,
    store_unreachable,
)
from psw.storage.local_server import LocalS3Server, free_port, rclone_binary
from psw.storage.provisioning import (
    ensure_bucket,
    iam_client,
    provision_buckets,
    provision_credentials,
    supports_iam,
    trust_policy,
    trust_user_name,
)

__all__ = [
    "DEFAULT_ENDPOINT",
    "DEMO_ACCESS_KEY",
    "DEMO_SECRET_KEY",
    "IAMClient",
    "LocalS3Server",
    "S3Client",
    "S3Settings",
    "data_dir",
    "ensure_bucket",
    "free_port",
    "iam_client",
    "provision_buckets",
    "provision_credentials",
    "rclone_binary",
    "s3_client",
    "store_unreachable",
    "supports_iam",
    "trust_policy",
    "trust_user_name",
]
