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
        "import sys, psw.validation, psw.cli, psw.synth, psw.spec, orchestration.definitions\n"
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
        "print(sorted(m for m in ('pandera', 'psw.validation.engine') if m in sys.modules))"
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


def test_the_library_never_imports_dagster():
    """`psw/` is the library, `orchestration/` the Dagster layer: one way only (the CLI
    dispatches to orchestration inside its commands)."""
    import pkgutil
    from pathlib import Path

    import psw

    root = Path(psw.__file__).parent
    modules = [f"psw.{m.name}" for m in pkgutil.iter_modules([str(root)])]
    validation = pkgutil.iter_modules([str(root / "validation")])
    modules += [f"psw.validation.{m.name}" for m in validation]
    code = (
        f"import sys, importlib\nfor m in {modules!r}: importlib.import_module(m)\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "leaks = sorted(top & {'dagster', 'orchestration'})\n"
        "print(leaks)"
    )
    assert _python(code).stdout.strip() == "[]"
