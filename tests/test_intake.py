"""Intake as trusts really use it, over the real local S3 server with `psw run` (real
CLI, real Dagster, real dbt): every object gets a report wherever it was put, no upload,
bucket or trust blocks another, the last upload wins, and nothing is lost or processed
twice when passes are killed or run at once.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import time
from pathlib import Path

import duckdb
import pytest

from psw.core.processes import pid_alive
from psw.intake.batches import process_batch
from psw.intake.discovery import list_submissions
from psw.intake.ingest import Settings
from psw.intake.submissions import place
from psw.lake.layout import Lake
from psw.standard.model import load_standard
from psw.standard.reference import Trust, trusts
from psw.storage import LocalS3Server, S3Settings, free_port, provision_buckets, s3_client
from psw.synth import simulate, to_csv_bytes
from tests.helpers import TODAY, platform_env, psw_run, spawn_psw_run

LONG_NAME = "RV3 June return " + "x" * 224 + ".csv"  # 244 characters


@pytest.fixture(scope="module")
def months() -> dict[str, list[dict]]:
    return dict(simulate(trusts()["RV3"], ["2025-05", "2025-06", "2025-07"], seed=5, staff=40))


def report(client, key: str, bucket: str = "psw-rv3") -> dict:
    return json.loads(client.get_object(Bucket=bucket, Key=f"{key}.report.json")["Body"].read())


def ledger(lake: Lake) -> list[dict]:
    return list(lake.outcomes(unfiled=True))


def test_every_object_gets_a_report_wherever_it_was_put(platform, months, standard):
    client, env, lake = platform
    june = to_csv_bytes(months["2025-06"])
    placed = {  # key -> (report key, the rule it must carry, status)
        "returns/2025-06/good.csv": ("feedback/2025-06/good.csv", None, "accepted"),
        f"returns/2025-06/{LONG_NAME}": (None, None, "accepted"),
        "returns/2025-13/x.csv": ("feedback/2025-13/x.csv", "KEY_NOT_A_RETURN", "rejected"),
        "returns/2025-06/sub/x.csv": (
            "feedback/2025-06/sub/x.csv",
            "KEY_NOT_A_RETURN",
            "rejected",
        ),
        "RV3_June.csv": ("feedback/RV3_June.csv", "KEY_NOT_A_RETURN", "rejected"),
        "returns/2019-01/x.csv": ("feedback/2019-01/x.csv", "PERIOD_BEFORE_COLLECTION", "rejected"),
        "returns/2099-01/x.csv": ("feedback/2099-01/x.csv", "PERIOD_IN_FUTURE", "rejected"),
    }
    for key in placed:
        client.put_object(Bucket="psw-rv3", Key=key, Body=june)
    client.put_object(Bucket="psw-rv3", Key="returns/2025-08/", Body=b"")  # a folder made early
    result = psw_run(env)
    assert "7 uploads in 49 buckets, 7 new" in result.stdout
    assert "7 processed (5 rejected)" in result.stdout

    for key, (where, rule, status) in placed.items():
        if where is None:  # too long for a file-backed store: shortened, named in full inside
            [found] = [
                o["Key"]
                for o in client.list_objects_v2(Bucket="psw-rv3", Prefix="feedback/2025-06/RV3")[
                    "Contents"
                ]
                if o["Key"].endswith(".report.json")
            ]
            where = found.removesuffix(".report.json")
            assert len(where.rsplit("/", 1)[-1]) < 200
        got = report(client, where)
        assert got["status"] == status, (key, got["rule_counts"])
        if rule:
            assert rule in got["rule_counts"], (key, got["rule_counts"])
        if rule == "KEY_NOT_A_RETURN":
            message = next(f["message"] for f in got["findings"] if f["rule_id"] == rule)
            assert "returns/<YYYY-MM>/<file name>" in message
    # Every intake rule decided from the key alone is exercised here (a crash: the test
    # below; a month outside a trust's registry dates: the next test and the marts scenario).
    intake_rules = {r.id for r in standard.rules.values() if r.stage == "intake"}
    elsewhere = {"PROCESSING_FAILED", "PERIOD_OUTSIDE_TRUST_DATES"}
    assert intake_rules - elsewhere <= {r for _, r, _ in placed.values()}

    # Only the months of the collection are filed for the marts; the rest is unfiled.
    entries = ledger(lake)
    assert len(entries) == 7
    assert sorted(e["period"] for e in entries if e["period"]) == ["2025-06", "2025-06"]
    with duckdb.connect(str(lake.warehouse), read_only=True) as db:
        statuses = db.execute(
            "select period_end::varchar, status, files_received from marts.submission_status "
            "where trust_ods_code = 'RV3'"
        ).fetchall()
    assert statuses == [("2025-06-30", "accepted", 2)]
    # Nothing new: nothing processed again, nothing rebuilt.
    again = psw_run(env)
    assert "7 uploads in 49 buckets, 0 new" in again.stdout
    assert "nothing new" in again.stdout


def _registry(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ods_code", "trust_name", "region_code", "region_name"])
        writer.writerows((ods, name, "Y56", "London") for ods, name in rows)


@pytest.mark.parametrize(
    ("period", "problem"),
    [
        ("2025-02", "RXM is registered to submit from 2025-03 to 2025-08, and 2025-02 is not"),
        ("2025-03", None),
        ("2025-08", None),
        (
            "2025-09",
            "RXM is registered to submit from 2025-03 to 2025-08, and 2025-09 is not; "
            "after 2025-08 its services are reported by RV3",
        ),
    ],
)
def test_a_month_outside_the_trusts_registry_dates_is_not_filed(period, problem):
    trust = Trust("RXM", "Derbyshire", "Y60", "Midlands", "psw-rxm", "2025-03", "2025-08", "RV3")
    placement = place(f"returns/{period}/r.csv", "2024-04", TODAY, trust)
    assert placement.filed is (problem is None)
    if problem:
        assert (placement.problem, placement.detail) == ("PERIOD_OUTSIDE_TRUST_DATES", problem)


def test_a_registry_month_not_written_yyyy_mm_is_named(tmp_path):
    """An operator's typo in the registry stops loading it with the file, trust and value
    named, rather than leaving the trust silently open-ended."""
    from psw.standard.reference import RegistryError, _load_trusts

    registry = tmp_path / "registry.csv"
    registry.write_text(
        "ods_code,trust_name,region_code,region_name,valid_from,valid_to,successor_ods_code\n"
        "RPG,Oxleas,Y56,London,,2025/05,RV3\n"
    )
    with pytest.raises(RegistryError, match="RPG has valid_to '2025/05', not a month"):
        _load_trusts(registry)


def test_a_missing_bucket_is_a_line_for_operators_not_a_stop(platform, months, tmp_path):
    client, env, lake = platform
    registry = tmp_path / "registry.csv"
    _registry(registry, [("RV3", "Central and North West London"), ("ZZ9", "No bucket yet")])
    env = {**env, "PSW_TRUST_REGISTRY": str(registry)}
    client.put_object(
        Bucket="psw-rv3", Key="returns/2025-06/r.csv", Body=to_csv_bytes(months["2025-06"])
    )
    result = psw_run(env, "--intake-only")
    assert "ZZ9: bucket psw-zz9 skipped (NoSuchBucket" in result.stdout
    assert "1 processed (0 rejected)" in result.stdout and "1 buckets skipped" in result.stdout
    assert report(client, "feedback/2025-06/r.csv")["status"] == "accepted"


def test_a_return_whose_pay_year_has_no_table_warns_the_operator(platform):
    """The pay tables end with 2025/26: a return for May 2026 is accepted without a salary
    check, its report says so, and `psw run` tells the operator what to add."""
    client, env, _ = platform
    may_2026 = dict(simulate(trusts()["RV3"], ["2026-04", "2026-05"], seed=3, staff=20))
    client.put_object(
        Bucket="psw-rv3", Key="returns/2026-05/r.csv", Body=to_csv_bytes(may_2026["2026-05"])
    )
    client.put_object(
        Bucket="psw-rv3", Key="returns/2025-06/r.csv", Body=to_csv_bytes(may_2026["2026-05"])
    )  # the wrong month's rows: rejected, so not counted
    result = psw_run(env, "--intake-only")
    assert report(client, "feedback/2026-05/r.csv")["rule_counts"].get("SALARY_CHECK_NOT_APPLIED")
    assert (
        "warning: 1 accepted returns for pay year 2026/27 had no salary check: "
        "schemas/reference/afc_pay.csv has no Agenda for Change table for that year"
    ) in result.stdout


def test_the_last_upload_wins_always(platform, months):
    """A, B, A again to one key: A is in force and A's report is the last word. A good
    file, a rejected one, the good one again: accepted. Two files a few milliseconds apart
    (the same second): the later wins."""
    client, env, lake = platform
    a = to_csv_bytes(months["2025-06"])
    b = to_csv_bytes(months["2025-06"][:-5])
    key = "returns/2025-06/june.csv"
    for body in (a, b, a):
        client.put_object(Bucket="psw-rv3", Key=key, Body=body)
        psw_run(env, "--intake-only")
    assert report(client, "feedback/2025-06/june.csv")["counts"]["rows"] == len(months["2025-06"])

    good = to_csv_bytes(months["2025-05"])
    bad = [dict(r) for r in months["2025-05"]]
    bad[0]["afc_band"] = "1"
    for body in (good, to_csv_bytes(bad), good):
        client.put_object(Bucket="psw-rv3", Key="returns/2025-05/may.csv", Body=body)
        psw_run(env, "--intake-only")
    assert report(client, "feedback/2025-05/may.csv")["status"] == "accepted"

    july = months["2025-07"]
    client.put_object(Bucket="psw-rv3", Key="returns/2025-07/first.csv", Body=to_csv_bytes(july))
    client.put_object(
        Bucket="psw-rv3", Key="returns/2025-07/second.csv", Body=to_csv_bytes(july[:-4])
    )
    listed = {s.key: s.uploaded_at for s in list_submissions(client, trusts()["RV3"])}
    assert listed["returns/2025-07/first.csv"] < listed["returns/2025-07/second.csv"]
    psw_run(env)

    entries = ledger(lake)
    assert len(entries) == 8  # every upload is a submission, the same bytes again included
    with duckdb.connect(str(lake.warehouse), read_only=True) as db:
        rows = dict(
            db.execute(
                "select period_end::varchar, data_rows from marts.submission_status "
                "where trust_ods_code = 'RV3'"
            ).fetchall()
        )
    assert rows == {
        "2025-05-31": len(months["2025-05"]),
        "2025-06-30": len(months["2025-06"]),  # A, uploaded last, not B
        "2025-07-31": len(july) - 4,  # the second of two files in the same second
    }


def _many_uploads(client, months, count: int) -> None:
    names = sorted(trusts())[:count]
    for ods in names:
        rows = [dict(r, trust_ods_code=ods) for r in months["2025-06"]]
        client.put_object(
            Bucket=f"psw-{ods.lower()}", Key="returns/2025-06/r.csv", Body=to_csv_bytes(rows)
        )


def _exactly_once(client, lake: Lake, count: int) -> None:
    entries = ledger(lake)
    assert len(entries) == count
    assert len({e["submission_id"] for e in entries}) == count
    for ods in sorted(trusts())[:count]:
        assert report(client, "feedback/2025-06/r.csv", f"psw-{ods.lower()}")["status"] == (
            "accepted"
        )


def test_two_passes_at_once_process_each_upload_once(platform, months):
    client, env, lake = platform
    _many_uploads(client, months, 12)
    passes = [spawn_psw_run(env, "--intake-only") for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in passes]
    assert [p.returncode for p in passes] == [0, 0], outputs
    _exactly_once(client, lake, 12)
    listed = client.list_objects_v2(Bucket="psw-platform", Prefix="archive/")["Contents"]
    assert len([o for o in listed if "/submissions/" not in o["Key"]]) == 12
    assert len([o for o in listed if "/submissions/" in o["Key"]]) == 12


def test_a_killed_pass_loses_nothing_and_blocks_nothing(platform, months):
    client, env, lake = platform
    _many_uploads(client, months, 12)
    victim = spawn_psw_run(env, "--intake-only")
    deadline = time.monotonic() + 300
    while len(list(lake.ledger_entries())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)  # the pass and its worker processes
    victim.wait()
    done_before = len(list(lake.ledger_entries()))
    assert 2 <= done_before < 12
    after = psw_run(env)  # must not hang on what the dead pass held
    assert "of a killed `psw run` marked failed" in after.stdout
    assert f"{12 - done_before} new" in after.stdout or f"{11 - done_before} new" in after.stdout
    _exactly_once(client, lake, 12)
    assert "marts built" in after.stdout

    # Killed during the marts build (the pass alone: its dbt child is orphaned, holding
    # DuckDB's lock): the next pass frees the warehouse pool, stops the orphan and builds.
    client.put_object(
        Bucket="psw-rv3", Key="returns/2025-07/r.csv", Body=to_csv_bytes(months["2025-07"])
    )
    record = lake.root / "warehouse.build"
    record.unlink(missing_ok=True)
    builder = spawn_psw_run(env)
    deadline = time.monotonic() + 300
    while not record.exists() and builder.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert record.exists(), "the build never started"
    owner, dbt_pid = (int(x) for x in record.read_text().split())
    assert owner == builder.pid
    os.kill(builder.pid, signal.SIGKILL)
    builder.wait()
    assert pid_alive(dbt_pid)  # orphaned, still building
    final = psw_run(env)
    assert "marts built" in final.stdout
    assert not pid_alive(dbt_pid) or _zombie(dbt_pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return False


def test_a_crash_on_one_file_is_a_report_and_the_rest_go_on(platform, months, monkeypatch):
    client, _, lake = platform
    for name in ("a.csv", "boom.csv", "c.csv"):
        client.put_object(
            Bucket="psw-rv3",
            Key=f"returns/2025-06/{name}",
            Body=to_csv_bytes(months["2025-06"]),
        )
    import psw.standard.validation

    real = psw.standard.validation.validate_return

    def fragile(source, **kwargs):
        if kwargs["file_name"] == "boom.csv":
            message = "a bug that quotes staff id " + "AB123456"
            raise ZeroDivisionError(message)
        return real(source, **kwargs)

    monkeypatch.setattr(psw.standard.validation, "validate_return", fragile)
    settings = Settings("psw-platform", lake, "k", today=TODAY)
    items = list(process_batch(client, list_submissions(client, trusts()["RV3"]), settings))
    statuses = {i.submission.key.rsplit("/", 1)[-1]: i.processed.outcome for i in items}
    assert statuses["a.csv"].status == statuses["c.csv"].status == "accepted"
    assert statuses["boom.csv"].status == "rejected"
    assert "ZeroDivisionError" in statuses["boom.csv"].error
    assert "AB123456" not in statuses["boom.csv"].error  # a message may quote the file
    assert statuses["boom.csv"].period is None  # not filed: the marts never see it
    got = report(client, "feedback/2025-06/boom.csv")
    assert got["rule_counts"] == {"PROCESSING_FAILED": 1}
    assert "AB123456" not in json.dumps(got) and "ZeroDivision" not in json.dumps(got)
    assert load_standard().rule("PROCESSING_FAILED").severity == "error"


def test_an_object_overwritten_before_it_is_read_is_not_reported_as_rejected(platform, months):
    """Listed, then overwritten before its pass reads it: the listed version is gone, so
    it gets no report and is not counted as a rejection; the newer version is checked."""
    client, _, lake = platform
    key = "returns/2025-06/june.csv"
    client.put_object(Bucket="psw-rv3", Key=key, Body=b"staff_id\nnot a return\n")
    [first] = list_submissions(client, trusts()["RV3"])
    time.sleep(0.01)  # a later upload time: a submission of its own
    client.put_object(Bucket="psw-rv3", Key=key, Body=to_csv_bytes(months["2025-06"]))
    settings = Settings("psw-platform", lake, "k", today=TODAY)

    [item] = process_batch(client, [first], settings)
    assert item.processed.replaced and item.processed.outcome.report_key is None
    assert "replaced by a newer upload" in item.line
    feedback = [o["Key"] for o in client.list_objects_v2(Bucket="psw-rv3")["Contents"]]
    assert not [k for k in feedback if ".report." in k]  # the history only, no report

    [second] = list_submissions(client, trusts()["RV3"])
    assert second.id != first.id
    [item] = process_batch(client, [second], settings)
    assert not item.processed.replaced
    assert report(client, "feedback/2025-06/june.csv")["status"] == "accepted"


def test_the_store_stopping_mid_pass_loses_nothing(tmp_path, months):
    """The S3 server goes away mid-pass: the pass says so and exits non-zero, and the next
    one, with the server back, processes every upload exactly once."""
    server = LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}").start()
    try:
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        env, lake = platform_env(server, tmp_path), Lake(tmp_path / "data")
        _many_uploads(client, months, 12)
        victim = spawn_psw_run(env, "--intake-only")
        deadline = time.monotonic() + 300
        while len(list(lake.ledger_entries())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.stop()
        out, err = victim.communicate(timeout=600)
        assert victim.returncode == 3, out[-2000:] + err[-2000:]
        assert "Traceback" not in out
        assert "failed" in out.splitlines()[-1]
        server.start()
        psw_run(env, "--intake-only")
        _exactly_once(client, lake, 12)
    finally:
        server.stop()


def test_a_batch_refreshes_the_trusts_history_once_its_uploads_are_done(platform, months):
    """The README's promise: after a batch of a trust's uploads its feedback/history.json
    lists every one of them, the one turned away included."""
    client, _, lake = platform
    client.put_object(
        Bucket="psw-rv3", Key="returns/2025-06/june.csv", Body=to_csv_bytes(months["2025-06"])
    )
    client.put_object(Bucket="psw-rv3", Key="june.csv", Body=b"not in a month folder")
    from psw.site.history import refresh_after_intake  # the hook the application passes

    settings = Settings("psw-platform", lake, "k", today=TODAY, after_trust=refresh_after_intake)
    list(process_batch(client, list_submissions(client, trusts()["RV3"]), settings))
    body = client.get_object(Bucket="psw-rv3", Key="feedback/history.json")["Body"].read()
    history = json.loads(body)
    assert sorted(u["file"] for u in history["uploads"]) == ["june.csv", "returns/2025-06/june.csv"]
    assert [m["month"] for m in history["months"]] == ["2025-06"]


def test_a_history_that_cannot_be_written_stops_nothing(platform, months, tmp_path, caplog):
    """A trust whose bucket is gone: its history is logged as not written and the next
    trust's is written. A store that cannot be reached at all: the refresh after a publish
    stops at the first trust instead of waiting for every trust's retries."""
    from psw.site.history import refresh_all, refresh_history

    client, _, lake = platform
    for ods in ("RV3", "RWK"):
        lake.write_outcome(
            ods,
            "2025-06",
            f"{ods}-1",
            {
                "submission_id": f"{ods}-1",
                "trust_ods_code": ods,
                "period": "2025-06",
                "status": "accepted",
                "source_key": "returns/2025-06/r.csv",
                "received_at": "2025-07-01T10:00:00",
                "processed_at": "2025-07-01T10:00:01",
                "rows": 20,
                "errors": 0,
                "warnings": 0,
                "report_key": "feedback/2025-06/r.csv.report",
            },
        )
    client.delete_bucket(Bucket="psw-rv3")  # empty: nothing was uploaded to it here
    assert refresh_history(client, lake, "RV3") is False
    assert refresh_all(client, lake, ["RV3", "RWK"]) == 1
    assert client.get_object(Bucket="psw-rwk", Key="feedback/history.json")

    down = s3_client(
        S3Settings(f"http://127.0.0.1:{free_port()}", "k", "s", "eu-west-2", "psw-platform")
    )
    caplog.clear()
    assert refresh_all(down, lake, ["RWK", "RV3"]) == 0
    tried = [r for r in caplog.records if "could not refresh" in r.getMessage()]
    assert [r.args for r in tried] == [("RWK",)]  # RV3 was not tried
    assert any("cannot be reached" in r.getMessage() for r in caplog.records)
