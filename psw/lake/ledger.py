"""The ledger read with care: every entry checked as it is read, a bad one set aside.

Issue 21: a zero-length ledger entry (what a rename without fsync can leave after a power
cut) made the next build publish a trust as missing for its month, record a revision
"caused" by it, and fail `psw lake rebuild` without naming the file. Now an entry that is
not what the platform writes (empty, not JSON, or naming another submission, trust, month
or status than its key says) is named and moved to `quarantine/<its key>` in the lake;
nothing is published while the quarantine holds an entry (its month would be wrong), and
`psw lake rebuild` makes the entry again from the archive, with its receipt, and clears
it from the quarantine. The submission stays "processed" meanwhile: the next pass does
not process the trust's upload again as if it were new.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)

QUARANTINE = "quarantine/"


class Status(StrEnum):
    """A submission's outcome (the ledger), and a trust-month's status (the marts)."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
    NIL_RETURN = "nil_return"
    REJECTED = "rejected"
    MISSING = "missing"  # marts only: a registered trust with no file that month

    @property
    def in_force(self) -> bool:
        """Whether a submission with this outcome can be the trust-month's return."""
        return self in (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS, Status.NIL_RETURN)


class UnreadableEntry(ValueError):
    """A ledger entry that is not what the platform writes."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key, self.reason = key, reason


@dataclass(frozen=True)
class Quarantined:
    """An entry set aside: where it was, why, and where it is now."""

    key: str
    reason: str
    moved_to: str

    @property
    def line(self) -> str:
        return f"ledger entry {self.key} is unreadable ({self.reason}); moved to {self.moved_to}"


def parse_entry(key: str, data: bytes) -> dict:
    """A ledger entry's record, checked against its key; UnreadableEntry when it is not
    one (`submissions/trust=<ODS>/<period=YYYY-MM | unfiled>/<submission id>.json`)."""
    if not data:
        raise UnreadableEntry(key, "empty (0 bytes)")
    try:
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableEntry(key, f"not JSON ({type(exc).__name__})") from None
    if not isinstance(record, dict):
        raise UnreadableEntry(key, "not a JSON object")
    _, trust, folder, name = key.split("/")
    expected = {
        "submission_id": name.removesuffix(".json"),
        "trust_ods_code": trust.removeprefix("trust="),
        "period": folder.removeprefix("period=") if folder != "unfiled" else None,
    }
    for field, value in expected.items():
        if record.get(field) != value:
            raise UnreadableEntry(key, f"its {field} is not the one its key names")

    if record.get("status") not in {status.value for status in Status} - {Status.MISSING}:
        raise UnreadableEntry(key, "no known status")
    return record


def quarantine_key(key: str) -> str:
    return QUARANTINE + key


def is_quarantine_of(key: str) -> bool:
    return key.startswith(QUARANTINE + "submissions/") and key.endswith(".json")
