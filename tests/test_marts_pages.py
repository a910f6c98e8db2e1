"""The marts scenario's pages (tests/marts_scenario.py): the national report and each
trust's data-quality history, as written after each publish and as a browser renders them
(with the accessibility check)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.accessibility import axe_violations, checked
from tests.helpers import psw_command
from tests.marts_scenario import (
    REGISTRY,
)


def test_the_national_report_is_built_after_each_publish(scenario, tmp_path):
    """Rebuilt by the build that published (the national_report asset) and on demand
    (`psw report --out`): a page for England, each region and each trust, charts drawn,
    and every count a page shows the published (perturbed) one."""
    import re

    report = scenario["data"] / "serving" / "report"
    pages = sorted(p.name for p in report.glob("*.html"))
    beside = ["accessibility.html", "data-dictionary.html", "data-quality.html", "index.html"]
    beside += ["methodology.html"]
    assert pages == beside + [f"region-{r}.html" for r in ("Y56", "Y60", "Y63")] + [
        f"trust-{ods}.html" for ods in sorted(r[0] for r in REGISTRY)
    ]
    out = tmp_path / "report"
    result = psw_command(scenario["env"], "report", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"national report: {len(pages)} pages" in result.stdout
    # dbt's docs beside it (issue 24): every exposure, and no usage tracking.
    docs = (report / "dbt-docs" / "index.html").read_text()
    assert '"send_anonymous_usage_stats": false' in docs and "exposure.psw.report_site" in docs
    assert "href='dbt-docs/index.html'" in (report / "data-dictionary.html").read_text()
    rv3 = (out / "trust-RV3.html").read_text()
    assert "<h2>Data quality</h2>" in rv3 and "median of all trusts" in rv3
    index = (out / "index.html").read_text()
    assert index.count("<svg") >= 5 and "<path" in index  # charts drawn, inline
    # Nothing fetched: no script, image or font from anywhere (links to cited sources are
    # only followed if a reader clicks them); one stylesheet, written beside the pages.
    import re as _re

    links = _re.findall(r"<link[^>]*>", index)
    assert links == ['<link rel="stylesheet" href="psw.css">'] and (out / "psw.css").is_file()
    css = (out / "psw.css").read_text()
    assert "<script" not in index and "@import" not in index + css
    for text in (index, css):
        assert not _re.search(r"""(src|srcset)\s*=\s*["']?https?:|url\(\s*["']?https?:""", text)
    assert "ethnicity-facts-figures.service.gov.uk" in index  # the cited reference
    assert "adding a little noise" in index  # the disclosure note says what readers see
    with duckdb.connect(str(scenario["data"] / "serving" / "psw.duckdb"), read_only=True) as db:
        published = db.execute(
            "select geography_level, geography_code, strftime(period_end, '%Y-%m'), headcount "
            "from published.psw_headcount where headcount is not null"
        ).fetchall()
    assert published
    for level, code, month, headcount in published:
        page = "index.html" if level == "national" else f"{level}-{code}.html"
        rows = re.findall(r"<tr>(.*?)</tr>", (out / page).read_text())
        trend = [r for r in rows if r.startswith(f"<td>{month}")]
        assert trend and f"<td>{headcount:,}</td>" in trend[0], (page, month, headcount)
    # Pay, role families and the population reference, as published.
    with duckdb.connect(str(scenario["data"] / "serving" / "psw.duckdb"), read_only=True) as db:
        pay = db.execute(
            "select geography_level, geography_code, category_label, assignments, "
            "median_salary_fte from published.psw_pay "
            "where breakdown = 'afc_band' and period_end = (select max(period_end) "
            "from published.psw_pay)"
        ).fetchall()
    assert {m is None for *_, m in pay} == {True, False}  # both sides of the pay rule
    for level, code, band, assignments, median in pay:
        page = (out / ("index.html" if level == "national" else f"{level}-{code}.html")).read_text()
        rows = [
            r
            for r in re.findall(r"<tr>(.*?)</tr>", page)
            if r.startswith(f"<td>{band}</td><td>{assignments:,}</td><td>")
        ]
        shown = f"£{median:,.0f}" if median is not None else "fewer than 10"
        assert any(shown in r for r in rows), (level, code, band)
    assert "Role family: Peer support work" in index
    assert "Role families" in index


def test_every_published_table_downloads_as_csv_and_in_the_workbook(scenario, tmp_path):
    """docs/interfaces.md, Publication: a CSV per published table equal to it row for row,
    one workbook with a sheet per table after its notes, each linked from the pages."""
    import re

    from openpyxl import load_workbook

    from psw.site.downloads import published_tables
    from tests.test_publication import csv_equals_table

    out = tmp_path / "report"
    assert psw_command(scenario["env"], "report", "--out", str(out)).returncode == 0
    folder = out / "downloads"
    with duckdb.connect(str(scenario["data"] / "serving" / "psw.duckdb"), read_only=True) as db:
        tables = published_tables(db)
        assert len(tables) >= 17  # the marts, the reference tables, revisions, ...
        for table in tables:
            assert csv_equals_table(db, folder / f"{table}.csv", table), table
        counts = {
            t: db.execute(f'select count(*) from published."{t}"').fetchone()[0] for t in tables
        }
    book = load_workbook(folder / "psw_published.xlsx", read_only=True)
    assert book.sheetnames == ["notes", *tables]
    for table in tables:
        rows = sum(1 for _ in book[table].iter_rows())  # streamed: the sheet has no size
        assert rows == counts[table] + 1, table  # a header, then every row
    notes = dict(r[:2] for r in book["notes"].iter_rows(values_only=True) if r and r[0])
    assert notes["status"].startswith("Provisional") and "noise" in notes["disclosure control"]
    # Each page links the workbook, and each table the CSV of the table it shows.
    for page in ("index.html", "region-Y56.html", "trust-RV3.html"):
        text = (out / page).read_text()
        assert "href='downloads/psw_published.xlsx'" in text
        linked = set(re.findall(r'href="downloads/(\w+)\.csv"', text))
        assert {"psw_headcount", "psw_pay"} <= linked <= set(tables), (page, linked)
        assert text.count("Download this table") == text.count("<table>"), page
        assert "href='data-dictionary.html'" in text


def test_the_data_dictionary_names_every_published_column_with_its_meaning(scenario):
    """Read from the serving file's comments (the dbt docs), so it never drifts: every
    table and column an analyst can query, each with a meaning, and nothing else."""
    import re

    page = (scenario["data"] / "serving" / "report" / "data-dictionary.html").read_text()
    shown = {}
    for table, body in re.findall(r'<section id="(\w+)">(.*?)</section>', page, re.S):
        rows = re.findall(r"<tr><td>(\w+)</td><td>([^<]+)</td><td>(.*?)</td></tr>", body)
        shown[table] = {column: (kind, meaning) for column, kind, meaning in rows}
        assert f'href="downloads/{table}.csv"' in body, table
    with duckdb.connect(str(scenario["data"] / "serving" / "psw.duckdb"), read_only=True) as db:
        published = {}
        for table, column, kind in db.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where schema_name = 'published'"
        ).fetchall():
            published.setdefault(table, {})[column] = kind
    assert {t: set(c) for t, c in shown.items()} == {t: set(c) for t, c in published.items()}
    for table, columns in shown.items():
        for column, (kind, meaning) in columns.items():
            words = re.sub(r"<[^>]+>", "", meaning)
            assert kind == published[table][column] and len(words) >= 5, (table, column)


def _render(page: Path) -> tuple[str, list[str]]:
    """The page as headless chromium renders it (DOM after layout) and its console lines."""
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip(
            "chromium is not installed (Debian: apt-get install chromium): no browser check"
        )
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return result.stdout, console


def _history(client, ods: str) -> tuple[dict, str]:
    bucket = f"psw-{ods.lower()}"
    text = client.get_object(Bucket=bucket, Key="feedback/history.json")["Body"].read()
    page = client.get_object(Bucket=bucket, Key="feedback/history.html")["Body"].read()
    return json.loads(text), page.decode()


def test_each_trust_has_its_data_quality_history_in_its_bucket(scenario):
    """After its uploads and after each publish, each trust's bucket holds history.json and
    history.html: every upload, the month it rejected, the rule to fix first with the
    national share of that rule (six trusts: enough to show), its own counts and its own
    data-quality score exactly (issue 20: TAJ's 6 rows read 6, not "under 8"; the score
    is the warehouse's exact one, not the published one), and nothing of any other trust."""
    client = scenario["client"]
    with duckdb.connect(str(scenario["data"] / "warehouse.duckdb"), read_only=True) as db:
        exact_scores = {
            (ods, month): score
            for ods, month, score in db.execute(
                "select trust_ods_code, strftime(period_end, '%Y-%m'), score "
                "from marts.data_quality"
            ).fetchall()
        }
    for ods, name, *_ in REGISTRY:
        history, page = _history(client, ods)
        assert history["trust_ods_code"] == ods and history["trust_name"] == name
        for month in history["months"]:
            rows = scenario["in_force"].get((ods, month["month"]))
            if rows is not None and month["status"] != "rejected":
                assert month["rows"] == len(rows), (ods, month)
        for quality in history["data_quality"]:
            assert not quality["as_published"]
            want = exact_scores[ods, quality["month"]]
            assert quality["score"] == pytest.approx(want) if want is not None else True
        assert "under 8" not in page
        for other, other_name, *_ in REGISTRY:
            if other != ods:
                for text in (json.dumps(history), page):
                    assert other not in text and other_name not in text, (ods, other)
        assert f"Data-quality history: {name} ({ods})" in page

    taj, _ = _history(client, "TAJ")
    may = next(m for m in taj["months"] if m["month"] == "2025-05")
    assert may["status"] == "rejected" and may["errors"] != 0
    [rule] = [r for r in taj["rules"] if r["severity"] == "error"]  # the band-1 file
    assert rule["last_seen"] == "2025-05" and not rule["still_in_latest_upload"]
    assert rule["rule_id"] in [f["rule_id"] for f in taj["fix_first"]]
    assert rule["national_share_of_months"] is not None  # five other trusts uploaded
    assert 0 < rule["national_share_of_months"] < rule["share_of_your_months"] + 0.01
    quality = {q["month"]: q for q in taj["data_quality"]}  # as published after the build
    assert quality["2025-05"]["status"] == "rejected" and quality["2025-05"]["score"] is None
    assert quality["2025-06"]["status"] == "accepted"

    rv3, _ = _history(client, "RV3")
    may_uploads = [u["file"] for u in rv3["uploads"] if u["month"] == "2025-05"]
    assert may_uploads == ["returns/2025-05/return-v2.csv", "returns/2025-05/return.csv"]
    rpg, _ = _history(client, "RPG")
    refused = next(u for u in rpg["uploads"] if u["file"] == "returns/2025-06/return.csv")
    assert refused["status"] == "rejected" and refused["month"] is None
    assert refused["report"] == "feedback/2025-06/return.csv.report.html"


def test_the_report_renders_in_a_real_browser(scenario):
    """Chromium renders England, a region, the smallest trust and the pages beside them
    (dictionary, methodology, accessibility) without a console message; the charts are in
    the rendered page with their marks and labels."""
    import re

    report = scenario["data"] / "serving" / "report"
    places = ("index.html", "region-Y60.html", "trust-TAJ.html")
    beside = ("data-dictionary.html", "methodology.html", "accessibility.html", "data-quality.html")
    for page in places + beside:
        dom, console = _render(report / page)
        assert not console, (page, console)
        assert 'href="accessibility.html"' in dom  # the footer, on every page
        if page in places:  # the pages beside them have no chart
            assert "<svg" in dom and "<path" in dom, page  # drawn: axes, lines and bars
            assert "<figcaption>" in dom and "<table>" in dom  # every chart has its figures
            assert re.findall(r"<text[^>]*>([^<]*)</text>", dom), page
    for width in (1280, 390):  # WCAG 2.2 A and AA, on a desktop and on a phone
        pages = [report / page for page in places + beside]
        for page, (violations, shown) in zip(pages, checked(pages, width), strict=True):
            assert violations == [], (page.name, width)
            if width == 390:  # no sideways scroll; chart text 11 px or more
                assert shown["page_width"] <= 390, (page.name, shown)
                assert (shown["smallest_chart_text"] or 11) >= 11, (page.name, shown)


def test_a_trust_history_renders_in_a_real_browser(scenario, tmp_path):
    """TAJ's history (a rejected month, a rule to fix) as chromium renders it: no console
    message, its charts drawn, and its own small row counts shown as they are."""
    import re

    _, text = _history(scenario["client"], "TAJ")
    page = tmp_path / "history.html"
    page.write_text(text)
    dom, console = _render(page)
    assert not console, console
    assert dom.count("<svg") >= 2 and "<path" in dom  # the month strip and the score line
    assert "What to fix first" in dom and "<table>" in dom
    assert axe_violations(page, 1280) == [] and axe_violations(page, 390) == []
    cells = re.findall(r"<td>([^<]*)</td>", dom)
    rows = {len(r) for (ods, _), r in scenario["in_force"].items() if ods == "TAJ" and r}
    assert rows and rows <= {int(c) for c in cells if c.strip().isdigit()}


def test_the_report_builds_before_any_month_is_in_force(scenario, tmp_path):
    """Every return so far rejected (a collection's first days): the published tables are
    empty, and the report still builds, saying there are no returns yet."""
    import shutil

    from psw.site.national import build_report

    serving = tmp_path / "psw.duckdb"
    shutil.copy(scenario["data"] / "serving" / "psw.duckdb", serving)
    with duckdb.connect(str(serving)) as db:
        tables = db.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'published' and table_type = 'BASE TABLE' "
            "and table_name like 'psw_%'"
        ).fetchall()
        assert len(tables) >= 4
        for (table,) in tables:
            db.execute(f"delete from published.{table}")
    built = build_report(serving, tmp_path / "report")
    # every place; the dictionary, methodology, data-quality and accessibility statements
    assert built.pages == 1 + len({r[2] for r in REGISTRY}) + len(REGISTRY) + 4
    index = (tmp_path / "report" / "index.html").read_text()
    assert "No returns yet" in index and "no month yet" in index
