"""The notifications domain's definitions, merged once in orchestration/definitions.py."""

import dagster as dg

from orchestration.notifications.jobs import send_emails_job
from orchestration.notifications.sensors import portal_emails


def build() -> dg.Definitions:
    return dg.Definitions(jobs=[send_emails_job], sensors=[portal_emails])
