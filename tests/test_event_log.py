"""The embedded instance's event log keeps its SQLite connections (orchestration/event_log.py,
decision 0122): the same files as Dagster's default, shared with other instances at once,
and a bounded number of open files."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.event_log import KEPT_FILES, KeptConnectionsEventLogStorage
from orchestration.run_once import dagster_home


@dg.asset
def counted() -> int:
    return 1


def _psw_instance(home) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home))


def _materialised(instance: dg.DagsterInstance) -> int:
    return len(instance.fetch_materializations(dg.AssetKey("counted"), limit=1000).records)


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    return dagster_home()


def test_the_events_are_where_dagsters_default_keeps_them(home, tmp_path):
    with _psw_instance(home) as instance:
        assert isinstance(instance.event_log_storage, KeptConnectionsEventLogStorage)
        assert dg.materialize([counted], instance=instance).success
    assert list((home / "history" / "runs").glob("*.db")), "not Dagster's folder"
    # An instance on Dagster's own storage (psw's settings before 0122, or after a
    # switch back) reads the same history, and the other way round.
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)) as default:
        assert type(default.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert _materialised(default) == 1
        assert dg.materialize([counted], instance=default).success
    dagster_home()  # psw writes its settings back
    with _psw_instance(home) as instance:
        assert _materialised(instance) == 2


def test_two_instances_write_one_event_log_at_once(home):
    """A kept connection holds no lock: another instance (the webserver, the daemon,
    a second pass) writes while this one's connections stay open, and each reads the
    other's events."""
    with _psw_instance(home) as first, _psw_instance(home) as second:
        for _ in range(3):
            assert dg.materialize([counted], instance=first).success
            assert dg.materialize([counted], instance=second).success
        assert first.event_log_storage._engines  # type: ignore[attr-defined]
        assert _materialised(first) == _materialised(second) == 6


def test_only_the_last_files_keep_a_connection(home):
    with _psw_instance(home) as instance:
        runs = KEPT_FILES + 3
        for _ in range(runs):
            assert dg.materialize([counted], instance=instance).success
        storage = instance.event_log_storage
        assert len(storage._engines) <= KEPT_FILES  # type: ignore[attr-defined]
        assert _materialised(instance) == runs
        for run in instance.get_runs():  # the closed files still read
            assert instance.all_logs(run.run_id)
    assert not storage._engines, "disposing the instance closes every file"  # type: ignore[attr-defined]
