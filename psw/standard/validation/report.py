"""One report model for every validation, rendered as JSON (machines) and HTML (people).

The same report comes from `psw validate` on a trust's machine and from the platform
into the trust's `feedback/` folder. Values of sensitive columns and personal data are
never carried in a finding (the engine blanks them before they reach here).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from psw.standard.validation.shown import WITHHELD, printable

REPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: str  # error | warning | info
    message: str
    row: int | None = None  # spreadsheet row (header is row 1); None for the whole file
    column: str | None = None
    value: str | None = None  # None when withheld or not cell-specific
    value_withheld: bool = False  # a value was there but is not safe to repeat

    def sort_key(self) -> tuple:
        order = {"error": 0, "warning": 1, "info": 2}[self.severity]
        return (order, self.row if self.row is not None else 0, self.rule_id, self.column or "")


@dataclass
class Report:
    trust_ods_code: str
    period: str  # YYYY-MM
    file_name: str
    standard_version: str
    findings: list[Finding]
    rows: int = 0
    staff_in_post: int = 0
    # What the data-quality measure counts (the standard's data_quality): values given in
    # its optional columns, coded values that are "not stated / not known".
    values_given: int = 0
    values_not_stated: int = 0
    nil_return: bool = False
    max_findings_listed: int = 5000
    validated_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )

    @property
    def status(self) -> str:
        if self.count("error"):
            return "rejected"
        if self.count("warning"):
            return "accepted_with_warnings"
        return "accepted"

    @property
    def accepted(self) -> bool:
        return self.status != "rejected"

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def rule_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule_id for f in self.findings).items()))

    def listed(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)[: self.max_findings_listed]

    def to_dict(self) -> dict:
        listed = self.listed()
        return {
            "report_format_version": REPORT_FORMAT_VERSION,
            "standard_version": self.standard_version,
            "status": self.status,
            "trust_ods_code": self.trust_ods_code,
            "period": self.period,
            "file_name": printable(self.file_name),
            "validated_at": self.validated_at,
            "nil_return": self.nil_return,
            "counts": {
                "rows": self.rows,
                "staff_in_post": self.staff_in_post,
                "values_given": self.values_given,
                "values_not_stated": self.values_not_stated,
                "errors": self.count("error"),
                "warnings": self.count("warning"),
                "notes": self.count("info"),
            },
            "rule_counts": self.rule_counts(),
            "findings_listed": len(listed),
            "findings_truncated": len(listed) < len(self.findings),
            "findings": [_printable(asdict(f)) for f in listed],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """A short summary for a terminal."""
        lines = [
            f"{printable(self.file_name)}: {self.status.upper().replace('_', ' ')} "
            f"(trust {self.trust_ods_code}, period {self.period}, "
            f"standard v{self.standard_version})",
            f"  {self.rows} rows, {self.staff_in_post} staff in post"
            + (" - nil return" if self.nil_return else "")
            + f"; {self.count('error')} errors, {self.count('warning')} warnings",
        ]
        listed = self.listed()
        for f in listed:
            where = (
                ", ".join(p for p in (f"row {f.row}" if f.row else "", f.column or "") if p)
                or "file"
            )
            value = f" [{f.value}]" if f.value is not None else ""
            value = f" [{WITHHELD}]" if f.value_withheld else value
            line = f"  {f.severity.upper():7} {f.rule_id:28} {where}: {f.message}{value}"
            lines.append(printable(line))
        if len(listed) < len(self.findings):
            lines.append(f"  ... and {len(self.findings) - len(listed)} more (see --json)")
        return "\n".join(lines)

    def to_html(self) -> str:
        return render_html(self)


_STATUS_TEXT = {
    "accepted": ("Accepted", "Your return has been accepted. Thank you."),
    "accepted_with_warnings": (
        "Accepted with warnings",
        "Your return has been accepted. Please check the warnings below; they may mean "
        "something is wrong in your data.",
    ),
    "rejected": (
        "Rejected",
        "Your return has not been accepted. Fix the errors below and upload the file again.",
    ),
}


def render_html(report: Report) -> str:
    """The report as a page (psw/core/templates/report.html): every value escaped."""
    from psw.core.pages import render

    data = report.to_dict()
    headline, advice = _STATUS_TEXT[report.status]
    counts = data["counts"]
    nil = " (nil return: no PSWs this month)" if data["nil_return"] else ""
    total = counts["errors"] + counts["warnings"] + counts["notes"]
    from psw.core.periods import month_name, uk_time
    from psw.standard.reference import trust
    from psw.standard.validation.grouped import by_rule

    registered = trust(report.trust_ods_code) if report.trust_ods_code else None
    named = f"{registered.name} ({registered.ods_code})" if registered else report.trust_ods_code
    return render(
        "report.html",
        title=f"Return report: {report.trust_ods_code} {month_name(report.period)}: {headline}",
        status=report.status,
        headline=headline,
        advice=advice,
        facts=[
            ("File", data["file_name"]),
            ("Trust", named),
            ("Month", month_name(report.period)),
            ("Rows read", f"{counts['rows']}{nil}"),
            ("Staff in post", counts["staff_in_post"]),
            ("Errors", counts["errors"]),
            ("Warnings", counts["warnings"]),
            (
                "Checked",
                f"{uk_time(data['validated_at'])} against standard v{report.standard_version}",
            ),
        ],
        groups=by_rule(data),
        truncated=(
            f"Only the first {data['findings_listed']} of {total} findings are listed. "
            "Fix these and validate again to see the rest."
            if data["findings_truncated"]
            else ""
        ),
        findings=data["findings"],
        withheld=WITHHELD,
    )


def _printable(finding: dict) -> dict:
    """A finding's texts with control and direction characters shown as codes."""
    return {k: printable(v) if isinstance(v, str) else v for k, v in finding.items()}
