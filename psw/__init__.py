"""PSW workforce data platform: the return standard, validation, synthetic data and CLI."""

import os as _os

# NHS data: nothing may phone home. Set before any of these libraries is imported, and
# only as defaults, so an operator's explicit setting still wins.
for _name, _value in {
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DAGSTER_DISABLE_TELEMETRY": "1",
}.items():
    _os.environ.setdefault(_name, _value)
