"""`portal_emails`: starts a `send_emails` run when any email is owed (every 30 s at most),
never two at once, and never while uploads are being processed."""

import dagster as dg

from orchestration.ingestion.jobs import INTAKE_JOB
from orchestration.notifications.jobs import JOB, send_emails_job
from psw.core.settings import current

ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    name="portal_emails",
    job=send_emails_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts send_emails when a report was written for a trust with portal "
    "users, or a month's reminder is due.",
)
def portal_emails(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    from psw.lake.layout import Lake
    from psw.portal.mail import owed
    from psw.portal.store import PortalStore

    settings = current()
    if settings.smtp_url is None and settings.notify_api_key is None:
        return dg.SkipReason("no mail service is set (PSW_SMTP_URL or PSW_NOTIFY_API_KEY)")
    if context.instance.get_runs_count(dg.RunsFilter(job_name=JOB, statuses=ACTIVE)):
        return dg.SkipReason("a send_emails run is still going")
    # Trusts' reports first: a sending run would take one of the two run slots while
    # uploads wait for theirs (seen in `make demo`: its backlog took twice as long).
    if context.instance.get_runs_count(dg.RunsFilter(job_name=INTAKE_JOB, statuses=ACTIVE)):
        return dg.SkipReason("uploads are being processed: emails wait until they are done")
    count = len(
        owed(Lake.from_env(settings.data_dir), PortalStore.in_data_dir(settings.data_dir), settings)
    )
    if not count:
        return dg.SkipReason("no email is owed")
    return dg.RunRequest(tags={"psw/emails-owed": str(count)})
