"""The portal's emails: what is owed (a report's outcome, a reminder before the due day),
and sending it by SMTP or GOV.UK Notify.

What is owed comes from the ledger and the grants, never from the pipeline's run: the
pipeline only writes reports, and Dagster's `send_emails` job (orchestration/notifications)
sends what is owed, so a mail server that is down never holds up intake, and a message
that fails is sent by the next run. Each message is recorded as sent per person
(`PortalStore.mark_sent`): never twice. A person is told of reports written after they
were granted the trust, not of its whole past.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

from psw.core.periods import month_name, period_of, uk_date, uk_time
from psw.core.settings import Settings
from psw.lake.layout import Lake
from psw.portal.months import WORDS, due_date, month_statuses
from psw.portal.store import PortalStore
from psw.standard.reference import Trust
from psw.standard.validation.shown import printable

SETTLED = "report-settled"  # a record per report whose messages are all sent
REMINDER_DAYS = 5  # a reminder goes out this many days before the due day, and until it
FOOTER = (
    "You get this email because the platform team gave you this trust in the PSW workforce "
    "portal. To stop them, ask the platform team to take the trust away from you."
)


@dataclass(frozen=True)
class Email:
    kind: str  # report | reminder
    subject_key: str  # the submission id, or ODS/YYYY-MM: with kind and to, sent once
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


class SmtpMailer:
    """smtp://host:port (STARTTLS when the server offers it), smtps://host:port (TLS);
    user:password@ in the URL logs in."""

    def __init__(self, url: str, sender: str) -> None:
        self.address = urlsplit(url)
        if self.address.scheme not in ("smtp", "smtps") or not self.address.hostname:
            raise ValueError("PSW_SMTP_URL must be smtp://host:port or smtps://host:port")
        self.sender = sender

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        tls = self.address.scheme == "smtps"
        port = self.address.port or (465 if tls else 25)
        kind = smtplib.SMTP_SSL if tls else smtplib.SMTP
        with kind(self.address.hostname or "", port, timeout=30) as server:
            if not tls and server.has_extn("starttls"):
                server.starttls()
            if self.address.username:
                server.login(unquote(self.address.username), unquote(self.address.password or ""))
            server.send_message(message)


class NotifyMailer:
    """GOV.UK Notify, through its official client: one email template whose subject is
    ((subject)) and whose body is ((body)) (PSW_NOTIFY_TEMPLATE_ID)."""

    def __init__(self, api_key: str, template_id: str, base_url: str | None = None) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        kwargs = {"base_url": base_url} if base_url else {}
        self.client = NotificationsAPIClient(api_key, **kwargs)
        self.template_id = template_id

    def send(self, to: str, subject: str, body: str) -> None:
        self.client.send_email_notification(
            email_address=to,
            template_id=self.template_id,
            personalisation={"subject": subject, "body": body},
        )


def mailer(settings: Settings) -> Mailer | None:
    """The mail service the settings name (Notify first), or None when none is set."""
    if settings.notify_api_key is not None:
        if not settings.notify_template_id:
            raise ValueError("PSW_NOTIFY_API_KEY is set without PSW_NOTIFY_TEMPLATE_ID")
        return NotifyMailer(settings.notify_api_key.get_secret_value(), settings.notify_template_id)
    if settings.smtp_url is not None:
        return SmtpMailer(settings.smtp_url.get_secret_value(), settings.mail_from)
    return None


def owed_reports(
    lake: Lake, store: PortalStore, registry: dict[str, Trust], portal_url: str
) -> list[Email]:
    """A message per person granted a trust, for each report written since their grant."""
    owed = []
    grants = store.grants()
    # A report whose messages are all sent, or owed to nobody, is settled: never read again
    # (the sensor asks every 30 s; an S3 lake would be read whole each time). A later grant
    # changes nothing for it: people hear of reports written after their grant.
    settled = store.sent_keys(SETTLED)
    for ods in sorted({g.ods_code for g in grants}):
        trust = registry.get(ods)
        if trust is None:
            continue
        people = {g.email: g.granted_at for g in grants if g.ods_code == ods}
        unsettled = lake.outcomes(ods, unfiled=True, skip=settled)
        for outcome in sorted(unsettled, key=lambda o: str(o["processed_at"])):
            submission_id = str(outcome["submission_id"])
            emails = [
                _report_email(trust, outcome, email, portal_url)
                for email, granted_at in people.items()
                if outcome.get("report_key")  # replaced before it was read: no report
                and str(outcome.get("processed_at", "")) >= granted_at
                and not store.was_sent("report", submission_id, email)
            ]
            if not emails:
                store.mark_sent(SETTLED, submission_id, "*")
            owed += emails
    return owed


def _report_email(trust: Trust, outcome: dict, to: str, portal_url: str) -> Email:
    base = portal_url.rstrip("/")
    file_name = printable(str(outcome["source_key"]).rpartition("/")[2])
    period = outcome.get("period")
    month = month_name(str(period)) if period else "no month (the file was not filed)"
    words = WORDS.get(str(outcome["status"]), str(outcome["status"])).lower()
    received = uk_time(str(outcome["received_at"]))
    report = f"{base}/trusts/{trust.ods_code}/reports/" + quote(
        str(outcome["report_key"]).removeprefix("feedback/") + ".html"
    )
    body = "\n\n".join(
        [
            f"{trust.name} ({trust.ods_code})",
            f"Your return {file_name} for {month}, received {received}, has been checked: "
            f"{words} ({outcome.get('errors', 0)} errors, {outcome.get('warnings', 0)} warnings).",
            f"Read the report: {report}",
            f"Your trust's months and uploads: {base}/trusts/{trust.ods_code}/",
            FOOTER,
        ]
    )
    subject = f"{trust.ods_code} {month if period else file_name} return: {words}"
    return Email("report", str(outcome["submission_id"]), to, subject, body)


def owed_reminders(
    lake: Lake,
    store: PortalStore,
    registry: dict[str, Trust],
    portal_url: str,
    today: dt.date,
    due_day: int,
    first_month: str,
) -> list[Email]:
    """A reminder per person, once, for a month with no return in force whose due day is
    at most REMINDER_DAYS away."""
    last_ended = period_of(today.replace(day=1) - dt.timedelta(days=1))
    if (
        last_ended < first_month
        or not 0 <= (due_date(last_ended, due_day) - today).days <= REMINDER_DAYS
    ):
        return []  # no reminder is due: the ledger is not read
    owed = []
    grants = store.grants()
    for ods in sorted({g.ods_code for g in grants}):
        trust = registry.get(ods)
        if trust is None or not trust.is_open(last_ended):
            continue
        (month,) = month_statuses(lake.outcomes(ods), [last_ended], today, due_day)
        if month.status not in ("due", "rejected"):
            continue
        for g in grants:
            key = f"{ods}/{last_ended}"
            if g.ods_code == ods and not store.was_sent("reminder", key, g.email):
                owed.append(_reminder(trust, last_ended, month.due, g.email, portal_url, key))
    return owed


def _reminder(trust: Trust, period: str, due: dt.date, to: str, portal_url: str, key: str) -> Email:
    page = f"{portal_url.rstrip('/')}/trusts/{trust.ods_code}/"
    body = "\n\n".join(
        [
            f"{trust.name} ({trust.ods_code})",
            f"We have no accepted return for {month_name(period)} from your trust yet. It is "
            f"due by {uk_date(due)}.",
            f"Upload it, or a nil return if you had no peer support workers that month: {page}",
            FOOTER,
        ]
    )
    subject = f"Reminder: {trust.ods_code}'s {month_name(period)} return is due by {uk_date(due)}"
    return Email("reminder", key, to, subject, body)


def owed(
    lake: Lake, store: PortalStore, settings: Settings, today: dt.date | None = None
) -> list[Email]:
    """Every email owed now: reports' outcomes, then reminders."""
    from psw.standard.model import load_standard
    from psw.standard.reference import trusts

    registry = trusts()
    return owed_reports(lake, store, registry, settings.portal_url) + owed_reminders(
        lake,
        store,
        registry,
        settings.portal_url,
        today or dt.date.today(),
        load_standard().data_quality.due_day,
        settings.first_month,
    )


@dataclass
class Sent:
    sent: int = 0
    failed: list[str] = field(default_factory=list)


def send(emails: Iterable[Email], mailer: Mailer, store: PortalStore) -> Sent:
    """Send each, recording it as sent as soon as it is; a failure is listed and left to
    the next run (one bad address never stops the rest)."""
    done = Sent()
    for email in emails:
        if store.was_sent(email.kind, email.subject_key, email.to):
            continue  # another run sent it meanwhile
        try:
            mailer.send(email.to, email.subject, email.body)
        except Exception as exc:  # noqa: BLE001 - any failure of the mail service
            done.failed.append(f"{email.kind} to {email.to}: {type(exc).__name__}: {exc}")
            continue
        store.mark_sent(email.kind, email.subject_key, email.to)
        done.sent += 1
    return done
