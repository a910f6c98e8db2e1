"""`psw run`: one headless pass through the same definitions the Dagster UI runs.

1. Runs left STARTED by a `psw run` that was killed are marked failed, and the
   concurrency slots they held are freed (a killed pass must not block every later one).
2. New trusts in the registry become partitions.
3. Every registered bucket is listed. An upload with an outcome in the ledger is done; the
   rest are processed by one `intake` run in this process (two worker processes for a
   backlog), recorded in the Dagster instance so the UI shows it.
4. When anything was processed, or the serving database is missing or older than the
   ledger, the `build_marts` job runs dbt and publishes the serving database; a lost or
   corrupt serving file whose returns the last build already holds is only published
   again (the `republish` job).

The ledger, not a cursor, decides what is new: an upload whose processing failed (a
platform fault, no outcome) is tried again by the next pass, and two passes at once share
the uploads (each is claimed) instead of processing them twice.

One module (about 340 lines): the pass's steps and their order are one promise, and
what each step prints and counts depends on how the one before it ended (a failed
PostgreSQL copy for BI tools, for one, still counts the figures as published).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.ingestion.partitions import TRUSTS, add_new_trusts
from psw.core.processes import pid_alive
from psw.core.settings import current, export
from psw.intake.batches import parallelism
from psw.intake.discovery import StoreUnavailable, pending_uploads
from psw.storage import data_dir
from psw.warehouse.audit import lost_returns, unregistered_trusts
from psw.warehouse.writer import (
    prepare_manifest,
    report_is_stale,
    serving_is_stale,
    warehouse_holds_ledger,
)

DAGSTER_YAML = """# Written by psw. NHS data: nothing may phone home.
telemetry:
  enabled: false
# Dagster's SQLite event log, its files where they always were, keeping its connections
# open: a new one per statement cost 40% of a pass's CPU (orchestration/event_log.py).
event_log_storage:
  module: orchestration.event_log
  class: KeptConnectionsEventLogStorage
  config:
    base_dir: {event_logs}
# Two cores: more runs at once only makes each one slower (and uploads wait longer).
# Pools: the dbt op is in pool `warehouse`, the only pool, so one warehouse writer at a time.
concurrency:
  runs:
    max_concurrent_runs: 2
  pools:
    default_limit: 1
# A run whose worker died is marked failed after its time (intake runs set a
# dagster/max_runtime tag), so the sensor hands its uploads out again; the daemon then
# frees the pool slot it held (a marts run killed with its host blocks no other host).
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
  max_resume_run_attempts: 0
  free_slots_after_run_end_seconds: 60
# Queued runs start within a second, not the default five.
run_coordinator:
  module: dagster._core.run_coordinator.queued_run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
"""
PID_TAG, HOST_TAG = "psw/pid", "psw/host"
QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}  # progress, not debug


def dagster_yaml(home: Path) -> str:
    """The instance settings psw writes into `home` (the event logs' folder named in full)."""
    event_logs = home.resolve() / "history" / "runs"  # where Dagster's default keeps them
    return DAGSTER_YAML.replace("{event_logs}", json.dumps(str(event_logs)))


def dagster_home() -> Path:
    """DAGSTER_HOME, or $PSW_DATA_DIR/dagster with telemetry off; created when missing."""
    home = current().dagster_home or data_dir().resolve() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    # Ours to rewrite when it changes; a dagster.yaml written by someone else is left alone.
    written = config.read_text() if config.exists() else None
    wanted = dagster_yaml(home)  # a copied or moved home is rewritten for where it is
    if written is None or (written.startswith("# Written by psw") and written != wanted):
        config.write_text(wanted)
    export({"DAGSTER_HOME": str(home)})
    return home


@contextlib.contextmanager
def open_instance() -> Iterator[dg.DagsterInstance]:
    """The Dagster instance, its SQLite storages created under a file lock. Two `psw run`
    started together on a fresh data folder otherwise both create the same tables and
    the loser fails ("table runs already exists"); once they exist this costs nothing."""
    home = dagster_home()
    with open(home / ".psw-open.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            instance = dg.DagsterInstance.get()
            instance.get_runs(limit=1)  # touches every storage, creating what is missing
            instance.get_dynamic_partitions(TRUSTS)
            instance.all_instigator_state()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    with instance:
        yield instance


def _this_process() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


@cache  # installs the listener once per process
def lighter_sqlite_commits() -> None:
    """Dagster's default SQLite storage commits every event with an fsync; a backlog of a
    thousand uploads makes ten thousand of them, which stall the disk the workers write
    to. In WAL mode (Dagster's setting) synchronous=NORMAL syncs at checkpoints instead: a
    power cut may lose the last run-log events, never corrupt the database, and the
    ledger, not Dagster's log, says what is done. Process-wide, for `psw run` only; a
    deployment on PostgreSQL (deploy/dagster.yaml) is not affected."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _normal_sync(connection, _record):
        if type(connection).__module__.startswith("sqlite3"):
            cursor = connection.cursor()
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


def reap_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs a killed `psw run` on this host left in progress, and free
    the concurrency slots they hold (else the `warehouse` pool stays full for good)."""
    reaped = []
    in_progress = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
            tags={HOST_TAG: socket.gethostname()},
        )
    )
    for run in in_progress:
        pid = int(run.tags.get(PID_TAG, "0"))
        if pid and not pid_alive(pid):
            instance.report_run_failed(run, "its `psw run` process died (found by a later pass)")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            reaped.append(run.run_id)
    return reaped


def run_once(progress: Callable[[str], None] = print, build: bool = True) -> dict[str, int]:
    """One pass; `build=False` processes uploads only (the marts wait for the next pass)."""
    # The intake job runs from the ingestion domain's definitions: the whole platform's
    # (dagster-dbt, dbt's adapters: about 5 s to import) load only when the marts build.
    from orchestration.ingestion.definitions import build as ingestion_definitions
    from orchestration.ingestion.jobs import INTAKE_JOB, SALARY_WARNING

    lighter_sqlite_commits()
    counts = {"skipped": 0, "processed": 0, "rejected": 0, "failed": 0, "built": 0, "problems": 0}
    with open_instance() as instance:
        for run_id in reap_dead_runs(instance):
            progress(f"run {run_id} of a killed `psw run` marked failed; its slots freed")
        ingestion = ingestion_definitions()
        # Resolved as a run would (its EnvVars read), to scan and claim in this process.
        platform = (ingestion.resources or {})["platform"].process_config_and_initialize()
        lake = platform.lake()
        added = add_new_trusts(instance)
        if added:
            names = ", ".join(added) if len(added) <= 10 else f"{', '.join(added[:10])}, ..."
            progress(f"{len(added)} trusts added as partitions: {names}")
        try:
            found = pending_uploads(platform.s3(), lake)
        except StoreUnavailable as exc:
            progress(f"the object store cannot be reached ({exc}): nothing processed")
            counts["failed"] += 1
            return counts
        for problem in found.problems:
            progress(problem.line)
        counts["problems"] = len(found.problems)
        pending = found.pending
        counts["skipped"] = len(found.submissions) - len(pending)
        progress(f"{len(found.submissions)} uploads in {found.scanned} buckets, {len(pending)} new")
        if pending:
            started = time.monotonic()
            workers = parallelism(len(pending))
            uploads = {"submissions": [s.to_config() for s in pending], "workers": workers}
            intake = _execute(
                ingestion, INTAKE_JOB, instance, {"ops": {"process_uploads": {"config": uploads}}}
            )
            summary = _output_metadata(intake)
            counts["rejected"] = summary.get("rejected", 0)
            counts["processed"] = sum(
                summary.get(s, 0)
                for s in ("accepted", "accepted_with_warnings", "nil_return", "rejected")
            )
            counts["skipped"] += summary.get("skipped", 0)
            counts["failed"] += summary.get("faults", 0)
            if not summary:  # the op failed before it could count anything
                counts["failed"] += 1
                progress("the intake run failed: see the Dagster UI (run intake)")
            seconds = time.monotonic() - started
            progress(
                f"intake: {len(pending)} uploads in {seconds:.1f} s with {workers} worker(s) "
                f"({seconds / len(pending):.2f} s each, run start included)"
            )
            if summary.get("platform errors"):
                progress(f"{summary['platform errors']} uploads failed validation on our side")
            if summary.get(SALARY_WARNING):
                progress(f"warning: {summary[SALARY_WARNING]}")
            if summary.get("replaced"):
                progress(
                    f"{summary['replaced']} uploads were overwritten or deleted before they "
                    "were read; the newer versions, if any, are checked instead"
                )
        # Staleness reads every ledger entry (a listing on an S3 lake): asked once, and
        # not at all when this pass processed uploads (those are newer than any build).
        publish = build and (counts["processed"] > 0 or serving_is_stale(lake))
        if not build:
            progress("intake only: the marts are left for the next full pass")
        elif publish and not counts["processed"] and warehouse_holds_ledger(lake):
            # The served file is lost, corrupt or behind (its publish failed), and the last
            # build holds every return: publishing again is enough.
            progress("the serving database is missing, unreadable or behind the last build")
            republished = _execute(_platform(), "republish", instance)
            if republished.success or _failed_steps(republished) == {BI_COPY}:
                counts["built"] = 1
                progress("serving database published again from the last build")
                counts["failed"] += _report_bi_copy(republished, progress)
            else:
                counts["failed"] += 1
                progress("publishing failed: see the Dagster UI (run republish)")
        elif publish:
            progress("building the marts (dbt build) and publishing the serving database ...")
            started = time.monotonic()
            built = _execute(_platform(), "build_marts", instance)
            copy_failed = _failed_steps(built) == {BI_COPY}
            if built.success or copy_failed:
                counts["built"] = 1
                progress(
                    f"marts built; serving database published ({time.monotonic() - started:.1f} s)"
                )
                counts["failed"] += _report_bi_copy(built, progress)
            else:
                counts["failed"] += 1
                progress("the marts build failed: see the Dagster UI (run build_marts)")
                set_aside = lake.quarantined()
                for key in set_aside:
                    progress(f"  the ledger entry {key} is unreadable: set aside in quarantine/")
                if set_aside:
                    progress(
                        "  nothing was published (a trust's month would be wrong). "
                        "`psw lake rebuild` makes these entries again from the archive."
                    )
                lost = lost_returns(lake.root)
                for ods, period, key in lost:
                    progress(f"  {ods} {period}: the landed rows of {key} are missing")
                if lost:
                    progress(
                        f"  {len(lost)} returns in force have lost their landed data; nothing "
                        "was published. `psw lake rebuild` makes the lake again from the archive."
                    )
                for ods in unregistered_trusts(lake.root):
                    progress(
                        f"  {ods} has returns but is not in the trust registry: nothing was "
                        "published (its history would vanish from every figure). A trust is "
                        "closed, never deleted: put it back with valid_to set to its last month."
                    )
        elif report_is_stale(lake):  # a pass killed between the publish and the report
            progress("the national report is older than the serving database: rebuilding it")
            report = _execute(_platform(), "publish_report", instance)
            if report.success or _failed_steps(report) == {BI_COPY}:
                progress("national report and trust histories written")
                counts["failed"] += _report_bi_copy(report, progress)
            else:
                counts["failed"] += 1
                progress("the report failed: see the Dagster UI (run publish_report)")
        else:
            progress("nothing new: the marts and the serving database are up to date")
        counts["failed"] += _send_emails(instance, progress)
    return counts


def _send_emails(instance: dg.DagsterInstance, progress: Callable[[str], None]) -> int:
    """The emails owed after this pass's reports (when a mail service is set); 1 when some
    could not be sent (the next pass, or the sensor, sends them)."""
    from orchestration.notifications.definitions import build as notifications
    from orchestration.notifications.jobs import JOB

    chosen = current()
    if chosen.smtp_url is None and chosen.notify_api_key is None:
        return 0
    sent = _execute(notifications(), JOB, instance)
    if sent.success:
        count = _output_metadata(sent).get("sent", 0)
        if count:
            progress(f"emails: {count} sent to trusts' portal users")
        return 0
    progress(
        "some emails could not be sent: see the Dagster UI (run send_emails); "
        "the next pass sends them"
    )
    return 1


def _platform() -> dg.Definitions:
    """Every domain's definitions, the dbt manifest made first when it is stale."""
    prepare_manifest(data_dir())
    from orchestration.definitions import defs

    return defs()


def _execute(
    defs: dg.Definitions, job: str, instance: dg.DagsterInstance, run_config: dict | None = None
) -> dg.ExecuteInProcessResult:
    """A job of the definitions in this process, recorded in the instance as this pass's."""
    return defs.resolve_job_def(job).execute_in_process(
        run_config={**QUIET, **(run_config or {})},
        instance=instance,
        tags={"psw/trigger": "psw run", **_this_process()},
        raise_on_error=False,
    )


# The PostgreSQL copy for BI tools (orchestration/marts/assets.py): its failure leaves the
# serving file, the report and the histories published, so it is told apart.
BI_COPY = "serving_postgres"


def _failed_steps(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.step_key for event in result.get_step_failure_events() if event.step_key}


def _report_bi_copy(result: dg.ExecuteInProcessResult, progress) -> int:
    """One line on the PostgreSQL copy when one is configured; 1 when it failed."""
    if BI_COPY in _failed_steps(result):
        progress(
            "the PostgreSQL copy for BI tools failed: see the Dagster UI (step "
            f"{BI_COPY}); it keeps the previous publish until the next one copies again"
        )
        return 1
    if result.asset_materializations_for_node(BI_COPY):
        progress("published schema copied to PostgreSQL for BI tools")
    return 0


def _output_metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    """The intake op's counts (status -> uploads, skipped, faults: ints) and its warning
    (text); {} if it never got there."""
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_OUTPUT:
            return {k: v.value for k, v in event.step_output_data.metadata.items()}
    return {}
