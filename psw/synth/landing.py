"""Synthetic returns landed straight into the lake (validated Parquet and ledger entries,
as the platform writes them, without S3 or Dagster): for building the marts at sizes or
shapes whose intake would take too long in a benchmark or a test. Staff ids are
pseudonymised as intake does (HMAC with `secret`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from psw.core.periods import parse_period


def land_return(
    data: Path, ods: str, period: str, rows: list[dict], received: dt.datetime, secret: str
) -> str:
    """One accepted return landed and recorded; its submission id."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from psw.intake.ingest import pseudonymise_ids, pseudonymiser
    from psw.lake.layout import Lake
    from psw.standard.model import load_standard
    from psw.standard.validation.typed import arrow_schema

    lake, hash_id = Lake(data), pseudonymiser(secret)
    sid = hashlib.sha256(f"{ods}{period}{received.isoformat()}".encode()).hexdigest()[:20]
    numbered = [dict(r, source_row=i) for i, r in enumerate(rows, start=2)]
    table = pa.Table.from_pylist(numbered, schema=arrow_schema(load_standard()))
    table = pseudonymise_ids(table, hash_id)
    source_key = f"returns/{period}/r.csv"
    for name, value in [("source_key", source_key), ("submission_id", sid)]:
        table = table.append_column(name, pa.array([value] * table.num_rows))
    table = table.append_column(
        "received_at", pa.array([received] * table.num_rows, pa.timestamp("us", tz="UTC"))
    )
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    lake.write_landed(ods, period, sid, buffer.getvalue().to_pybytes())
    lake.write_outcome(
        ods,
        period,
        sid,
        {
            "submission_id": sid,
            "trust_ods_code": ods,
            "period": period,
            "status": "accepted",
            "source_key": source_key,
            "received_at": received.isoformat(),
            "processed_at": received.isoformat(),
            "rows": len(rows),
            "errors": 0,
            "warnings": 0,
            "landed": lake.store.url(lake.landed_key(ods, period, sid)),
        },
    )
    return sid


def land_directly(
    data: Path, periods: list[str], staff: int | list[int], secret: str = "synthetic"
) -> int:
    """Every registered trust's returns for `periods` landed; `staff` per trust (a list is
    cycled through the trusts). How many rows."""
    from psw.standard.reference import trusts
    from psw.synth import simulate

    sizes = staff if isinstance(staff, list) else [staff]
    count = 0
    for i, trust in enumerate(trusts().values()):
        size = sizes[i % len(sizes)]
        for period, rows in simulate(trust, periods, seed=100 + i, staff=size):
            received = dt.datetime.combine(parse_period(period), dt.time(9), dt.UTC)
            land_return(data, trust.ods_code, period, rows, received, secret)
            count += len(rows)
    return count
