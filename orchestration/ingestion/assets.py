"""The submission asset: one partition per trust and month, one materialisation per upload.

Uploads are processed in batches by the `intake` job (jobs.py), which reports each filed
upload here as a materialisation of its trust-month with the two check results: the
pandera contract (blocking: a rejected return never feeds the marts) and the Great
Expectations quality suites (a warning). Materialising a partition from the UI re-reads
the submissions ledger and reports that trust-month's latest upload again; it never
processes a file (upload it again for that).
"""

# No `from __future__ import annotations`: Dagster resolves config and resource types
# from these signatures at definition time.

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from orchestration.ingestion.partitions import trust_month_partitions
from orchestration.ingestion.resources import PlatformResource
from psw.lake.layout import recency
from psw.lake.ledger import Status

if TYPE_CHECKING:  # the validator (pandas, pandera) loads in the run, not with the definitions
    from psw.standard.validation.report import Report

SUBMISSION = dg.AssetKey("submission")
CONTRACT_CHECK = "return_contract"
QUALITY_CHECK = "return_quality"
FIRST_FINDINGS = 10


def _findings(report, stages: tuple[str, ...], severity: str) -> list[dict]:
    if report is None:
        return []
    from psw.standard.model import load_standard

    stage = {r.id: r.stage for r in load_standard().rules.values()}
    return [f for f in report.findings if stage[f.rule_id] in stages and f.severity == severity]


def _listing(findings) -> dict:
    """Counts and the first findings as JSON: the UI shows it as data, so nothing from the
    file (column names, values) is ever read as markdown or HTML."""
    return {
        "findings": dg.MetadataValue.int(len(findings)),
        "first_findings": dg.MetadataValue.json(
            [
                {"rule": f.rule_id, "row": f.row, "column": f.column, "message": f.message}
                for f in findings[:FIRST_FINDINGS]
            ]
        ),
    }


def check_outcomes(outcome: dict, report: "Report | None" = None) -> list[tuple[str, bool, dict]]:
    """(check name, passed, metadata) of the contract and quality checks of one upload."""
    contract = _findings(report, ("file", "contract"), "error")
    quality = _findings(report, ("quality", "history"), "warning")
    return [
        (CONTRACT_CHECK, outcome["status"] != Status.REJECTED, _listing(contract)),
        (QUALITY_CHECK, outcome["warnings"] == 0, _listing(quality)),
    ]


SEVERITY = {CONTRACT_CHECK: dg.AssetCheckSeverity.ERROR, QUALITY_CHECK: dg.AssetCheckSeverity.WARN}


def materialization_metadata(outcome: dict) -> dict:
    return {
        "status": outcome["status"],
        "source": dg.MetadataValue.text(f"s3://{outcome['source_bucket']}/{outcome['source_key']}"),
        "received_at": outcome["received_at"],
        "rows": dg.MetadataValue.int(outcome["rows"]),
        "errors": dg.MetadataValue.int(outcome["errors"]),
        "warnings": dg.MetadataValue.int(outcome["warnings"]),
        "submission_id": outcome["submission_id"],
        "landed": outcome["landed"] or "nothing (rejected)",
    }


def upload_events(
    uploads: "list[tuple[dict, Report | None]]",
    instance: dg.DagsterInstance,
    run_id: str,
    after: int | None = None,
) -> Generator[dg.AssetMaterialization | dg.AssetCheckEvaluation, None, int | None]:
    """What a batch run reports for filed uploads (outcome, report): each trust-month's
    materialisation, then its two check evaluations (not blocking the batch: a rejection
    is an answer). Returns the last materialisation record read, for the next call.

    A generator: the materialisations are stored when yielded, then the records this run
    wrote since `after` name them, and the evaluations name them as their targets, as
    Dagster does for checks run inside an asset. Without a target a partitioned check
    result does not count as current for the marts' automation. Only this run's records:
    another pass at once may materialise the same trust-month (issue 21 found the newest
    records of the partition taken for this run's, and a KeyError when they were not).
    """
    if not uploads:
        return after
    if after is None:  # the newest record before this run's first
        newest = instance.fetch_materializations(SUBMISSION, limit=1, ascending=False).records
        after = newest[0].storage_id if newest else 0
    partitions = [f"{o['period']}|{o['trust_ods_code']}" for o, _ in uploads]
    for (outcome, _), partition in zip(uploads, partitions, strict=True):
        yield dg.AssetMaterialization(
            SUBMISSION, partition=partition, metadata=materialization_metadata(outcome)
        )
    targets: dict[str, list] = {}
    wanted = dg.AssetRecordsFilter(
        asset_key=SUBMISSION, asset_partitions=sorted(set(partitions)), after_storage_id=after
    )
    cursor = None
    while True:
        page = instance.fetch_materializations(wanted, limit=500, cursor=cursor, ascending=True)
        for record in page.records:  # oldest first, as yielded
            after = max(after, record.storage_id)
            if record.run_id == run_id:
                targets.setdefault(str(record.partition_key), []).append(record)
        cursor = page.cursor
        if not page.has_more:
            break
    for (outcome, report), partition in zip(uploads, partitions, strict=True):
        record = targets[partition].pop(0)
        target = AssetCheckEvaluationTargetMaterializationData(
            storage_id=record.storage_id, run_id=run_id, timestamp=record.timestamp
        )
        for name, passed, metadata in check_outcomes(outcome, report):
            yield dg.AssetCheckEvaluation(
                asset_key=SUBMISSION,
                check_name=name,
                passed=passed,
                severity=SEVERITY[name],
                metadata=metadata,
                partition=partition,
                target_materialization_data=target,
            )
    return after


def latest_outcome(platform: PlatformResource, ods: str, period: str) -> dict | None:
    """The trust-month's last upload in the ledger (the one the trust heard about last)."""
    outcomes = [o for o in platform.lake().outcomes(ods) if o["period"] == period]
    return max(outcomes, key=recency, default=None)


def submission_asset(first_month: str) -> dg.AssetsDefinition:
    """The asset, partitioned by trust and month from `first_month`."""
    partitions = trust_month_partitions(first_month)

    @dg.asset(
        key=SUBMISSION,
        partitions_def=partitions,
        group_name="ingestion",
        check_specs=[
            dg.AssetCheckSpec(
                CONTRACT_CHECK,
                asset=SUBMISSION,
                blocking=True,
                description="pandera contract of the PSW return v1 (errors)",
                # Partitioned like the asset: each trust-month keeps its own result, so a result
                # elsewhere never hides this one from the marts' automation.
                partitions_def=partitions,
            ),
            dg.AssetCheckSpec(
                QUALITY_CHECK,
                asset=SUBMISSION,
                description="Great Expectations quality and history suites (warnings)",
                partitions_def=partitions,
            ),
        ],
        description=(
            "A trust's upload for a month: archived, validated, reported back, landed if "
            "accepted. Reported by the `intake` job; materialising re-reads the ledger."
        ),
    )
    def submission(
        context: dg.AssetExecutionContext, platform: PlatformResource
    ) -> Iterator[dg.MaterializeResult]:
        keys = context.partition_key.keys_by_dimension
        outcome = latest_outcome(platform, keys["trust"], keys["month"])
        if outcome is None:
            raise dg.Failure(
                f"no upload from {keys['trust']} for {keys['month']} has been processed"
            )
        yield dg.MaterializeResult(
            metadata=materialization_metadata(outcome),
            check_results=[
                dg.AssetCheckResult(
                    check_name=name, passed=passed, severity=SEVERITY[name], metadata=metadata
                )
                for name, passed, metadata in check_outcomes(outcome)
            ],
        )

    return submission
