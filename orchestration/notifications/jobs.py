"""The `send_emails` job: every email owed (psw/portal/mail.py), sent and recorded.

A run fails, visibly in the Dagster UI, when a message could not be sent; what was sent
stays sent, and the next run (the sensor's, or the next `psw run`) tries the rest again.
Intake never waits for it: the pipeline only writes reports, this job reads them.
"""

import dagster as dg

from psw.core.settings import current

JOB = "send_emails"


@dg.op(
    name="send_owed_emails",
    description="Sends each email owed: the outcome of each report written for a trust to "
    "the people granted it, and reminders before the due day for months with no return.",
    retry_policy=dg.RetryPolicy(max_retries=1, delay=5),
)
def send_owed_emails(context: dg.OpExecutionContext) -> dg.Output[int]:
    from psw.lake.layout import Lake
    from psw.portal.mail import mailer, owed, send
    from psw.portal.store import PortalStore

    settings = current()
    chosen = mailer(settings)
    if chosen is None:
        context.log.info("no mail service is set (PSW_SMTP_URL or PSW_NOTIFY_API_KEY)")
        return dg.Output(0, metadata={"sent": 0, "owed": 0})
    store = PortalStore.in_data_dir(settings.data_dir)
    emails = owed(Lake.from_env(settings.data_dir), store, settings)
    done = send(emails, chosen, store)
    for line in done.failed:
        context.log.warning(f"not sent: {line}")
    if done.failed:
        raise dg.Failure(
            description=f"{len(done.failed)} of {len(emails)} emails could not be sent",
            metadata={"sent": done.sent, "failed": "\n".join(done.failed)},
        )
    context.log.info(f"{done.sent} emails sent")
    return dg.Output(done.sent, metadata={"sent": done.sent, "owed": len(emails)})


@dg.job(name=JOB, description="Send the trusts' emails that are owed.")
def send_emails_job() -> None:
    send_owed_emails()
