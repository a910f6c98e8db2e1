"""The platform's one Definitions object: each domain's small definitions, merged here.

Transformation (dbt) and publishing join with the marts issue. Loading this module must
not import Great Expectations or run dbt (a test checks the first).
"""

import dagster as dg

from orchestration.ingestion.definitions import defs as ingestion

defs = dg.Definitions.merge(ingestion)
