"""Publication beside the report: the published tables as downloads (each CSV reads back
as its table row for row and type for type, the workbook holds every table after its
notes), the data dictionary, the methodology page and the contact. The marts scenario
checks the same on real published tables (tests/test_marts_pages.py)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from psw.site.downloads import NOTES_SHEET, WORKBOOK, published_tables, write_downloads


def csv_equals_table(db: duckdb.DuckDBPyConnection, path: Path, table: str) -> bool:
    """The CSV read with the table's own column types gives the table's rows exactly."""
    types = db.execute(
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = 'published' and table_name = ? order by column_index",
        [table],
    ).fetchall()
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in types)
    published = db.execute(f'select * from published."{table}" order by all').fetchall()
    read = db.execute(
        f"select * from read_csv('{path}', header = true, columns = {{{columns}}}) order by all"
    ).fetchall()
    return read == published


@pytest.fixture()
def serving(tmp_path):
    db = duckdb.connect(str(tmp_path / "psw.duckdb"))
    db.execute("create schema published")
    db.execute(
        "create table published.psw_headcount (period_end date, geography_code varchar, "
        "headcount integer, fte double, turnover_rate double, revised boolean)"
    )
    db.execute(
        "insert into published.psw_headcount values "
        "('2025-06-30', 'ENG', 1234, 1101.35, 0.1, false), "
        "('2025-05-31', 'ENG', 1200, 1099.9999999999998, null, true)"
    )
    db.execute("create table published.trusts (trust_ods_code varchar, trust_name varchar)")
    db.execute(
        "insert into published.trusts values ('RV3', 'Central and North West London, NHS'), "
        "('TAJ', 'Black \"Country\"\nHealthcare'), ('RXM', null)"
    )
    db.close()
    with duckdb.connect(str(tmp_path / "psw.duckdb"), read_only=True) as reader:
        yield reader


def test_each_csv_reads_back_as_its_table_exactly(serving, tmp_path):
    written = write_downloads(serving, tmp_path / "report", [("status", "provisional")])
    assert [(d.table, d.rows) for d in written] == [("psw_headcount", 2), ("trusts", 3)]
    folder = tmp_path / "report" / "downloads"
    for table in published_tables(serving):
        assert csv_equals_table(serving, folder / f"{table}.csv", table), table
    with (folder / "psw_headcount.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "period_end",
        "geography_code",
        "headcount",
        "fte",
        "turnover_rate",
        "revised",
    ]
    assert rows[1][:4] == ["2025-05-31", "ENG", "1200", "1099.9999999999998"]
    assert rows[1][4] == ""  # a null is an empty field


def test_the_workbook_has_the_notes_then_every_table(serving, tmp_path):
    from openpyxl import load_workbook

    write_downloads(serving, tmp_path, [("status", "provisional"), ("contact", "the team")])
    book = load_workbook(tmp_path / "downloads" / WORKBOOK, read_only=True)
    assert book.sheetnames == [NOTES_SHEET, "psw_headcount", "trusts"]
    notes = [tuple(r) for r in book[NOTES_SHEET].iter_rows(values_only=True)]
    assert ("status", "provisional") in notes and ("psw_headcount", 2) in notes
    sheet = list(book["psw_headcount"].iter_rows(values_only=True))
    assert sheet[0][:3] == ("period_end", "geography_code", "headcount")
    # A date cell (Excel has no date-only type); a number to Excel's 15 significant digits
    # (the CSV keeps every digit).
    assert sheet[1][0] == dt.datetime(2025, 5, 31)
    assert sheet[1][3] == pytest.approx(1099.9999999999998, rel=1e-15)
    # (openpyxl drops a row's empty cells at its end: a null is an empty cell)
    trusts = [(*r, None)[:2] for r in book["trusts"].iter_rows(values_only=True)]
    assert trusts[1:] == [
        ("RV3", "Central and North West London, NHS"),
        ("RXM", None),
        ("TAJ", 'Black "Country"\nHealthcare'),
    ]


def test_the_dictionary_is_read_from_the_serving_files_comments(tmp_path):
    """The dbt docs reach the page through the database's comments: a column the
    database has is listed with its meaning, whatever the yml says elsewhere."""
    from psw.site.dictionary import dictionary_page
    from psw.site.published import Published

    path = tmp_path / "psw.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute("create schema published")
        db.execute("create table published.psw_headcount (period_end date, headcount integer)")
        db.execute("create table published.regions (region_code varchar, region_name varchar)")
        db.execute(
            "create table published.trusts "
            "(trust_ods_code varchar, trust_name varchar, region_code varchar)"
        )
        db.execute("comment on table published.psw_headcount is 'People in post by month.'")
        db.execute(
            "comment on column published.psw_headcount.headcount is "
            "'Distinct `staff_id` in post <b>perturbed</b>.'"
        )
    with Published(path) as data:
        page = dictionary_page(data, [("index.html", "England")], "Built now.")
    assert '<section id="psw_headcount"><h2>psw_headcount</h2><p>People in post by month.' in page
    assert (
        "<tr><td>headcount</td><td>INTEGER</td><td>Distinct <code>staff_id</code> in post "
        "&lt;b&gt;perturbed&lt;/b&gt;.</td></tr>" in page
    )
    assert "<tr><td>period_end</td><td>DATE</td><td></td></tr>" in page  # listed, undescribed
    assert page.count("<section id=") == 3 and 'href="downloads/regions.csv"' in page


def test_the_methodology_page_is_the_measures_doc_standing_alone():
    """docs/measures.md as sections, its links to the repository's files as their text,
    any raw HTML shown as text."""
    from markupsafe import escape

    from psw.core.paths import project_root
    from psw.site.methodology import SOURCE, methodology_html

    text = "# Measures\n\nIntro, [see the spec](spec/x.md) and [ONS](https://ons.gov.uk).\n\n"
    text += "## Who is counted\n\n- **Headcount.** Distinct `staff_id` <script>x</script>\n"
    intro, counted = methodology_html(text)
    assert "see the spec" in intro and "spec/x.md" not in intro
    assert '<a href="https://ons.gov.uk">ONS</a>' in intro and "Measures" not in intro
    assert counted.startswith("<section><h2>Who is counted</h2><ul>")
    assert "<code>staff_id</code> &lt;script&gt;" in counted
    doc = (project_root() / SOURCE).read_text(encoding="utf-8")
    rendered = methodology_html(doc)
    titles = [line[3:] for line in doc.splitlines() if line.startswith("## ")]
    assert len(rendered) == len(titles) + 1 and "Revisions policy" in titles
    assert all(f"<h2>{escape(t)}</h2>" in "".join(rendered) for t in titles)


def test_the_contact_is_a_link_or_says_none_is_set():
    from psw.site.accessibility import contact_link

    assert contact_link("psw@example.org") == (
        "<a href='mailto:psw@example.org'>psw@example.org</a>"
    )
    assert contact_link("https://x.nhs.uk/c?a=1&b=2") == (
        "<a href='https://x.nhs.uk/c?a=1&amp;b=2'>https://x.nhs.uk/c?a=1&amp;b=2</a>"
    )
    assert "No contact has been set" in contact_link(None)


def test_the_data_quality_statement_says_what_is_provisional_and_what_is_short():
    from psw.site.quality_statement import coverage_section, known_issues

    rows = [  # newest first: month, expected, accepted, warnings, nil, rejected, missing
        ("2025-07", 10, 4, 1, 0, 1, 4),
        ("2025-06", 10, 6, 1, 1, 0, 2),
        ("2025-05", 10, 7, 2, 1, 0, 0),
    ]
    issues = known_issues(rows)
    assert "The latest month, 2025-07, is provisional: 5 of 10 trusts are in it" in issues
    assert "Fewer than 90% of trusts are in the figures for 2025-06:" in issues  # 8 of 10
    assert "2025-05" not in issues  # all ten
    table = coverage_section(rows)
    assert "<tr><td>2025-06</td><td>10</td><td>8</td><td>6</td><td>1</td><td>1</td>" in table


def test_a_release_keeps_the_months_up_to_it_and_is_never_made_twice(tmp_path):
    import os
    import stat

    from psw.warehouse.releases import ReleaseRefused, make_release

    serving = tmp_path / "serving" / "psw.duckdb"
    serving.parent.mkdir()
    with duckdb.connect(str(serving)) as db:
        db.execute("create schema published")
        db.execute("create table published.psw_headcount (period_end date, headcount integer)")
        db.execute(
            "insert into published.psw_headcount values ('2025-05-31', 10), "
            "('2025-06-30', 11), ('2025-07-31', 12)"
        )
        db.execute("create table published.regions (region_code varchar)")
        db.execute("insert into published.regions values ('Y56')")
    reported = []

    def report(frozen, out, release):
        out.mkdir()
        (out / "index.html").write_text(release["release_month"])
        reported.append(frozen.name)

    made = make_release(tmp_path, "2025-06", report)
    assert made.folder == tmp_path / "serving" / "releases" / "2025-06" and reported
    with duckdb.connect(str(made.folder / "psw.duckdb"), read_only=True) as db:
        kept = db.execute("select headcount from published.psw_headcount order by 1").fetchall()
        listed = db.execute("select release_month from published.releases").fetchall()
        assert db.execute("select count(*) from published.regions").fetchone()[0] == 1
    assert kept == [(10,), (11,)] and listed == [("2025-06",)]
    for path in made.folder.rglob("*"):
        if path.is_file():
            assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    with pytest.raises(ReleaseRefused, match="release 2025-06 was made at .* never changes"):
        make_release(tmp_path, "2025-06", report)
    with pytest.raises(ReleaseRefused, match="no published figures for 2025-08 yet"):
        make_release(tmp_path, "2025-08", report)
    later = make_release(tmp_path, "2025-07", report)
    with duckdb.connect(str(later.folder / "psw.duckdb"), read_only=True) as db:
        listed = db.execute("select release_month from published.releases order by 1").fetchall()
    assert listed == [("2025-06",), ("2025-07",)]  # each release lists those up to it
    assert sorted(p.name for p in (tmp_path / "serving" / "releases").iterdir()) == [
        "2025-06",
        "2025-07",
    ]  # nothing half made left beside them


def test_workbook_text_is_never_a_formula_and_a_control_character_does_not_stop_it(tmp_path):
    """A trust registry is the operator's file: a name starting with "=" stays text in
    Excel (never a formula that runs), and a control character, which openpyxl refuses,
    shows as its code instead of stopping the whole report."""
    from openpyxl import load_workbook

    path = tmp_path / "psw.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute("create schema published")
        db.execute("create table published.trusts (trust_ods_code varchar, trust_name varchar)")
        db.execute(
            "insert into published.trusts values "
            "('RV3', '=HYPERLINK(\"http://x\",\"y\")'), ('TAJ', 'Black\x01Country')"
        )
    with duckdb.connect(str(path), read_only=True) as db:
        write_downloads(db, tmp_path, [])
        assert csv_equals_table(db, tmp_path / "downloads" / "trusts.csv", "trusts")  # exact
    book = load_workbook(tmp_path / "downloads" / WORKBOOK)  # not read-only: cell types
    rows = {r[0].value: r[1] for r in book["trusts"].iter_rows(min_row=2)}
    assert rows["RV3"].data_type == "s" and rows["RV3"].value == '=HYPERLINK("http://x","y")'
    assert rows["TAJ"].value == "Black\\u0001Country"


def test_the_workbook_notes_say_whether_the_figures_are_a_release():
    from types import SimpleNamespace

    from psw.site.national import workbook_notes

    live = SimpleNamespace(built="now", latest=dt.date(2025, 6, 30), release=None)
    assert dict(workbook_notes(live))["status"].startswith("Provisional")
    made = {"release_month": "2025-06", "published_at": "2025-07-20 09:30:00"}
    frozen = dict(workbook_notes(SimpleNamespace(**{**vars(live), "release": made})))
    assert frozen["status"] == (
        "Official release 2025-06, published 2025-07-20 09:30:00 UTC: these figures never change."
    )


def test_a_half_made_release_is_not_listed_and_a_month_before_the_first_is_refused(tmp_path):
    from psw.warehouse.releases import ReleaseRefused, make_release, releases

    folder = tmp_path / "serving" / "releases"
    (folder / ".2025-06.99999999.new").mkdir(parents=True)  # a kill just before the rename
    (folder / ".2025-06.99999999.new" / "release.json").write_text('{"release_month": "x"}')
    assert releases(folder) == []
    serving = tmp_path / "serving" / "psw.duckdb"
    with duckdb.connect(str(serving)) as db:
        db.execute("create schema published")
        db.execute("create table published.psw_headcount (period_end date, headcount integer)")
        db.execute("insert into published.psw_headcount values ('2025-05-31', 10)")
    with pytest.raises(ReleaseRefused, match="the first month published is 2025-05"):
        make_release(tmp_path, "2024-05", lambda *_: None)
    assert sorted(p.name for p in folder.iterdir()) == [".2025-06.99999999.new"]


def test_the_release_calendar_names_the_release_due_and_the_next():
    """The standard's calendar: a month's release is due on the 25th of the next month.
    A release covers every month up to its own, so only the latest month due matters."""
    from psw.standard.model import load_standard
    from psw.warehouse.releases import calendar

    assert load_standard().publication.release_due("2025-12") == dt.date(2026, 1, 25)
    before = calendar(None, dt.date(2025, 7, 24))  # June's release day not yet come
    assert before.overdue == ("2025-05", dt.date(2025, 6, 25))
    assert before.upcoming == ("2025-06", dt.date(2025, 7, 25))
    on_the_day = calendar("2025-05", dt.date(2025, 7, 25))
    assert on_the_day.overdue == ("2025-06", dt.date(2025, 7, 25))
    made = calendar("2025-06", dt.date(2025, 8, 24))
    assert made.overdue is None and made.upcoming == ("2025-07", dt.date(2025, 8, 25))


def test_the_release_sensor_says_what_is_due_and_never_releases(tmp_path, monkeypatch):
    import dagster as dg

    from orchestration.marts.sensors import release_calendar
    from psw.standard.model import load_standard
    from psw.warehouse.releases import calendar

    monkeypatch.setenv("PSW_DATA_DIR", str(tmp_path))
    due_month, due = calendar(None, dt.datetime.now(dt.UTC).date()).overdue

    def tick() -> str:
        with dg.instance_for_test() as instance:
            result = release_calendar.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert not result.run_requests  # a person releases, never the platform
        return result.skip_message

    assert "not published yet (the latest month published: none)" in tick()
    (tmp_path / "serving").mkdir()
    last_day = load_standard().publication.release_due(due_month).replace(day=1)
    with duckdb.connect(str(tmp_path / "serving" / "psw.duckdb")) as db:
        db.execute("create schema published")
        db.execute(
            "create table published.psw_headcount as select ?::date - 1 as period_end", [last_day]
        )
    assert tick() == (
        f"the official release of {due_month} was due on {due:%Y-%m-%d} and is not made: "
        f"once its figures are signed off, run `psw release {due_month}`"
    )
    release = tmp_path / "serving" / "releases" / due_month
    release.mkdir(parents=True)
    (release / "release.json").write_text(f'{{"release_month": "{due_month}"}}')
    assert tick().startswith(f"every release due is made (the latest: {due_month}); the next")


def test_every_exposure_depends_on_every_published_model():
    """dbt's exposures (the serving file, the report, the downloads, the PostgreSQL copy)
    each carry the whole published schema: a published model added later is in all."""
    import json

    from psw.warehouse.writer import manifest_path

    manifest = json.loads(manifest_path().read_text())
    published = {
        key
        for key, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"].get("schema") == "published"
    }
    exposures = manifest["exposures"]
    assert len(published) >= 17 and {e["name"] for e in exposures.values()} == {
        "serving_file", "report_site", "report_downloads", "bi_postgres_copy"
    }  # fmt: skip
    for exposure in exposures.values():
        assert set(exposure["depends_on"]["nodes"]) == published, exposure["name"]


def test_every_published_model_has_an_enforced_contract_on_duckdb():
    """The published tables' columns and types are a dbt contract (issue 24): every column
    of every published model has a data_type, and DuckDB builds enforce it."""
    import json

    from psw.warehouse.writer import manifest_path

    manifest = json.loads(manifest_path().read_text())
    published = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "published"
    ]
    assert len(published) >= 17
    for node in published:
        assert node["contract"]["enforced"], node["name"]
        untyped = [c for c, column in node["columns"].items() if not column.get("data_type")]
        assert node["columns"] and not untyped, (node["name"], untyped)
