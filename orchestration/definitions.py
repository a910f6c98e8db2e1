"""The platform's one Definitions object: each domain's small definitions, merged here.

Each domain's `build()` makes its definitions when they are loaded, not at import, so
the settings they read (psw/settings.py) are those of the process loading them.
Loading must not import Great Expectations or run dbt; the dbt manifest must exist
(`psw.warehouse.prepare_manifest`, which `psw run`, `psw demo` and the tests call).
"""

import dagster as dg

from orchestration.ingestion import definitions as ingestion
from orchestration.marts import definitions as marts


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(ingestion.build(), marts.build())
