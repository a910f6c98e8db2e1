"""The serving database: the disclosure guard before publishing, the atomic swap, the
writer lock, and the dbt inputs generated from `schemas/`."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from psw.core.paths import dbt_project_dir
from psw.lake.layout import Lake
from psw.standard.model import load_standard
from psw.warehouse.dbt_artifacts import artifacts
from psw.warehouse.dbt_builds import PARSE, keep_parse, new_build_folder, prune_build_folders
from psw.warehouse.publish import DisclosureError, publish_serving
from psw.warehouse.writer import (
    serving_is_stale,
    serving_path,
    warehouse_path,
    writer_lock,
)


def make_warehouse(data: Path, trust_headcount: int, extra_column: str | None = None) -> None:
    data.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse_path(data))) as db:
        db.execute("create schema published")
        for table in ("psw_pay_bands", "psw_role_diversity"):
            db.execute(
                f"create table published.{table} as "
                "select 'trust' as geography_level, 10 as headcount"
            )
        extra = f", 'x' as {extra_column}" if extra_column else ""
        db.execute(
            f"create table published.psw_headcount as select *{extra} from (values "
            f"('national', 12, 1, 0), ('trust', {trust_headcount}, 0, 0)) "
            "t(geography_level, headcount, joiners, leavers)"
        )
        db.execute("comment on table published.psw_headcount is 'Headcount by month'")
        add_disclosure_control(db)


def add_disclosure_control(db) -> None:
    """The published table of the method's parameters, which every build must have."""
    db.execute(
        "create table published.disclosure_control as "
        "select 'method' as parameter, 'cell_key_perturbation' as value"
    )


def test_publish_copies_the_published_schema_with_its_comments(tmp_path):
    make_warehouse(tmp_path, trust_headcount=10)
    published = publish_serving(tmp_path)
    assert published.path == serving_path(tmp_path)
    assert published.tables == {
        "disclosure_control": 1,
        "psw_headcount": 2,
        "psw_pay_bands": 1,
        "psw_role_diversity": 1,
        "revisions": 0,  # the first publish revises nothing
        "releases": 0,  # none made yet
    }
    with duckdb.connect(str(published.path), read_only=True) as db:
        comment = db.execute(
            "select comment from duckdb_tables() where table_name = 'psw_headcount'"
        ).fetchone()[0]
    assert comment == "Headcount by month"
    assert not list(published.path.parent.glob(".*new*"))  # no staging file left behind


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("staff_key", "row-level"),
        ("headcount_key", "key"),  # with a cell key, the noise could be taken off
        ("rows_key", "key"),
    ],
)
def test_publish_refuses_row_level_and_key_columns_and_keeps_the_old_file(
    tmp_path, column, message
):
    good = tmp_path / "good"
    make_warehouse(good, trust_headcount=10)
    publish_serving(good)
    bad = tmp_path / "bad"
    make_warehouse(bad, trust_headcount=10, extra_column=column)
    serving_path(bad).parent.mkdir(parents=True)
    serving_path(bad).write_bytes(serving_path(good).read_bytes())
    before = serving_path(bad).read_bytes()
    with pytest.raises(DisclosureError, match=message):
        publish_serving(bad)
    assert serving_path(bad).read_bytes() == before


def test_publish_refuses_a_build_without_its_disclosure_control_table(tmp_path):
    make_warehouse(tmp_path, trust_headcount=10)
    with duckdb.connect(str(warehouse_path(tmp_path))) as db:
        db.execute("drop table published.disclosure_control")
    with pytest.raises(DisclosureError, match="disclosure_control is missing"):
        publish_serving(tmp_path)


@pytest.mark.parametrize(
    ("table", "refused"),
    [
        # every integer column of any table is a perturbed count or exempt, at every level
        ("select 'RV3' as trust_ods_code, 3 as data_rows", False),  # perturbed
        ("select 'RV3' as trust_ods_code, 10 as warnings, 3 as files_received", False),
        ("select 'region' as geography_level, 4 as new_count_nobody_listed", True),
        ("select 'national' as geography_level, 4 as new_count_nobody_listed", True),
        ("select 'region' as geography_level, 3 as trusts_submitted", False),  # exempt
    ],
)
def test_the_guard_knows_every_integer_column_of_every_table(tmp_path, table, refused):
    make_warehouse(tmp_path, trust_headcount=10)
    with duckdb.connect(str(warehouse_path(tmp_path))) as db:
        db.execute(f"create table published.another as {table}")
    if refused:
        with pytest.raises(DisclosureError, match="another.new_count_nobody_listed"):
            publish_serving(tmp_path)
    else:
        assert "another" in publish_serving(tmp_path).tables


def publish_month_figures(data: Path, may_rv3: int, june_rv3: int, may_uploaded: str) -> None:
    """A warehouse whose published schema has two months at trust and national level,
    with the submission status that explains them."""
    data.mkdir(parents=True, exist_ok=True)
    warehouse_path(data).unlink(missing_ok=True)  # a new build; the serving file stays
    with duckdb.connect(str(warehouse_path(data))) as db:
        db.execute("create schema published")
        db.execute(
            "create table published.psw_headcount as select * from (values "
            f"(date '2025-05-31', 'national', 'ENG', {may_rv3}), "
            f"(date '2025-05-31', 'trust', 'RV3', {may_rv3}), "
            f"(date '2025-06-30', 'national', 'ENG', {june_rv3}), "
            f"(date '2025-06-30', 'trust', 'RV3', {june_rv3})) "
            "t(period_end, geography_level, geography_code, headcount)"
        )
        add_disclosure_control(db)
        for table in ("psw_pay_bands", "psw_role_diversity"):
            db.execute(
                f"create table published.{table} as select date '2025-06-30' as period_end, "
                "'trust' as geography_level, 'RV3' as geography_code, '4' as afc_band, "
                "'role_category' as dimension, 'PSW' as category, 10 as headcount"
            )
        db.execute(
            "create table published.submission_status as select * from (values "
            f"(date '2025-05-31', 'RV3', 'Y56', 'accepted', timestamptz '{may_uploaded}'), "
            "(date '2025-06-30', 'RV3', 'Y56', 'accepted', timestamptz '2025-07-02 09:00:00+00')) "
            "t(period_end, trust_ods_code, region_code, status, submitted_at)"
        )


@pytest.mark.slow
def test_a_corrected_return_is_recorded_as_a_revision_with_its_cause(tmp_path):
    data = tmp_path / "data"
    first = "2025-06-02 09:00:00+00"
    publish_month_figures(data, may_rv3=45, june_rv3=40, may_uploaded=first)
    publish_serving(data)
    again = publish_serving(data)  # the same figures again: nothing revised
    assert again.revisions == 0
    # The latest month is provisional: its figures grow as its returns arrive.
    publish_month_figures(data, may_rv3=45, june_rv3=50, may_uploaded=first)
    assert publish_serving(data).revisions == 0

    publish_month_figures(data, may_rv3=35, june_rv3=50, may_uploaded="2025-07-20 16:30:00+00")
    corrected = publish_serving(data)
    assert corrected.revisions == 2  # May, at trust and national level
    with duckdb.connect(str(corrected.path), read_only=True) as db:
        revisions = db.execute(
            "select geography_code, strftime(period_end, '%Y-%m'), table_name, breakdown, "
            "measure, previous_value, new_value, caused_by from published.revisions order by 1"
        ).fetchall()
        revised = db.execute(
            "select strftime(period_end, '%Y-%m'), geography_code, revised "
            "from published.psw_headcount order by 1, 2"
        ).fetchall()
        described = db.execute(
            "select count(*) from duckdb_columns() where table_name = 'revisions' "
            "and comment is not null"
        ).fetchone()[0]
    cause = "RV3 accepted (uploaded 2025-07-20 16:30:00+00)"
    assert revisions == [
        ("ENG", "2025-05", "psw_headcount", "total", "headcount", 45.0, 35.0, cause),
        ("RV3", "2025-05", "psw_headcount", "total", "headcount", 45.0, 35.0, cause),
    ]
    assert revised == [
        ("2025-05", "ENG", True),
        ("2025-05", "RV3", True),
        ("2025-06", "ENG", False),
        ("2025-06", "RV3", False),
    ]
    assert described == 12  # every column says what it holds

    # The history survives the serving file's loss (the copy beside it), and grows.
    serving_path(data).unlink()
    publish_month_figures(data, may_rv3=40, june_rv3=50, may_uploaded="2025-07-25 10:00:00+00")
    rebuilt = publish_serving(data)
    assert rebuilt.revisions == 0  # nothing to compare with: no new revision invented
    assert rebuilt.tables["revisions"] == 2  # but the old ones are kept


def test_serving_is_stale_until_published_after_the_latest_outcome(tmp_path):
    ledger = tmp_path / "submissions" / "trust=RV3" / "period=2025-06"
    ledger.mkdir(parents=True)
    make_warehouse(tmp_path, trust_headcount=10)
    lake = Lake(tmp_path)
    assert serving_is_stale(lake)  # never published
    publish_serving(tmp_path)
    assert not serving_is_stale(lake)
    time.sleep(0.01)
    (ledger / "new.json").write_text("{}")
    assert serving_is_stale(lake)


def test_one_writer_at_a_time(tmp_path):
    order: list[str] = []

    def second():
        with writer_lock(tmp_path):
            order.append("second")

    with writer_lock(tmp_path):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.8)
        order.append("first done")
    thread.join(5)
    assert order == ["first done", "second"]


def test_dbt_seeds_and_sources_are_generated_from_the_standard():
    for relative, content in artifacts().items():
        committed = (dbt_project_dir() / relative).read_text(encoding="utf-8")
        assert committed == content, f"{relative} is stale: run `make spec`"


def test_the_analysts_guide_and_the_method_page_state_the_disclosure_rule_of_the_standard():
    from psw.core.paths import project_root

    rules = load_standard().disclosure
    guide = (project_root() / "docs" / "analysts.md").read_text()
    method = (project_root() / "docs" / "disclosure-control.md").read_text()
    for text in (guide, method):
        assert f"`perturbation_ratio` = {rules.perturbation_ratio}" in text
        assert f"`largest_perturbation` = {rules.largest_perturbation}" in text


def test_dbt_gets_its_environment_for_the_call_only(tmp_path, monkeypatch):
    """A `psw run` is one process: dbt's settings must not stay behind after its build."""
    import os

    from psw.warehouse.writer import environment_for_dbt

    monkeypatch.setenv("PSW_WAREHOUSE", "duckdb")
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    with environment_for_dbt(tmp_path):
        assert os.environ["PSW_DATA_DIR"] == str(tmp_path.resolve())
        assert os.environ["DO_NOT_TRACK"] == "1"
    assert "DO_NOT_TRACK" not in os.environ and os.environ["PSW_WAREHOUSE"] == "duckdb"
    assert os.environ.get("PSW_DATA_DIR") != str(tmp_path.resolve())


def test_a_build_is_whole_after_a_failure_or_a_change_of_the_project(tmp_path, monkeypatch):
    """The incremental models are rebuilt whole (--full-refresh) unless the last build
    succeeded with the same project code (dbt_project/macros/in_force_increments.sql)."""
    import psw.warehouse.writer as warehouse

    def whole() -> bool:  # as the build asset decides (orchestration/marts/assets.py)
        return warehouse.built_with(tmp_path) != warehouse.project_fingerprint()

    assert whole()  # no build yet
    warehouse.mark_build(tmp_path, succeeded=True)
    assert not whole()
    monkeypatch.setattr(warehouse, "project_fingerprint", lambda: "0123456789abcdef")
    assert whole()  # a model, macro or seed changed
    warehouse.mark_build(tmp_path, succeeded=True)
    assert not whole()
    warehouse.build_whole_next(tmp_path)  # `psw lake rebuild` made returns again
    assert whole()
    assert warehouse.holds_successful_build(tmp_path)  # still publishable as it was
    warehouse.mark_build(tmp_path, succeeded=True)
    warehouse.mark_build(tmp_path, succeeded=False)  # a build started and did not finish
    assert whole()
    warehouse.mark_build(tmp_path, succeeded=True, code="")  # some models only, from the UI
    assert whole()


def test_the_project_fingerprint_follows_every_model(tmp_path, monkeypatch):
    import shutil

    import psw.warehouse.writer as warehouse

    copy = tmp_path / "dbt_project"
    shutil.copytree(dbt_project_dir(), copy, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(warehouse, "dbt_project_dir", lambda: copy)
    before = warehouse.project_fingerprint()
    assert warehouse.project_fingerprint() == before
    model = copy / "models" / "intermediate" / "int_staff_months.sql"
    model.write_text(model.read_text() + "\n-- changed\n")
    assert warehouse.project_fingerprint() != before


def test_a_lost_serving_file_is_published_again_only_from_a_build_holding_every_return(
    tmp_path,
):
    """`psw run` publishes a lost or corrupt serving file again without dbt only when
    the last successful build started after every ledger entry was written."""
    import psw.warehouse.writer as warehouse
    from psw.lake.layout import Lake

    lake = Lake(tmp_path)
    assert not warehouse.warehouse_holds_ledger(lake)  # no build yet
    lake.write_outcome("RV3", "2025-06", "a", {"submission_id": "a"})
    warehouse.mark_build(tmp_path, succeeded=True, started=time.time() + 1)
    assert warehouse.warehouse_holds_ledger(lake)
    lake.write_outcome("RV3", "2025-06", "b", {"submission_id": "b"})
    warehouse.mark_build(tmp_path, succeeded=True, started=time.time() - 60)  # b came later
    assert not warehouse.warehouse_holds_ledger(lake)
    warehouse.mark_build(tmp_path, succeeded=True, started=time.time() + 1)
    warehouse.mark_build(tmp_path, succeeded=False)  # a build started and did not finish
    assert not warehouse.warehouse_holds_ledger(lake)


def test_a_build_on_another_engine_holds_nothing_of_this_ones(tmp_path, monkeypatch):
    """PSW_WAREHOUSE switched (Spark's build, then DuckDB's): the DuckDB warehouse holds
    no build, so its first is whole and a lost serving file is rebuilt, not republished."""
    import psw.warehouse.writer as warehouse
    from psw.lake.layout import Lake

    lake = Lake(tmp_path)
    lake.write_outcome("RV3", "2025-06", "a", {"submission_id": "a"})
    monkeypatch.setenv("PSW_WAREHOUSE", "spark")
    warehouse.mark_build(tmp_path, succeeded=True, started=time.time() + 1)
    assert warehouse.warehouse_holds_ledger(lake)
    assert warehouse.built_with(tmp_path) == warehouse.project_fingerprint()
    monkeypatch.setenv("PSW_WAREHOUSE", "duckdb")
    assert not warehouse.warehouse_holds_ledger(lake)
    assert warehouse.built_with(tmp_path) == ""


def test_each_build_starts_from_the_parse_the_last_one_kept(tmp_path):
    """dagster-dbt's folder per build loses dbt's parse: a whole parse each build (9 s
    against 4 s here). The parse is kept in the data dir, beside the build folders."""
    builds = Lake(tmp_path).dbt_builds
    first = new_build_folder(builds, "psw_dbt_models", "run-one-1234")
    assert first.parent == builds and first.name.startswith("psw_dbt_models-run-one-")
    assert not (first / PARSE).exists()  # nothing kept yet: dbt parses the whole project
    (first / PARSE).write_bytes(b"the first parse")
    keep_parse(first)
    second = new_build_folder(builds, "psw_dbt_models", "run-two-1234")
    assert (second / PARSE).read_bytes() == b"the first parse"
    keep_parse(tmp_path / "no parse here")  # dbt stopped before it parsed: the last is kept
    assert (builds / PARSE).read_bytes() == b"the first parse"
    assert sorted(p.name for p in builds.iterdir() if p.is_file()) == [PARSE]  # no partial copy


def test_only_the_newest_build_folders_are_kept(tmp_path):
    import os

    builds = Lake(tmp_path).dbt_builds
    folders = [new_build_folder(builds, "psw_dbt_models", f"run-{i}") for i in range(7)]
    for age, folder in enumerate(reversed(folders)):
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))
    (builds / PARSE).write_bytes(b"kept")
    assert prune_build_folders(builds, "psw_dbt_models", keep=5) == 2
    assert sorted(p for p in builds.iterdir() if p.is_dir()) == sorted(folders[2:])
    assert (builds / PARSE).exists()
