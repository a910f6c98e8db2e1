"""The ingestion domain's definitions, merged once in orchestration/definitions.py."""

import dagster as dg

from orchestration.ingestion.assets import submission
from orchestration.ingestion.jobs import intake_job
from orchestration.ingestion.resources import PlatformResource
from orchestration.ingestion.sensors import trust_uploads

defs = dg.Definitions(
    assets=[submission],
    jobs=[intake_job],
    sensors=[trust_uploads],
    resources={"platform": PlatformResource()},
)
