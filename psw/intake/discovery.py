"""Finding uploads: list every registered trust's bucket, never letting one stop the rest.

A bucket that is missing or refuses us is a problem for operators, reported and passed
over; the other buckets are listed as usual. A store that cannot be reached at all stops
the scan (`StoreUnavailable`): nothing can be done until it is back, and nothing is lost,
since uploads stay in the buckets until a pass processes them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from psw.intake.submissions import Submission, is_uploaded_object
from psw.standard.reference import Trust

if TYPE_CHECKING:
    from psw.lake.layout import Lake
    from psw.storage import S3Client


class StoreUnavailable(RuntimeError):
    """The object store cannot be reached."""


@dataclass(frozen=True)
class BucketProblem:
    ods_code: str
    bucket: str
    message: str

    @property
    def line(self) -> str:
        return f"{self.ods_code}: bucket {self.bucket} skipped ({self.message})"


@dataclass
class Scan:
    submissions: list[Submission] = field(default_factory=list)
    problems: list[BucketProblem] = field(default_factory=list)
    scanned: int = 0  # buckets listed (or found wanting) this time
    next_start: int = 0  # where the next scan starts, when a time budget cut this one short
    done: set[str] = field(default_factory=set)  # ids with an outcome in the ledger
    pending: list[Submission] = field(default_factory=list)  # the uploads without one


def pending_uploads(
    s3: S3Client, lake: Lake, start: int = 0, budget_s: float | None = None
) -> Scan:
    """Every registered trust's uploads, and those the ledger has no outcome for: what
    the upload sensor and `psw run` both hand to intake."""
    from psw.standard.reference import trusts

    registry = sorted(trusts().values(), key=lambda t: t.ods_code)
    found = scan(s3, registry, start, budget_s)
    found.done = lake.processed_ids()
    found.pending = [s for s in found.submissions if s.id not in found.done]
    return found


def list_submissions(s3: S3Client, trust: Trust) -> list[Submission]:
    """Every object the trust has put in its bucket (all but feedback/ and folder markers)."""
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=trust.bucket):
        for obj in page.get("Contents", []):
            if is_uploaded_object(obj["Key"], obj["Size"]):
                found.append(
                    Submission(
                        trust.ods_code,
                        trust.bucket,
                        obj["Key"],
                        obj["ETag"].strip('"'),
                        obj["Size"],
                        obj["LastModified"],
                    )
                )
    return found


def scan(
    s3: S3Client,
    registry: Sequence[Trust],
    start: int = 0,
    budget_s: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Scan:
    """List the buckets round-robin from `start`, within a time budget when given."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    result = Scan()
    count = len(registry)
    started = clock()
    for offset in range(count):
        if budget_s is not None and result.scanned and clock() - started > budget_s:
            break
        trust = registry[(start + offset) % count]
        try:
            result.submissions += list_submissions(s3, trust)
        except EndpointConnectionError as exc:
            raise StoreUnavailable(str(exc)) from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            message = f"{error.get('Code', '?')}: {error.get('Message', '') or 'no message'}"
            result.problems.append(BucketProblem(trust.ods_code, trust.bucket, message))
        except BotoCoreError as exc:  # timeouts and broken connections mid-listing
            raise StoreUnavailable(str(exc)) from exc
        result.scanned += 1
    result.next_start = (start + result.scanned) % max(count, 1)
    return result
