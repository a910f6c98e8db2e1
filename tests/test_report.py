"""The report model: status, counts, JSON shape, escaping, truncation."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from psw.standard.validation.report import Finding, Report


def _report(findings, **kwargs):
    return Report("RV3", "2025-06", "upload.csv", "1.0", findings, **kwargs)


def test_status_follows_the_worst_severity():
    info = Finding("SALARY_CHECK_NOT_APPLIED", "info", "note")
    warning = Finding("UNKNOWN_COLUMN", "warning", "w", column="x")
    error = Finding("CODE_INVALID", "error", "e", row=2, column="afc_band", value="1")
    assert _report([info]).status == "accepted"
    assert _report([info, warning]).status == "accepted_with_warnings"
    assert _report([warning, error]).status == "rejected"


def test_json_has_counts_and_every_finding_field():
    error = Finding("CODE_INVALID", "error", "Not allowed", row=2, column="afc_band", value="1")
    data = json.loads(_report([error], rows=5, staff_in_post=4).to_json())
    assert data["status"] == "rejected"
    assert data["counts"] == {
        "rows": 5,
        "staff_in_post": 4,
        "values_given": 0,
        "values_not_stated": 0,
        "errors": 1,
        "warnings": 0,
        "notes": 0,
    }
    assert data["rule_counts"] == {"CODE_INVALID": 1}
    assert data["findings"] == [
        {
            "rule_id": "CODE_INVALID",
            "severity": "error",
            "message": "Not allowed",
            "row": 2,
            "column": "afc_band",
            "value": "1",
            "value_withheld": False,
        }
    ]


def test_html_escapes_everything_a_trust_wrote():
    evil = '<script>alert("x")</script>'
    report = Report(
        "RV3",
        "2025-06",
        f"{evil}.csv",
        "1.0",
        [Finding("CODE_INVALID", "error", "bad", row=2, column="afc_band", value=evil)],
    )
    page = report.to_html()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert '<meta name="viewport"' in page
    parsed = _Parsed()
    parsed.feed(page)
    assert "script" not in parsed.tags  # as a browser parses it: no element made of it
    assert f"{evil}.csv" in parsed.text  # the trust's own file name, shown as text


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)

    def handle_data(self, data) -> None:
        self.text += data


def test_long_reports_list_the_first_findings_and_keep_full_counts():
    findings = [
        Finding("CODE_INVALID", "error", "bad", row=i, column="afc_band", value="1")
        for i in range(2, 30)
    ]
    data = _report(findings, max_findings_listed=10).to_dict()
    assert data["findings_listed"] == 10 and data["findings_truncated"] is True
    assert data["counts"]["errors"] == 28
    assert [f["row"] for f in data["findings"]] == list(range(2, 12))
    assert "Only the first 10 of 28" in _report(findings, max_findings_listed=10).to_html()
