"""The lake's two stores behave the same (a local folder, an S3 prefix on a real server),
and DuckDB reads an S3 lake through the httpfs extension the lock ships. No mocked S3."""

from __future__ import annotations

import io
import pickle

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from psw.lake.layout import Lake
from psw.lake.store import LocalLakeStore, S3LakeStore, lake_bucket, lake_url, open_store
from psw.storage import LocalS3Server, free_port, s3_client


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("lakestore")
    with LocalS3Server(root / "s3", f"http://127.0.0.1:{free_port()}") as running:
        s3_client(running.settings()).create_bucket(Bucket="psw-lake")
        yield running


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalLakeStore(tmp_path / "lake")
    server = request.getfixturevalue("server")
    # A fresh prefix per test: the module's server is shared.
    return S3LakeStore("psw-lake", f"t/{tmp_path.name}", server.settings())


def test_a_store_puts_gets_lists_and_reads_many(store):
    store.put("validated/trust=RV3/period=2025-06/a.parquet", b"one")
    store.put("submissions/trust=RV3/unfiled/b.json", b"two")
    assert store.get("validated/trust=RV3/period=2025-06/a.parquet") == b"one"
    assert store.get("validated/nothing.parquet") is None
    assert store.exists("submissions/trust=RV3/unfiled/b.json")
    assert not store.exists("submissions/trust=RV3/unfiled/c.json")
    listed = list(store.entries("submissions/"))
    assert [e.key for e in listed] == ["submissions/trust=RV3/unfiled/b.json"]
    assert listed[0].modified > 0
    assert list(store.entries("nowhere/")) == []
    keys = ["submissions/trust=RV3/unfiled/b.json", "gone.json"] * 3
    assert store.get_many(keys) == [b"two", None] * 3


def test_a_store_url_is_what_duckdb_reads(store):
    url = store.url("validated/x.parquet")
    assert url.endswith("/validated/x.parquet")
    assert url.startswith("s3://psw-lake/t/" if isinstance(store, S3LakeStore) else "/")
    assert not store.url().endswith("/")


def test_an_s3_store_goes_to_worker_processes_without_its_client(server):
    store = S3LakeStore("psw-lake", "p", server.settings())
    store.put("k.json", b"{}")  # the client is made
    copy = pickle.loads(pickle.dumps(store))
    assert copy._client is None and copy.get("k.json") == b"{}"


def test_the_lake_url_is_the_data_dir_unless_set(tmp_path):
    assert lake_url(tmp_path, {}) == str(tmp_path.resolve())
    assert lake_url(tmp_path, {"PSW_LAKE_URL": "s3://b/p"}) == "s3://b/p"
    assert isinstance(open_store(str(tmp_path)), LocalLakeStore)
    assert isinstance(open_store(f"file://{tmp_path}"), LocalLakeStore)
    store = open_store("s3://psw-lake/a/b/")
    assert (store.bucket, store.prefix) == ("psw-lake", "a/b/")
    assert lake_bucket("s3://psw-lake/a") == "psw-lake" and lake_bucket(str(tmp_path)) is None
    with pytest.raises(ValueError, match="names no bucket"):
        open_store("s3:///prefix")
    with pytest.raises(ValueError, match="only a local path or s3://"):
        open_store("gs://bucket/prefix")


def test_a_landed_return_is_read_back_from_either_store(store, tmp_path):
    lake = Lake(tmp_path, store)
    buffer = io.BytesIO()
    pq.write_table(pa.table({"staff_key": ["a", "b"], "source_row": [2, 3]}), buffer)
    lake.write_landed("RV3", "2025-06", "s1", buffer.getvalue())
    outcome = {"trust_ods_code": "RV3", "period": "2025-06", "submission_id": "s1"}
    assert lake.read_landed(outcome, ["staff_key"]).column("staff_key").to_pylist() == ["a", "b"]
    with pytest.raises(FileNotFoundError, match="not in the lake"):
        lake.read_landed(dict(outcome, submission_id="s2"), ["staff_key"])


def test_duckdb_reads_an_s3_lake_with_the_shipped_httpfs(server, tmp_path):
    """The dbt plugin's connection set-up: httpfs from its package, a secret for the
    lake's bucket, then globs and reads over HTTP (what the staging models do)."""
    import duckdb

    from psw.warehouse.duckdb_lake import attach_lake

    store = S3LakeStore("psw-lake", "duck", server.settings())
    for sid, rows in (("s1", 2), ("s2", 3)):
        buffer = io.BytesIO()
        pq.write_table(pa.table({"n": list(range(rows))}), buffer)
        store.put(Lake.landed_key("RV3", "2025-06", sid), buffer.getvalue())
    settings = server.settings()
    env = {
        "PSW_LAKE_URL": "s3://psw-lake/duck",
        "PSW_S3_ENDPOINT_URL": settings.endpoint_url,
        "AWS_ACCESS_KEY_ID": settings.access_key,
        "AWS_SECRET_ACCESS_KEY": settings.secret_key,
    }
    with duckdb.connect() as conn:
        attach_lake(conn, env)
        glob = "s3://psw-lake/duck/validated/trust=*/period=*/*.parquet"
        assert conn.execute(f"select count(*) from read_parquet('{glob}')").fetchone() == (5,)
        # The secret is the session's: nothing of it is written to a database file.
        assert conn.execute("select persistent from duckdb_secrets()").fetchall() == [(False,)]
    with duckdb.connect() as local:
        attach_lake(local, {"PSW_LAKE_URL": str(tmp_path)})  # a local lake: nothing to do
        assert local.execute("select count(*) from duckdb_secrets()").fetchone() == (0,)
