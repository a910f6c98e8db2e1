"""A trust's own data-quality measure, exactly, for its private history page.

The published measure (`published.data_quality`) is worked out from perturbed counts
(docs/disclosure-control.md), which protects a small trust from everyone else but would
show the trust a score that is not quite its own. Its own ledger entries hold what the
measure counts (rows, warnings, values given and not stated), so the parts are worked out
here as `data_quality` in the standard defines them, the same way
`int_trust_month_quality` does (tests/test_marts_figures.py checks they agree).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from psw.core.periods import parse_period
from psw.lake.ledger import Status

if TYPE_CHECKING:
    from psw.standard.model import Standard


def own_quality(uploads: list[dict], published: list[tuple], standard: Standard) -> list[dict]:
    """The trust's data-quality measure by month, its own exactly: for each month of the
    published measure, the parts of the return in force worked out from its ledger entry
    (its rows, warnings and the counts kept for the measure), beside the median of all
    trusts' published scores. An entry from before the counts were kept shows the
    published (perturbed) parts instead, marked `as_published`."""
    rows = []
    for month, status, *shown, on_time, score, national, _ in published:
        entries = [u for u in uploads if u.get("period") == month]
        in_force = [u for u in entries if Status(u["status"]).in_force]
        parts = _parts(in_force[-1], standard) if in_force else (None, None, None)
        exact = not in_force or in_force[-1].get("values_given") is not None
        if exact and in_force:
            on_time = _on_time(in_force, month, standard)
            known = [p for p in parts if p is not None]
            score = (sum(known) + on_time) / (1 + len(known))
        rows.append(
            {
                "month": month,
                "status": status,
                "completeness": parts[0] if exact else shown[0],
                "stated": parts[1] if exact else shown[1],
                "clean": parts[2] if exact else shown[2],
                "on_time": on_time,
                "score": score,
                "as_published": not exact,
                "median_of_all_trusts": national,
            }
        )
    return rows


def _parts(entry: dict, standard: Standard) -> tuple[float | None, ...]:
    """Completeness, stated and clean of one return (None for a nil return)."""
    rows = entry["rows"]
    if not rows or entry.get("values_given") is None:
        return (None, None, None)
    quality = standard.data_quality
    completeness = entry["values_given"] / (rows * len(quality.completeness_columns))
    stated = 1 - entry["values_not_stated"] / (rows * len(quality.not_stated_columns))
    return (completeness, stated, max(0.0, 1 - entry["warnings"] / rows))


def _on_time(in_force: list[dict], month: str, standard: Standard) -> bool:
    """The first good upload arrived before the due day of the following month ended
    (UTC), as the published measure reckons it."""
    first = min(dt.datetime.fromisoformat(u["received_at"]) for u in in_force)
    ends = parse_period(month) + dt.timedelta(days=standard.data_quality.due_day + 1)
    return first < dt.datetime.combine(ends, dt.time(0), dt.UTC)
