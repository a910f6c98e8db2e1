"""Loading the validation code and the definitions must not import Great Expectations
(seconds, hundreds of MB) or the report's chart engine (a 33 MB native library)."""

from __future__ import annotations

import subprocess
import sys


def _python(code: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter: what it imports is what a cold start imports."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


def test_importing_validation_and_cli_does_not_import_great_expectations():
    code = (
        "import sys, psw.standard.validation, orchestration.cli, psw.synth, psw.standard.spec\n"
        "import orchestration.definitions, psw.site.national, psw.site.history\n"
        "assert 'great_expectations' not in sys.modules, 'GX imported at load'\n"
        "assert 'vl_convert' not in sys.modules, 'the chart engine imported at load'\n"
        "print('ok')"
    )
    result = _python(code)
    assert result.stdout.strip() == "ok"


def test_loading_the_definitions_does_not_load_the_validator():
    """The code location loads on every `dagster dev` start and every run's process;
    pandas and pandera load in the intake run that validates, not with the definitions."""
    code = (
        "import sys, orchestration.definitions\n"
        "engine = 'psw.standard.validation.engine'\n"
        "print(sorted(m for m in ('pandera', engine) if m in sys.modules))"
    )
    assert _python(code).stdout.strip() == "[]"


def test_telemetry_is_off_by_default_once_psw_is_imported():
    code = "import os, psw\nprint(os.environ['GX_ANALYTICS_ENABLED'], os.environ['DO_NOT_TRACK'])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}
    )
    assert result.stdout.split() == ["false", "1"], result.stderr


def test_workspace_loads_the_way_dagster_dev_loads_it(tmp_path):
    """`dagster dev -w workspace.yaml` refuses, e.g., two Definitions at module scope."""
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "All code locations passed validation" in result.stdout + result.stderr
