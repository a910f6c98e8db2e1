"""The lake again, from the archive: `psw lake rebuild`.

The lake (landed Parquet and the ledger) is derived. Every archive copy has a record
beside it (`archive/<ODS>/submissions/<id>.json`), so the archive alone can make the lake
again: each archived submission whose ledger entry or landed rows are missing is
validated again from its archived bytes, oldest first per trust and month, and recorded
as at first. The trust is not sent its report again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from psw.intake.batches import BatchItem, in_processing_order
from psw.intake.ingest import ARCHIVE_PREFIX, Settings, process_submission
from psw.intake.submissions import Submission
from psw.lake.layout import Lake

if TYPE_CHECKING:
    from psw.storage import S3Client


def archived_submissions(s3: S3Client, platform_bucket: str) -> list[tuple[Submission, dict]]:
    """Every submission recorded in the archive, with its archive record."""
    found = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=platform_bucket, Prefix=ARCHIVE_PREFIX
    )
    for page in pages:
        for obj in page.get("Contents", []):
            parts = obj["Key"].split("/")
            if len(parts) == 4 and parts[2] == "submissions" and parts[3].endswith(".json"):
                body = s3.get_object(Bucket=platform_bucket, Key=obj["Key"])["Body"].read()
                record = json.loads(body)
                found.append((Submission.from_config(record["submission"]), record))
    return found


def needs_rebuild(
    lake: Lake, submission: Submission, ledger: dict[str, str], landed: set[str]
) -> bool:
    """No ledger entry, or an entry in force whose landed rows are gone. `ledger` (id ->
    key) and `landed` (keys) are listed once per rebuild, not once per submission."""
    if submission.id not in ledger:
        return True
    data = lake.store.get(ledger[submission.id])
    outcome = None if data is None else lake.read_entry(ledger[submission.id], data)
    if outcome is None:  # gone, or unreadable (and now set aside)
        return True
    if not outcome["landed"]:
        return False
    return (
        lake.landed_key(submission.trust_ods_code, outcome["period"], submission.id) not in landed
    )


def rebuild_lake(s3: S3Client, settings: Settings) -> Iterator[BatchItem]:
    """Make the lake again from the archive: each archived submission whose ledger entry or
    landed rows are missing is validated again from its archived bytes, oldest first per
    trust and month, and recorded as at first. The trust is not sent its report again."""
    archived = dict((s.id, (s, r)) for s, r in archived_submissions(s3, settings.platform_bucket))
    lake = settings.lake
    lake.check_ledger()  # unreadable entries set aside: each is made again below
    ledger = {e.key.rsplit("/", 1)[-1].removesuffix(".json"): e.key for e in lake.ledger_entries()}
    landed = {e.key for e in lake.landed_entries()}
    for submission in in_processing_order(s for s, _ in archived.values()):
        if not needs_rebuild(lake, submission, ledger, landed):
            yield BatchItem(submission, skipped="in the lake")
            continue
        started = time.perf_counter()
        with settings.lake.claim(submission.id) as receipt:
            if receipt is None:
                yield BatchItem(submission, skipped="another pass is processing it")
                continue
            processed = process_submission(s3, submission, settings, archived[submission.id][1])
        lake.clear_quarantine(submission.id)  # made again: no longer set aside
        yield BatchItem(submission, processed, seconds=time.perf_counter() - started)
