"""DuckDB reads a lake on object storage (PSW_LAKE_URL=s3://...): a dbt-duckdb plugin.

dbt_project/profiles.yml names this module, so every connection dbt opens calls
`configure_connection`. With a local lake it does nothing. With an S3 lake it loads the
httpfs extension and makes a secret for the lake's bucket:

- httpfs comes from the PyPI package duckdb-ext-httpfs (pinned to the duckdb version in
  the lock) and is LOADed from its file: DuckDB cannot download extensions here, and a
  platform holding NHS data should not fetch code at run time anyway.
- The secret is made from the platform's own S3 settings (psw.storage.S3Settings: the same
  endpoint and credentials as intake), scoped to the lake's bucket. It never appears in a
  profile, a manifest or dbt's log.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from dbt.adapters.duckdb.plugins import BasePlugin

from psw.core.settings import current
from psw.core.sql import literal, scalar

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from psw.storage import S3Settings


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        attach_lake(conn)


def attach_lake(conn: DuckDBPyConnection, env: Mapping[str, str] | None = None) -> None:
    """Let a DuckDB connection read the lake the environment names (nothing to do when
    it is on local disk)."""
    url = current(env).lake_url or ""
    if urlparse(url).scheme != "s3":
        return
    from psw.storage import S3Settings

    load_httpfs(conn)
    conn.execute(s3_secret_sql(S3Settings.from_env(env), urlparse(url).netloc))
    # DuckDB compares an object's ETag between its listing and its reads; rclone's server
    # quotes it in one answer and not the other, so every read failed as "changed". Lake
    # objects are written once (keyed by submission id) and never while dbt reads them.
    conn.execute("set global unsafe_disable_etag_checks = true")


def httpfs_file(conn: DuckDBPyConnection) -> Path:
    """The httpfs extension shipped by duckdb-ext-httpfs for this duckdb and platform."""
    import duckdb

    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "a lake on S3 needs DuckDB's httpfs extension: the package duckdb-ext-httpfs "
            "(in requirements.lock; `make setup` installs it)"
        )
    platform = scalar(conn, "select platform from pragma_platform()")
    for folder in spec.submodule_search_locations:
        found = Path(folder) / "extensions" / f"v{duckdb.__version__}" / platform
        if (found / "httpfs.duckdb_extension").exists():
            return found / "httpfs.duckdb_extension"
    raise RuntimeError(
        f"duckdb-ext-httpfs has no httpfs for duckdb {duckdb.__version__} on {platform}: "
        "pin the package to the same DuckDB release"
    )


def load_httpfs(conn: DuckDBPyConnection) -> None:
    conn.execute(f"load '{httpfs_file(conn)}'")


def s3_secret_sql(settings: S3Settings, bucket: str) -> str:
    """CREATE SECRET for the lake's bucket, from the platform's S3 settings."""
    options: dict[str, str | bool] = {
        "type": "s3",
        "region": settings.region,
        "scope": f"s3://{bucket}",
    }
    if settings.access_key and settings.secret_key:
        options |= {"key_id": settings.access_key, "secret": settings.secret_key}
    if settings.endpoint_url:  # a store other than AWS: path-style, as psw.storage uses
        endpoint = urlparse(settings.endpoint_url)
        options |= {"endpoint": endpoint.netloc, "url_style": "path"}
        options["use_ssl"] = endpoint.scheme == "https"
    body = ", ".join(f"{name} {_literal(value)}" for name, value in options.items())
    return f"create or replace secret psw_lake ({body})"


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return literal(str(value))
