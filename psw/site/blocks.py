"""Building blocks of every page: charts, tables, number formats and the page shell.

Charts are Vega-Lite specifications drawn to SVG, offline, by vl-convert (the
Vega-Lite compiler and renderer in one wheel, no browser or server; psw/site/charts.py),
and inlined: a page needs no script, no network and no folder beside it. Every chart
carries a text alternative and is followed by a table of its figures, for screen readers
and copying.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup

from psw.core.pages import STYLESHEET, macros, render

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
Links = Sequence[tuple[str, str]]  # (href, text) pairs
# Chart colours from the NHS identity palette, each at least 3:1 against the white page
# (WCAG 1.4.11, non-text contrast): Vega's own scheme has orange at 2.6:1 and teal at 2.2:1.
PALETTE = [
    *("#005eb8", "#ae2573", "#007f3b", "#330072", "#7a4e00", "#425563", "#d5281b"),
    *("#003087", "#006747", "#7c2855", "#4c6272", "#8a1538"),  # one for each pay band
]
# Charts are drawn to fit a phone (390 px, less the page's margins) at their natural size,
# so their text is never scaled below about 11 px; a desktop shows them as drawn.
PLOT_WIDTH = 300  # the plot area; axes, labels and legends add to it
TEXT = {"labelFontSize": 13, "titleFontSize": 13}
# A submission status in a chart, in the colours of its mark on the page (psw.css).
STATUS_COLOURS = {
    "accepted": "#007f3b",
    "accepted with warnings": "#7a4e00",
    "nil return": "#4c6272",
    "rejected": "#d5281b",
}


def chart(spec: dict, description: str) -> str:
    """A Vega-Lite chart as an inline SVG figure with its description as text."""
    from psw.site.charts import svg as draw

    config: dict[str, dict[str, Any]] = {
        "range": {"category": PALETTE},
        "mark": {"color": PALETTE[0]},
        "axis": TEXT,
        # One entry a line, cut to fit a phone (a chart with many short ones sets columns).
        "legend": {**TEXT, "orient": "bottom", "columns": 1, "labelLimit": 240},
    }
    for key, value in spec.get("config", {}).items():  # a chart's own, over these
        config[key] = {**config.get(key, {}), **value}
    svg = draw({"$schema": SCHEMA, **spec, "config": config, "description": description})
    return str(macros().chart(Markup(svg), description))  # the SVG is vl-convert's drawing


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
    # A long category is cut to fit (the table below has it whole).
    y = {
        "field": "category",
        "type": "nominal",
        "sort": None,
        "title": None,
        "axis": {"labelLimit": 130},
    }
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
    spec = {"data": {"values": values}, "layer": [bars], "width": PLOT_WIDTH - 110}
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
        "width": PLOT_WIDTH,
        "height": 200,
    }
    return chart(spec, title)


def share(category: str, share: float | None, field: str = "share", **more: Any) -> dict:
    """A bar of `bar_chart` (None, where there is nothing to divide by, at zero)."""
    return {"category": category, field: share or 0, **more}


def headline(items: list[tuple[str, str]], label: str = "") -> str:
    """Figures a reader sees first: (what, figure) pairs as tiles."""
    return str(macros().headline(items, label))


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


def table(
    header: list[str],
    rows: Iterable[Sequence],
    caption: str,
    raw: bool = False,
    download: str | None = None,
    words: bool = False,
) -> str:
    """A table whose first column names the row; `raw` cells are HTML already (built by
    these blocks or escaped where they were made). `download` names the published table
    it shows, whose CSV is linked below it (psw/site/downloads.py). A table of `words`
    is read left to right and wraps; one of figures lines them up on the right."""
    from psw.site.downloads import href

    cell = Markup if raw else str
    body = [[cell(str(v)) for v in row] for row in rows]
    link = {"href": href(download), "table": download} if download else None
    return str(macros().table(header, body, caption, link, words))


def section(title: str, *parts: str, anchor: str | None = None) -> str:
    """A titled section of parts that are HTML already (built by these blocks); `anchor`
    is its id, for a link to it."""
    return str(macros().section(title, [Markup(p) for p in parts], anchor))


def link_list(links: list[tuple[str, str]]) -> str:
    """(href, text) pairs as a list of links."""
    return str(macros().link_list(links))


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
    words = value.replace("_", " ")
    return str(macros().status(value, STATUS_MARK.get(value, value), words))


def status_legend() -> str:
    return ", ".join(f"{mark} {value.replace('_', ' ')}" for value, mark in STATUS_MARK.items())


def page(
    title: str,
    stamp: str,
    note: str,
    sections: list[str],
    links: Links,
    lead: str = "",
    stylesheet_href: str | None = None,
    footer_links: Links = (),
) -> str:
    """A whole page (psw/core/templates/site_page.html): title, the date of its data, the
    `lead` (the figures a reader sees first, before anything to scroll past on a phone), a
    note on its figures, links, sections. `stamp`, `note`, `lead` and the sections are
    HTML already; `stylesheet_href` links the stylesheet instead of putting it inside."""
    return render(
        "site_page.html",
        title=title,
        stamp=Markup(stamp),
        note=Markup(note),
        lead=Markup(lead),
        links=links,
        sections=[Markup(part) for part in sections],
        stylesheet_href=stylesheet_href,
        footer_links=footer_links,
    )


def report_page(
    title: str,
    stamp: str,
    note: str,
    sections: list[str],
    links: Links,
    footer: Links,
    lead: str = "",
) -> str:
    """A page of the national report: `page` with the stylesheet linked (one copy beside
    the pages) and the report's footer."""
    return page(
        title,
        stamp,
        note,
        sections,
        links,
        lead=lead,
        stylesheet_href=STYLESHEET,
        footer_links=footer,
    )
