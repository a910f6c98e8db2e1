"""The intake job: one run processes a batch of uploads in one warm process.

The sensor (sensors.py) and `psw run` launch it with the submissions to process. Each
filed upload is reported as a materialisation of its trust-month partition of
`submission`, with its two check evaluations, as soon as it is done; uploads that fit no
month (a misplaced key, a month outside the collection) get their report and appear in
the run's log and summary. One upload's fault never stops the batch: a file that breaks
the validator is rejected with a report, and a store fault leaves the upload without an
outcome, for the next pass to try again (the run then ends failed, so it shows red).
"""

# No `from __future__ import annotations`: Dagster resolves config and resource types
# from these signatures at definition time.

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.console import upload_done
from orchestration.ingestion.assets import upload_events
from orchestration.ingestion.resources import PlatformResource
from psw.intake.submissions import Submission
from psw.intake.workers import process_in_workers
from psw.lake.ledger import Status
from psw.standard.reference import pay_table_missing, pay_table_warning

if TYPE_CHECKING:  # the validator (pandas, pandera) loads in the run, not with the definitions
    from psw.standard.validation.report import Report

INTAKE_JOB = "intake"
SALARY_WARNING = "salary check warning"  # output metadata: returns without a pay table
EVENTS_EVERY = 20  # uploads reported to Dagster together (the trust's report is already out)


class IntakeConfig(dg.Config):
    submissions: list[dict[str, str]]
    workers: int = 1


@dg.op(name="process_uploads", description="Archive, validate, report back and land a batch.")
def process_uploads(
    context: dg.OpExecutionContext, config: IntakeConfig, platform: PlatformResource
) -> Iterator[dg.AssetMaterialization | dg.AssetCheckEvaluation | dg.Output]:
    batch = [Submission.from_config(c) for c in config.submissions]
    context.log.info(f"{len(batch)} uploads to process with {config.workers} worker(s)")
    counts: Counter[str] = Counter()
    faults = []
    # Reported to Dagster in groups: every log line and event is a write to the instance's
    # storage, and on a backlog those writes compete with the workers for the two cores.
    filed: list[tuple[dict, Report | None]] = []
    lines: list[str] = []
    unchecked_pay_years: list[str] = []
    events_read: int | None = None  # the last materialisation read (upload_events)
    for number, item in enumerate(
        process_in_workers(platform.settings(), batch, platform.intake_settings(), config.workers),
        start=1,
    ):
        lines.append(f"[{number}/{len(batch)}] {item.line}")
        upload_done(number, len(batch), item.line)  # `psw run`'s terminal, if listening
        if item.processed and item.processed.replaced:
            counts["replaced"] += 1
        elif item.processed:
            outcome = item.processed.outcome
            counts[outcome.status] += 1
            counts["platform errors"] += outcome.error is not None
            if outcome.period:
                filed.append((asdict(outcome), item.processed.report))
                missing = pay_table_missing(outcome.period)
                if missing and outcome.status in (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS):
                    unchecked_pay_years.append(missing)
        elif item.skipped:
            counts["skipped"] += 1
        else:
            faults.append(item.line)
        if len(lines) >= EVENTS_EVERY:
            context.log.info("\n".join(lines))
            events_read = yield from upload_events(
                filed, context.instance, context.run_id, events_read
            )
            filed, lines = [], []
    if lines:
        context.log.info("\n".join(lines))
    yield from upload_events(filed, context.instance, context.run_id, events_read)
    counts["faults"] = len(faults)
    metadata: dict[str, dg.MetadataValue] = {
        name: dg.MetadataValue.int(n) for name, n in sorted(counts.items())
    }
    if unchecked_pay_years:
        warning = pay_table_warning(unchecked_pay_years, len(unchecked_pay_years))
        context.log.warning(warning)
        metadata[SALARY_WARNING] = dg.MetadataValue.text(warning)  # `psw run` prints it
    yield dg.Output(None, metadata=metadata)
    if faults:
        raise dg.Failure(
            f"{len(faults)} uploads were not processed (the next pass retries them)",
            metadata={"not processed": dg.MetadataValue.json(faults[:50])},
        )


@dg.job(name=INTAKE_JOB, executor_def=dg.in_process_executor, tags={"psw/kind": "intake"})
def intake_job() -> None:
    process_uploads()
