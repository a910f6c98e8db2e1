"""Processing uploads: archive, validate, report back, land pseudonymised Parquet, record.

The order is the promise to trusts: the bytes read are archived in the platform bucket
before anything else (nothing sent is ever lost), the report goes back to the trust's own
`feedback/`, only an accepted return lands (staff ids replaced by a keyed hash), and the
ledger entry is written last: a submission with an entry is done, one without is
processed again by the next pass. Every step is safe to repeat for the same submission.
Objects under a trust's `returns/` are only ever read.

psw/intake/batches.py runs many of these in warm processes.

One module (near 400 lines): the steps of one upload and their order are the promise
above, read top to bottom in `process_submission`; split up, that order would have to
be pieced together from several files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import tempfile
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from psw.core.periods import parse_period
from psw.core.settings import Settings as SettingsModel
from psw.core.settings import current
from psw.intake.submissions import Placement, Submission, place
from psw.lake.layout import Lake, recency
from psw.lake.ledger import Status
from psw.standard.model import load_standard
from psw.standard.reference import trust

if TYPE_CHECKING:
    from collections.abc import Callable

    from psw.standard.validation import PreviousReturn, Report
    from psw.storage import S3Client

ARCHIVE_PREFIX = "archive/"
# The start of the 2024/25 pay year, the earliest pay table (PSW_FIRST_MONTH by default).
DEFAULT_FIRST_MONTH = SettingsModel.model_fields["first_month"].default


def first_month() -> str:
    """PSW_FIRST_MONTH: the first collection month; earlier months are rejected."""
    return current().first_month


@dataclass(frozen=True)
class Outcome:
    """A submission's ledger entry. dbt reads these fields (psw/warehouse/dbt_artifacts.py)."""

    submission_id: str
    trust_ods_code: str
    period: str | None
    status: str
    source_bucket: str
    source_key: str
    etag: str
    content_sha256: str | None
    archive_key: str | None
    received_at: str
    # The platform's clock when the outcome was written: the last tie-break between two
    # uploads of one trust-month with the same received time.
    processed_at: str
    rows: int
    errors: int
    warnings: int
    landed: str | None
    report_key: str | None
    # For operators: what went wrong on the platform's side (the trust was told too).
    error: str | None = None
    # Findings per rule (the trust's data-quality history compares them across trusts).
    rule_counts: dict[str, int] = field(default_factory=dict)
    # What the data-quality measure counts, so the trust's own history shows its own score
    # exactly (None in entries written before they were kept).
    values_given: int | None = None
    values_not_stated: int | None = None
    # The platform's own order of receipt (psw/lake/claims.py), taken when the upload was
    # claimed: the newest upload of a trust-month has the greatest (None before receipts).
    receipt: int | None = None


@dataclass(frozen=True)
class Settings:
    """What processing needs besides the store."""

    platform_bucket: str
    lake: Lake
    secret: str
    first_month: str = DEFAULT_FIRST_MONTH
    today: dt.date | None = None
    # Called once a batch (or worker) is done with a trust's uploads, if it processed any:
    # `after_trust(s3, lake, ods, cache)`. The application passes the trust history's
    # refresh (psw/site/history.py), which intake must not import: it sits above intake.
    after_trust: Callable[[S3Client, Lake, str, dict], object] | None = None

    def day(self) -> dt.date:
        return self.today or dt.date.today()


@dataclass(frozen=True)
class Processed:
    submission: Submission
    placement: Placement
    outcome: Outcome
    report: Report | None  # None when the object was replaced before it was read

    @property
    def replaced(self) -> bool:
        """Overwritten in the bucket before it was read: no report (the newer version is
        a submission of its own and gets one), not a rejection the trust must act on."""
        return self.outcome.report_key is None


def pseudonymiser(secret: str) -> Callable[[str | None], str | None]:
    """HMAC-SHA-256 of one staff id with the platform key: stable across months, irreversible."""
    if not secret:
        raise RuntimeError("PSW_PSEUDONYMISATION_KEY is not set")
    key = secret.encode()

    def hash_id(value: str | None) -> str | None:
        return None if value is None else hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    return hash_id


def previous_accepted(lake: Lake, ods: str, period_end: dt.date) -> PreviousReturn | None:
    """The trust's return in force for its latest accepted month before this one."""
    from psw.standard.validation import PreviousReturn  # validation (pandera) only when processing
    from psw.standard.validation.quality import in_post

    earlier = [
        record
        for record in lake.outcomes(ods)
        if Status(record["status"]).in_force and parse_period(record["period"]) < period_end
    ]
    if not earlier:
        return None
    best = max(earlier, key=lambda record: (record["period"], recency(record)))
    table = lake.read_landed(best, ["staff_key", "leaving_date", "source_row"])
    columns = (table.column(name).to_pylist() for name in table.column_names)
    return PreviousReturn(parse_period(best["period"]), in_post(*columns))


class ObjectReplaced(Exception):
    """The object was overwritten between listing and reading (the newer version is a
    submission of its own and gets the report), or deleted (nothing to report on)."""

    def __init__(self, key: str, why: str) -> None:
        super().__init__(f"{key}: {why}")
        self.why = why


REPLACED = "replaced in the bucket before it could be read"
# Deleted by the trust, or a PUT the store refused that its listing still showed: the
# trust's doing, not a platform fault (issue 21: it was retried, and failed, every pass).
GONE = "gone from the bucket before it could be read"


def process_submission(
    s3: S3Client,
    submission: Submission,
    settings: Settings,
    archived: dict | None = None,
    receipt: int | None = None,
    earlier_landed: Callable[[], None] | None = None,
) -> Processed:
    """One submission end to end. Raises only for faults of the store or the platform's
    disk (the next pass tries again); anything wrong with the file is a report.

    `receipt`: the platform's order of receipt, taken when the upload was claimed.
    `earlier_landed`: waits until the trust's earlier months in this pass are done, called
    just before the history rules read the month before (psw/intake/workers.py).
    `archived` (its archive record) processes the archived bytes instead, to make the lake
    again (`rebuild_lake`): nothing is archived or reported to the trust a second time,
    and the receipt is the one the archive kept.
    """
    if archived is not None:
        receipt = archived.get("receipt")
    # A rebuild makes the lake again as it was: a trust's dates, maybe set since, do not
    # turn away what was accepted then.
    registered = trust(submission.trust_ods_code) if archived is None else None
    placement = place(submission.key, settings.first_month, settings.day(), registered)
    if archived is None:
        try:
            data, digest = _read(s3, submission)
        except ObjectReplaced as exc:
            return _record(
                submission, placement, settings, Status.REJECTED, receipt, replaced=exc.why
            )
        archive_key = _archive(
            s3, submission, placement, settings.platform_bucket, data, digest, receipt
        )
    else:
        archive_key, digest = archived["archive_key"], archived["content_sha256"]
        data = None
        if digest is not None:
            body = s3.get_object(Bucket=settings.platform_bucket, Key=archive_key)["Body"]
            data = body.read()
    hash_id = pseudonymiser(settings.secret)
    lake_faults: list[Exception] = []

    def previous() -> PreviousReturn | None:
        """Read only when the history rules run, after the month before has landed."""
        if not (placement.filed and placement.period):
            return None
        try:
            if earlier_landed is not None:
                earlier_landed()
            period_end = parse_period(placement.period)
            return previous_accepted(settings.lake, submission.trust_ods_code, period_end)
        except Exception as exc:
            lake_faults.append(exc)
            raise

    error = None
    try:
        result = _validate(submission, placement, settings, data, hash_id, previous)
    except Exception as exc:  # a crash on one file: the trust is told, operators see where
        if lake_faults:  # the lake out of reach: the platform's fault, tried again next pass
            raise lake_faults[0] from exc
        error = _where(exc)
        result = None
    report = _failure_report(submission, placement) if result is None else result.report
    if result is not None and not placement.filed:
        _add_placement_finding(report, placement)
    if archived is None:
        _write_feedback(s3, submission.bucket, placement.report_key, report)
    landed = None
    if result is not None and result.table is not None and placement.filed:
        landed = _land(result.table, submission, placement, settings.lake, digest, hash_id)
    status = Status(report.status)
    if status is not Status.REJECTED and report.nil_return:
        status = Status.NIL_RETURN
    return _record(
        submission,
        placement,
        settings,
        status,
        receipt,
        report=report,
        archive_key=archive_key,
        digest=digest,
        landed=landed,
        error=error,
    )


def _read(s3, submission: Submission) -> tuple[bytes | None, str | None]:
    """The object's bytes (None when over the size limit), pinned to the listed ETag."""
    if submission.size > load_standard().max_bytes:
        return None, None
    try:
        response = s3.get_object(Bucket=submission.bucket, Key=submission.key)
    except s3.exceptions.NoSuchKey:
        raise ObjectReplaced(submission.key, GONE) from None
    if response["ETag"].strip('"') != submission.etag:
        response["Body"].close()
        raise ObjectReplaced(submission.key, REPLACED)
    data = response["Body"].read()
    return data, hashlib.sha256(data).hexdigest()


def _archive(s3, submission, placement, platform_bucket, data, digest, receipt) -> str:
    """The exact bytes validated, keyed by trust, month and content hash. A file too large
    to read is copied on the server (keyed by ETag) and rejected on its size alone.

    Beside it, a record of the submission (`archive/<ODS>/submissions/<id>.json`): the
    archive alone can then make the lake again, every upload in its order (its receipt)."""
    tag = f"sha256-{digest}" if digest else f"etag-{submission.etag}"
    month = placement.period if placement.filed else "unfiled"
    name = placement.report_key.rsplit("/", 1)[-1].removesuffix(".report")  # short enough
    key = f"{ARCHIVE_PREFIX}{submission.trust_ods_code}/{month}/{tag}/{name}"
    if data is None:
        s3.copy_object(
            Bucket=platform_bucket,
            Key=key,
            CopySource={"Bucket": submission.bucket, "Key": submission.key},
        )
    else:
        s3.put_object(Bucket=platform_bucket, Key=key, Body=data)
    record = {
        "submission": submission.to_config(),
        "archive_key": key,
        "content_sha256": digest,
        "receipt": receipt,
    }
    s3.put_object(
        Bucket=platform_bucket,
        Key=f"{ARCHIVE_PREFIX}{submission.trust_ods_code}/submissions/{submission.id}.json",
        Body=json.dumps(record, indent=2).encode(),
        ContentType="application/json",
    )
    return key


def _validate(submission, placement, settings, data, hash_id, previous):
    from psw.standard.validation import validate_return  # kept out of definition load (pandera)

    if placement.period is None or placement.problem == "KEY_NOT_A_RETURN":
        return _ValidatedNothing(_placement_report(submission, placement))
    common = dict(
        trust_ods_code=submission.trust_ods_code,
        period_end=parse_period(placement.period),
        file_name=placement.file_name,
        previous=previous,
        staff_key=lambda s: s.map(hash_id),
        today=settings.day(),
    )
    if data is not None:
        return validate_return(data, **common)
    with tempfile.TemporaryDirectory(prefix="psw-upload-") as tmp:
        local = Path(tmp) / "upload"  # a sparse file of the object's size: rejected on size
        local.write_bytes(b"")
        os.truncate(local, submission.size)
        return validate_return(local, **common)


@dataclass(frozen=True)
class _ValidatedNothing:
    report: object
    table: None = None


def _placement_report(submission: Submission, placement: Placement):
    from psw.standard.validation import Report

    return Report(
        trust_ods_code=submission.trust_ods_code,
        period=placement.period or "",
        file_name=submission.key,
        standard_version=load_standard().version,
        findings=[],
    )


def _finding(rule_id: str, detail: str = ""):
    """A file-level finding of one of the standard's rules, worded as the standard says."""
    from psw.standard.validation import Finding

    rule = load_standard().rule(rule_id)
    return Finding(rule_id, rule.severity, rule.message.format(detail=detail))


def _add_placement_finding(report: Report, placement: Placement) -> None:
    if placement.problem is None or placement.problem in report.rule_counts():
        return  # filed after all, or the validator found it too (a month not yet ended)
    report.findings.append(_finding(placement.problem, placement.detail))


def _failure_report(submission: Submission, placement: Placement):
    report = _placement_report(submission, placement)
    report.findings.append(_finding("PROCESSING_FAILED"))
    return report


def _write_feedback(s3, bucket: str, key: str, report) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=f"{key}.json",
        Body=report.to_json().encode(),
        ContentType="application/json",
    )
    s3.put_object(
        Bucket=bucket,
        Key=f"{key}.html",
        Body=report.to_html().encode(),
        ContentType="text/html; charset=utf-8",
    )


def pseudonymise_ids(table: pa.Table, hash_id: Callable[[str | None], str | None]) -> pa.Table:
    """staff_id -> staff_key (its keyed hash); assignment_id -> the keyed hash of
    "assignment:" and the id (prefixed, so it never equals a staff key)."""
    staff = table.column("staff_id").to_pylist()
    assignments = [
        None if v is None else hash_id(f"assignment:{v}")
        for v in table.column("assignment_id").to_pylist()
    ]
    position = table.schema.get_field_index("assignment_id")
    table = table.set_column(position, "assignment_id", pa.array(assignments, type=pa.string()))
    return table.drop_columns(["staff_id"]).add_column(
        1, "staff_key", pa.array([hash_id(v) for v in staff], type=pa.string())
    )


def _land(table: pa.Table, submission, placement, lake: Lake, digest, hash_id) -> str:
    """Accepted rows with the staff id replaced by its keyed hash and the assignment id by
    its own (an identifier a trust may have built from something personal: nothing it
    wrote lands as written), plus lineage columns."""
    table = pseudonymise_ids(table, hash_id)
    lineage = {
        "source_bucket": submission.bucket,
        "source_key": submission.key,
        "etag": submission.etag,
        "content_sha256": digest,
        "received_at": submission.uploaded_at,
        "spec_version": load_standard().version,
        "submission_id": submission.id,
    }
    for name, value in lineage.items():
        kind = pa.timestamp("us", tz="UTC") if name == "received_at" else pa.string()
        table = table.append_column(name, pa.array([value] * table.num_rows, type=kind))
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer)
    key = lake.landed_key(submission.trust_ods_code, placement.period, submission.id)
    lake.store.put(key, buffer.getvalue().to_pybytes())
    return lake.store.url(key)


def _record(
    submission: Submission,
    placement: Placement,
    settings: Settings,
    status: Status,
    receipt: int | None,
    *,
    report=None,
    archive_key=None,
    digest=None,
    landed=None,
    error=None,
    replaced: str | None = None,
) -> Processed:
    """The ledger entry, written last and atomically: the submission is done."""
    filed = placement.filed and not replaced and error is None
    outcome = Outcome(
        submission_id=submission.id,
        trust_ods_code=submission.trust_ods_code,
        period=placement.period if filed else None,
        status=status.value,
        source_bucket=submission.bucket,
        source_key=submission.key,
        etag=submission.etag,
        content_sha256=digest,
        archive_key=archive_key,
        received_at=submission.uploaded_at.isoformat(),
        processed_at=dt.datetime.now(dt.UTC).isoformat(),
        rows=report.rows if report else 0,
        errors=report.count("error") if report else 0,
        warnings=report.count("warning") if report else 0,
        landed=str(landed) if landed else None,
        report_key=None if replaced else placement.report_key,
        error=replaced or error,
        rule_counts=report.rule_counts() if report else {},
        values_given=report.values_given if report else None,
        values_not_stated=report.values_not_stated if report else None,
        receipt=receipt,
    )
    settings.lake.write_outcome(
        outcome.trust_ods_code, outcome.period, submission.id, asdict(outcome)
    )
    return Processed(submission, placement, outcome, report)


def _where(exc: Exception) -> str:
    """The exception's type and where it was raised, never its message: a message may
    quote a value from the file (a staff id), and the ledger must hold none."""
    frames = traceback.format_list(traceback.extract_tb(exc.__traceback__)[-8:])
    return f"{type(exc).__name__} raised at\n{''.join(frames)}"
