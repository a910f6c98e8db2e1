"""The submission asset: one materialisation per upload, partitioned by trust and month.

Its two checks show in the UI for each partition: the pandera contract (blocking: a
rejected return must not feed the marts) and the Great Expectations suite (a warning).
Results are emitted from inside the asset, with counts and the first findings.
"""

# No `from __future__ import annotations`: Dagster resolves config and resource types
# from these signatures at definition time.

import dagster as dg

from orchestration.ingestion.partitions import trust_month_partitions
from orchestration.ingestion.resources import PlatformResource
from psw.ingest import Upload, process_upload
from psw.reference import trusts
from psw.standard import load_standard

CONTRACT_CHECK = "return_contract"
QUALITY_CHECK = "return_quality"


class UploadConfig(dg.Config):
    key: str
    etag: str


def _summary(findings) -> dict:
    return {
        "findings": dg.MetadataValue.int(len(findings)),
        "first_findings": dg.MetadataValue.md(
            "\n".join(
                f"- `{f.rule_id}` row {f.row or '-'} {f.column or ''}: {f.message}"
                for f in findings[:10]
            )
            or "none"
        ),
    }


def check_results(report) -> list[dg.AssetCheckResult]:
    """The report split into the contract (file and row rules) and quality (GX) checks."""
    stage = {r.id: r.stage for r in load_standard().rules.values()}
    contract = [
        f
        for f in report.findings
        if stage[f.rule_id] in ("file", "contract") and f.severity == "error"
    ]
    quality = [
        f
        for f in report.findings
        if stage[f.rule_id] in ("quality", "history") and f.severity == "warning"
    ]
    return [
        dg.AssetCheckResult(
            check_name=CONTRACT_CHECK,
            passed=not contract,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=_summary(contract),
        ),
        dg.AssetCheckResult(
            check_name=QUALITY_CHECK,
            passed=not quality,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=_summary(quality),
        ),
    ]


@dg.asset(
    partitions_def=trust_month_partitions,
    group_name="ingestion",
    check_specs=[
        dg.AssetCheckSpec(
            CONTRACT_CHECK,
            asset="submission",
            blocking=True,
            description="pandera contract of the PSW return v1 (errors)",
            # Partitioned like the asset: each trust-month keeps its own result, so a run
            # in progress elsewhere never hides this one from the marts' automation.
            partitions_def=trust_month_partitions,
        ),
        dg.AssetCheckSpec(
            QUALITY_CHECK,
            asset="submission",
            description="Great Expectations quality and history suites",
            partitions_def=trust_month_partitions,
        ),
    ],
    description="A trust's upload: archived, validated, reported back, landed if accepted.",
)
def submission(context: dg.AssetExecutionContext, config: UploadConfig, platform: PlatformResource):
    ods = context.partition_key.keys_by_dimension["trust"]
    trust = trusts()[ods]
    s3 = platform.s3()
    head = s3.head_object(Bucket=trust.bucket, Key=config.key)
    upload = Upload(
        trust, config.key, head["ETag"].strip('"'), head["ContentLength"], head["LastModified"]
    )
    if upload.etag != config.etag:
        context.log.info(f"{config.key} changed since the sensor saw it; processing the newest")
    done = process_upload(
        s3,
        upload,
        platform_bucket=platform.settings().platform_bucket,
        data_dir=platform.data_path(),
        secret=platform.secret(),
    )
    outcome = done.outcome
    yield dg.MaterializeResult(
        metadata={
            "status": outcome.status,
            "source": f"s3://{outcome.source_bucket}/{outcome.source_key}",
            "rows": dg.MetadataValue.int(outcome.rows),
            "errors": dg.MetadataValue.int(outcome.errors),
            "warnings": dg.MetadataValue.int(outcome.warnings),
            "submission_id": outcome.submission_id,
            "landed": outcome.landed or "nothing (rejected)",
        },
        check_results=check_results(done.report),
    )
