"""`psw run`: one headless pass through the same definitions the Dagster UI runs.

The upload sensor is evaluated once and every run it requests is executed in this
process, recorded in the Dagster instance (DAGSTER_HOME, default $PSW_DATA_DIR/dagster),
so the UI shows them too. It starts from an empty cursor every time and relies on run
keys (submission ids) instead: an upload with an outcome in the submissions ledger
(accepted or rejected) is skipped, so a second `psw run` with nothing new does nothing,
while an upload whose run failed (a platform fault, no outcome) is tried again on the next
pass rather than lost behind a cursor.

Then, when anything was processed or the serving database is missing or older than the
ledger, the `build_marts` job runs dbt and publishes the serving database (the same op
the automation launches under `dagster dev`).
"""

import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from psw.ingest import already_processed
from psw.storage import data_dir
from psw.warehouse import prepare_manifest, serving_is_stale

DAGSTER_YAML = """# Written by psw. NHS data: nothing may phone home.
telemetry:
  enabled: false
# Two cores: more runs at once only makes each one slower (and uploads wait longer).
# Pools: the dbt op is in pool `warehouse`, the only pool, so one warehouse writer at a time.
concurrency:
  runs:
    max_concurrent_runs: 2
  pools:
    default_limit: 1
"""


def dagster_home() -> Path:
    """DAGSTER_HOME, or $PSW_DATA_DIR/dagster with telemetry off; created when missing."""
    home = Path(os.environ.get("DAGSTER_HOME") or data_dir().resolve() / "dagster")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    # Ours to rewrite when it changes; a dagster.yaml written by someone else is left alone.
    current = config.read_text() if config.exists() else None
    if current is None or (current.startswith("# Written by psw") and current != DAGSTER_YAML):
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_once(progress: Callable[[str], None] = print) -> dict[str, int]:
    prepare_manifest(data_dir())
    from orchestration.definitions import defs
    from orchestration.ingestion.assets import submission
    from orchestration.ingestion.sensors import trust_uploads

    dagster_home()
    counts = {"skipped": 0, "processed": 0, "rejected": 0, "failed": 0, "built": 0}
    with dg.DagsterInstance.get() as instance:
        platform = defs.resources["platform"]
        data = platform.data_path()
        context = dg.build_sensor_context(
            instance=instance, resources={"platform": platform}, definitions=defs
        )
        result = trust_uploads(context)
        requests = [] if isinstance(result, dg.SkipReason) else list(result)
        progress(f"{len(requests)} uploads in the buckets")
        for number, request in enumerate(requests, start=1):
            if already_processed(data, request.run_key):
                counts["skipped"] += 1
                continue
            outcome = dg.materialize(
                [submission],
                partition_key=request.partition_key,
                instance=instance,
                run_config=request.run_config,
                resources={"platform": platform},
                tags={**request.tags, "dagster/run_key": request.run_key},
                raise_on_error=False,
            )
            meta = _status(outcome)
            # A rejected return fails the blocking contract check, and so the run: that is
            # the platform doing its job. Anything else that fails the run is a fault.
            if outcome.success or meta == "rejected":
                counts["processed"] += 1
                counts["rejected"] += meta == "rejected"
            else:
                counts["failed"] += 1
            progress(
                f"[{number}/{len(requests)}] {request.tags['psw/trust']} "
                f"{request.tags['psw/key']}: {meta}"
            )
        if counts["processed"] or serving_is_stale(data):
            progress("building the marts (dbt build) and publishing the serving database ...")
            built = defs.resolve_job_def("build_marts").execute_in_process(
                instance=instance, tags={"psw/trigger": "psw run"}, raise_on_error=False
            )
            if built.success:
                counts["built"] = 1
                progress("marts built; serving database published")
            else:
                counts["failed"] += 1
                progress("the marts build failed: see the Dagster UI (run build_marts)")
        else:
            progress("nothing new: the marts and the serving database are up to date")
    return counts


def _status(outcome: dg.ExecuteInProcessResult) -> str:
    for event in outcome.get_asset_materialization_events():
        status = event.materialization.metadata.get("status")
        if status is not None:
            return str(status.value)
    return "run failed: see the Dagster UI"
