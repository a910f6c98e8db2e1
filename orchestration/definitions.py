"""The platform's one Definitions object: each domain's small definitions, merged here.

Each domain's `build()` makes its definitions when they are first loaded, not at import,
so the settings they read (psw/core/settings.py) are those of the process loading them.
They are built once per process, as a module-level object was: a Definitions object
keeps the repository it resolved, and resolving it again outside an open Dagster
instance can meet a state storage whose instance is gone (seen in the test suite).
Loading must not import Great Expectations or run dbt; the dbt manifest must exist
(`psw.warehouse.writer.prepare_manifest`, which `psw run`, `psw demo` and the tests call).
"""

from functools import cache

import dagster as dg

from orchestration.ingestion import definitions as ingestion
from orchestration.marts import definitions as marts
from orchestration.notifications import definitions as notifications


@dg.definitions
def defs() -> dg.Definitions:
    return _built()


@cache
def _built() -> dg.Definitions:
    return dg.Definitions.merge(ingestion.build(), marts.build(), notifications.build())
