"""The platform's one Definitions object: each domain's small definitions, merged here.

Domains are imported as modules, not their `defs` objects: Dagster refuses a module with
more than one Definitions at module scope. Loading this module must not import Great
Expectations or run dbt; the dbt manifest must exist (`psw.warehouse.prepare_manifest`,
which `psw run`, `psw demo` and the tests call).
"""

import dagster as dg

from orchestration.ingestion import definitions as ingestion
from orchestration.marts import definitions as marts

defs = dg.Definitions.merge(ingestion.defs, marts.defs)
