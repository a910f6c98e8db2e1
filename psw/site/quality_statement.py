"""The data-quality statement (`data-quality.html`): how complete the collection is month
by month, how good the returns in it are, and what a reader should know before using the
figures, all worked out from the published tables when the report is built."""

from __future__ import annotations

from markupsafe import Markup

from psw.site import blocks as b
from psw.site import quality
from psw.site.blocks import Links
from psw.site.published import Published

PAGE = "data-quality.html"
NOTE = (
    "Official statistics come with a statement of their quality. This one is written from "
    "the published tables each time the report is built, so it describes the figures "
    "beside it."
)
# Below this share of expected trusts with a return in force, a month is flagged.
LOW_COVERAGE = 0.9


def _counted(accepted: int, warned: int, nil: int) -> int:
    """Trusts in a month's figures: a return accepted (with warnings or not), or nil."""
    return accepted + warned + nil


def coverage_section(rows: list[tuple]) -> str:
    header = [
        "month",
        "trusts expected",
        "in the figures",
        "accepted",
        "with warnings",
        "nil returns",
        "rejected only",
        "missing",
    ]
    body = [
        [month, expected, _counted(ok, warned, nil), ok, warned, nil, rejected, missing]
        for month, expected, ok, warned, nil, rejected, missing in rows
    ]
    return b.section(
        "Coverage: which trusts are in each month's figures",
        "<p>A trust's month is in the figures when its latest accepted return for it (or a "
        "nil return: no peer support workers) stands. A trust whose only returns for a "
        "month were rejected, or that sent none, is not: the month's figures for England "
        "and its region are lower by its staff.</p>",
        b.table(header, body, "Trusts in the figures by month", download="submission_status"),
    )


def known_issues(rows: list[tuple]) -> str:
    items = []
    if rows:
        month, expected, ok, warned, nil, rejected, missing = rows[0]
        counted = _counted(ok, warned, nil)
        items.append(
            f"The latest month, {month}, is provisional: {counted} of {expected} trusts are "
            "in it so far, and it grows as returns arrive."
        )
    low = [r[0] for r in rows[1:] if r[1] and _counted(*r[2:5]) / r[1] < LOW_COVERAGE]
    if low:
        items.append(
            f"Fewer than {LOW_COVERAGE:.0%} of trusts are in the figures for "
            + ", ".join(low)
            + ": read a fall in those months beside the coverage below."
        )
    items += [
        "Every count is perturbed to protect the people counted: small counts are "
        "approximate and a region need not add up to its trusts exactly.",
        "The figures count the staff each trust reports under the standard's peer roles; "
        "how completely a trust identifies its peer roles is not checked against other "
        "sources.",
        "Pay is the full-time equivalent salary as the trust reports it, shown only where "
        "at least 10 assignments contribute.",
    ]
    listed = Markup("").join(Markup("<li>{}</li>").format(item) for item in items)
    return b.section("Known issues", str(Markup("<ul>{}</ul>").format(listed)))


# A figure changed since a release: a revision, after the release was made, of a month the
# release covers. One figure counts once however often it changed since.
SINCE_RELEASE = """
    select r.release_month,
           count(distinct (v.period_end, v.geography_code, v.table_name, v.breakdown, v.measure)),
           count(distinct v.period_end),
           strftime(max(v.revised_at), '%Y-%m-%d %H:%M')
    from published.releases as r
    join published.revisions as v
      on strftime(v.period_end, '%Y-%m') <= r.release_month and v.revised_at > r.published_at
    group by r.release_month
    order by r.release_month desc
"""


def revisions_to_releases(data: Published) -> str:
    """How far the live figures have moved from each official release (none: nothing)."""
    if not data.releases or not {"releases", "revisions"} <= data.tables:
        return ""
    changed = {month: row for month, *row in data.rows(SINCE_RELEASE)}
    body = [[month, *changed.get(month, (0, 0, "none"))] for month in reversed(data.releases)]
    header = ["release", "figures changed since", "months affected", "latest change (UTC)"]
    return b.section(
        "Revisions to official releases",
        "<p>A release never changes. When a late or corrected return changes a figure of "
        "a month a release covers, the live figures change and the change is recorded "
        "against that release: each change, with the value before and after and the "
        "returns that caused it, is a row of the revisions table (download below).</p>",
        b.table(header, body, "Figures changed since each release", download="revisions"),
    )


def quality_statement_page(data: Published, stamp: str, links: Links, footer: Links) -> str:
    rows = data.coverage()
    sections = [
        known_issues(rows),
        revisions_to_releases(data),
        coverage_section(rows),
        quality.quality_nationally(data),
    ]
    return b.report_page(
        "Data-quality statement", stamp, NOTE, [s for s in sections if s], links, footer
    )
