"""The trust-facing spec page and blank templates, derived from `schemas/` only.

Every column, code, rule and limit comes from the standard (`schemas/return_v1.yaml`, via
`psw.standard.model`) and the bucket naming from `psw.standard.reference`: change those,
never the output.
`psw spec --out DIR` writes `return-spec.md` and/or `return-spec.html`, and the blank
templates `psw_return_template.csv` and `psw_return_template.xlsx` (first sheet: the header
row only, so it validates as a nil return; second sheet: the code lists, which the first
sheet's drop-downs point at). `docs/spec/` holds the published copy; a test keeps it in step.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from psw.standard.model import Standard, load_standard
from psw.standard.reference import Trust
from psw.standard.template import template_xlsx

STAGE_TITLES = {
    "intake": "Where to put the file",
    "file": "Whole-file rules",
    "contract": "Row rules",
    "quality": "Data quality checks",
    "history": "Month-to-month checks (against your previous accepted return)",
}
REQUIRED_TEXT = {"Y": "Y", "C": "C (see rule)", "N": "N"}


def _blocks(standard: Standard) -> list[tuple[str, Any]]:
    """The page as a list of (kind, content) blocks, rendered to Markdown or HTML."""
    limits = standard.limits
    # A worked example of where a file goes, from the examples in the standard.
    ods = standard.column("trust_ods_code").example
    month = standard.column("reporting_period_end").example[:7]
    example_key = f"{Trust.default_bucket(ods)}/returns/{month}/psw_return.csv"
    blocks: list[tuple[str, Any]] = [
        ("h1", f"{standard.name}: data standard v{standard.version}"),
        ("p", f"Grain: {standard.grain}"),
        ("h2", "How to send your return"),
        (
            "list",
            [
                "One file per trust per month, uploaded to your trust's bucket "
                f"`{Trust.default_bucket('<ODS code>')}` (your ODS code in lower case) at "
                f"`returns/<YYYY-MM>/<file name>`; for example `{example_key}`.",
                "Formats: CSV (UTF-8, UTF-8 with BOM, or Windows-1252; comma separated), Excel "
                ".xlsx (the first worksheet is read) or Parquet. Column names on row 1.",
                "Column names are matched without regard to case; '-' and spaces count as '_'. "
                "Dates are YYYY-MM-DD or DD/MM/YYYY (or real date cells in Excel).",
                "A file with the column names and no rows is a nil return: zero PSWs this month.",
                "A later accepted file for the same month replaces the earlier one; a rejected "
                "file never replaces an accepted one.",
                f"Limits: {int(limits['max_bytes']) // 1_048_576} MB and "
                f"{int(limits['max_rows']):,} rows.",
                "The report appears next to your upload: "
                "`feedback/<YYYY-MM>/<file name>.report.json` and `.report.html`.",
                "Check a file before you upload it: "
                "`psw validate FILE --trust ODS --period YYYY-MM`",
                "Never include names, NHS numbers, NI numbers, dates of birth, addresses, "
                "postcodes, emails or phone numbers, however written (with spaces, dots, "
                "slashes or dashes, in any digits): a file containing any is rejected. The "
                "platform keeps every upload unchanged in its restricted archive (only the "
                "platform team can open it); nothing from a rejected file reaches the "
                "platform's data, and the report never repeats a personal value. Staff ids "
                "must not be 10-digit numbers: they can pass the NHS number check.",
                "local_job_title is checked and then dropped: the platform keeps no free "
                "text. The kind of role is role_category.",
            ],
        ),
        ("h2", "When returns are due, and when the figures are released"),
        ("list", _calendar(standard)),
        ("h2", "Columns"),
        (
            "table",
            (
                ["column", "type", "required", "description", "example"],
                [
                    [
                        c.name,
                        c.type + (f" ({c.codes})" if c.codes else ""),
                        REQUIRED_TEXT[c.required],
                        c.description,
                        c.example,
                    ]
                    for c in standard.columns
                ],
            ),
        ),
        ("h2", "Codes"),
    ]
    groups = {g.code: g.label for g in standard.ethnic_groups}
    families = {f.code: f.label for f in standard.role_families}
    for name, codes in standard.code_lists.items():
        blocks.append(("h3", name))
        if name == "ethnic_category":
            rows = [[c.code, c.label, groups.get(c.group or "", "")] for c in codes]
            blocks.append(("table", (["code", "label", "group (for reporting)"], rows)))
        elif name == "role_category":
            rows = [[c.code, c.label, families.get(c.family or "", "")] for c in codes]
            blocks.append(("table", (["code", "label", "role family (for reporting)"], rows)))
        else:
            blocks.append(("table", (["code", "label"], [[c.code, c.label] for c in codes])))
    blocks.append(("h2", "Rules"))
    blocks.append(
        (
            "p",
            "Errors reject the whole file: fix them and upload again. Warnings do "
            "not stop the return being accepted, but please check them. Notes are "
            "for information.",
        )
    )
    for stage, title in STAGE_TITLES.items():
        rules = [r for r in standard.rules.values() if r.stage == stage]
        blocks.append(("h3", title))
        blocks.append(
            (
                "table",
                (
                    ["rule", "severity", "what it means"],
                    [[r.id, r.severity, r.description] for r in rules],
                ),
            )
        )
    return blocks


def _calendar(standard: Standard) -> list[str]:
    """The submission deadline and the release calendar, with the standard's example month."""
    due, publication = standard.data_quality.due_day, standard.publication
    month = standard.column("reporting_period_end").example[:7]
    shown = dt.date(int(month[:4]), int(month[5:]), 1).strftime("%B %Y")
    release = publication.release_due(month)
    n = publication.release_months_after
    after = AFTER.get(n, f"the month {n} months after it")
    return [
        f"Send each month's return by day {due} of the following month: it then counts as "
        "on time in your data-quality score. A later return is still accepted.",
        f"The figures for a month are released as official statistics on day "
        f"{publication.release_day} of {after}: "
        f"{shown}'s on {release.day} {release:%B %Y}. A release never changes.",
        "The live figures stay provisional: a late or corrected return changes them, before "
        "a month's release or after it. A change to a month already released is published "
        "as a revision against that release; the release itself stays as it was.",
    ]


AFTER = {1: "the following month", 2: "the second month after it", 3: "the third month after it"}


def _md(text: object, cell: bool = False) -> str:
    """Markdown for text whose `backticked` parts are literal: '<' outside them is escaped
    (GitHub would read `<YYYY-MM>` as an HTML tag and hide it), and '|' in table cells."""
    parts = str(text).replace("\n", " ").split("`")
    out = "`".join(p if i % 2 else p.replace("<", "\\<") for i, p in enumerate(parts))
    return out.replace("|", "\\|") if cell else out


def render_markdown(standard: Standard) -> str:
    out: list[str] = [
        "<!-- Generated by `psw spec` from schemas/return_v1.yaml. Do not edit by hand. -->",
        "",
    ]
    for kind, content in _blocks(standard):
        if kind in ("h1", "h2", "h3"):
            out += ["#" * int(kind[1]) + " " + _md(content), ""]
        elif kind == "p":
            out += [_md(content), ""]
        elif kind == "list":
            out += [f"- {_md(item)}" for item in content] + [""]
        elif kind == "table":
            head, rows = content
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "---|" * len(head))
            out += ["| " + " | ".join(_md(c, cell=True) for c in row) + " |" for row in rows]
            out.append("")
    return "\n".join(out)


def render_html(standard: Standard) -> str:
    """The spec page (psw/core/templates/spec.html): one page system with the reports."""
    from psw.core.pages import render

    return render(
        "spec.html", title=f"{standard.name} v{standard.version}", blocks=_blocks(standard)
    )


def template_csv(standard: Standard) -> bytes:
    return (",".join(standard.column_names) + "\r\n").encode("utf-8")


def write_spec(out: Path, formats: str = "all") -> list[Path]:
    """Write the spec page(s) and both templates into `out`; return the paths written."""
    standard = load_standard()
    out.mkdir(parents=True, exist_ok=True)
    files: list[tuple[str, bytes]] = []
    if formats in ("md", "all"):
        files.append(("return-spec.md", render_markdown(standard).encode("utf-8")))
    if formats in ("html", "all"):
        files.append(("return-spec.html", render_html(standard).encode("utf-8")))
    files.append(("psw_return_template.csv", template_csv(standard)))
    files.append(("psw_return_template.xlsx", template_xlsx(standard)))
    written = []
    for name, data in files:
        (out / name).write_bytes(data)
        written.append(out / name)
    return written
