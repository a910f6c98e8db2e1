"""Batches of uploads: many submissions in warm processes, each claimed and isolated.

`process_batch` is what intake runs: many submissions in one warm process (each one by
psw/intake/ingest.py's `process_submission`), each claimed (an flock) so that two passes at once
never process one twice, each isolated so that one file's fault never stops the others.
`process_in_workers` (psw/intake/workers.py) shares a backlog between processes.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from psw.intake.ingest import Processed, Settings, process_submission
from psw.intake.submissions import Submission
from psw.lake.layout import Claim, Lake

if TYPE_CHECKING:
    from psw.storage import S3Client

# A backlog of SPLIT_FROM uploads or more is shared between CORES processes (intake runs
# from the sensor, worker processes in `psw run`); fewer are not worth a second start-up.
CORES = 2
SPLIT_FROM = 10


def parallelism(uploads: int) -> int:
    """How many processes share this many uploads."""
    return CORES if uploads >= SPLIT_FROM else 1


@dataclass(frozen=True)
class BatchItem:
    """What happened to one submission of a batch."""

    submission: Submission
    processed: Processed | None = None
    skipped: str | None = None  # done already, or another pass holds it
    fault: str | None = None  # a platform fault: no outcome, the next pass retries
    seconds: float = 0.0
    pid: int = 0  # the process that processed it

    @property
    def line(self) -> str:
        s = self.submission
        where = f"{s.trust_ods_code} {s.key}"
        if self.processed and self.processed.replaced:
            from psw.intake.ingest import GONE

            if self.processed.outcome.error == GONE:
                return f"{where}: deleted from the bucket before it was read (nothing to check)"
            return f"{where}: replaced by a newer upload before it was read (that one is checked)"
        if self.processed:
            o = self.processed.outcome
            extra = " (platform error: see the ledger)" if o.error and o.report_key else ""
            return f"{where}: {o.status}{extra}"
        if self.skipped:
            return f"{where}: skipped ({self.skipped})"
        return f"{where}: not processed, will retry ({self.fault})"


def key_month(s: Submission) -> str:
    """The month folder of the key (`returns/<month>/<file>`), "" when it has none."""
    return s.key.split("/")[1] if s.key.count("/") >= 2 else ""


def in_processing_order(submissions: Iterable[Submission]) -> list[Submission]:
    """Oldest first within each trust and month, months in order: each return's history
    checks then see the month before it, and the last upload is processed last."""
    return sorted(submissions, key=lambda s: (s.trust_ods_code, key_month(s), s.uploaded_at, s.key))


def claim_pending(lake: Lake, submission: Submission, done: set[str]) -> tuple[str, Claim | None]:
    """The claim on an upload not yet done, with its receipt; or why it is skipped."""
    if submission.id in done:
        return "already processed", None
    claim = lake.try_claim(submission.id)
    if claim is None:
        return "another pass is processing it", None
    if lake.has_outcome(submission.trust_ods_code, submission.id):
        claim.release()
        return "already processed", None
    return "", claim


def process_batch(
    s3: S3Client,
    submissions: Iterable[Submission],
    settings: Settings,
    done: set[str] | None = None,
) -> Iterator[BatchItem]:
    """Process many submissions in this (warm) process, one at a time, each isolated.

    After the last of a trust's submissions, `settings.after_trust` runs (the application
    refreshes the trust's data-quality history in its bucket), once per batch rather than
    once per upload."""
    done = settings.lake.processed_ids() if done is None else done
    store_down: str | None = None
    histories = _AfterTrust(s3, settings)
    for submission in in_processing_order(submissions):
        histories.next_trust(submission.trust_ods_code)
        started = time.perf_counter()
        if store_down:  # no use trying the rest: each would wait for its retries
            yield BatchItem(submission, fault=f"not tried: {store_down}")
            continue
        skipped, claim = claim_pending(settings.lake, submission, done)
        if claim is None:
            yield BatchItem(submission, skipped=skipped)
            continue
        with contextlib.closing(claim):
            try:
                processed = process_submission(s3, submission, settings, receipt=claim.receipt)
            except Exception as exc:  # the store or the disk: retried by the next pass
                from psw.storage import store_unreachable

                if store_unreachable(exc):
                    store_down = "the object store cannot be reached"
                yield BatchItem(
                    submission, fault=short_fault(exc), seconds=time.perf_counter() - started
                )
                continue
        done.add(submission.id)
        histories.changed = True
        yield BatchItem(
            submission, processed, seconds=time.perf_counter() - started, pid=os.getpid()
        )
    if not store_down:
        histories.next_trust(None)


class _AfterTrust:
    """Runs `settings.after_trust` when the batch moves past a trust, if it processed any."""

    def __init__(self, s3, settings: Settings):
        self.s3, self.settings = s3, settings
        self.current: str | None = None
        self.changed = False  # set when a submission of the current trust is processed
        self.cache: dict = {}  # the hook's, for the batch

    def next_trust(self, ods: str | None) -> None:
        if ods == self.current:
            return
        hook = self.settings.after_trust
        if hook and self.changed and self.current:
            hook(self.s3, self.settings.lake, self.current, self.cache)
        self.current, self.changed = ods, False


def short_fault(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300]
