"""`psw validate` on a trust's own machine: the base install alone, from the universal
lock, in a clean virtual environment (decision 0134). It validates a return exactly as
the platform does, without a single package of the platform's own (Dagster, dbt, DuckDB,
boto3, the portal's), and a platform command says what to install instead of failing
with a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_ONLY = ("dagster", "dbt", "duckdb", "boto3", "starlette", "authlib", "vl_convert")


def run(*argv, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=900, **kwargs)


@pytest.fixture(scope="module")
def alone(tmp_path_factory) -> Path:
    """A venv holding requirements-validate.lock and the project's wheel, nothing else."""
    root = tmp_path_factory.mktemp("alone")
    wheel = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--quiet",
        "-w",
        str(root / "dist"),
        str(ROOT),
    )
    assert wheel.returncode == 0, wheel.stderr
    venv = root / "venv"
    uv = str(Path(sys.executable).with_name("uv"))  # the dev lock's: installs in seconds
    assert run(uv, "venv", "--quiet", "--python", sys.executable, str(venv)).returncode == 0
    python = str(venv / "bin" / "python")
    locked = run(
        uv,
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        "--no-deps",
        "--require-hashes",
        "-r",
        str(ROOT / "requirements-validate.lock"),
    )
    assert locked.returncode == 0, locked.stderr
    built = next((root / "dist").glob("psw_platform-*.whl"))
    project = run(uv, "pip", "install", "--quiet", "--python", python, "--no-deps", str(built))
    assert project.returncode == 0, project.stderr
    check = run(uv, "pip", "check", "--python", python)
    assert check.returncode == 0, check.stdout + check.stderr  # the lock is complete
    return venv


def test_psw_validate_works_without_the_platform(alone, tmp_path):
    from psw.standard.reference import trusts
    from psw.synth import encode, simulate

    rows = dict(simulate(trusts()["RV3"], ["2025-06"], seed=2, staff=30))["2025-06"]
    good = tmp_path / "RV3_June.xlsx"
    good.write_bytes(encode(rows, "xlsx"))
    bad = tmp_path / "RV3_June_names.csv"
    bad.write_bytes(b"trust_ods_code,full_name\nRV3,Jane Smith\n")
    psw = str(alone / "bin" / "psw")
    env = {"PATH": str(alone / "bin"), "HOME": str(tmp_path)}  # nothing of this venv's
    accepted = run(
        psw,
        "validate",
        str(good),
        "--trust",
        "RV3",
        "--period",
        "2025-06",
        "--html",
        str(tmp_path / "r.html"),
        env=env,
    )
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "ACCEPTED" in accepted.stdout
    assert "June 2025" in (tmp_path / "r.html").read_text()  # the page, in UK words
    rejected = run(psw, "validate", str(bad), "--trust", "RV3", "--period", "2025-06", env=env)
    assert rejected.returncode == 1 and "PERSONAL_DATA" in rejected.stdout

    found = run(
        str(alone / "bin" / "python"),
        "-c",
        f"import importlib.util as u, sys; print([m for m in {PLATFORM_ONLY!r} if u.find_spec(m)])",
    )
    assert found.stdout.strip() == "[]"  # not one of the platform's packages
    platform = run(psw, "run", env=env)
    assert platform.returncode == 2
    assert "needs the platform" in platform.stderr and "Traceback" not in platform.stderr
