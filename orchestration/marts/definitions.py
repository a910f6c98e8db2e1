"""The marts domain's definitions, merged once in orchestration/definitions.py."""

import dagster as dg

from orchestration.marts.assets import psw_dbt_models
from orchestration.marts.publication import (
    marts_job,
    national_report,
    report_job,
    republish_job,
    serving_database,
    serving_postgres,
    trust_histories,
)
from orchestration.marts.resources import dbt_resource
from orchestration.marts.sensors import marts_automation, release_calendar


def build() -> dg.Definitions:
    return dg.Definitions(
        assets=[
            psw_dbt_models,
            serving_database,
            national_report,
            trust_histories,
            serving_postgres,
        ],
        jobs=[marts_job, report_job, republish_job],
        sensors=[marts_automation, release_calendar],
        resources={"dbt": dbt_resource()},
    )
