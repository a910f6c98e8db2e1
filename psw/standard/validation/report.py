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
from html import escape

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
    "accepted": ("Accepted", "Your return has been accepted. Thank you.", "#007f3b"),
    "accepted_with_warnings": (
        "Accepted with warnings",
        "Your return has been accepted. Please check the warnings below; they may mean "
        "something is wrong in your data.",
        "#8a5a00",
    ),
    "rejected": (
        "Rejected",
        "Your return has not been accepted. Fix the errors below and upload the file again.",
        "#d5281b",
    ),
}

_CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:0;padding:1rem;color:#212b32;
background:#f0f4f5;line-height:1.4}
main{max-width:60rem;margin:0 auto;background:#fff;padding:1rem 1.25rem;border-radius:4px}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:1.5rem}
.status{color:#fff;padding:.75rem 1rem;border-radius:4px;margin:1rem 0}
.status strong{font-size:1.25rem;display:block}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:bold}
dd{margin:0;word-break:break-word}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #d8dde0;padding:.4rem;text-align:left;vertical-align:top}
td.value{font-family:monospace;overflow-wrap:anywhere}
.sev-error{color:#d5281b;font-weight:bold}.sev-warning{color:#8a5a00;font-weight:bold}
.sev-info{color:#005eb8;font-weight:bold}
.note{color:#4c6272;font-size:.9rem}
@media (max-width:40rem){
 table.findings,.findings thead,.findings tbody,.findings tr,.findings td{display:block}
 .findings thead{display:none}
 .findings tr{border-bottom:2px solid #d8dde0;padding:.4rem 0}
 .findings td{border:0;padding:.15rem 0}
 .findings td::before{content:attr(data-label) ": ";font-weight:bold}
 .findings td.value:empty{display:none}
}
"""


def render_html(report: Report) -> str:
    data = report.to_dict()
    title, advice, colour = _STATUS_TEXT[report.status]
    e = escape
    rows = []
    for f in data["findings"]:
        rows.append(
            "<tr>"
            f'<td data-label="Severity" class="sev-{e(f["severity"])}">{e(f["severity"])}</td>'
            f'<td data-label="Row">{e(str(f["row"]) if f["row"] is not None else "-")}</td>'
            f'<td data-label="Column">{e(f["column"] or "-")}</td>'
            f'<td data-label="Problem">{e(f["message"])}</td>'
            f'<td data-label="Value" class="value">'
            f"{e(f['value']) if f['value'] is not None else ''}"
            f"{'<i>' + WITHHELD + '</i>' if f['value_withheld'] else ''}</td>"
            f'<td data-label="Rule">{e(f["rule_id"])}</td>'
            "</tr>"
        )
    counts = data["counts"]
    rule_rows = "".join(
        f"<tr><td>{e(rule)}</td><td>{n}</td></tr>" for rule, n in data["rule_counts"].items()
    )
    truncated = (
        f'<p class="note">Only the first {data["findings_listed"]} of '
        f"{counts['errors'] + counts['warnings'] + counts['notes']} findings are listed. "
        "Fix these and validate again to see the rest.</p>"
        if data["findings_truncated"]
        else ""
    )
    findings = (
        '<table class="findings"><thead><tr><th>Severity</th><th>Row</th><th>Column</th>'
        "<th>Problem</th>"
        f"<th>Value</th><th>Rule</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No problems found.</p>"
    )
    nil = " (nil return: no PSWs this month)" if data["nil_return"] else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PSW return report: {e(report.trust_ods_code)} {e(report.period)}: {e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>PSW workforce return report</h1>
<div class="status" style="background:{colour}"><strong>{e(title)}</strong>{e(advice)}</div>
<dl>
<dt>File</dt><dd>{e(data["file_name"])}</dd>
<dt>Trust</dt><dd>{e(report.trust_ods_code)}</dd>
<dt>Month</dt><dd>{e(report.period)}</dd>
<dt>Rows read</dt><dd>{counts["rows"]}{nil}</dd>
<dt>Staff in post</dt><dd>{counts["staff_in_post"]}</dd>
<dt>Errors</dt><dd>{counts["errors"]}</dd>
<dt>Warnings</dt><dd>{counts["warnings"]}</dd>
<dt>Checked</dt><dd>{e(data["validated_at"])} against standard v{e(report.standard_version)}</dd>
</dl>
<h2>Problems by rule</h2>
{"<table><tbody>" + rule_rows + "</tbody></table>" if rule_rows else "<p>None.</p>"}
<h2>Every problem</h2>
<p class="note">Row numbers are as in your spreadsheet: the column names are row 1.</p>
{truncated}
{findings}
</main>
</body>
</html>
"""


def _printable(finding: dict) -> dict:
    """A finding's texts with control and direction characters shown as codes."""
    return {k: printable(v) if isinstance(v, str) else v for k, v in finding.items()}
