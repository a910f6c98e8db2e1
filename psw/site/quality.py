"""The data-quality measure's sections of the national report (`published.data_quality`):
one trust beside the medians of its region and of all trusts, and all trusts by month."""

from __future__ import annotations

from psw.site import blocks as b
from psw.site.published import Published


def quality(data: Published, ods: str) -> str:
    """The trust's data-quality measure by month beside the medians of all trusts."""
    rows = data.quality(ods)
    if not rows:
        return ""
    values = []
    for month, *_, score, national, regional in rows:
        if score is not None:
            values.append({"month": month, "score": score, "series": "this trust"})
        values += [
            {"month": month, "score": regional, "series": "median of its region"},
            {"month": month, "score": national, "series": "median of all trusts"},
        ]
    chart = b.line_chart(
        [v for v in values if v["score"] is not None],
        "score",
        "Data-quality score by month: this trust beside the medians",
        series="series",
        y_title="score",
        percent=True,
    )
    body = [_quality_row(row) for row in rows]
    header = [*b.QUALITY_COLUMNS, "median of its region", "median of all trusts"]
    return b.section(
        "Data quality",
        _quality_definition(),
        chart,
        b.table(header, body, "Data quality by month", download="data_quality"),
    )


def _quality_row(row: tuple) -> list[str]:
    month, status, completeness, stated, clean, on_time, score, national, regional = row
    cells = b.quality_cells(status, (completeness, stated, clean), on_time, score)
    return [month, *cells, b.percent(regional), b.percent(national)]


def _quality_definition() -> str:
    from psw.standard.model import load_standard

    due = load_standard().data_quality.due_day
    return (
        "<p>The score is the mean of four parts: completeness of optional fields, "
        "demographic codes other than not stated, rows without warnings, and a return "
        f"accepted by day {due} of the following month. Medians are of the trusts whose "
        "score is published.</p>"
    )


def quality_nationally(data: Published) -> str:
    rows = data.quality_nationally()
    if not rows:
        return ""
    values = [{"month": r[0], "score": r[2]} for r in rows if r[2] is not None]
    chart = b.line_chart(
        values,
        "score",
        "Median data-quality score of all trusts by month",
        y_title="median score",
        percent=True,
    )
    body = [
        [m, n, b.percent(s), b.percent(t), b.percent(c), b.percent(st), b.percent(cl)]
        for m, n, s, t, c, st, cl in rows
    ]
    header = [
        "month",
        "trusts scored",
        "median score",
        "on time",
        "completeness",
        "stated",
        "clean",
    ]
    return b.section(
        "Data quality of the returns",
        _quality_definition(),
        chart,
        b.table(header, body, "Data quality by month, all trusts", download="data_quality"),
    )
