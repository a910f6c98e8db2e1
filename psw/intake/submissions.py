"""What an upload is: its identity (one submission per object version) and where it fits.

Pure: no I/O. Every object a trust puts in its bucket outside `feedback/` is a submission,
identified by bucket, key, upload time and ETag (or the store's version id), never by its
content alone: the same bytes uploaded again are a new submission, and re-uploading an
earlier file makes it the latest again.

`place` decides what the platform does with it: a return for a month of the collection is
*filed* under that trust and month; anything else (a key that is not
`returns/<YYYY-MM>/<file name>`, a month before the collection or not yet ended) is
*unfiled*: it gets a rejection report that says what to do, and no month.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from psw.core.periods import is_period, parse_period

if TYPE_CHECKING:
    from psw.standard.reference import Trust

FEEDBACK_PREFIX = "feedback/"
RETURNS_PREFIX = "returns/"
MAX_NAME_BYTES = 200


@dataclass(frozen=True)
class Submission:
    """One object version in a trust's bucket, as listed."""

    trust_ods_code: str
    bucket: str
    key: str
    etag: str
    size: int
    # The listing's time (milliseconds on stores that have them; HeadObject rounds to
    # seconds, so two uploads in one second would tie there).
    uploaded_at: dt.datetime
    version_id: str | None = None

    @property
    def id(self) -> str:
        version = self.version_id or f"{self.etag}|{self.uploaded_at.isoformat()}"
        return hashlib.sha256(f"{self.bucket}/{self.key}@{version}".encode()).hexdigest()[:24]

    def to_config(self) -> dict[str, str]:
        """Plain values for run config and JSON."""
        return {
            "trust_ods_code": self.trust_ods_code,
            "bucket": self.bucket,
            "key": self.key,
            "etag": self.etag,
            "size": str(self.size),
            "uploaded_at": self.uploaded_at.isoformat(),
            "version_id": self.version_id or "",
        }

    @classmethod
    def from_config(cls, config: dict) -> Submission:
        return cls(
            trust_ods_code=config["trust_ods_code"],
            bucket=config["bucket"],
            key=config["key"],
            etag=config["etag"],
            size=int(config["size"]),
            uploaded_at=dt.datetime.fromisoformat(config["uploaded_at"]),
            version_id=config.get("version_id") or None,
        )


@dataclass(frozen=True)
class Placement:
    """Where a submission belongs, and why not when it cannot be filed."""

    period: str | None  # YYYY-MM of a filed return, or the key's month when it has one
    file_name: str
    report_key: str  # without the .json / .html suffix
    problem: str | None = None  # the rule id that keeps it out of the collection
    detail: str = ""

    @property
    def filed(self) -> bool:
        return self.problem is None


def is_uploaded_object(key: str, size: int) -> bool:
    """Whether an object is the trust's upload: not our feedback, not a folder marker.

    An S3 client's "new folder" is an empty object `returns/2025-07/`; stores that keep
    objects as files (rclone) list it as `returns/2025-07`. Empty objects directly under
    `returns/` are read as folders, so a month's folder made ahead gets no report."""
    if key.startswith(FEEDBACK_PREFIX):
        return False
    if size == 0 and (key.endswith("/") or key.count("/") == 1 and key.startswith(RETURNS_PREFIX)):
        return False
    return key not in ("returns", "feedback")


def report_key(key: str) -> str:
    """`feedback/` + the key without a leading `returns/` + `.report` (docs/interfaces.md).

    A file name over MAX_NAME_BYTES is shortened (its start, `~`, a hash of the whole):
    stores that keep objects as files (rclone, MinIO) refuse names over 255 bytes, and the
    report adds 12. The report itself names the file in full."""
    folder, _, name = key.removeprefix(RETURNS_PREFIX).rpartition("/")
    if len(name.encode()) > MAX_NAME_BYTES:
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        name = name.encode()[:150].decode(errors="ignore") + "~" + digest
    return f"{FEEDBACK_PREFIX}{folder + '/' if folder else ''}{name}.report"


def place(key: str, first_month: str, today: dt.date, trust: Trust | None = None) -> Placement:
    """File a key under its month, or say why it cannot be filed. `trust` (a registry
    entry) adds its open months: a month it is not expected to submit is refused."""
    parts = key.split("/")
    name = parts[-1] or key
    in_returns = len(parts) > 1 and parts[0] == "returns"
    period = parts[1] if in_returns and is_period(parts[1]) else None
    problem, detail = None, ""
    if parts[0] != "returns" or len(parts) < 3 or not parts[-1]:
        problem, detail = "KEY_NOT_A_RETURN", "it is not in a returns/<YYYY-MM>/ folder"
    elif not period:
        problem, detail = "KEY_NOT_A_RETURN", f"'{parts[1]}' is not a month written YYYY-MM"
    elif len(parts) > 3:
        problem, detail = "KEY_NOT_A_RETURN", f"it is in a sub-folder of returns/{period}/"
    elif period < first_month:
        problem, detail = "PERIOD_BEFORE_COLLECTION", first_month
    elif parse_period(period) > today:
        problem, detail = "PERIOD_IN_FUTURE", period
    elif trust is not None and not trust.is_open(period):
        problem, detail = "PERIOD_OUTSIDE_TRUST_DATES", _outside(trust, period)
    return Placement(period, name, report_key(key), problem, detail)


def _outside(trust, period: str) -> str:
    detail = f"{trust.ods_code} is registered to submit {trust.open_months}, and {period} is not"
    successor = trust.successor_ods_code
    if trust.valid_to and period > trust.valid_to and successor:
        detail += f"; after {trust.valid_to} its services are reported by {successor}"
    return detail
