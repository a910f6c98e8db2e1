"""Every environment variable the platform reads, its default and meaning, in one place.

`current()` reads them (pydantic-settings) and validates them: a wrong value fails with
one line naming the variable (`SettingsError`). Nothing reads the environment at import:
each call reads it afresh, so a test or a pass that changes a variable is seen at once.
This is the only module that touches `os.environ` (tests/test_settings.py fails on any
other): the few places that set variables for a child process (dbt, Dagster, the demo's
servers) do it through the helpers at the end. docs/settings.md is written from `FIELDS`
(`psw settings --markdown`).

One module (over 300 lines), as the one place an operator looks for what can be set: most
of its length is the variables themselves, each with its meaning.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

# NHS data: nothing may phone home. Set (only as defaults, so an operator's explicit
# setting wins) by `import psw`, before Dagster, dbt or Great Expectations is imported.
TELEMETRY_OFF = {
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DAGSTER_DISABLE_TELEMETRY": "1",
}


def _var(default: Any, name: str, meaning: str) -> Any:
    return Field(default, validation_alias=name, description=meaning)


class Settings(BaseModel):
    """The platform's settings. Field aliases are the variables' names."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    s3_endpoint_url: str | None = _var(
        None,
        "PSW_S3_ENDPOINT_URL",
        "S3 endpoint of the trusts' and platform's buckets; unset means AWS. `make demo` "
        "uses its local server at http://127.0.0.1:9000 (and `psw s3 serve` listens there).",
    )
    access_key: str | None = _var(
        None,
        "AWS_ACCESS_KEY_ID",
        "Key id for the store; with an endpoint set and no key, the local server's "
        "documented demo pair.",
    )
    secret_key: SecretStr | None = _var(None, "AWS_SECRET_ACCESS_KEY", "Secret for that key.")
    region: str = _var("eu-west-2", "AWS_REGION", "The store's region.")
    platform_bucket: str = _var(
        "psw-platform", "PSW_PLATFORM_BUCKET", "The platform's bucket (archive of every upload)."
    )
    data_dir: Path = _var(
        Path("./data"),
        "PSW_DATA_DIR",
        "Where the warehouse, the serving database, the report and (by default) the lake live.",
    )
    lake_url: str | None = _var(
        None,
        "PSW_LAKE_URL",
        "Where landed Parquet and the ledger live: a local path or s3://bucket/prefix; "
        "unset means the data dir.",
    )
    warehouse: Literal["duckdb", "postgres", "spark"] = _var(
        "duckdb",
        "PSW_WAREHOUSE",
        "The engine dbt builds the marts on. postgres reads libpq's PGHOST, PGPORT, "
        "PGUSER, PGPASSWORD and PGDATABASE (read by libpq and dbt, not by psw).",
    )
    trust_registry: Path | None = _var(
        None,
        "PSW_TRUST_REGISTRY",
        "CSV of trusts (ods_code, trust_name, region_code, region_name, optional bucket, "
        "valid_from, valid_to, successor_ods_code); unset means the shipped list.",
    )
    pseudonymisation_key: SecretStr | None = _var(
        None,
        "PSW_PSEUDONYMISATION_KEY",
        "Secret for the keyed hash of staff ids: required to process uploads "
        "(`make demo` makes one and keeps it in the data dir).",
    )
    first_month: str = _var(
        "2024-04",  # the start of the 2024/25 pay year, the earliest pay table
        "PSW_FIRST_MONTH",
        "The first collection month (YYYY-MM); returns for earlier months are rejected.",
    )
    sensor_interval_seconds: int = _var(
        5,
        "PSW_SENSOR_INTERVAL_SECONDS",
        "How often the upload sensor looks at the buckets (seconds; Dagster's daemon "
        "wakes every 5 s at most, so less buys nothing).",
    )
    ui_port: int = _var(3000, "PSW_UI_PORT", "The port of the Dagster UI `psw demo` starts.")
    contact: str | None = _var(
        None,
        "PSW_CONTACT",
        "Where readers of the national report write about the figures or its accessibility "
        "(an email address or a web address), shown on every page; unset, the pages say "
        "that no contact has been set.",
    )
    serving_postgres_url: SecretStr | None = _var(
        None,
        "PSW_SERVING_POSTGRES_URL",
        "A PostgreSQL URL (postgresql://user:password@host:port/database, a user with "
        "rights to create) into which every publish copies schema published, for BI tools "
        "that cannot open a DuckDB file; unset, nothing is copied.",
    )
    serving_postgres_reader_password: SecretStr | None = _var(
        None,
        "PSW_SERVING_POSTGRES_READER_PASSWORD",
        "The password of role psw_reader, which may read that copy and do nothing else; "
        "unset, psw_reader cannot log in (grant it to people's own roles instead).",
    )
    portal_url: str = _var(
        "http://127.0.0.1:8080",
        "PSW_PORTAL_URL",
        "Where the trusts' web portal (`psw portal`) is served and what links in its emails "
        "point to; https:// turns on secure cookies and HSTS.",
    )
    oidc_issuer: str | None = _var(
        None,
        "PSW_OIDC_ISSUER",
        "The OpenID Connect provider the portal signs people in with (its issuer URL); "
        "`make demo` runs a local one.",
    )
    oidc_client_id: str | None = _var(None, "PSW_OIDC_CLIENT_ID", "The portal's client id there.")
    oidc_client_secret: SecretStr | None = _var(
        None, "PSW_OIDC_CLIENT_SECRET", "The portal's client secret there."
    )
    portal_session_key: SecretStr | None = _var(
        None,
        "PSW_PORTAL_SESSION_KEY",
        "Secret that signs the portal's session cookies; unset, one is made once and kept "
        "in $PSW_DATA_DIR/portal/session.key (readable by its owner only).",
    )
    portal_uploads_per_hour: int = _var(
        30, "PSW_PORTAL_UPLOADS_PER_HOUR", "Uploads one portal user may make in an hour."
    )
    smtp_url: SecretStr | None = _var(
        None,
        "PSW_SMTP_URL",
        "Mail server for the portal's emails, smtp://host:port (or smtps://, with "
        "user:password@ when it asks); unset with no Notify key, no email is sent.",
    )
    notify_api_key: SecretStr | None = _var(
        None,
        "PSW_NOTIFY_API_KEY",
        "A GOV.UK Notify API key: emails go through Notify instead of SMTP.",
    )
    notify_template_id: str | None = _var(
        None,
        "PSW_NOTIFY_TEMPLATE_ID",
        "The Notify email template the portal sends through: its subject ((subject)) and "
        "its body ((body)).",
    )
    mail_from: str = _var(
        "psw-platform@localhost", "PSW_MAIL_FROM", "The sender of the portal's emails (SMTP)."
    )
    dagster_home: Path | None = _var(
        None,
        "DAGSTER_HOME",
        "Dagster's instance folder; unset means $PSW_DATA_DIR/dagster (psw writes its "
        "dagster.yaml there).",
    )

    @field_validator("first_month")
    @classmethod
    def _a_month(cls, value: str) -> str:
        from psw.core.periods import parse_period

        parse_period(value.strip())
        return value.strip()

    @field_validator("sensor_interval_seconds", "ui_port", "portal_uploads_per_hour")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive whole number")
        return value

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: object) -> object:
        """A variable set to nothing (`PSW_LAKE_URL=`) counts as unset."""
        if not isinstance(values, dict):
            return values
        return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}

    @field_validator("warehouse", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def secret(self) -> str:
        """The pseudonymisation key, or '' when unset."""
        return self.pseudonymisation_key.get_secret_value() if self.pseudonymisation_key else ""

    def secret_access_key(self) -> str | None:
        return self.secret_key.get_secret_value() if self.secret_key else None

    def portal_secure(self) -> bool:
        """Whether the portal is served over TLS (secure cookies, HSTS)."""
        return self.portal_url.lower().startswith("https://")

    def serving_postgres(self) -> tuple[str, str | None] | None:
        """Where the published schema is copied for BI tools, and psw_reader's password;
        None when no copy is made."""
        if self.serving_postgres_url is None:
            return None
        password = self.serving_postgres_reader_password
        return (
            self.serving_postgres_url.get_secret_value(),
            password.get_secret_value() if password else None,
        )


@cache
def _from_environment() -> type[Settings]:
    """Settings read from the process environment (pydantic-settings costs 0.1 s to
    import: only when settings are read, not when psw is)."""
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class FromEnvironment(Settings, BaseSettings):
        model_config = SettingsConfigDict(extra="ignore", frozen=True, case_sensitive=True)

    return FromEnvironment


class SettingsError(ValueError):
    """A variable has a value the platform cannot use; the message names it."""


# Each variable's name, default and meaning, in the order above.
FIELDS = [
    (str(f.validation_alias), f.default, f.description or "")
    for f in Settings.model_fields.values()
]


def current(env: Mapping[str, str] | None = None) -> Settings:
    """The settings from `env` (a mapping, for tests and child processes) or the process
    environment, validated."""
    try:
        if env is None:
            return _from_environment()()
        names = {name for name, _, _ in FIELDS}
        return Settings.model_validate({k: v for k, v in env.items() if k in names})
    except ValidationError as exc:
        raise SettingsError(_explain(exc)) from None


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "?"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{name}={error.get('input')!r}: {message}")
    return "; ".join(problems)


def markdown() -> str:
    """docs/settings.md: every variable, its default and meaning."""
    lines = [
        "# Settings",
        "",
        "Every environment variable psw reads, written from `psw/core/settings.py` by "
        "`psw settings --markdown` (tests/test_settings.py fails when this page drifts). "
        "A wrong value stops a command at start with one line naming the variable.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for name, default, meaning in FIELDS:
        shown = f"`{default}`" if default is not None else "unset"
        lines.append(f"| `{name}` | {shown} | {meaning} |")
    lines += [
        "",
        "Telemetry is off whatever is set: `import psw` sets "
        + ", ".join(f"`{k}={v}`" for k, v in TELEMETRY_OFF.items())
        + " unless the operator set them.",
        "",
    ]
    return "\n".join(lines)


# Setting variables for child processes (dbt, Dagster, the demo's servers): the only
# writes to the process environment, kept here beside the reads.


def turn_off_telemetry() -> None:
    for name, value in TELEMETRY_OFF.items():
        os.environ.setdefault(name, value)


def environment() -> dict[str, str]:
    """A copy of the process environment, for a child process."""
    return dict(os.environ)


def export(values: Mapping[str, str]) -> None:
    """Set variables for this process and the children it starts."""
    os.environ.update(values)


def replace_environment(values: Mapping[str, str]) -> None:
    """This process's environment becomes exactly `values` (a worker taking its pass's)."""
    os.environ.clear()
    os.environ.update(values)


@contextmanager
def exported(values: Mapping[str, str]) -> Iterator[None]:
    """`values` set for what runs inside (a library that starts a process with a copy of
    os.environ and takes no environment of its own), and restored after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
