"""Resources of the ingestion domain, configured from the environment (INTERFACES.md)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from psw.ingest import Settings, first_month
from psw.lake import Lake
from psw.storage import S3Client, S3Settings, data_dir, s3_client


class PlatformResource(dg.ConfigurableResource):
    """The S3 store, the platform bucket, the data dir and the pseudonymisation key.

    Every field defaults to the environment; tests pass explicit values.
    """

    endpoint_url: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    platform_bucket: str | None = None
    data_dir: str | None = None
    pseudonymisation_key: str | None = None

    def settings(self) -> S3Settings:
        env = S3Settings.from_env()
        return S3Settings(
            self.endpoint_url or env.endpoint_url,
            self.access_key or env.access_key,
            self.secret_key or env.secret_key,
            env.region,
            self.platform_bucket or env.platform_bucket,
        )

    def s3(self) -> S3Client:
        return s3_client(self.settings())

    def data_path(self) -> Path:
        return Path(self.data_dir) if self.data_dir else data_dir()

    def lake(self) -> Lake:
        return Lake.from_env(self.data_path())

    def secret(self) -> str:
        return self.pseudonymisation_key or os.environ.get("PSW_PSEUDONYMISATION_KEY", "")

    def intake_settings(self) -> Settings:
        return Settings(
            platform_bucket=self.settings().platform_bucket,
            lake=self.lake(),
            secret=self.secret(),
            first_month=first_month(),
        )
