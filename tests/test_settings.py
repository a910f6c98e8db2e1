"""One settings module (psw/core/settings.py): the only reader of the environment, read when
asked (never at import), validated with one line naming the variable."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.cli import main
from psw.core import settings
from tests.source import parse

ROOT = Path(__file__).resolve().parents[1]
ONLY_READER = ROOT / "psw" / "core" / "settings.py"


def environment_uses(source: str) -> list[int]:
    """Lines that touch the process environment: os.environ, os.environb, os.getenv,
    os.putenv, os.unsetenv, or any of them imported from os."""
    names = {"environ", "environb", "getenv", "putenv", "unsetenv"}
    lines = []
    for node in ast.walk(parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in names
            and isinstance(node.value, ast.Name)
            and node.value.id in {"os", "_os"}
        ) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in names for alias in node.names)
        ):
            lines.append(node.lineno)
    return lines


def test_the_scan_finds_each_way_of_reading_the_environment():
    source = (
        "import os\nfrom os import environ\nx = os.environ['A']\ny = os.getenv('B')\n"
        "os.putenv('C', '1')\nz = os.environ.get('D')\npath = os.path.join('a')\n"
    )
    assert environment_uses(source) == [2, 3, 4, 5, 6]


def test_no_module_but_settings_touches_the_environment():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("psw", "orchestration")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ONLY_READER
        for line in environment_uses(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "read or set variables through psw/core/settings.py"
    assert environment_uses(ONLY_READER.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_nothing_reads_the_environment_at_import():
    """Every module imports under wrong settings; they fail only when read, naming each."""
    script = """
import importlib, pkgutil
import psw, orchestration
for package in (psw, orchestration):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if module.name != "psw.intake.worker_preload":  # imports Great Expectations: its purpose
            importlib.import_module(module.name)
from orchestration.definitions import defs
try:
    defs()
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
"""
    env = {
        **settings.environment(),
        "PSW_WAREHOUSE": "oracle",
        "PSW_SENSOR_INTERVAL_SECONDS": "often",
        "PSW_FIRST_MONTH": "April",
    }
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("SettingsError: "), line
    for wrong in ("PSW_WAREHOUSE='oracle'", "PSW_SENSOR_INTERVAL_SECONDS='often'", "April"):
        assert wrong in line


def test_a_wrong_variable_stops_a_command_at_start_with_one_line(monkeypatch, capsys):
    monkeypatch.setenv("PSW_WAREHOUSE", "oracle")
    assert main(["trusts", "provision"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("psw: error: PSW_WAREHOUSE='oracle': Input should be 'duckdb'")


def test_settings_are_read_when_asked_with_defaults_and_blanks_as_unset(monkeypatch):
    monkeypatch.setenv("PSW_WAREHOUSE", " Postgres ")
    monkeypatch.setenv("PSW_LAKE_URL", "")
    monkeypatch.delenv("PSW_DATA_DIR", raising=False)
    chosen = settings.current()
    assert (chosen.warehouse, chosen.lake_url, chosen.data_dir) == ("postgres", None, Path("data"))
    assert "warehouse" in chosen.model_fields_set and "data_dir" not in chosen.model_fields_set
    monkeypatch.setenv("PSW_WAREHOUSE", "spark")
    assert settings.current().warehouse == "spark"  # read afresh, not cached
    given = settings.current({"PSW_FIRST_MONTH": "2025-01", "HOME": "/elsewhere"})
    assert (given.first_month, given.warehouse) == ("2025-01", "duckdb")
    with pytest.raises(settings.SettingsError, match="PSW_FIRST_MONTH='2025-13'"):
        settings.current({"PSW_FIRST_MONTH": "2025-13"})


def test_secrets_never_print(monkeypatch, capsys):
    monkeypatch.setenv("PSW_PSEUDONYMISATION_KEY", "very-secret-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "another-secret")
    assert "very-secret-key" not in repr(settings.current())
    assert main(["settings"]) == 0
    shown = capsys.readouterr().out
    assert "PSW_PSEUDONYMISATION_KEY=set (hidden)" in shown
    assert "AWS_SECRET_ACCESS_KEY=set (hidden)" in shown
    assert "very-secret-key" not in shown and "another-secret" not in shown


def test_the_settings_page_is_written_from_the_module():
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == settings.markdown(), "run `psw settings --markdown > docs/settings.md`"
    for name, _, _ in settings.FIELDS:
        assert f"`{name}`" in page


def test_the_platform_resource_takes_each_set_variable_as_an_env_var(monkeypatch, tmp_path):
    import dagster as dg

    from orchestration.ingestion.resources import PlatformResource

    monkeypatch.setenv("PSW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PSW_PSEUDONYMISATION_KEY", "k1")
    monkeypatch.delenv("PSW_PLATFORM_BUCKET", raising=False)
    resource = PlatformResource.from_settings()
    assert isinstance(resource.pseudonymisation_key, dg.EnvVar)
    assert resource.pseudonymisation_key == "PSW_PSEUDONYMISATION_KEY"  # the name, not k1
    assert resource.platform_bucket is None
    resolved = resource.process_config_and_initialize()
    assert (resolved.secret(), resolved.data_path()) == ("k1", tmp_path)
    assert resolved.settings().platform_bucket == "psw-platform"
