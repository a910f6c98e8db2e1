"""One sensor over every registered trust bucket.

The cursor remembers the ETag of every return object seen, so a new object or a new
version of an existing key (new ETag) requests a run, and a restart loses nothing. Run
keys are submission ids (bucket, key and ETag), so an object seen again is a no-op. Each
tick lists buckets round-robin within a time budget, well under Dagster's 60 s tick limit,
and carries on from where it stopped on the next tick.
"""

# No `from __future__ import annotations`: Dagster resolves config and resource types
# from these signatures at definition time.

import json
import os
import time

import dagster as dg

from orchestration.ingestion.partitions import partition_key
from orchestration.ingestion.resources import PlatformResource
from psw.ingest import Upload, list_uploads
from psw.reference import trusts

TICK_BUDGET_S = 40.0
# How often the sensor looks (seconds): PSW_SENSOR_INTERVAL_SECONDS, default 10.
INTERVAL_S = int(os.environ.get("PSW_SENSOR_INTERVAL_SECONDS", "10"))


def scan(
    s3, cursor: dict, budget_s: float = TICK_BUDGET_S, clock=time.monotonic
) -> tuple[list[Upload], dict]:
    """New uploads since the cursor, and the cursor to store. Pure but for S3 reads."""
    registry = sorted(trusts().values(), key=lambda t: t.ods_code)
    seen: dict[str, str] = dict(cursor.get("seen", {}))
    start = cursor.get("next", 0) % max(len(registry), 1)
    started, new, scanned = clock(), [], 0
    for offset in range(len(registry)):
        if scanned and clock() - started > budget_s:
            break
        trust = registry[(start + offset) % len(registry)]
        for upload in list_uploads(s3, trust):
            ident = f"{trust.bucket}/{upload.key}"
            if seen.get(ident) != upload.etag:
                seen[ident] = upload.etag
                new.append(upload)
        scanned += 1
    return new, {"seen": seen, "next": (start + scanned) % max(len(registry), 1)}


def run_request(upload: Upload) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=upload.submission_id,
        partition_key=partition_key(upload.trust.ods_code, upload.period),
        run_config={"ops": {"submission": {"config": {"key": upload.key, "etag": upload.etag}}}},
        tags={"psw/trust": upload.trust.ods_code, "psw/key": upload.key},
    )


@dg.sensor(
    name="trust_uploads",
    minimum_interval_seconds=INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    asset_selection=["submission"],
)
def trust_uploads(context: dg.SensorEvaluationContext, platform: PlatformResource):
    new, cursor = scan(platform.s3(), json.loads(context.cursor or "{}"))
    context.update_cursor(json.dumps(cursor, separators=(",", ":")))
    if not new:
        return dg.SkipReason("no new uploads")
    return [run_request(u) for u in new]
