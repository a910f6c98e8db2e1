"""One sensor over every registered trust bucket: new uploads become intake runs.

Each tick re-reads the registry (a new trust is added as a partition, no restart), lists
the buckets round-robin within a time budget well under Dagster's 60 s tick limit, and
requests intake runs for every upload without an outcome in the ledger. A missing or
refused bucket is logged and passed over; an unreachable store skips the tick. The
ledger, not the cursor, says what is done: the cursor only remembers which uploads were
handed to which run, so an upload whose run died without an outcome is handed out again.
"""

# No `from __future__ import annotations`: Dagster resolves config and resource types
# from these signatures at definition time.

import hashlib
import json
import math
import time

import dagster as dg

from orchestration.ingestion.jobs import intake_job
from orchestration.ingestion.partitions import new_trusts, trust_partitions
from orchestration.ingestion.resources import PlatformResource
from psw.intake.batches import parallelism
from psw.intake.discovery import StoreUnavailable, pending_uploads
from psw.intake.submissions import Submission

TICK_BUDGET_S = 40.0
BATCH_MAX = 100  # uploads per run: a backlog becomes a few warm runs, not one per upload
MAX_RUNTIME_S = 1800  # 100 uploads of 100,000 rows take about 15 minutes
# A run requested this long ago that the instance does not know is taken as lost.
LOST_AFTER_S = 300
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def plan_batches(submissions: list[Submission]) -> list[list[Submission]]:
    """Uploads into runs: a trust's uploads stay in one run (its months in order), runs
    of at most BATCH_MAX where trusts allow, and as many runs as `parallelism` says."""
    if not submissions:
        return []
    groups: dict[str, list[Submission]] = {}
    for s in submissions:
        groups.setdefault(s.trust_ods_code, []).append(s)
    wanted = max(math.ceil(len(submissions) / BATCH_MAX), parallelism(len(submissions)))
    bins: list[list[Submission]] = [[] for _ in range(min(wanted, len(groups)))]
    for group in sorted(groups.values(), key=len, reverse=True):
        min(bins, key=len).extend(group)
    return bins


def run_key(batch: list[Submission], now: float) -> str:
    ids = ",".join(sorted(s.id for s in batch))
    return f"intake-{hashlib.sha256(ids.encode()).hexdigest()[:16]}-{int(now * 1000)}"


def in_flight(instance: dg.DagsterInstance, requested: dict, now: float) -> set[str]:
    """Submission ids handed to a run that may still give them an outcome."""
    status: dict[str, bool] = {}
    for key, since in {(v[0], v[1]) for v in requested.values()}:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": key}), limit=1)
        if runs:
            status[key] = runs[0].status not in FINISHED
        else:
            status[key] = now - since < LOST_AFTER_S
    return {sid for sid, (key, *_) in requested.items() if status[key]}


def upload_sensor(interval_s: int) -> dg.SensorDefinition:
    """The `trust_uploads` sensor, looking every `interval_s` seconds
    (PSW_SENSOR_INTERVAL_SECONDS, read when the definitions are built)."""

    @dg.sensor(
        name="trust_uploads",
        minimum_interval_seconds=interval_s,
        default_status=dg.DefaultSensorStatus.RUNNING,
        job=intake_job,
    )
    def trust_uploads(
        context: dg.SensorEvaluationContext, platform: PlatformResource
    ) -> dg.SensorResult:
        return look_for_uploads(context, platform)

    return trust_uploads


def look_for_uploads(
    context: dg.SensorEvaluationContext, platform: PlatformResource
) -> dg.SensorResult:
    """One tick: new trusts as partitions, and a run request for each batch of uploads."""
    cursor = json.loads(context.cursor or "{}")
    now = time.time()
    added = new_trusts(context.instance)
    partitions = [trust_partitions.build_add_request(added)] if added else []
    try:
        found = pending_uploads(
            platform.s3(), platform.lake(), cursor.get("next", 0), TICK_BUDGET_S
        )
    except StoreUnavailable as exc:
        return dg.SensorResult(
            skip_reason=f"the object store cannot be reached: {exc}",
            dynamic_partitions_requests=partitions,
        )
    for problem in found.problems:
        context.log.warning(problem.line)
    requested = {sid: v for sid, v in cursor.get("requested", {}).items() if sid not in found.done}
    busy = in_flight(context.instance, requested, now)
    # A trust with uploads in a run still going waits for it: its months stay in order (a
    # return's history checks need the month before it landed first).
    waiting = {requested[sid][2] for sid in busy}
    new = [s for s in found.pending if s.id not in busy and s.trust_ods_code not in waiting]
    requests = []
    for batch in plan_batches(new):
        key = run_key(batch, now)
        requests.append(
            dg.RunRequest(
                run_key=key,
                run_config={
                    "ops": {
                        "process_uploads": {
                            "config": {"submissions": [s.to_config() for s in batch]}
                        }
                    }
                },
                tags={
                    # run monitoring fails a run whose worker died after this long
                    "dagster/max_runtime": str(MAX_RUNTIME_S),
                    "psw/uploads": str(len(batch)),
                    "psw/trusts": ",".join(sorted({s.trust_ods_code for s in batch}))[:200],
                },
            )
        )
        requested.update({s.id: [key, now, s.trust_ods_code] for s in batch})
    cursor = {"next": found.next_start, "requested": requested}
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps(cursor, separators=(",", ":")),
        dynamic_partitions_requests=partitions,
        skip_reason=None if requests else "no new uploads",
    )
