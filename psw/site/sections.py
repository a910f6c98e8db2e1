"""The sections of the national report's pages, each from the published tables alone.

A section is an HTML string: a heading, a chart with its text alternative, and a table of
the chart's figures. An empty string means the data has nothing to show for that place.
"""

from __future__ import annotations

from markupsafe import Markup

from psw.site import blocks as b
from psw.site import diversity
from psw.site.published import Published


def headline(data: Published, level: str, code: str) -> str:
    """The first thing a reader sees: the latest month's four figures."""
    row = data.headline(level, code)
    if row is None:
        return ""
    headcount, fte, turnover, submitted, expected = row
    # Beside a national or regional figure, how many trusts it counts: a month with trusts
    # still to report reads low, not as a fall.
    counted = "" if level == "trust" else f" in the {submitted} of {expected} trusts reporting"
    items = [
        (f"peer support workers{counted}", b.count(headcount)),
        ("full-time equivalent", b.number(fte, 1)),
        # no rate: no month before to compare with
        ("turnover in the month", b.percent(turnover) or "not comparable"),
        ("trusts submitted", f"{submitted} of {expected}"),
    ]
    if level == "trust":  # one trust: its return's status, not a count of trusts
        status = data.status(code) or "missing"
        items[-1] = ("return", status.replace("_", " "))
    return b.headline(items, f"{data.latest:%B %Y}")


def trend(data: Published, level: str, code: str, where: str) -> str:
    trend = data.trend(level, code)
    if not trend:
        return b.section("Headcount", "<p>No returns yet.</p>")
    values = [{"month": str(r[0])[:7], "headcount": r[1]} for r in trend if r[1] is not None]
    chart = b.line_chart(
        values, "headcount", f"Headcount of peer support workers in {where} by month"
    )
    wide = level != "trust"  # one trust: no count of trusts submitted
    header = ["month", "headcount", "FTE", "joiners", "leavers", "turnover"]
    header += ["trusts submitted / expected"] if wide else []
    body = [
        [
            str(r[0])[:7] + (" (revised)" if r[8] else ""),
            b.count(r[1]),
            b.number(r[2], 1),
            b.count(r[3]),
            b.count(r[4]),
            b.percent(r[5]),
            *([f"{r[6]} / {r[7]}"] if wide else []),
        ]
        for r in trend
    ]
    coverage = (
        "<p>Read a fall beside <i>trusts submitted</i>: a month with fewer trusts in is "
        "not a smaller workforce.</p>"
        if wide
        else ""
    )
    return b.section(
        "Headcount, FTE and turnover",
        chart,
        coverage,
        b.table(header, body, "Headcount by month", download="psw_headcount"),
    )


def breakdown(
    data: Published, level: str, code: str, dimension: str, title: str, extra: str = ""
) -> str:
    rows = data.breakdown(level, code, dimension)
    if not rows:
        return ""
    if dimension == "ethnic_group" and level == "national":
        return diversity.ethnicity(data, rows, title)
    values = [b.share(r[0], r[2]) for r in rows]
    heading = f"{title}, {data.latest:%B %Y}"
    chart = b.bar_chart(values, f"{title}: share of headcount, {data.latest:%B %Y}")
    body = [[r[0], b.count(r[1]), b.percent(r[2])] for r in rows]
    return b.section(
        heading,
        chart,
        extra,
        b.table(["category", "headcount", "share"], body, title, download="psw_role_diversity"),
    )


def bands(data: Published, level: str, code: str) -> str:
    """The band mix of the latest month, then its change over time."""
    latest = breakdown(data, level, code, "afc_band", "Agenda for Change bands")
    # Bands no one is on in any month are left out (the latest month's table has them all).
    months = data.band_mix(level, code)
    held = {band for _, band, share in months if share != 0}
    months = [(m, band, share) for m, band, share in months if band in held]
    if not latest or len({m for m, _, _ in months}) < 2:
        return latest
    values = [{"month": m, "band": band, "share": s} for m, band, s in months if s is not None]
    over_time = b.chart(
        {
            "data": {"values": values},
            "mark": "bar",
            "encoding": {
                "x": {"field": "month", "type": "ordinal"},
                "y": {
                    "field": "share",
                    "type": "quantitative",
                    "stack": "normalize",
                    "axis": {"format": "%"},
                    "title": "share of headcount",
                },
                "color": {"field": "band", "type": "nominal", "sort": None, "title": None},
            },
            "width": b.PLOT_WIDTH,
            "height": 200,
            "config": {"legend": {"columns": 3}},
        },
        "Agenda for Change band mix by month",
    )
    header = ["month", *dict.fromkeys(band for _, band, _ in months)]
    table: dict[str, dict[str, str]] = {}
    for month, band, share in months:
        table.setdefault(month, {})[band] = b.percent(share)
    body = [[m, *(cells.get(h, "") for h in header[1:])] for m, cells in table.items()]
    return latest + b.section(
        "Band mix over time",
        over_time,
        b.table(header, body, "Share of headcount by band and month", download="psw_pay_bands"),
    )


# How a pay row's category is named in the table, by its breakdown.
PAY_LABELS = {
    "all": "{}",
    "afc_band": "{}",
    "role_family": "Role family: {}",
    "role_category": "Role: {}",
}


def _money(value: float | None) -> str:
    return "" if value is None else f"£{value:,.0f}"


def pay(data: Published, level: str, code: str) -> str:
    """Full-time-equivalent pay of the latest month: the median by band as a chart, and
    every cell (all, bands, role families, roles) with its quartiles as a table."""
    rows = data.pay(level, code)
    if not rows:
        return ""
    least, pounds = data.pay_rule()
    by_band = [
        b.share(label, median, field="median")
        for breakdown, label, _, _, median, _, _ in rows
        if breakdown == "afc_band" and median is not None
    ]
    chart = (
        b.bar_chart(
            by_band,
            f"Median full-time-equivalent salary by band, {data.latest:%B %Y}",
            field="median",
            x_title="median FTE salary (£)",
        )
        if by_band
        else ""
    )
    body = [
        [
            PAY_LABELS.get(breakdown, "{}").format(label),
            b.count(assignments),
            *(
                [_money(median), f"{_money(low)}–{_money(high)}", _money(mean)]
                if median is not None
                else [f"fewer than {least}", "", ""]
            ),
        ]
        for breakdown, label, assignments, low, median, high, mean in rows
    ]
    note = (
        "<p>Annual salary at full time, as each trust reports it, of assignments in post "
        f"with a salary. Pay is shown where at least {least} assignments contribute, to the "
        f"nearest £{pounds}. The number of assignments is protected like every count, so a "
        f"cell shown with a few fewer than {least} can still have its pay shown.</p>"
    )
    header = ["category", "assignments", "median", "quartiles", "mean"]
    return b.section(
        f"Pay, {data.latest:%B %Y}",
        chart,
        note,
        b.table(header, body, "Pay by band and role", download="psw_pay"),
    )


def roles(data: Published, level: str, code: str) -> str:
    index = data.effective_categories(level, code, "role_category")
    shown = b.number(index, 1)
    roles = len(data.breakdown(level, code, "role_category"))
    extra = (
        f"<p><b>Role diversity index: {shown}</b> effective role categories of {roles} "
        "(the exponential of the Shannon entropy of the role shares: as many as there are "
        "roles when every role is equally common, close to one when one role dominates).</p>"
    )
    families = breakdown(
        data,
        level,
        code,
        "role_family",
        "Role families",
        "<p>Roles grouped as the standard groups them: peer support work (peer support "
        "workers and senior peer support workers), peer leadership (peer supervisors and "
        "leads), and specialist peer roles (every other role).</p>",
    )
    return breakdown(data, level, code, "role_category", "Roles", extra) + families


def regions(data: Published) -> str:
    rows = data.regions_latest()
    if not rows:  # no month in force yet (every return so far rejected)
        return ""
    values = [b.share(r[1], r[2], field="headcount") for r in rows]
    chart = b.bar_chart(
        values,
        f"Headcount of peer support workers by region, {data.latest:%B %Y}",
        field="headcount",
        x_title="headcount",
    )
    body = [
        [
            Markup("<a href='region-{}.html'>{}</a>").format(r[0], r[1]),
            b.count(r[2]),
            b.number(r[3], 1),
            b.percent(r[4]),
            f"{r[5]} / {r[6]}",
        ]
        for r in rows
    ]
    header = ["region", "headcount", "FTE", "turnover", "trusts submitted / expected"]
    return b.section(
        f"Regions side by side, {data.latest:%B %Y}",
        chart,
        b.table(header, body, "Regions", raw=True, download="psw_headcount"),
    )


def compared(data: Published, ods: str, region: str) -> str:
    """The trust's band mix and turnover beside its region's and England's."""
    places = [
        ("trust", ods, "this trust"),
        ("region", region, data.region_name(region)),
        ("national", "ENG", "England"),
    ]
    values: list[dict] = []
    shares: dict[str, dict[str, str]] = {}
    for level, code, name in places:
        for label, _, share, _ in data.breakdown(level, code, "afc_band"):
            values.append(b.share(label, share, place=name))
            shares.setdefault(label, {})[name] = b.percent(share)
    if not values:
        return ""
    # Bands nobody is on in any of the three places are left out of the chart.
    held = {v["category"] for v in values if v["share"]}
    values = [v for v in values if v["category"] in held]
    chart = b.bar_chart(
        values,
        f"Agenda for Change bands: this trust, its region and England, {data.latest:%B %Y}",
        series="place",
    )
    names = [name for _, _, name in places]
    body = [[band, *(cells.get(n, "") for n in names)] for band, cells in shares.items()]
    turnover = []
    for level, code, _ in places:
        row = data.headline(level, code)  # none: no figures for that place this month
        turnover.append(b.percent(row[2]) if row else "")
    body.append(["turnover in the month", *turnover])
    return b.section(
        f"Compared with its region and England, {data.latest:%B %Y}",
        chart,
        b.table(
            ["share of headcount", *names], body, "Band mix compared", download="psw_pay_bands"
        ),
    )


def grid(data: Published, region: str | None) -> str:
    rows = data.grid(region)
    months = sorted({r[2] for r in rows}, reverse=True)  # the latest first: no scroll to it
    grid: dict[tuple[str, str], dict[str, str]] = {}
    for ods, name, month, status in rows:
        grid.setdefault((ods, name), {})[month] = status
    body = [
        [Markup("<a href='trust-{}.html'>{}</a> {}").format(ods, ods, name)]
        + [b.status(cells.get(m)) for m in months]
        for (ods, name), cells in grid.items()
    ]
    return b.section(
        "Returns received",
        Markup("<p>{}; blank: the trust was not open that month.</p>").format(b.status_legend()),
        b.table(
            ["trust", *months],
            body,
            "Returns by trust and month",
            raw=True,
            download="submission_status",
        ),
    )
