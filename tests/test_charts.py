"""Charts are drawn once per specification and kept (psw/site/charts.py)."""

from __future__ import annotations

import os
import time

from psw.site import charts

SPEC = {
    "data": {
        "values": [{"category": "Band 3", "share": 0.25}, {"category": "Band 4", "share": 0.75}]
    },
    "mark": "bar",
    "encoding": {
        "y": {"field": "category", "type": "nominal"},
        "x": {"field": "share", "type": "quantitative"},
    },
}


def test_a_chart_is_drawn_once_and_read_back_the_same(tmp_path, monkeypatch):
    import vl_convert

    drawn = []
    real = vl_convert.vegalite_to_svg
    monkeypatch.setattr(vl_convert, "vegalite_to_svg", lambda spec: drawn.append(1) or real(spec))
    fresh = charts.svg(SPEC)  # no cache: drawn
    with charts.cached_in(tmp_path):
        first = charts.svg(SPEC)
        again = charts.svg(SPEC)
        changed = charts.svg({**SPEC, "width": 420})  # another specification: drawn
    assert first == again == fresh and changed != fresh
    assert len(drawn) == 3  # the uncached draw, the first cached one, the changed one
    assert len(list(tmp_path.glob("*.svg"))) == 2


def test_charts_unused_for_two_weeks_are_removed_and_used_ones_kept(tmp_path):
    with charts.cached_in(tmp_path):
        charts.svg(SPEC)
    [kept] = tmp_path.glob("*.svg")
    stale = tmp_path / f"{'0' * 64}.svg"
    stale.write_text("<svg/>")
    partial = tmp_path / f".{'1' * 64}.svg.4242"  # what a killed builder half wrote
    partial.write_text("<sv")
    month_ago = time.time() - 30 * 86400
    for path in (stale, partial, kept):
        os.utime(path, (month_ago, month_ago))
    with charts.cached_in(tmp_path):
        charts.svg(SPEC)  # read: its entry is used again
    assert sorted(tmp_path.iterdir()) == [kept]


def test_a_serving_file_from_before_pay_and_the_population_table_still_reads(tmp_path):
    """The last good publish may come from an earlier version (no psw_pay, no
    ref_population): the pages leave those sections out instead of failing."""
    import duckdb

    from psw.site.published import Published

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute("create schema published")
        db.execute("create table published.psw_headcount (period_end date)")
        db.execute("insert into published.psw_headcount values ('2025-06-30')")
        db.execute("create table published.regions (region_code varchar, region_name varchar)")
        db.execute(
            "create table published.trusts "
            "(trust_ods_code varchar, trust_name varchar, region_code varchar)"
        )
    with Published(path) as data:
        assert data.pay("national", "ENG") == []
        assert data.reference_population("ethnic_group") == {}
