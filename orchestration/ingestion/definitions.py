"""The ingestion domain's definitions, merged once in orchestration/definitions.py."""

import dagster as dg

from orchestration.ingestion.assets import submission_asset
from orchestration.ingestion.jobs import intake_job
from orchestration.ingestion.resources import PlatformResource
from orchestration.ingestion.sensors import upload_sensor
from psw.core.settings import current


def build() -> dg.Definitions:
    """Built when Dagster (or `psw run`) loads the definitions, from the settings then."""
    chosen = current()
    return dg.Definitions(
        assets=[submission_asset(chosen.first_month)],
        jobs=[intake_job],
        sensors=[upload_sensor(chosen.sensor_interval_seconds)],
        resources={"platform": PlatformResource.from_settings()},
    )
