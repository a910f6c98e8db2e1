"""A trust's months of a financial year and the status of each, from its ledger entries.

Pure: the ledger's records and today's date in, a row per month out. A month's status is
what stands for it, as the national figures see it: the newest return in force (accepted,
with warnings, or nil), else rejected when every upload was; with no upload it is `due`
until the due day (the standard's `due_day` of the following month), then `missing`;
a month not yet ended is `open`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from psw.core.periods import month_name, months, parse_period
from psw.lake.layout import recency, standing
from psw.lake.ledger import Status

# Every status in words, the one table the portal's pages and emails use.
WORDS = {
    "accepted": "Accepted",
    "accepted_with_warnings": "Accepted with warnings",
    "nil_return": "Nil return",
    "rejected": "Rejected",
    "missing": "Missing",
    "due": "Due",
    "open": "Not yet due",
}


@dataclass(frozen=True)
class Month:
    period: str  # YYYY-MM
    status: str  # a key of WORDS
    due: dt.date
    standing: Mapping[str, object] | None  # the ledger record that gives the status
    uploads: int
    later_rejected: bool  # a newer upload was rejected; the one in force still stands

    @property
    def words(self) -> str:
        return WORDS[self.status]

    @property
    def label(self) -> str:
        """June 2025."""
        return month_name(self.period)


def due_date(period: str, due_day: int) -> dt.date:
    end = parse_period(period)
    following = end + dt.timedelta(days=1)
    return following.replace(day=due_day)


def financial_year(today: dt.date) -> str:
    """The financial year (April to March) holding the last month that has ended: its
    first month, YYYY-04."""
    last_ended = today.replace(day=1) - dt.timedelta(days=1)
    start = last_ended.year if last_ended.month >= 4 else last_ended.year - 1
    return f"{start:04d}-04"


def year_months(first: str) -> list[str]:
    start = int(first[:4])
    return months(f"{start:04d}-04", f"{start + 1:04d}-03")


def month_statuses(
    records: Iterable[Mapping[str, object]], periods: list[str], today: dt.date, due_day: int
) -> list[Month]:
    by_month: dict[str, list[Mapping[str, object]]] = {}
    for record in records:
        if record.get("period"):
            by_month.setdefault(str(record["period"]), []).append(record)
    return [_month(p, by_month.get(p, []), today, due_day) for p in periods]


def _month(period: str, uploads: list[Mapping[str, object]], today: dt.date, due_day: int) -> Month:
    due = due_date(period, due_day)
    stands = standing(uploads)
    if stands is not None:
        status = str(stands["status"])
    elif today <= parse_period(period):
        status = "open"
    elif today <= due:
        status = "due"
    else:
        status = "missing"
    newest = max(uploads, key=recency) if uploads else None
    later_rejected = stands is not None and Status(status).in_force and newest is not stands
    return Month(period, status, due, stands, len(uploads), later_rejected)
