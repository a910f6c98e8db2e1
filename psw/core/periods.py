"""Reporting periods: a month written YYYY-MM and its last day."""

from __future__ import annotations

import calendar
import datetime as dt
import re

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    pass


def is_period(text: str) -> bool:
    """Whether text is a month written YYYY-MM."""
    return _PERIOD.match(text) is not None


def parse_period(text: str) -> dt.date:
    """'2025-06' -> date(2025, 6, 30), the period end."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise PeriodError(f"'{text}' is not a month written YYYY-MM, for example 2025-06")
    return month_end(int(match.group(1)), int(match.group(2)))


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_period(period_end: dt.date) -> dt.date:
    first = period_end.replace(day=1)
    return first - dt.timedelta(days=1)


def months(first: str, last: str) -> list[str]:
    """Every period from first to last inclusive, as YYYY-MM."""
    start, end = parse_period(first), parse_period(last)
    out, cur = [], start
    while cur <= end:
        out.append(period_of(cur))
        nxt = cur + dt.timedelta(days=1)
        cur = month_end(nxt.year, nxt.month)
    return out


# How people read months and times (reports, pages, emails): "June 2025", and the UK's own
# clock, which the platform's UTC timestamps are shown in.


def month_name(period: str) -> str:
    """'2025-06' -> 'June 2025'; anything else is shown as it is."""
    return parse_period(period).strftime("%B %Y") if is_period(period) else period


def uk_time(moment: dt.datetime | str) -> str:
    """'2025-06-03T13:05:00+00:00' -> '3 June 2025, 14:05 (BST)'."""
    from zoneinfo import ZoneInfo

    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(ZoneInfo("Europe/London"))
    return f"{local.day} {local:%B %Y, %H:%M} ({local.tzname()})"


def uk_date(day: dt.date) -> str:
    """date(2025, 7, 15) -> '15 July 2025'."""
    return f"{day.day} {day:%B %Y}"
