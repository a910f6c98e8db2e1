"""What a report says, put for a person in the portal: its outcome in words, its findings
grouped by rule (psw/standard/validation/grouped.py, as the report page groups them), and
every finding as a CSV for Excel. Pure: a report as its JSON (Report.to_dict, what the
pipeline writes to `feedback/`) in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psw.standard.validation.grouped import RuleGroup, by_rule

__all__ = ["STATUS_WORDS", "RuleGroup", "by_rule", "findings_csv"]

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


FINDING_COLUMNS = ["severity", "row", "column", "rule_id", "problem", "value"]
# Excel runs a cell that starts with one of these as a formula (CSV injection): such a
# value is written after an apostrophe, which Excel shows as text and hides.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def findings_csv(result: Mapping[str, Any]) -> str:
    """Every finding listed in the report, a row each, for filtering in Excel."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FINDING_COLUMNS)
    for f in result.get("findings") or []:
        value = "" if f.get("value") is None else str(f["value"])
        if f.get("value_withheld"):
            value = "(withheld: not safe to repeat)"
        writer.writerow(
            [
                f["severity"],
                "" if f.get("row") is None else f["row"],
                _cell(f.get("column") or ""),
                f["rule_id"],
                _cell(f["message"]),
                _cell(value),
            ]
        )
    return "\ufeff" + out.getvalue()  # with a byte order mark: Excel reads it as UTF-8


def _cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
