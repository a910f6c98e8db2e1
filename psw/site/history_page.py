"""The trust's data-quality history as a page (`feedback/history.html`), from the data
`psw.site.history.history` builds: the same figures as history.json, nothing more."""

from __future__ import annotations

from markupsafe import Markup, escape

from psw.core.periods import month_name, uk_time
from psw.site import blocks as b

NOTE = (
    "This page is your trust's own, with your own figures exactly as in each upload's "
    "report (linked below, with every row to fix). Only the medians and national shares "
    "come from other trusts: medians of their published scores, and shares only when "
    "enough trusts have uploaded that none can be told apart. Keep it within your trust."
)


def render(data: dict) -> str:
    title = f"Data-quality history: {data['trust_name']} ({data['trust_ods_code']})"
    stamp = Markup(
        "Built {}; refreshed after your uploads and after each national build. "
        "Machine readable: <a href='history.json'>history.json</a>."
    ).format(data["built_at"])
    sections = [
        _fix_first(data),
        _months(data),
        _quality(data),
        _rules(data),
        _uploads(data),
    ]
    return b.page(title, stamp, NOTE, sections, [], lead=_headline(data))


def _cell(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else f"{value:,}"


def _headline(data: dict) -> str:
    if not data["months"]:
        return "<p>No return has been filed under a month yet.</p>"
    last = data["months"][-1]
    scored = [q for q in data["data_quality"] if q["score"] is not None]
    items = [
        (
            f"return for {month_name(last['month'])}"
            + (" (a later upload was rejected)" if last["later_upload_rejected"] else ""),
            last["status"].replace("_", " "),
        ),
        ("months with a return", _cell(len(data["months"]))),
    ]
    if scored:
        q = scored[-1]
        items.append((f"data-quality score, {q['month']}", b.percent(q["score"])))
        items.append(("median of all trusts", b.percent(q["median_of_all_trusts"])))
    return b.headline(items)


def _fix_first(data: dict) -> str:
    if not data["fix_first"]:
        return b.section(
            "What to fix first", "<p>Nothing: your latest return for each month broke no rule.</p>"
        )
    items = "".join(
        Markup("<li><b>{}</b>: {} <br><small>Why first: {}.</small></li>").format(
            f["rule_id"], f["what_it_checks"], f["why"]
        )
        for f in data["fix_first"]
    )
    return b.section(
        "What to fix first",
        f"<ol>{items}</ol>",
        "<p>The rows to change are listed in that month's report below.</p>",
    )


def _months(data: dict) -> str:
    if not data["months"]:
        return ""
    values = [
        {"month": m["month"], "status": m["status"].replace("_", " ")} for m in data["months"]
    ]
    colours = b.STATUS_COLOURS
    chart = b.chart(
        {
            "data": {"values": values},
            "mark": {"type": "rect", "stroke": "white"},
            "encoding": {
                "x": {"field": "month", "type": "ordinal", "title": "month"},
                "color": {
                    "field": "status",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": list(colours), "range": list(colours.values())},
                },
            },
            "width": b.PLOT_WIDTH,
            "height": 36,
        },
        "Status of the return that stands for each month (the last good file wins)",
    )
    body = [
        [
            escape(month_name(m["month"])),
            b.status(m["status"])
            + " "
            + m["status"].replace("_", " ")
            + (" (a later upload rejected)" if m["later_upload_rejected"] else ""),
            _cell(m["rows"]),
            _cell(m["errors"]),
            _cell(m["warnings"]),
        ]
        for m in data["months"]
    ]
    header = ["month", "return that stands", "rows", "errors", "warnings"]
    return b.section(
        "Your returns by month",
        chart,
        b.table(header, body, "The return that stands for each month", raw=True),
    )


def _quality(data: dict) -> str:
    rows = data["data_quality"]
    if not rows:
        return b.section(
            "Data-quality score",
            "<p>Not published yet: the score appears after the next national "
            "build that includes your return.</p>",
        )
    values = []
    for q in rows:
        if q["score"] is not None:
            values.append({"month": q["month"], "score": q["score"], "series": "your trust"})
        if q["median_of_all_trusts"] is not None:
            values.append(
                {
                    "month": q["month"],
                    "score": q["median_of_all_trusts"],
                    "series": "median of all trusts",
                }
            )
    chart = b.line_chart(
        values,
        "score",
        "Your data-quality score by month beside the median of all trusts",
        series="series",
        y_title="score",
        percent=True,
    )
    body = [
        [
            month_name(q["month"]) + (" (as published)" if q.get("as_published") else ""),
            *b.quality_cells(
                q["status"],
                (q["completeness"], q["stated"], q["clean"]),
                q["on_time"],
                q["score"],
            ),
            b.percent(q["median_of_all_trusts"]),
        ]
        for q in rows
    ]
    header = [*b.QUALITY_COLUMNS, "median of all trusts"]
    explain = (
        "<p>Your score, worked out exactly from your returns: the mean of completeness of "
        "optional fields, demographic codes other than not stated, rows without warnings, "
        "and a return in by the due day. The median of all trusts is of their published "
        "scores, which come from perturbed counts (disclosure control), so it is "
        "approximate; a month marked <i>as published</i> predates the exact figures.</p>"
    )
    return b.section(
        "Data-quality score", explain, chart, b.table(header, body, "Data quality by month")
    )


def _rules(data: dict) -> str:
    if not data["rules"]:
        return ""
    body = [
        [
            r["rule_id"],
            r["severity"],
            b.percent(r["share_of_your_months"]),
            month_name(r["last_seen"]),
            _cell(r["findings_in_last_seen_month"]),
            b.percent(r["national_share_of_months"]) or "not shown",
            r["compared"],
        ]
        for r in data["rules"]
    ]
    header = [
        "rule",
        "severity",
        "your months",
        "last seen",
        "findings then",
        "all trusts' months",
        "compared",
    ]
    return b.section(
        "Rules your returns break",
        Markup("<p>{}</p>").format(data["national_note"]),
        b.table(header, body, "Rules broken, most pressing first"),
    )


def _uploads(data: dict) -> str:
    def report(u: dict) -> str:
        if not u["report"]:
            return ""
        href = u["report"].removeprefix("feedback/")
        # Every link reads "report"; a screen reader hears which (WCAG 2.4.4).
        which = f" on {u['file']}, received {uk_time(u['received_at'])}"
        return Markup("<a href='{}'>report<span class='psw-visually-hidden'>{}</span></a>").format(
            href, which
        )

    body = [
        [
            escape(uk_time(u["received_at"])),
            escape(month_name(u["month"]) if u["month"] else "not filed"),
            escape(u["file"]),
            b.status(u["status"]),
            _cell(u["rows"]),
            _cell(u["errors"]),
            _cell(u["warnings"]),
            report(u),
        ]
        for u in data["uploads"]
    ]
    header = [
        "received (UK time)",
        "month",
        "file",
        "status",
        "rows",
        "errors",
        "warnings",
        "report",
    ]
    return b.section(
        "Every upload, newest first", b.table(header, body, "Uploads and their reports", raw=True)
    )
