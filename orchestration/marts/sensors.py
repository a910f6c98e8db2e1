"""The sensor that evaluates the marts' automation conditions (on by default).

Every 60 s at most: uploads that arrive together are built together, and on two cores
the builds leave room for the ingestion runs.
"""

import dagster as dg

marts_automation = dg.AutomationConditionSensorDefinition(
    "marts_automation",
    target=dg.AssetSelection.groups("reference", "staging", "intermediate", "marts", "published"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
)
