"""The portal's emails: what is owed from the ledger and the grants, sent once through a
real SMTP server (aiosmtpd) or GOV.UK Notify's official client (against a local HTTP
server standing in for Notify), a failed send left for the next run, and the Dagster
sensor that starts the sending job."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from unittest import mock

import dagster as dg
import pytest

from psw.core.settings import current
from psw.lake.layout import Lake
from psw.portal.mail import NotifyMailer, SmtpMailer, owed, owed_reminders, send
from psw.portal.store import PortalStore
from psw.standard.reference import trusts
from tests.portal_servers import smtp_server

URL = "https://portal.example.nhs.uk"


def outcome(ods, period, submission_id, status="accepted", **extra):
    return {
        "submission_id": submission_id,
        "trust_ods_code": ods,
        "period": period,
        "status": status,
        "source_key": f"returns/{period}/{ods}_{period}.csv",
        "received_at": "2025-07-03T13:05:00+00:00",
        "processed_at": "2099-01-01T00:00:00+00:00",  # after every grant made in a test
        "errors": 0 if status != "rejected" else 3,
        "warnings": 0,
        "report_key": f"feedback/{period}/{ods}_{period}.csv.report",
        **extra,
    }


@pytest.fixture()
def state(tmp_path):
    lake = Lake(tmp_path)
    store = PortalStore.in_data_dir(tmp_path)
    store.grant("alice@cnwl.nhs.uk", "RV3", by="test")
    store.grant("ann@cnwl.nhs.uk", "RV3", by="test")
    store.grant("ben@rwk.nhs.uk", "RWK", by="test")
    settings = current({"PSW_DATA_DIR": str(tmp_path), "PSW_PORTAL_URL": URL})
    return lake, store, settings


def test_each_report_is_owed_once_to_each_person_granted_its_trust(state):
    lake, store, settings = state
    lake.write_outcome("RV3", "2025-06", "s1", outcome("RV3", "2025-06", "s1", "rejected"))
    lake.write_outcome(
        "RV3", "2025-06", "s0", outcome("RV3", "2025-06", "s0", processed_at="2000-01-01")
    )
    emails = owed(lake, store, settings, today=dt.date(2025, 7, 1))
    assert sorted((e.kind, e.subject_key, e.to) for e in emails) == [
        ("report", "s1", "alice@cnwl.nhs.uk"),  # s0 was processed before anyone's grant
        ("report", "s1", "ann@cnwl.nhs.uk"),
    ]
    first = emails[0]
    assert first.subject == "RV3 June 2025 return: rejected"
    assert "Central and North West London NHS Foundation Trust (RV3)" in first.body
    assert "received 3 July 2025, 14:05 (BST)" in first.body
    assert (
        f"Read the report: {URL}/trusts/RV3/reports/2025-06/RV3_2025-06.csv.report.html"
        in first.body
    )
    with smtp_server() as (smtp_url, mailbox):
        done = send(emails, SmtpMailer(smtp_url, "psw@example.nhs.uk"), store)
        assert (done.sent, done.failed) == (2, [])
        assert {m["To"] for m in mailbox} == {"alice@cnwl.nhs.uk", "ann@cnwl.nhs.uk"}
        assert mailbox[0]["From"] == "psw@example.nhs.uk"
    assert owed(lake, store, settings, today=dt.date(2025, 7, 1)) == []  # never twice
    # Both reports are settled: the next look lists the ledger but reads neither entry.
    assert store.sent_keys("report-settled") == {"s0", "s1"}
    read: list[str] = []
    with mock.patch.object(
        type(lake.store),
        "get_many",
        autospec=True,
        side_effect=lambda _, keys: read.extend(keys) or [],
    ):
        assert owed(lake, store, settings, today=dt.date(2025, 7, 1)) == []
    assert read == []


def test_a_reminder_goes_before_the_due_day_when_no_return_stands(state):
    lake, store, settings = state
    registry = trusts()
    lake.write_outcome("RV3", "2025-06", "s1", outcome("RV3", "2025-06", "s1"))
    days = {
        day: owed_reminders(lake, store, registry, URL, dt.date(2025, 7, day), 15, "2024-04")
        for day in (9, 10, 15, 16)
    }
    assert days[9] == [] and days[16] == []  # too early; after the due day, it is missing
    for day in (10, 15):
        assert [(e.to, e.subject_key) for e in days[day]] == [("ben@rwk.nhs.uk", "RWK/2025-06")]
    reminder = days[10][0]
    assert reminder.subject == "Reminder: RWK's June 2025 return is due by 15 July 2025"
    assert f"{URL}/trusts/RWK/" in reminder.body
    with smtp_server() as (smtp_url, mailbox):
        send(days[10], SmtpMailer(smtp_url, "psw@example.nhs.uk"), store)
        assert len(mailbox) == 1
    assert owed_reminders(lake, store, registry, URL, dt.date(2025, 7, 12), 15, "2024-04") == []


def test_a_failed_send_is_left_for_the_next_run(state):
    lake, store, settings = state
    lake.write_outcome("RWK", "2025-06", "s9", outcome("RWK", "2025-06", "s9"))
    emails = owed(lake, store, settings, today=dt.date(2025, 8, 1))
    from psw.storage import free_port

    down = send(emails, SmtpMailer(f"smtp://127.0.0.1:{free_port()}", "psw@x.nhs.uk"), store)
    assert down.sent == 0 and "ConnectionRefusedError" in down.failed[0]
    assert owed(lake, store, settings, today=dt.date(2025, 8, 1)) == emails  # still owed
    with smtp_server() as (smtp_url, mailbox):
        assert send(emails, SmtpMailer(smtp_url, "psw@x.nhs.uk"), store).sent == 1


def test_the_demos_mail_server_keeps_each_message_and_names_the_first_few(tmp_path):
    """The README's promise: the demo users' emails land in data/mail/, the console names
    the first few."""
    from orchestration.demo_portal import mail_server
    from psw.storage import free_port

    said: list[str] = []
    port = free_port()
    with mail_server(tmp_path / "mail", said.append, port=port):
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", "psw@demo.nhs.uk")
        for number in range(1, 5):
            mailer.send("rv3.officer@demo.nhs.uk", f"RV3 report {number}", "body")
    kept = sorted((tmp_path / "mail").glob("*.eml"))
    assert [p.name for p in kept] == ["00001.eml", "00002.eml", "00003.eml", "00004.eml"]
    assert b"Subject: RV3 report 4" in kept[3].read_bytes()
    assert said == [f"email {n} to rv3.officer@demo.nhs.uk: RV3 report {n}" for n in (1, 2, 3)]


def test_notify_gets_the_template_and_the_message_through_its_official_client():
    seen = []

    class Notify(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers["Authorization"], json.loads(body)))
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"id": "x"}).encode())

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Notify)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        key = (
            "psw-"
            + "11111111-1111-1111-1111-111111111111"
            + "-"
            + "22222222-2222-2222-2222-222222222222"
        )
        mailer = NotifyMailer(key, "tmpl-1", base_url=f"http://127.0.0.1:{server.server_port}")
        mailer.send("alice@cnwl.nhs.uk", "RV3 June 2025 return: accepted", "Body text")
    finally:
        server.shutdown()
    ((path, auth, body),) = seen
    assert path == "/v2/notifications/email" and auth.startswith("Bearer ")
    assert body == {
        "email_address": "alice@cnwl.nhs.uk",
        "template_id": "tmpl-1",
        "personalisation": {"subject": "RV3 June 2025 return: accepted", "body": "Body text"},
    }


def test_the_sensor_starts_one_sending_run_when_mail_is_owed(state, tmp_path):
    from orchestration.notifications.sensors import portal_emails
    from psw.core.settings import exported

    lake, store, _ = state
    with dg.instance_for_test() as instance:
        with exported({"PSW_DATA_DIR": str(tmp_path)}):
            context = dg.build_sensor_context(instance=instance)
            assert "no mail service is set" in portal_emails(context).skip_message
        with exported({"PSW_DATA_DIR": str(tmp_path), "PSW_SMTP_URL": "smtp://127.0.0.1:1"}):
            assert portal_emails(context).skip_message == "no email is owed"
            lake.write_outcome("RV3", "2025-06", "s1", outcome("RV3", "2025-06", "s1"))
            request = portal_emails(context)
            assert isinstance(request, dg.RunRequest)
            assert request.tags["psw/emails-owed"] == "2"
            intake = instance.create_run_for_job(
                job_def=_intake_job(),
                status=dg.DagsterRunStatus.STARTED,
                run_config={"ops": {"process_uploads": {"config": {"submissions": []}}}},
            )
            assert portal_emails(context).skip_message.startswith("uploads are being processed")
            instance.report_run_failed(intake)  # intake done: the emails may go
            assert isinstance(portal_emails(context), dg.RunRequest)
            instance.create_run_for_job(job_def=_job(), status=dg.DagsterRunStatus.STARTED)
            assert portal_emails(context).skip_message == "a send_emails run is still going"


def _intake_job():
    from orchestration.ingestion.jobs import intake_job

    return intake_job


def _job():
    from orchestration.notifications.jobs import send_emails_job

    return send_emails_job
