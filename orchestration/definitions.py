"""The platform's one Definitions object: each domain's small definitions, merged here.

Domains are imported as modules, not their `defs` objects: Dagster refuses a module with
more than one Definitions at module scope. Transformation (dbt) and publishing join with
the marts issue. Loading this module must not import Great Expectations or run dbt.
"""

import dagster as dg

from orchestration.ingestion import definitions as ingestion

defs = dg.Definitions.merge(ingestion.defs)
