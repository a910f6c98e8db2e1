"""One page system: every page people read comes from the templates in
psw/core/templates/ (one base layout, one stylesheet in NHS.UK frontend's style) and
passes an automated accessibility check (axe-core, WCAG 2.2 A and AA) in headless
chromium, on a desktop and on a phone. The national report's pages are checked in the
end-to-end scenario (tests/test_marts_pages.py), which builds them from real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psw.core.pages import SERVICE, render, stylesheet
from psw.site.history import history, national_picture
from psw.site.history_page import render as render_history
from psw.standard.spec import write_spec
from psw.standard.validation.report import Finding, Report
from tests.accessibility import axe_violations, checked, chromium
from tests.test_history import others, record

WIDTHS = (1280, 390)  # a desktop, and a phone
browser = pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed")


def _pages(tmp_path: Path) -> dict[str, Path]:
    """A page of each kind, written as the platform writes it."""
    findings = [
        Finding("CODE_INVALID", "error", "Not an allowed code for afc_band.", 4, "afc_band", "X"),
        Finding("SALARY_OUTSIDE_BAND", "warning", "Salary outside the band.", 7, "afc_band"),
    ]
    pages = {
        "report-rejected.html": Report("RV3", "2025-06", "june.csv", "1.0", findings).to_html(),
        "report-accepted.html": Report("RV3", "2025-06", "june.csv", "1.0", []).to_html(),
    }
    own = [record("RV3", "2025-06", rules={"SALARY_OUTSIDE_BAND": 3}, rows=5)]
    data = history("RV3", "Own Trust", own, national_picture(own + others(6)), [], "now")
    pages["history.html"] = render_history(data)
    written = {name: tmp_path / name for name in pages}
    for name, text in pages.items():
        written[name].write_text(text, encoding="utf-8")
    spec = {p.name: p for p in write_spec(tmp_path / "spec", "html")}
    written["return-spec.html"] = spec["return-spec.html"]
    return written


def test_every_page_is_the_base_layout_with_its_stylesheet_inside(tmp_path):
    css = str(stylesheet())
    assert "NHS.UK frontend 10.6.1" in css
    assert "url(http" not in css.replace('url("http', "url(http")  # nothing is fetched
    for name, path in _pages(tmp_path).items():
        page = path.read_text(encoding="utf-8")
        assert page.startswith('<!DOCTYPE html>\n<html lang="en">'), name
        assert '<a class="nhsuk-skip-link" href="#main-content">' in page, name
        assert f'<span class="psw-header__service">{SERVICE}</span>' in page, name
        assert css in page, name  # stands alone: a trust opens it from its bucket
        assert "<script" not in page, name


def test_templates_escape_whatever_they_are_given():
    page = render(
        "site_page.html",
        title="<b>x</b>",
        stamp="",
        note="",
        lead="",
        links=[("<evil>", "'\"><script>alert(1)</script>")],
        sections=[],
    )
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<b>x</b>" not in page


@browser
def test_the_check_finds_what_fails_wcag(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><title>x</title></head><body>"
        '<p style="color:#bbb;background:#fff">faint text</p><img src="x.png">'
        "<a href='a.html'></a></body></html>"
    )
    found = {v["id"] for v in axe_violations(bad)}
    assert {"html-has-lang", "color-contrast", "image-alt", "link-name"} <= found
    # Checked side by side with a good page, each keeps its own result.
    good = tmp_path / "good.html"
    good.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><main>'
        "<h1>Fine</h1><p>Plain text.</p></main></body></html>"
    )
    (first, shown), (second, _) = checked([good, bad], 1280)
    assert first == [] and shown["window_width"] == 1280
    assert {v["id"] for v in second} == found


@pytest.mark.slow
@browser
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_passes_the_accessibility_check(tmp_path, width):
    pages = _pages(tmp_path)
    found = checked(list(pages.values()), width)  # one browser for every page
    failing = {
        name: [f"{v['id']} ({v['impact']}): {v['nodes'][:2]}" for v in violations]
        for name, (violations, _) in zip(pages, found, strict=True)
        if violations
    }
    assert failing == {}, json.dumps(failing, indent=1)


@pytest.mark.slow
@browser
def test_pages_fit_a_phone_and_chart_text_stays_readable(tmp_path):
    """In a window as wide as a phone (390 px, a frame: headless chromium's own window is
    500 px at the least), a page never scrolls sideways (wide tables scroll in their box)
    and no chart's text is scaled below 11 px; on a desktop it is drawn at 13 px."""
    from psw.site import blocks as b
    from tests.accessibility import layout

    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
    bands = ["2", "3", "4", "5", "6", "7", "8a", "8b", "8c", "8d", "9", "NON_AFC"]
    roles = ["Peer support worker (senior and lead roles)", "Carer peer support worker"]
    sections = [
        b.section(
            "Bars", b.bar_chart([b.share(r, 0.4, series=r) for r in roles], "b", series="series")
        ),
        b.section(
            "Lines",
            b.line_chart([{"month": m, "n": 900 + i} for i, m in enumerate(months)], "n", "l"),
        ),
        b.section(
            "Wide",
            b.table(["month", *bands], [[m, *["12%"] * len(bands)] for m in months], "wide"),
        ),
    ]
    pages = {"site.html": b.page("Layout", "stamp", "note", sections, [("index.html", "E")])}
    own = [record("RV3", m, rows=5) for m in months]
    pages["history.html"] = render_history(
        history("RV3", "T", own, national_picture(own + others(6)), [], "now")
    )
    for name, text in pages.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        phone, desktop = layout(tmp_path / name, 390), layout(tmp_path / name, 1280)
        assert phone["window_width"] == 390 and phone["page_width"] <= 390, (name, phone)
        assert phone["smallest_chart_text"] >= 11, (name, phone)
        assert desktop["smallest_chart_text"] >= 12.9, (name, desktop)


def test_chart_colours_stand_out_from_the_page():
    """WCAG 1.4.11: a bar, a line or a status square at 3:1 at least against white (Vega's
    own orange is 2.6:1; the history's yellow status square was 1.7:1). White strokes
    between marks are borders, not marks."""
    from psw.site import blocks as b
    from tests.accessibility import chart_colours, contrast

    series = [b.share(c, 0.1 * i, series=f"s{i}") for i, c in enumerate("abcdefg")]
    statuses = ["accepted", "accepted_with_warnings", "nil_return", "rejected"]
    own = [record("RV3", f"2025-0{i + 1}", status=s) for i, s in enumerate(statuses)]
    pages = [
        b.bar_chart(series, "bars", series="series"),
        b.bar_chart([b.share("a", 3, field="headcount")], "one series", field="headcount"),
        b.line_chart([{"month": "2025-06", "n": 3, "s": "x"}], "n", "lines", series="s"),
        render_history(history("RV3", "T", own, national_picture(own), [], "now")),
    ]
    colours = set().union(*(chart_colours(page) for page in pages)) - {"#fff", "#ffffff"}
    assert len(colours) >= 7  # every series colour and every status was drawn
    assert {c: round(contrast(c), 2) for c in colours if contrast(c) < 3} == {}


def test_pages_escape_through_the_templates_only():
    """No page text is escaped by hand (html.escape): values reach a page through a
    template or Markup.format, which escape whatever they are given."""
    root = Path(__file__).resolve().parent.parent
    hand = [
        str(path.relative_to(root))
        for folder in ("psw", "orchestration")
        for path in (root / folder).rglob("*.py")
        if "html.escape" in path.read_text(encoding="utf-8")
        or "import html\n" in path.read_text(encoding="utf-8")
    ]
    assert hand == []
