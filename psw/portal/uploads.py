"""An upload in the browser: checked, stored as any S3 upload, validated at once, receipted.

The portal puts the file in the trust's bucket under `returns/<period>/<file name>`,
exactly where an S3 client would: the pipeline, ledger, archive and national figures
treat it as any upload, and write the trust's report as usual. Before storing, it
refuses what the pipeline would only report on: a file too large, empty or of another
type, a month the trust cannot file. After storing, it validates the same bytes with the
same rules the pipeline will (the trust's previous accepted return included), in this
warm process, so the trust sees the outcome at once; the platform's own report follows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

from psw.core.periods import is_period, month_name, parse_period
from psw.intake.ingest import previous_accepted, pseudonymiser
from psw.intake.submissions import MAX_NAME_BYTES, Submission, report_key
from psw.portal.store import Upload
from psw.standard.model import load_standard
from psw.standard.validation.shown import printable

if TYPE_CHECKING:
    from psw.lake.layout import Lake
    from psw.portal.context import Portal
    from psw.standard.reference import Trust
    from psw.standard.validation import Report
    from psw.storage import S3Client

log = logging.getLogger(__name__)

# What each accepted type starts with (its "magic"): a file is what it says it is.
TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".parquet": "application/vnd.apache.parquet",
}
BINARY_STARTS = (
    b"PK\x03\x04",
    b"PAR1",
    b"%PDF",
    b"MZ",
    b"\xd0\xcf\x11\xe0",
    b"\x1f\x8b",
    b"\x7fELF",
)


class UploadRefused(ValueError):
    """What the trust is told, in a sentence, when a file is refused before storage."""


@dataclass(frozen=True)
class Receipt:
    submission_id: str  # the pipeline's id for this upload: its ledger entry and report
    received_at: dt.datetime  # the store's time of the upload (UTC)
    file_name: str
    key: str
    size: int
    sha256: str

    @property
    def report_key(self) -> str:
        return report_key(self.key) + ".html"


def clean_name(name: str) -> str:
    """The file's own name (browsers may send a path: C:\\fakepath\\return.csv)."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name.strip()
    if not base or base in (".", ".."):
        raise UploadRefused("Choose a file to upload.")
    if any(ord(c) < 32 or c in '<>:"/\\|?*' for c in base):
        raise UploadRefused(
            "The file name has characters a file name cannot have. Rename the file and try again."
        )
    if len(base.encode()) > MAX_NAME_BYTES:
        raise UploadRefused(f"The file name is too long: keep it under {MAX_NAME_BYTES} bytes.")
    return base


def check_upload(
    name: str, data: bytes, period: str, trust: Trust, first_month: str, today: dt.date
) -> str:
    """The file name to store under, or UploadRefused saying what to do."""
    base = clean_name(name)
    shown = printable(base)  # the trust's own text, quoted back in a refusal
    suffix = PurePosixPath(base).suffix.lower()
    if suffix not in TYPES:
        raise UploadRefused(
            f"'{shown}' is not a CSV, Excel (.xlsx) or Parquet file. Save the return from the "
            "template as .xlsx or CSV and upload that."
        )
    limit = load_standard().max_bytes
    if len(data) > limit:
        raise UploadRefused(
            f"The file is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{limit / 1_048_576:.0f} MB. A return is far smaller: check it is the right file."
        )
    if not data:
        raise UploadRefused(f"'{shown}' is empty. Choose the file with your return in it.")
    if not _is_type(data, suffix):
        raise UploadRefused(
            f"'{shown}' is named {suffix} but is not a {suffix} file inside. Save it again "
            "from the template in that format."
        )
    check_period(period, trust, first_month, today)
    return base


def check_period(period: str, trust: Trust, first_month: str, today: dt.date) -> None:
    if not is_period(period):
        raise UploadRefused("Choose the month the return is for.")
    if period < first_month:
        raise UploadRefused(f"The collection starts with {month_name(first_month)}.")
    if parse_period(period) >= today:
        raise UploadRefused(f"{month_name(period)} has not ended: upload its return after it ends.")
    if not trust.is_open(period):
        raise UploadRefused(f"{trust.name} does not submit for {month_name(period)}.")


def _is_type(data: bytes, suffix: str) -> bool:
    if suffix == ".xlsx":
        return data.startswith(b"PK\x03\x04")
    if suffix == ".parquet":
        return data.startswith(b"PAR1")
    return not data.startswith(BINARY_STARTS) and b"\x00" not in data[:65_536]


def store(s3: S3Client, trust: Trust, period: str, name: str, data: bytes) -> Receipt:
    """Put the file where an S3 upload goes; the receipt names the pipeline's id for it."""
    key = f"returns/{period}/{name}"
    put = s3.put_object(
        Bucket=trust.bucket,
        Key=key,
        Body=data,
        ContentType=TYPES[PurePosixPath(name).suffix.lower()],
    )
    etag = put["ETag"].strip('"')
    listed = s3.list_objects_v2(Bucket=trust.bucket, Prefix=key).get("Contents", [])
    # The listing's time is the pipeline's (its id uses it); the same name uploaded again
    # at once by someone else has another ETag and is not ours.
    mine = next((o for o in listed if o["Key"] == key and o["ETag"].strip('"') == etag), None)
    uploaded_at = mine["LastModified"] if mine else dt.datetime.now(dt.UTC)
    submission = Submission(trust.ods_code, trust.bucket, key, etag, len(data), uploaded_at)
    return Receipt(
        submission.id, uploaded_at, name, key, len(data), hashlib.sha256(data).hexdigest()
    )


def validate_now(
    data: bytes, trust: Trust, period: str, name: str, lake: Lake, secret: str, today: dt.date
) -> Report:
    """The report the pipeline will write for these bytes, made here and now."""
    from psw.standard.validation import validate_return

    period_end = parse_period(period)
    hash_id = pseudonymiser(secret)
    result = validate_return(
        data,
        trust_ods_code=trust.ods_code,
        period_end=period_end,
        file_name=name,
        previous=lambda: previous_accepted(lake, trust.ods_code, period_end),
        staff_key=lambda s: s.map(hash_id),
        today=today,
    )
    return result.report


class StoreDown(Exception):
    """The trust's bucket could not take the file: nothing was uploaded."""


def store_and_check(
    state: Portal, trust: Trust, period: str, name: str, data: bytes, email: str
) -> Upload:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        receipt = store(state.s3, trust, period, name, data)
    except (BotoCoreError, ClientError) as exc:
        log.error("upload for %s not stored: %s", trust.ods_code, exc)
        raise StoreDown from exc
    report = validate_now(
        data, trust, period, name, state.lake, state.settings.secret(), state.today()
    )
    made = Upload(
        receipt.submission_id,
        trust.ods_code,
        period,
        name,
        receipt.key,
        receipt.size,
        receipt.sha256,
        receipt.received_at.isoformat(),
        email,
        report.to_dict(),
    )
    state.store.save_upload(made)
    state.store.record(
        email,
        "upload",
        trust.ods_code,
        f"{receipt.key} ({receipt.size} bytes, sha256 {receipt.sha256[:12]})",
        report.status,
    )
    return made
