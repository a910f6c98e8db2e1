"""A report's findings grouped by rule, for people: one line per rule with its count and
first rows, errors first, so the one error is not buried under a hundred identical
warnings. Pure: a report as its JSON (Report.to_dict) in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FIRST_ROWS = 10
SEVERITY_WORDS = {"error": "Error", "warning": "Warning", "info": "Note"}


@dataclass(frozen=True)
class RuleGroup:
    rule_id: str
    severity: str
    message: str  # what the rule checks (or, for a rule retired since, its first finding)
    count: int
    rows: list[int]  # the first rows, in order
    more: int  # rows beyond those shown
    columns: list[str]  # the columns it was found in, in the file's order of finding

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
            {
                "severity": finding["severity"],
                "message": finding["message"],
                "rows": [],
                "columns": [],
            },
        )
        if finding.get("row") is not None:
            group["rows"].append(finding["row"])
        if finding.get("column") and finding["column"] not in group["columns"]:
            group["columns"].append(finding["column"])
    from psw.standard.model import load_standard

    rules = load_standard().rules
    order = {"error": 0, "warning": 1, "info": 2}
    made = []
    for rule_id, group in groups.items():
        if rule_id in rules:  # what the rule checks, not one finding's detail
            group["message"] = rules[rule_id].description
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
                group["columns"],
            )
        )
    return sorted(made, key=lambda g: (order[g.severity], -g.count, g.rule_id))
