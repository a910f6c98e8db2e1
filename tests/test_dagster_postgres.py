"""Issue 11: the Dagster instance on a real PostgreSQL server (Debian's package, started
by the tests), configured by deploy/dagster.yaml: `psw run` and the upload sensor work
unchanged on it, and its runs, materialisations and the sensor's view of runs live in
PostgreSQL, not in SQLite files."""

from __future__ import annotations

import shutil
from collections import Counter
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
    bi = postgres.create_database("psw_bi")  # issue 24: the copy for BI tools
    env = platform_env(
        store,
        tmp_path,
        **postgres.dagster_env(database),
        PSW_SERVING_POSTGRES_URL=postgres.url.rsplit("/", 1)[0] + f"/{bi}",
        PSW_SERVING_POSTGRES_READER_PASSWORD="reader-secret",
    )
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
    assert "published schema copied to PostgreSQL for BI tools" in first.stdout
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
    _the_bi_copy_is_the_published_schema(postgres, bi, Path(env["PSW_DATA_DIR"]))


def _the_bi_copy_is_the_published_schema(postgres, database: str, data: Path) -> None:
    """Every published table in PostgreSQL with the serving file's columns, types, rows and
    comments; role psw_reader reads it and can change nothing."""
    import duckdb
    import psycopg2

    from psw.warehouse.serving_postgres import POSTGRES_TYPES

    with duckdb.connect(str(data / "serving" / "psw.duckdb"), read_only=True) as db:
        columns = db.execute(
            "select table_name, column_name, data_type, comment from duckdb_columns() "
            "where schema_name = 'published' order by table_name, column_index"
        ).fetchall()
        served = {
            table: Counter(db.execute(f"select * from published.{table}").fetchall())
            for table in {c[0] for c in columns}
        }
    copied = postgres.query(
        database,
        "select table_name, column_name, data_type, "
        "col_description(format('published.%I', table_name)::regclass, ordinal_position) "
        "from information_schema.columns where table_schema = 'published' "
        "order by table_name, ordinal_position",
    )
    spelled = {
        "timestamp": "timestamp without time zone",
        "timestamptz": "timestamp with time zone",
    }
    assert copied == [
        (t, c, spelled.get(POSTGRES_TYPES[k], POSTGRES_TYPES[k]), m) for t, c, k, m in columns
    ]
    assert len(served) >= 19 and sum(map(len, served.values())) > 100
    for table, rows in served.items():
        assert Counter(postgres.query(database, f"select * from published.{table}")) == rows, table

    reader = psycopg2.connect(
        host="127.0.0.1", port=postgres.port, user="psw_reader", dbname=database
    )
    reader.autocommit = True
    try:
        with reader.cursor() as cursor:
            cursor.execute("select count(*) from published.psw_headcount")
            assert cursor.fetchone()[0] == sum(served["psw_headcount"].values())
            cursor.execute("set default_transaction_read_only = off")  # its default only
            for sql in (
                "delete from published.psw_headcount",
                "update published.trusts set trust_name = 'x'",
                "create table published.mine (n int)",
                "create table public.mine (n int)",
                "drop table published.trusts",
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cursor.execute(sql)
    finally:
        reader.close()


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
