"""The national PSW workforce report: a static site built from the `published` schema only.

Disclosure control therefore holds by construction: every figure on a page is one the
serving database already publishes (suppressed counts are shown as "c", as the ONS does,
rounded ones as published). Charts are Vega-Lite specifications (altair) drawn to SVG
here, offline (vl-convert), and inlined: the folder needs no server, no script and no
network, and each chart has a table of its figures beside it for screen readers and
for copying.

Pages: `index.html` (England), one per region (`region-<code>.html`) and one per trust
(`trust-<ods>.html`), written to a temporary folder and swapped in whole.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

SUPPRESSED = "c"  # the ONS mark for a figure withheld to protect confidentiality
STATUS_MARK = {
    "accepted": "✓",
    "accepted_with_warnings": "✓!",
    "nil_return": "0",
    "rejected": "✗",
    "missing": "–",
}


@dataclass(frozen=True)
class ReportBuilt:
    folder: Path
    pages: int
    seconds: float


def build_report(serving: Path, out: Path) -> ReportBuilt:
    """Write the site for the serving database at `serving` to the folder `out`."""
    import duckdb

    started = time.monotonic()
    staging = out.with_name(f".{out.name}.{os.getpid()}.new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with duckdb.connect(str(serving), read_only=True) as db:
        data = _Published(db)
        pages = [("index.html", _national_page(data))]
        for code, name in data.regions:
            pages.append((f"region-{code}.html", _region_page(data, code, name)))
        for ods, name, region in data.trusts:
            pages.append((f"trust-{ods}.html", _trust_page(data, ods, name, region)))
    for name, text in pages:
        (staging / name).write_text(text, encoding="utf-8")
    old = out.with_name(f".{out.name}.{os.getpid()}.old")
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return ReportBuilt(out, len(pages), time.monotonic() - started)


class _Published:
    """The published tables a report reads, fetched once."""

    def __init__(self, db):
        self.db = db
        self.latest = db.execute("select max(period_end) from published.psw_headcount").fetchone()[
            0
        ]
        self.regions = db.execute(
            "select region_code, region_name from published.regions order by region_code"
        ).fetchall()
        self.trusts = db.execute(
            "select trust_ods_code, trust_name, region_code from published.trusts "
            "order by trust_ods_code"
        ).fetchall()
        self.built = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

    def rows(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self.db.execute(sql, list(params)).fetchall()

    def trend(self, level: str, code: str) -> list[tuple]:
        return self.rows(
            "select period_end, headcount, headcount_flag, fte, joiners, joiners_flag, leavers, "
            "leavers_flag, turnover_rate, trusts_submitted, trusts_expected, revised "
            "from published.psw_headcount where geography_level = ? and geography_code = ? "
            "order by period_end",
            [level, code],
        )

    def breakdown(self, level: str, code: str, dimension: str) -> list[tuple]:
        if dimension == "afc_band":
            sql = (
                "select afc_band_label, headcount, headcount_flag, headcount_share "
                "from published.psw_pay_bands where geography_level = ? and geography_code = ? "
                "and period_end = ? order by sort_order"
            )
            return self.rows(sql, [level, code, self.latest])
        sql = (
            "select category_label, headcount, headcount_flag, headcount_share "
            "from published.psw_role_diversity where geography_level = ? and geography_code = ? "
            "and period_end = ? and dimension = ? order by sort_order"
        )
        return self.rows(sql, [level, code, self.latest, dimension])


# ---- pages ----------------------------------------------------------------------------

DIVERSITY = [
    ("role_category", "Roles"),
    ("peer_supervision", "Supervision"),
    ("training", "Training"),
    ("ethnic_group", "Ethnic group"),
    ("gender_identity", "Gender"),
    ("age_band", "Age band"),
    ("disability", "Disability"),
]


def _national_page(data: _Published) -> str:
    trend = data.trend("national", "ENG")
    sections = [
        _trend_section(trend, "England"),
        _breakdown_section(data, "national", "ENG", "afc_band", "Agenda for Change bands"),
        *[_breakdown_section(data, "national", "ENG", d, t) for d, t in DIVERSITY],
        _regions_section(data),
        _grid_section(data, None),
    ]
    links = [(f"region-{code}.html", name) for code, name in data.regions]
    return _page("Peer support workers in England", data, sections, links)


def _region_page(data: _Published, code: str, name: str) -> str:
    sections = [
        _trend_section(data.trend("region", code), name),
        _breakdown_section(data, "region", code, "afc_band", "Agenda for Change bands"),
        _breakdown_section(data, "region", code, "role_category", "Roles"),
        _grid_section(data, code),
    ]
    links = [("index.html", "England")] + [
        (f"trust-{ods}.html", trust) for ods, trust, region in data.trusts if region == code
    ]
    return _page(f"Peer support workers in {name}", data, sections, links)


def _trust_page(data: _Published, ods: str, name: str, region: str) -> str:
    sections = [
        _trend_section(data.trend("trust", ods), name),
        _breakdown_section(data, "trust", ods, "afc_band", "Agenda for Change bands"),
        _breakdown_section(data, "trust", ods, "role_category", "Roles"),
        _quality_section(data, ods),
    ]
    region_name = dict(data.regions).get(region, region)
    links = [("index.html", "England"), (f"region-{region}.html", region_name)]
    return _page(f"Peer support workers at {name}", data, sections, links)


def _trend_section(trend: list[tuple], where: str) -> str:
    if not trend:
        return "<section><h2>Headcount</h2><p>No returns yet.</p></section>"
    values = [
        {"month": str(r[0])[:7], "headcount": r[1], "fte": r[3]} for r in trend if r[1] is not None
    ]
    chart = _chart(
        {
            "data": {"values": values},
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": "month", "type": "ordinal", "title": "month"},
                # Steps of 10 at least: no axis label reads like a small count.
                "y": {
                    "field": "headcount",
                    "type": "quantitative",
                    "title": "headcount",
                    "axis": {"tickMinStep": 10},
                },
            },
            "width": 560,
            "height": 220,
        },
        f"Headcount of peer support workers in {where} by month",
    )
    header = [
        "month",
        "headcount",
        "FTE",
        "joiners",
        "leavers",
        "turnover",
        "trusts submitted / expected",
    ]
    body = [
        [
            str(r[0])[:7] + (" (revised)" if r[11] else ""),
            _count(r[1], r[2]),
            _number(r[3], 1),
            _count(r[4], r[5]),
            _count(r[6], r[7]),
            _percent(r[8]),
            f"{r[9]} / {r[10]}",
        ]
        for r in trend
    ]
    return (
        f"<section><h2>Headcount, FTE and turnover</h2>{chart}"
        f"{_table(header, body, 'Headcount by month')}</section>"
    )


def _breakdown_section(data: _Published, level: str, code: str, dimension: str, title: str) -> str:
    rows = data.breakdown(level, code, dimension)
    if not rows:
        return ""
    # A withheld share is drawn as a "c" at zero, so it is not read as nobody.
    values = [
        {"category": r[0], "share": r[3] or 0, "mark": "" if r[3] is not None else SUPPRESSED}
        for r in rows
    ]
    y = {"field": "category", "type": "nominal", "sort": None, "title": None}
    chart = _chart(
        {
            "data": {"values": values},
            "layer": [
                {
                    "mark": "bar",
                    "encoding": {
                        "y": y,
                        "x": {
                            "field": "share",
                            "type": "quantitative",
                            "axis": {"format": "%"},
                            "title": "share of headcount (c: withheld)",
                        },
                    },
                },
                {
                    "mark": {"type": "text", "align": "left", "dx": 3, "fontWeight": "bold"},
                    "encoding": {
                        "y": y,
                        "x": {"field": "share", "type": "quantitative"},
                        "text": {"field": "mark"},
                    },
                },
            ],
            "width": 420,
        },
        f"{title}: share of headcount, {data.latest:%B %Y}",
    )
    body = [[r[0], _count(r[1], r[2]), _percent(r[3])] for r in rows]
    return (
        f"<section><h2>{html.escape(title)}, {data.latest:%B %Y}</h2>{chart}"
        f"{_table(['category', 'headcount', 'share'], body, title)}</section>"
    )


def _regions_section(data: _Published) -> str:
    rows = data.rows(
        "select geography_name, headcount, headcount_flag, fte, trusts_submitted, "
        "trusts_expected from published.psw_headcount where geography_level = 'region' "
        "and period_end = ? order by geography_name",
        [data.latest],
    )
    body = [[r[0], _count(r[1], r[2]), _number(r[3], 1), f"{r[4]} / {r[5]}"] for r in rows]
    return (
        f"<section><h2>Regions, {data.latest:%B %Y}</h2>"
        + _table(["region", "headcount", "FTE", "trusts submitted / expected"], body, "Regions")
        + "</section>"
    )


def _quality_section(data: _Published, ods: str) -> str:
    """The trust's data-quality measure by month beside the median of all trusts."""
    rows = data.rows(
        "with months as (select period_end, median(score) as median_score "
        "from published.data_quality group by period_end) "
        "select strftime(q.period_end, '%Y-%m'), q.status, q.completeness, q.stated, q.clean, "
        "q.is_on_time, q.score, q.quality_flag, months.median_score "
        "from published.data_quality as q join months using (period_end) "
        "where q.trust_ods_code = ? order by q.period_end",
        [ods],
    )
    if not rows:
        return ""
    body = [
        [
            month,
            status.replace("_", " "),
            *(
                (SUPPRESSED,) * 3
                if flag == "suppressed"
                else (_percent(completeness), _percent(stated), _percent(clean))
            ),
            "yes" if on_time else "no",
            SUPPRESSED if flag == "suppressed" else _percent(score),
            _percent(median),
        ]
        for month, status, completeness, stated, clean, on_time, score, flag, median in rows
    ]
    header = [
        "month",
        "status",
        "completeness",
        "stated",
        "clean",
        "on time",
        "score",
        "median of all trusts",
    ]
    from psw.standard import load_standard

    due = load_standard().data_quality.due_day
    return (
        "<section><h2>Data quality</h2><p>Completeness of optional fields, demographic "
        "codes other than not stated, rows without warnings, and a return accepted by day "
        f"{due} of the following month; the score is their mean.</p>"
        + _table(header, body, "Data quality by month")
        + "</section>"
    )


def _grid_section(data: _Published, region: str | None) -> str:
    rows = data.rows(
        "select trust_ods_code, trust_name, strftime(period_end, '%Y-%m'), status "
        "from published.submission_status where ? is null or region_code = ? order by 1, 3",
        [region, region],
    )
    months = sorted({r[2] for r in rows})
    grid: dict[tuple[str, str], dict[str, str]] = {}
    for ods, name, month, status in rows:
        grid.setdefault((ods, name), {})[month] = status
    body = [
        [f"{ods} {name}"] + [_status(cells.get(m)) for m in months]
        for (ods, name), cells in grid.items()
    ]
    legend = ", ".join(f"{mark} {status.replace('_', ' ')}" for status, mark in STATUS_MARK.items())
    return (
        f"<section><h2>Returns received</h2><p>{html.escape(legend)}; blank: the trust "
        "was not open that month.</p>"
        + _table(["trust", *months], body, "Returns by trust and month", raw=True)
        + "</section>"
    )


# ---- building blocks ------------------------------------------------------------------


def _chart(spec: dict, description: str) -> str:
    import vl_convert

    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", **spec}
    spec["description"] = description
    svg = vl_convert.vegalite_to_svg(spec)
    return (
        f'<figure role="img" aria-label="{html.escape(description)}">{svg}'
        f"<figcaption>{html.escape(description)} (figures in the table below)</figcaption></figure>"
    )


def _table(header: list[str], rows: Iterable[list[str]], caption: str, raw: bool = False) -> str:
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in header)
    cell = (lambda v: v) if raw else html.escape
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return (
        f"<div class='scroll'><table><caption>{html.escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _count(value, flag) -> str:
    if value is None:
        return SUPPRESSED if flag in ("suppressed", "secondary") else ""
    return f"{value:,}"


def _number(value, places: int) -> str:
    return "" if value is None else f"{value:,.{places}f}"


def _percent(value) -> str:
    return "" if value is None else f"{value:.0%}"


def _status(status: str | None) -> str:
    if status is None:
        return ""
    mark = STATUS_MARK.get(status, status)
    return f"<span class='{status}' title='{status.replace('_', ' ')}'>{html.escape(mark)}</span>"


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:0;color:#212b32;
background:#f0f4f5}
main{max-width:1000px;margin:0 auto;padding:16px;background:#fff}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
nav a{margin-right:12px}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:8px 0;font-size:.9rem}
th,td{border-bottom:1px solid #d8dde0;padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:600}
figure{margin:0;max-width:100%;overflow-x:auto}figcaption{font-size:.85rem;color:#4c6272}
svg{max-width:100%;height:auto}
.rejected{color:#d5281b}.missing{color:#768692}.accepted,.accepted_with_warnings{color:#007f3b}
.note{background:#fff9c4;padding:8px 12px;border-left:4px solid #ffeb3b}
"""


def _page(title: str, data: _Published, sections: list[str], links: list[tuple[str, str]]) -> str:
    nav = "".join(f"<a href='{href}'>{html.escape(text)}</a>" for href, text in links)
    latest = f"{data.latest:%B %Y}" if data.latest else "no month yet"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{CSS}</style></head>
<body><main>
<h1>{html.escape(title)}</h1>
<p>Data to {latest}; built {data.built} from the platform's published tables.</p>
<p class="note">Figures below national level are protected: counts of 1 to 7 are shown
as <b>{SUPPRESSED}</b> (withheld), a few more are withheld so they cannot be worked out from
totals, and other counts are rounded to the nearest 5. National figures are exact. The
latest month is provisional and grows as trusts' returns arrive; a month marked
<i>revised</i> changed after a later month was published (a late or corrected return).</p>
<nav>{nav}</nav>
{"".join(sections)}
</main></body></html>
"""
