"""Processing one upload: archive, validate, report back, land pseudonymised Parquet.

The order matters and is the promise to trusts: the original bytes are archived in the
platform bucket before anything else (nothing sent is ever lost), the report goes back to
the trust's own `feedback/`, and only an accepted return lands, with staff ids replaced
by a keyed hash. Objects under a trust's `returns/` are only ever read.

Landed layout under `$PSW_DATA_DIR` (read by dbt, written by the platform only):
  validated/trust=<ODS>/period=<YYYY-MM>/<submission_id>.parquet   accepted returns
  submissions/trust=<ODS>/period=<YYYY-MM>/<submission_id>.json    every upload's outcome
Last good file wins: the marts take, per trust and month, the accepted submission with the
latest received time, so a rejected resubmission never displaces an accepted one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from psw.periods import parse_period
from psw.reference import Trust
from psw.standard import load_standard

RETURN_KEY = re.compile(r"^returns/(\d{4}-(?:0[1-9]|1[0-2]))/([^/]+)$")


@dataclass(frozen=True)
class Upload:
    """One object version in a trust's bucket, as the sensor sees it."""

    trust: Trust
    key: str
    etag: str
    size: int
    last_modified: dt.datetime

    @property
    def period(self) -> str:
        return RETURN_KEY.match(self.key).group(1)

    @property
    def file_name(self) -> str:
        return RETURN_KEY.match(self.key).group(2)

    @property
    def submission_id(self) -> str:
        raw = f"{self.trust.bucket}/{self.key}@{self.etag.strip(chr(34))}"
        return hashlib.sha256(raw.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Outcome:
    submission_id: str
    trust_ods_code: str
    period: str
    status: str
    source_bucket: str
    source_key: str
    etag: str
    content_sha256: str | None
    archive_key: str
    received_at: str
    # The platform's clock when the outcome was written: breaks ties between two uploads
    # of one trust-month in the same second (S3 LastModified has whole seconds).
    processed_at: str
    rows: int
    errors: int
    warnings: int
    landed: str | None


def is_return_key(key: str) -> bool:
    return RETURN_KEY.match(key) is not None


def pseudonymiser(secret: str):
    """HMAC-SHA-256 of one staff id with the platform key: stable across months, irreversible."""
    if not secret:
        raise RuntimeError("PSW_PSEUDONYMISATION_KEY is not set")
    key = secret.encode()

    def hash_id(value: str | None) -> str | None:
        return None if value is None else hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    return hash_id


def previous_accepted(data_dir: Path, ods: str, period_end: dt.date):
    """The trust's latest accepted month before this one (a PreviousReturn), from its Parquet."""
    from psw.validation import PreviousReturn  # validation (pandera) only when processing

    best: tuple[str, str, str, Path] | None = None
    for ledger in (data_dir / "submissions" / f"trust={ods}").glob("period=*/*.json"):
        record = json.loads(ledger.read_text())
        if record["status"] == "rejected" or parse_period(record["period"]) >= period_end:
            continue
        candidate = (
            record["period"],
            record["received_at"],
            record.get("processed_at", ""),
            Path(record["landed"]),
        )
        best = max(best, candidate) if best else candidate
    if best is None:
        return None
    table = pq.read_table(best[3], columns=["staff_key", "leaving_date", "source_row"])
    in_post = {
        k: r
        for k, left, r in zip(*(table.column(i).to_pylist() for i in range(3)), strict=True)
        if left is None
    }
    return PreviousReturn(parse_period(best[0]), in_post)


@dataclass(frozen=True)
class Processed:
    outcome: Outcome
    report: object  # psw.validation.Report


def process_upload(
    s3,
    upload: Upload,
    *,
    platform_bucket: str,
    data_dir: Path,
    secret: str,
    today: dt.date | None = None,
) -> Processed:
    """Archive, validate, write feedback, land. Safe to repeat for the same object version."""
    from psw.validation import validate_return  # kept out of definition load (pandera)

    hash_id = pseudonymiser(secret)
    period_end = parse_period(upload.period)
    ods = upload.trust.ods_code
    with tempfile.TemporaryDirectory(prefix="psw-upload-") as tmp:
        local = Path(tmp) / upload.file_name
        digest = None
        if upload.size <= load_standard().max_bytes:
            s3.download_file(upload.trust.bucket, upload.key, str(local))
            digest = hashlib.sha256(local.read_bytes()).hexdigest()
        archive_key = _archive(s3, upload, platform_bucket, digest)
        if digest is None:  # too large to fetch: the validator rejects it on size alone
            local.write_bytes(b"")
            os.truncate(local, upload.size)
        previous = previous_accepted(data_dir, ods, period_end)
        result = validate_return(
            local,
            trust_ods_code=ods,
            period_end=period_end,
            file_name=upload.file_name,
            previous=previous,
            staff_key=lambda s: s.map(hash_id),
            today=today,
        )
    report = result.report
    feedback = f"feedback/{upload.period}/{upload.file_name}.report"
    s3.put_object(
        Bucket=upload.trust.bucket,
        Key=f"{feedback}.json",
        Body=report.to_json().encode(),
        ContentType="application/json",
    )
    s3.put_object(
        Bucket=upload.trust.bucket,
        Key=f"{feedback}.html",
        Body=report.to_html().encode(),
        ContentType="text/html; charset=utf-8",
    )
    landed = None
    if result.table is not None:
        landed = _land(result.table, upload, data_dir, digest, hash_id)
    outcome = Outcome(
        submission_id=upload.submission_id,
        trust_ods_code=ods,
        period=upload.period,
        status="nil_return" if report.nil_return and report.accepted else report.status,
        source_bucket=upload.trust.bucket,
        source_key=upload.key,
        etag=upload.etag,
        content_sha256=digest,
        archive_key=archive_key,
        received_at=upload.last_modified.isoformat(),
        processed_at=dt.datetime.now(dt.UTC).isoformat(),
        rows=report.rows,
        errors=report.count("error"),
        warnings=report.count("warning"),
        landed=str(landed) if landed else None,
    )
    ledger = (
        data_dir
        / "submissions"
        / f"trust={ods}"
        / f"period={upload.period}"
        / f"{upload.submission_id}.json"
    )
    _write_atomically(ledger, json.dumps(asdict(outcome), indent=2).encode())
    return Processed(outcome, report)


def _archive(s3, upload: Upload, platform_bucket: str, digest: str | None) -> str:
    """Immutable copy keyed by trust, month and content hash (ETag when too large to hash)."""
    tag = f"sha256-{digest}" if digest else f"etag-{upload.etag.strip(chr(34))}"
    key = f"archive/{upload.trust.ods_code}/{upload.period}/{tag}/{upload.file_name}"
    s3.copy_object(
        Bucket=platform_bucket,
        Key=key,
        CopySource={"Bucket": upload.trust.bucket, "Key": upload.key},
    )
    return key


def _land(table: pa.Table, upload: Upload, data_dir: Path, digest: str | None, hash_id) -> Path:
    """Accepted rows with the staff id replaced by its keyed hash, plus lineage columns."""
    staff = table.column("staff_id").to_pylist()
    table = table.drop_columns(["staff_id"]).add_column(
        1, "staff_key", pa.array([hash_id(v) for v in staff], type=pa.string())
    )
    lineage = {
        "source_bucket": upload.trust.bucket,
        "source_key": upload.key,
        "etag": upload.etag,
        "content_sha256": digest,
        "received_at": upload.last_modified,
        "spec_version": load_standard().version,
        "submission_id": upload.submission_id,
    }
    for name, value in lineage.items():
        kind = pa.timestamp("us", tz="UTC") if name == "received_at" else pa.string()
        table = table.append_column(name, pa.array([value] * table.num_rows, type=kind))
    path = (
        data_dir
        / "validated"
        / f"trust={upload.trust.ods_code}"
        / f"period={upload.period}"
        / f"{upload.submission_id}.parquet"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def already_processed(data_dir: Path, submission_id: str) -> bool:
    """Whether an upload has an outcome in the submissions ledger (accepted or rejected)."""
    return any((data_dir / "submissions").glob(f"trust=*/period=*/{submission_id}.json"))


def list_uploads(s3, trust: Trust) -> list[Upload]:
    """Every object under the trust's returns/<YYYY-MM>/ (anything else is ignored)."""
    uploads = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=trust.bucket, Prefix="returns/"
    ):
        for obj in page.get("Contents", []):
            if is_return_key(obj["Key"]):
                uploads.append(
                    Upload(
                        trust, obj["Key"], obj["ETag"].strip('"'), obj["Size"], obj["LastModified"]
                    )
                )
    return uploads
