"""Processing uploads end to end over the real local S3 server (rclone over HTTP).

Archive first, feedback to the trust's bucket, pseudonymised Parquet only for accepted
returns, history rules against the previous accepted month, and idempotent reprocessing.
"""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from psw.intake.discovery import list_submissions
from psw.intake.ingest import Settings, process_submission
from psw.lake.layout import Lake
from psw.standard.reference import trusts
from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
from psw.synth import to_csv_bytes
from tests.helpers import TODAY

SECRET = "test-pseudonymisation-key"


@pytest.fixture()
def platform(tmp_path):
    with LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}") as server:
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        yield client, tmp_path / "data"


def _upload(client, key, data, bucket="psw-rv3"):
    client.put_object(Bucket=bucket, Key=key, Body=data)
    return next(u for u in list_submissions(client, trusts()[bucket[4:].upper()]) if u.key == key)


def _process(client, data_dir, upload):
    settings = Settings("psw-platform", Lake(data_dir), SECRET, today=TODAY)
    return process_submission(client, upload, settings).outcome


def _report(client, key):
    body = client.get_object(Bucket="psw-rv3", Key=key)["Body"].read()
    return json.loads(body)


def test_uploads_are_archived_reported_and_landed_without_raw_ids(
    platform, clean_rows, previous_rows
):
    client, data_dir = platform
    may = _process(
        client, data_dir, _upload(client, "returns/2025-05/may.csv", to_csv_bytes(previous_rows))
    )
    assert may.status == "accepted"

    bad = [dict(r) for r in clean_rows]
    bad[3]["fte"] = "9"
    rejected = _process(
        client, data_dir, _upload(client, "returns/2025-06/june.csv", to_csv_bytes(bad))
    )
    assert rejected.status == "rejected" and rejected.landed is None
    assert _report(client, "feedback/2025-06/june.csv.report.json")["status"] == "rejected"

    gone = next(r["staff_id"] for r in previous_rows if r["leaving_date"] is None)
    fixed = _process(
        client,
        data_dir,
        _upload(
            client,
            "returns/2025-06/june.csv",
            to_csv_bytes([r for r in clean_rows if r["staff_id"] != gone]),
        ),
    )
    report = _report(client, "feedback/2025-06/june.csv.report.json")
    assert fixed.status == report["status"] == "accepted_with_warnings"
    assert report["rule_counts"] == {"LEAVER_NOT_REPORTED": 1}  # hashed keys still match
    assert fixed.submission_id != rejected.submission_id
    # The same bytes again are a new submission (the last upload wins, docs/interfaces.md).
    again = _process(
        client, data_dir, _upload(client, "returns/2025-06/june.csv", to_csv_bytes(bad))
    )
    assert again.submission_id not in (rejected.submission_id, fixed.submission_id)
    assert _report(client, "feedback/2025-06/june.csv.report.json")["status"] == "rejected"

    listed = client.list_objects_v2(Bucket="psw-platform", Prefix="archive/")["Contents"]
    archived = [o for o in listed if "/submissions/" not in o["Key"]]
    records = [o for o in listed if "/submissions/" in o["Key"]]
    assert len(records) == 4  # one record per submission, the same bytes again included
    # every upload, accepted or not; the same bytes twice are one archive object
    assert len(archived) == 3
    assert {o["Key"].split("/")[3] for o in archived} == {
        f"sha256-{o.content_sha256}" for o in (may, rejected, fixed)
    }
    assert client.get_object(Bucket="psw-rv3", Key="returns/2025-06/june.csv")  # untouched

    table = pq.read_table(fixed.landed)
    assert "staff_id" not in table.column_names
    assert len(table.column("staff_key")[0].as_py()) == 64
    # Neither identifier lands as written (issue 20: an assignment id can be built from
    # something personal, as NHS_543_231_9489); each is a keyed hash.
    raw_ids = {r["staff_id"] for r in clean_rows}
    for column in table.column_names:
        assert not raw_ids & {str(v) for v in table.column(column).to_pylist()}
    raw_assignments = {str(r["assignment_id"]) for r in clean_rows}
    landed_assignments = set(table.column("assignment_id").to_pylist())
    assert not raw_assignments & landed_assignments
    assert {len(v) for v in landed_assignments} == {64}
    assert set(table.column("submission_id").to_pylist()) == {fixed.submission_id}
    ledgers = sorted((data_dir / "submissions").rglob("*.json"))
    assert [json.loads(p.read_text())["status"] for p in ledgers].count("rejected") == 2


def test_personal_data_and_nil_returns(platform, clean_rows, standard):
    client, data_dir = platform
    personal = [dict(r, surname="Okafor") for r in clean_rows]
    outcome = _process(
        client,
        data_dir,
        _upload(
            client,
            "returns/2025-06/names.csv",
            to_csv_bytes(personal, [*standard.column_names, "surname"]),
        ),
    )
    assert outcome.status == "rejected" and outcome.landed is None
    feedback = client.get_object(Bucket="psw-rv3", Key="feedback/2025-06/names.csv.report.html")[
        "Body"
    ].read()
    assert b"Okafor" not in feedback

    nil = _process(client, data_dir, _upload(client, "returns/2025-07/nil.csv", to_csv_bytes([])))
    assert nil.status == "nil_return" and pq.read_table(nil.landed).num_rows == 0


def test_disguised_personal_data_is_neither_echoed_nor_landed(platform, clean_rows, standard):
    """Over the real store: every disguised form is rejected, the reports in the trust's
    bucket repeat none of them, the lake holds nothing of those files, and an accepted
    file's free-text job title is not landed either."""
    from tests.test_personal import DISGUISED, _fingerprints

    client, data_dir = platform
    for number, (text, rule) in enumerate(DISGUISED):
        rows = [dict(r) for r in clean_rows]
        rows[number % len(rows)]["local_job_title"] = text
        key = f"returns/2025-06/disguised-{number}.csv"
        outcome = _process(client, data_dir, _upload(client, key, to_csv_bytes(rows)))
        assert outcome.status == "rejected" and outcome.landed is None, text
        report = _report(client, f"feedback/2025-06/disguised-{number}.csv.report.json")
        assert rule in report["rule_counts"]
        for suffix in ("json", "html"):
            body = (
                client.get_object(
                    Bucket="psw-rv3", Key=f"feedback/2025-06/disguised-{number}.csv.report.{suffix}"
                )["Body"]
                .read()
                .decode()
            )
            for leak in _fingerprints(text):
                assert leak not in body, (text, suffix)
    assert not list((data_dir / "validated").rglob("*.parquet"))  # nothing landed

    titled = [dict(r, local_job_title="Jane Smith") for r in clean_rows]
    accepted = _process(
        client, data_dir, _upload(client, "returns/2025-06/titled.csv", to_csv_bytes(titled))
    )
    assert accepted.status.startswith("accepted")
    table = pq.read_table(accepted.landed)
    assert "local_job_title" not in table.column_names
    assert "Jane Smith" not in str(table.to_pydict())


def test_reprocessing_the_same_object_version_changes_nothing(platform, clean_rows):
    client, data_dir = platform
    upload = _upload(client, "returns/2025-06/june.csv", to_csv_bytes(clean_rows))
    first = _process(client, data_dir, upload)
    files = sorted(p.relative_to(data_dir) for p in data_dir.rglob("*") if p.is_file())
    second = _process(client, data_dir, upload)
    assert first.submission_id == second.submission_id and first.landed == second.landed
    assert sorted(p.relative_to(data_dir) for p in data_dir.rglob("*") if p.is_file()) == files


def test_every_object_but_feedback_and_folder_markers_is_an_upload(platform):
    client, _ = platform
    for key in (
        "returns/2025-06/a.csv",
        "returns/notes.txt",
        "returns/2025-13/b.csv",
        "feedback/2025-06/a.csv.report.json",
        "returns/2025-06/sub/c.csv",
        "RV3_June.csv",
    ):
        client.put_object(Bucket="psw-rv3", Key=key, Body=b"x")
    client.put_object(Bucket="psw-rv3", Key="returns/2025-07/", Body=b"")  # a folder marker
    assert sorted(u.key for u in list_submissions(client, trusts()["RV3"])) == [
        "RV3_June.csv",
        "returns/2025-06/a.csv",
        "returns/2025-06/sub/c.csv",
        "returns/2025-13/b.csv",
        "returns/notes.txt",
    ]


def test_too_large_uploads_are_archived_and_rejected_without_download(platform, monkeypatch):
    client, data_dir = platform
    monkeypatch.setitem(
        __import__("psw.standard.model", fromlist=["x"]).load_standard().limits, "max_bytes", 1000
    )
    outcome = _process(client, data_dir, _upload(client, "returns/2025-06/huge.csv", b"a" * 5000))
    assert outcome.status == "rejected" and outcome.archive_key.split("/")[3].startswith("etag-")
    assert _report(client, "feedback/2025-06/huge.csv.report.json")["rule_counts"] == {
        "FILE_TOO_LARGE": 1
    }
