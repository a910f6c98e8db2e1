"""Where the project's own files live.

The platform runs from a checkout (an editable install), so the single sources of truth
(`schemas/`, `expectations/`, `dbt_project/`) are read from the project root rather than
copied into the package. (A PSW_HOME override went with the settings module: the Dagster
definitions need the dbt project's place at import, before settings are read.)
"""

from __future__ import annotations

from pathlib import Path


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]  # psw/core/paths.py in the checkout


def schemas_dir() -> Path:
    return project_root() / "schemas"


def reference_dir() -> Path:
    return schemas_dir() / "reference"


def expectations_dir() -> Path:
    return project_root() / "expectations"


def dbt_project_dir() -> Path:
    return project_root() / "dbt_project"
