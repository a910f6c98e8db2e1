"""The platform's one Definitions object.

Ingestion (the S3 sensor, validation and landing), transformation (dbt) and publishing
are added by the ingestion and marts issues; until then the code location loads empty,
so `dagster dev -w workspace.yaml` already works.
"""

import dagster as dg

defs = dg.Definitions()
