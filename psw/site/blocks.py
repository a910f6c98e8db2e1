"""Building blocks of every page: charts, tables, number formats and the page shell.

Charts are Vega-Lite specifications drawn to SVG, offline, by vl-convert (the
Vega-Lite compiler and renderer in one wheel, no browser or server; psw/site/charts.py),
and inlined: a page needs no script, no network and no folder beside it. Every chart
carries a text alternative and is followed by a table of its figures, for screen readers
and copying.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

STATUS_MARK = {
    "accepted": "✓",
    "accepted_with_warnings": "✓!",
    "nil_return": "0",
    "rejected": "✗",
    "missing": "–",
}
# The data-quality measure's columns, in the order both pages show them.
QUALITY_COLUMNS = ["month", "status", "completeness", "stated", "clean", "on time", "score"]
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def chart(spec: dict, description: str) -> str:
    """A Vega-Lite chart as an inline SVG figure with its description as text."""
    from psw.site.charts import svg as draw

    svg = draw({"$schema": SCHEMA, **spec, "description": description})
    return (
        f'<figure role="img" aria-label="{html.escape(description)}">{svg}'
        f"<figcaption>{html.escape(description)} (figures in the table below)</figcaption></figure>"
    )


def bar_chart(
    values: list[dict],
    title: str,
    *,
    series: str | None = None,
    field: str = "share",
    x_title: str = "share",
) -> str:
    """Horizontal bars of `field` (a share, or a count) by `category`, and `series` side
    by side when given."""
    y = {"field": "category", "type": "nominal", "sort": None, "title": None}
    x = {"field": field, "type": "quantitative"}
    # Shares read as percentages; counts in steps of 10 at least, so no label reads as one.
    axis: dict[str, Any] = {"format": "%"} if field == "share" else {"tickMinStep": 10}
    bars: dict = {
        "mark": "bar",
        "encoding": {"y": y, "x": {**x, "axis": axis, "title": x_title}},
    }
    if series:
        offset = {"field": series, "type": "nominal", "sort": None}
        bars["encoding"] |= {"yOffset": offset, "color": {**offset, "title": None}}
    spec = {"data": {"values": values}, "layer": [bars], "width": 420}
    if series:
        spec["config"] = {"legend": {"orient": "bottom"}}
    return chart(spec, title)


def line_chart(
    values: list[dict],
    y: str,
    title: str,
    *,
    series: str | None = None,
    y_title: str | None = None,
    percent: bool = False,
) -> str:
    """A line by `month` of the field `y` (one line per `series` when given)."""
    # Percentages, or counts in steps of 10 at least, so no label reads as one.
    axis: dict[str, Any] = {"format": "%"} if percent else {"tickMinStep": 10}
    encoding: dict = {
        "x": {"field": "month", "type": "ordinal", "title": "month"},
        "y": {"field": y, "type": "quantitative", "title": y_title or y, "axis": axis},
    }
    if series:
        encoding["color"] = {"field": series, "type": "nominal", "sort": None, "title": None}
    spec = {
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": encoding,
        "width": 560,
        "height": 220,
    }
    if series:
        spec["config"] = {"legend": {"orient": "bottom"}}
    return chart(spec, title)


def share(category: str, share: float | None, field: str = "share", **more: Any) -> dict:
    """A bar of `bar_chart` (None, where there is nothing to divide by, at zero)."""
    return {"category": category, field: share or 0, **more}


def headline(items: list[tuple[str, str]], label: str = "") -> str:
    """Figures a reader sees first: (what, figure) pairs as tiles."""
    cells = "".join(f"<li><b>{html.escape(v)}</b>{html.escape(k)}</li>" for k, v in items)
    labelled = f" aria-label='{html.escape(label)}'" if label else ""
    return f"<ul class='headline'{labelled}>{cells}</ul>"


def quality_cells(
    status: str, parts: Sequence[float | None], on_time: bool | None, score: float | None
) -> list[str]:
    """The data-quality measure's cells after the month (QUALITY_COLUMNS)."""
    return [
        status.replace("_", " "),
        *(percent(p) for p in parts),
        "yes" if on_time else "no",
        percent(score),
    ]


def table(header: list[str], rows: Iterable[list], caption: str, raw: bool = False) -> str:
    """A table whose first column names the row; `raw` cells are HTML already."""
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in header)
    cell = (lambda v: v) if raw else html.escape
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return (
        f"<div class='scroll'><table><caption>{html.escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def section(title: str, *parts: str) -> str:
    return f"<section><h2>{html.escape(title)}</h2>{''.join(parts)}</section>"


def count(value: int | None) -> str:
    """A published count, blank where there is none."""
    return "" if value is None else f"{value:,}"


def number(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:,.{places}f}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def status(value: str | None) -> str:
    """A submission status as its mark, with the word as a tooltip and for colour."""
    if value is None:
        return ""
    mark = STATUS_MARK.get(value, value)
    words = value.replace("_", " ")
    return f"<span class='{value}' title='{words}'>{html.escape(mark)}</span>"


def status_legend() -> str:
    return ", ".join(f"{mark} {value.replace('_', ' ')}" for value, mark in STATUS_MARK.items())


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:0;color:#212b32;
background:#f0f4f5;line-height:1.45}
main{max-width:1000px;margin:0 auto;padding:16px;background:#fff}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
nav a{margin-right:12px;display:inline-block}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:8px 0;font-size:.9rem}
th,td{border-bottom:1px solid #d8dde0;padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:600}
figure{margin:0;max-width:100%;overflow-x:auto}figcaption{font-size:.85rem;color:#4c6272}
svg{max-width:100%;height:auto}
.rejected{color:#d5281b}.missing{color:#768692}.accepted,.accepted_with_warnings{color:#007f3b}
.note{background:#fff9c4;padding:8px 12px;border-left:4px solid #ffeb3b}
.headline{display:flex;flex-wrap:wrap;gap:12px;padding:0;list-style:none}
.headline li{border-left:4px solid #005eb8;padding:4px 12px;background:#f0f4f5;flex:1 1 9rem}
.headline b{display:block;font-size:1.5rem}
"""


def page(
    title: str,
    stamp: str,
    note: str,
    sections: list[str],
    links: list[tuple[str, str]],
    lead: str = "",
) -> str:
    """A whole page: title, the date of its data, the `lead` (the figures a reader sees first,
    before anything to scroll past on a phone), a note on its figures, links, sections."""
    nav = "".join(f"<a href='{href}'>{html.escape(text)}</a>" for href, text in links)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{CSS}</style></head>
<body><main>
<h1>{html.escape(title)}</h1>
<p>{stamp}</p>
{lead}
<p class="note">{note}</p>
<nav>{nav}</nav>
{"".join(sections)}
</main></body></html>
"""
