"""Shared fixtures: the standard, clean synthetic returns and a validator with a fixed today."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from psw.periods import parse_period
from psw.reference import trusts
from psw.standard import load_standard
from psw.synth import simulate, to_csv_bytes
from psw.validation import validate_return

# Far enough ahead that every test period has ended; tests of the future pass their own.
TODAY = dt.date(2026, 11, 23)
TRUST = "RV3"
PERIOD = "2025-06"


@pytest.fixture(scope="session")
def standard():
    return load_standard()


@pytest.fixture(scope="session")
def clean_rows() -> list[dict]:
    """A clean month of typed rows for RV3, 2025-06 (40 staff, some with two assignments)."""
    trust = trusts()[TRUST]
    months = list(simulate(trust, ["2025-05", PERIOD], seed=7, staff=40))
    return months[-1][1]


@pytest.fixture(scope="session")
def previous_rows() -> list[dict]:
    trust = trusts()[TRUST]
    return list(simulate(trust, ["2025-05", PERIOD], seed=7, staff=40))[0][1]


def validate_bytes(data: bytes, period: str = PERIOD, trust: str = TRUST, **kwargs):
    """Validate bytes as a trust's upload; returns the ValidationResult."""
    kwargs.setdefault("today", TODAY)
    return validate_return(
        data,
        trust_ods_code=trust,
        period_end=parse_period(period),
        file_name="upload.csv",
        **kwargs,
    )


def validate_rows(rows: list[dict], columns: list[str] | None = None, **kwargs):
    return validate_bytes(to_csv_bytes(rows, columns), **kwargs)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def with_changes(rows: list[dict], index: int = 0, **changes) -> list[dict]:
    """A copy of rows with one row changed."""
    out = [dict(r) for r in rows]
    out[index].update(changes)
    return out


def rules_of(result) -> dict[str, int]:
    return result.report.rule_counts()


def validate_argv(path, *extra: str, trust: str = TRUST, period: str = PERIOD) -> list[str]:
    """Arguments of `psw validate` for a file, with a fixed --today."""
    return [
        "validate",
        str(path),
        "--trust",
        trust,
        "--period",
        period,
        "--today",
        TODAY.isoformat(),
        *extra,
    ]


def pytest_configure(config):
    """The dbt manifest the Dagster definitions load, made before any test module imports
    them (prepare_if_dev only runs under `dagster dev`; tests prepare it explicitly)."""
    import tempfile

    from psw.warehouse import prepare_manifest

    with tempfile.TemporaryDirectory() as data:
        prepare_manifest(Path(data))


def platform_env(server, root: Path, **extra: str) -> dict[str, str]:
    """The environment of a `psw` process talking to a local S3 server, state under root."""
    env = {
        **os.environ,
        "PSW_S3_ENDPOINT_URL": server.endpoint_url,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "PSW_DATA_DIR": str(root / "data"),
        "PSW_PSEUDONYMISATION_KEY": "e2e-key",
        "DAGSTER_HOME": str(root / "dagster"),
    }
    env.pop("PSW_TRUST_REGISTRY", None)
    return {**env, **extra}


def psw_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`psw run` in a subprocess; it must exit 0 (the platform did its job)."""
    result = subprocess.run(
        [sys.executable, "-m", "psw.cli", "run", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    # The head says which stage failed; the tails say how.
    said = result.stdout[:1500] + "\n...\n" + result.stdout[-3000:]
    assert result.returncode == 0, said + result.stderr[-3000:]
    return result


@pytest.fixture()
def platform(tmp_path):
    """A real local S3 server with the buckets provisioned: the client, the environment
    of a `psw` process for it (state under tmp_path) and that process's lake."""
    from psw.lake import Lake
    from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client

    with LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}") as server:
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        yield client, platform_env(server, tmp_path), Lake(tmp_path / "data")
