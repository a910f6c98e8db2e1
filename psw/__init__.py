"""PSW workforce data platform: the return standard, validation, synthetic data and CLI."""

from psw.core.settings import turn_off_telemetry

# NHS data: nothing may phone home. Set before Dagster, dbt or Great Expectations is
# imported, and only as defaults, so an operator's explicit setting still wins.
turn_off_telemetry()
