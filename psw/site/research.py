"""The report's sections on the research's questions (issue 22): retention over 12 months,
where each year's cohort went, and supervision and training by role. Each is a chart with
its table, from the published (perturbed) tables alone; an empty string where the place
has nothing to show (retention needs 13 months of returns).
"""

from __future__ import annotations

from collections import defaultdict

from psw.site import blocks as b
from psw.site.published import Published

OUTCOMES = {
    "left": "left",
    "band_up": "band up",
    "band_down": "band down",
    "role_changed": "role changed",
    "no_change": "no change",
}


def retention(data: Published, level: str, code: str) -> str:
    """The NHS's two retention measures by month: the stability index and the 12-month
    turnover."""
    rows = data.retention(level, code)
    if not rows:
        return ""
    values = [
        {"month": r[0], "measure": name, "rate": value}
        for r in rows
        for name, value in (("stability index", r[3]), ("12-month turnover", r[6]))
        if value is not None
    ]
    chart = b.line_chart(
        values,
        "rate",
        "Stability index and 12-month turnover by month",
        series="measure",
        y_title="share",
        percent=True,
    )
    wide = level != "trust"
    header = ["month", "in post a year before", "still in post", "stability index"]
    header += ["leavers in 12 months", "mean headcount", "12-month turnover"]
    header += ["trusts in stability / turnover"] if wide else []
    body = [
        [
            r[0],
            b.count(r[1]),
            b.count(r[2]),
            b.percent(r[3]),
            b.count(r[4]),
            b.number(r[5], 1),
            b.percent(r[6]),
            *([f"{r[7]} / {r[8]}"] if wide else []),
        ]
        for r in rows
    ]
    note = (
        "<p>The <b>stability index</b> is the share of the people in post a year before "
        "who are still in post in the same trust; the <b>12-month turnover</b> is the "
        "leavers of the last 12 months over the mean of the headcount a year before and "
        "now (the NHS's definitions). A trust counts in a month's stability index when it "
        "sent returns for both months, and in its turnover when it sent every month's "
        "return of the 13.</p>"
    )
    return b.section(
        "Retention over 12 months",
        chart,
        note,
        b.table(header, body, "Retention by month", download="psw_retention"),
    )


def progression(data: Published, level: str, code: str) -> str:
    """Where the people in post a year before are now, by their role family and band
    then: left, moved band, changed role or unchanged."""
    month, rows = data.progression(level, code)
    if not rows:
        return ""
    by_family: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_start: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for family, band, outcome, headcount in rows:
        by_family[family][outcome] += headcount
        by_start[(family, band)][outcome] = headcount
    # Every outcome for every family, in one order: each outcome keeps its colour.
    values = [
        b.share(family, outcomes.get(outcome, 0) / total, outcome=name)
        for family, outcomes in by_family.items()
        if (total := sum(outcomes.values()))
        for outcome, name in OUTCOMES.items()
    ]
    chart = b.bar_chart(
        values,
        f"Where the people in post a year before were in {month}, by role family then",
        series="outcome",
    )
    header = ["role family", "band a year before", *OUTCOMES.values()]
    body = [
        [family, band, *(b.count(outcomes.get(o, 0)) for o in OUTCOMES)]
        for (family, band), outcomes in by_start.items()
    ]
    note = (
        "<p>Each person in post a year before, by the role family and band of their main "
        "assignment then (the one with the most hours), and the first of these that "
        "applies now: left the trust, moved up or down an Agenda for Change band, changed "
        "role, or no change. Bands not on Agenda for Change are not compared.</p>"
    )
    return b.section(
        f"Progression over 12 months, to {month}",
        chart,
        note,
        b.table(
            header,
            body,
            "Outcomes by role family and band a year before",
            download="psw_progression",
        ),
    )


def by_role(data: Published, level: str, code: str, dimension: str, title: str) -> str:
    """A dimension (supervision, training) by role family: shares as a chart, counts as
    a table."""
    rows = data.crosstab(level, code, "role_family", dimension)
    if not rows:
        return ""
    labels = [label for label, _ in sorted({(r[1], r[3]) for r in rows}, key=lambda x: x[1])]
    cells: dict[str, dict[str, int]] = defaultdict(dict)
    for family, label, headcount, _ in rows:
        cells[family][label] = headcount
    # Every category for every family, in the code list's order: each keeps its colour.
    values = [
        b.share(family, c.get(label, 0) / total, category_of=label)
        for family, c in cells.items()
        if (total := sum(c.values()))
        for label in labels
    ]
    chart = b.bar_chart(
        values, f"{title} by role family, {data.latest:%B %Y}", series="category_of"
    )
    body = [
        [family, *(b.count(c.get(label, 0)) for label in labels)] for family, c in cells.items()
    ]
    note = (
        "<p>People in post, counted under a role family and a category when one of their "
        "assignments has both (someone with two assignments can count twice).</p>"
    )
    return b.section(
        f"{title} by role, {data.latest:%B %Y}",
        chart,
        note,
        b.table(
            ["role family", *labels],
            body,
            f"{title} by role family",
            download="psw_crosstab",
        ),
    )


def supervision_and_training(data: Published, level: str, code: str) -> str:
    return by_role(data, level, code, "peer_supervision", "Supervision") + by_role(
        data, level, code, "training", "Training"
    )
