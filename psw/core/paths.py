"""Where the project's own files live.

The platform runs from a checkout (an editable install), so the single sources of truth
(`schemas/`, `expectations/`, `dbt_project/`) are read from the project root rather than
copied into the package. A wheel (`psw validate` installed alone) carries copies of the
first two under `psw/_shipped/`, read only where there is no checkout. (A PSW_HOME
override went with the settings module: the Dagster definitions need the dbt project's
place at import, before settings are read.)
"""

from __future__ import annotations

from pathlib import Path


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]  # psw/core/paths.py in the checkout


def _shipped() -> Path:
    """Where a wheel carries the standard and its suites (pyproject's force-include)."""
    return Path(__file__).resolve().parents[1] / "_shipped"


def _source(name: str) -> Path:
    """The checkout's folder when there is one, else the wheel's copy: `psw validate`
    installed alone on a trust's machine has no checkout (decision 0134)."""
    checkout = project_root() / name
    return checkout if checkout.is_dir() else _shipped() / name


def schemas_dir() -> Path:
    return _source("schemas")


def reference_dir() -> Path:
    return schemas_dir() / "reference"


def expectations_dir() -> Path:
    return _source("expectations")


def dbt_project_dir() -> Path:
    return project_root() / "dbt_project"
