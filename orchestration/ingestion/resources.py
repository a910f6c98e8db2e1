"""Resources of the ingestion domain, configured from psw/core/settings.py."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from psw.core.settings import current
from psw.intake.ingest import Settings, first_month
from psw.lake.layout import Lake
from psw.storage import S3Client, S3Settings, data_dir, s3_client

# Each field, from the settings field and its variable.
FIELDS = {
    "endpoint_url": ("s3_endpoint_url", "PSW_S3_ENDPOINT_URL"),
    "access_key": ("access_key", "AWS_ACCESS_KEY_ID"),
    "secret_key": ("secret_key", "AWS_SECRET_ACCESS_KEY"),
    "platform_bucket": ("platform_bucket", "PSW_PLATFORM_BUCKET"),
    "data_dir": ("data_dir", "PSW_DATA_DIR"),
    "pseudonymisation_key": ("pseudonymisation_key", "PSW_PSEUDONYMISATION_KEY"),
}


class PlatformResource(dg.ConfigurableResource):
    """The S3 store, the platform bucket, the data dir and the pseudonymisation key.

    `from_settings` gives each field whose variable is set as a Dagster `EnvVar` (the UI
    shows the variable's name, never a secret's value); an unset field falls back to
    psw/core/settings.py's default. Tests pass explicit values.
    """

    endpoint_url: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    platform_bucket: str | None = None
    data_dir: str | None = None
    pseudonymisation_key: str | None = None

    @classmethod
    def from_settings(cls) -> PlatformResource:
        chosen = current()
        return cls(
            **{
                field: dg.EnvVar(variable)
                for field, (name, variable) in FIELDS.items()
                if name in chosen.model_fields_set
            }
        )

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
        return self.pseudonymisation_key or current().secret()

    def intake_settings(self) -> Settings:
        from psw.site.history import refresh_after_intake  # pages load in the run, not before

        return Settings(
            platform_bucket=self.settings().platform_bucket,
            lake=self.lake(),
            secret=self.secret(),
            first_month=first_month(),
            after_trust=refresh_after_intake,
        )
