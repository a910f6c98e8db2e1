"""What a report says, put for a person: findings grouped by rule, times in UK time.

Pure: a report as its JSON (Report.to_dict, what the pipeline writes to `feedback/`) in,
plain values for a page out. A hundred identical findings of one rule are one line with a
count and the first rows, so the one error among them is not buried.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
FIRST_ROWS = 10
SEVERITY_WORDS = {"error": "Error", "warning": "Warning", "info": "Note"}
STATUS_WORDS = {
    "accepted": ("Accepted", "This return meets the standard. Thank you."),
    "accepted_with_warnings": (
        "Accepted with warnings",
        "This return meets the standard. Check the warnings below: they may mean something "
        "in your data is wrong.",
    ),
    "rejected": (
        "Rejected",
        "This return does not meet the standard and will not be used. Fix the errors below "
        "and upload it again.",
    ),
}


@dataclass(frozen=True)
class RuleGroup:
    rule_id: str
    severity: str
    message: str  # the first finding's message (a rule's findings differ only in detail)
    count: int
    rows: list[int]  # the first rows, in order
    more: int  # rows beyond those shown

    @property
    def severity_words(self) -> str:
        return SEVERITY_WORDS[self.severity]


def by_rule(result: Mapping[str, Any]) -> list[RuleGroup]:
    """Errors, then warnings, then notes; within each, the rule found most often first."""
    findings = result.get("findings") or []
    counts = result.get("rule_counts") or {}
    groups: dict[str, dict] = {}
    for finding in findings:
        group = groups.setdefault(
            finding["rule_id"],
            {"severity": finding["severity"], "message": finding["message"], "rows": []},
        )
        if finding.get("row") is not None:
            group["rows"].append(finding["row"])
    order = {"error": 0, "warning": 1, "info": 2}
    made = []
    for rule_id, group in groups.items():
        count = int(counts.get(rule_id, len(group["rows"]) or 1))
        rows = sorted(set(group["rows"]))
        made.append(
            RuleGroup(
                rule_id,
                group["severity"],
                group["message"],
                count,
                rows[:FIRST_ROWS],
                max(0, count - min(len(rows), FIRST_ROWS)) if rows else 0,
            )
        )
    return sorted(made, key=lambda g: (order[g.severity], -g.count, g.rule_id))


def uk_time(moment: dt.datetime | str) -> str:
    """3 June 2025, 14:05 (BST): what a trust's clock said."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(UK)
    return f"{local.day} {local:%B %Y, %H:%M} ({local.tzname()})"


def uk_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
