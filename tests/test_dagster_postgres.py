"""Issue 11: the Dagster instance on a real PostgreSQL server (Debian's package, started
by the tests), configured by deploy/dagster.yaml: `psw run` and the upload sensor work
unchanged on it, and its runs, materialisations and the sensor's view of runs live in
PostgreSQL, not in SQLite files."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
from psw.synth import to_csv_bytes
from tests.helpers import platform_env, psw_run, with_changes
from tests.postgres import LocalPostgres, server_binaries

DEPLOYED = Path(__file__).parent.parent / "deploy" / "dagster.yaml"

pytestmark = pytest.mark.skipif(
    server_binaries() is None,
    reason="PostgreSQL's server is not installed (apt-get install postgresql; .ci/run does)",
)


@pytest.fixture(scope="module")
def postgres():
    with LocalPostgres() as server:
        yield server


@pytest.fixture()
def store(tmp_path):
    with LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}") as server:
        provision_buckets(s3_client(server.settings()), "psw-platform")
        yield server


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster"
    home.mkdir()
    shutil.copy(DEPLOYED, home / "dagster.yaml")
    return home


def test_the_deployed_instance_is_the_embedded_one_with_postgres_storage(tmp_path):
    """One set of instance settings: deploy/dagster.yaml is what psw writes for itself
    (pools, run monitoring, the coordinator, telemetry off), plus PostgreSQL storage."""
    from orchestration.run_once import dagster_yaml

    deployed = yaml.safe_load(DEPLOYED.read_text())
    storage = deployed.pop("storage")
    embedded = yaml.safe_load(dagster_yaml(tmp_path))
    embedded.pop("event_log_storage")  # SQLite's, with its connections kept (0122)
    assert deployed == embedded
    assert set(storage["postgres"]["postgres_db"]) == {
        "hostname", "port", "db_name", "username", "password", "scheme"
    }  # fmt: skip
    assert storage["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}


def test_psw_run_on_a_postgres_instance(postgres, store, tmp_path, clean_rows, monkeypatch):
    database = postgres.create_database("psw_run")
    env = platform_env(store, tmp_path, **postgres.dagster_env(database))
    for name, value in postgres.dagster_env(database).items():
        monkeypatch.setenv(name, value)  # for the instance this test opens at the end
    home = _home(tmp_path)
    client = s3_client(store.settings())
    client.put_object(
        Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=to_csv_bytes(clean_rows)
    )
    rejected = with_changes(clean_rows, afc_band="1")  # band 1 is closed
    client.put_object(Bucket="psw-rwk", Key="returns/2025-06/june.csv", Body=to_csv_bytes(rejected))

    first = psw_run(env)
    assert "2 processed (1 rejected)" in first.stdout
    assert "serving database published" in first.stdout
    again = psw_run(env)
    assert "nothing new" in again.stdout and "0 processed (0 rejected), 2 already" in again.stdout

    # What Dagster recorded is in PostgreSQL: runs, their events, the materialisations.
    runs = dict(postgres.query(database, "select status, count(*) from runs group by status"))
    assert runs.get("SUCCESS", 0) >= 2 and set(runs) == {"SUCCESS"}, runs
    materialised = postgres.query(
        database,
        "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION' "
        "and asset_key like '%submission%' and partition in ('2025-06|RV3', 'RV3|2025-06')",
    )
    assert materialised == [(1,)]
    assert not list(home.rglob("*.db")), "an SQLite storage was made beside PostgreSQL"
    instance = dg.DagsterInstance.from_config(str(home))
    with instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.get_runs_count() == sum(runs.values())


def test_the_upload_sensor_on_a_postgres_instance(postgres, store, tmp_path, monkeypatch):
    """A tick hands a new upload to a run; once that run has ended without an outcome
    (it died), the next tick, reading the runs from PostgreSQL, hands it out again."""
    from tests.helpers import end_a_run_without_outcome, platform_resource, sensor_tick

    for name, value in postgres.dagster_env(postgres.create_database("sensor")).items():
        monkeypatch.setenv(name, value)
    platform = platform_resource(store, tmp_path / "data")
    s3_client(store.settings()).put_object(
        Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=b"a"
    )

    with dg.DagsterInstance.from_config(str(_home(tmp_path))) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        first, cursor = sensor_tick(instance, platform)
        assert len(first.run_requests) == 1
        key = first.run_requests[0].run_key
        waiting, cursor = sensor_tick(
            instance, platform, cursor
        )  # handed out, its run not ended: wait
        assert waiting.run_requests == []
        end_a_run_without_outcome(instance, key)
        retry, _ = sensor_tick(instance, platform, cursor)
        assert len(retry.run_requests) == 1 and retry.run_requests[0].run_key != key
