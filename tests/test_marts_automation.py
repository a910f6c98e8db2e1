"""Declarative automation of the marts, evaluated against a real Dagster instance:
accepted uploads trigger a rebuild (late months too, missing trusts never hold it back),
rejected ones do not; plus the asset graph the UI shows."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.ingestion.assets import upload_events
from orchestration.ingestion.partitions import TRUSTS
from tests.test_defs import platform_definitions

SUBMISSION = dg.AssetKey("submission")


@pytest.fixture()
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def automated_keys() -> set[dg.AssetKey]:
    """The dbt models and seeds, the serving database and the report."""
    graph = platform_definitions().resolve_asset_graph()
    return {
        key for key in graph.get_all_asset_keys() if graph.get(key).automation_condition is not None
    }


def _dbt_models() -> dg.AssetsDefinition:
    from orchestration.marts.assets import psw_dbt_models  # dagster-dbt: on first use

    return psw_dbt_models


def dbt_keys() -> set[dg.AssetKey]:
    return set(_dbt_models().keys)


def evaluate(instance, cursor=None):
    """The models requested on one tick. (Their dbt tests, which run with them, are left
    out: the stand-in build below cannot record a check selection on its run, so after
    it Dagster would ask for the checks again, which a real build does not.)"""
    result = dg.evaluate_automation_conditions(
        defs=platform_definitions(), instance=instance, cursor=cursor
    )
    requested = {r.key for r in result.results if r.true_subset.size}
    return {k for k in requested if isinstance(k, dg.AssetKey)}, result.cursor


def mark_built(instance, built: set[dg.AssetKey]) -> None:
    """A build run of what automation requested, models and their dbt tests (a stand-in
    for dbt: one run, as in a real build)."""
    keys = sorted(built, key=lambda k: k.to_user_string())
    checks = [
        c
        for c in platform_definitions().resolve_asset_graph().asset_check_keys
        if c.asset_key in built
    ]

    @dg.multi_asset(
        specs=[dg.AssetSpec(k) for k in keys],
        check_specs=[dg.AssetCheckSpec(c.name, asset=c.asset_key) for c in checks],
    )
    def _build():
        for key in keys:
            yield dg.MaterializeResult(asset_key=key)
        for check in checks:
            yield dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    # Like a run the automation launches, its selection is what it builds: a parent's
    # update in it does not count for the children (and checks) it also built.
    job = dg.Definitions(assets=[_build]).resolve_implicit_global_asset_job_def()
    assert job.execute_in_process(instance=instance, asset_selection=keys).success


def test_dbt_tests_are_requested_with_the_models_they_test(instance):
    result = dg.evaluate_automation_conditions(defs=platform_definitions(), instance=instance)
    requested = {r.key for r in result.results if r.true_subset.size}
    checks = {k for k in requested if isinstance(k, dg.AssetCheckKey)}
    assert checks and {k.asset_key for k in checks} <= requested


@pytest.mark.slow
def test_accepted_returns_rebuild_and_rejected_ones_do_not(instance):
    first, cursor = evaluate(instance)
    # an empty platform still builds (empty) marts once, and publishes them
    assert first == automated_keys()
    after_publish = {dg.AssetKey(k) for k in ("national_report", "trust_histories")}
    assert {dg.AssetKey("serving_database"), *after_publish} < first
    mark_built(instance, first)
    nothing, cursor = evaluate(instance, cursor)
    assert nothing == set()

    run_upload(instance, "2025-06|RV3", accepted=False)
    rejected, cursor = evaluate(instance, cursor)
    assert rejected == set()

    # One trust's late return for an old month, 48 trusts never having submitted at all.
    run_upload(instance, "2024-05|RWK", accepted=True)
    late, cursor = evaluate(instance, cursor)
    graph = platform_definitions().resolve_asset_graph()
    downstream = dg.AssetSelection.assets(SUBMISSION).downstream().resolve(graph)
    # reference tables are current already; the build publishes and rebuilds the report
    assert late == downstream & automated_keys()
    assert dg.AssetKey("national_report") in late and dg.AssetKey("trust_histories") in late
    assert dg.AssetKey(["published", "pub_psw_headcount"]) in late
    mark_built(instance, late)
    settled, _ = evaluate(instance, cursor)
    assert settled == set()


def test_asset_graph_runs_from_uploads_to_the_serving_database():
    graph = platform_definitions().resolve_asset_graph()
    staging = dg.AssetKey(["staging", "stg_platform__return_rows"])
    assert SUBMISSION in graph.get(staging).parent_keys
    serving = graph.get(dg.AssetKey("serving_database"))
    assert {k.path[-1] for k in serving.parent_keys} == {
        "pub_psw_headcount",
        "pub_psw_pay",
        "pub_psw_pay_bands",
        "pub_psw_retention",
        "pub_psw_progression",
        "pub_psw_crosstab",
        "pub_psw_role_diversity",
        "pub_psw_diversity_index",
        "pub_submission_status",
        "pub_data_quality",
        "pub_ref_trusts",
        "pub_ref_regions",
        "pub_ref_code_labels",
        "pub_ref_ethnic_groups",
        "pub_ref_population",
        "pub_ref_afc_pay_ranges",
        "pub_disclosure_control",
    }
    for after in ("national_report", "trust_histories"):  # each reads the published file
        assert graph.get(dg.AssetKey(after)).parent_keys == {serving.key}
    groups = {graph.get(k).group_name for k in dbt_keys()}
    assert groups == {"reference", "staging", "intermediate", "marts", "published"}
    marts = graph.get(dg.AssetKey(["marts", "psw_headcount"]))
    assert marts.pools == {"warehouse"}
    checks = {c.name for c in graph.asset_check_keys}
    assert "assert_national_equals_regions_equals_trusts" in checks
    # disclosure control is checked on every published table, not a list of them
    published = {k for k in dbt_keys() if graph.get(k).group_name == "published"}
    published -= {dg.AssetKey(["intermediate", "int_disclosure_cells"])}  # not served
    guarded = {
        c.asset_key for c in graph.asset_check_keys if c.name.startswith("only_perturbed_counts")
    }
    assert len(published) >= 10 and published <= guarded
    assert any(name.startswith("unique_combination") for name in checks)


def run_upload(instance, partition: str, accepted: bool) -> None:
    """What an intake run reports for one upload (its materialisation and check
    evaluations), emitted for real but without S3."""
    period, ods = partition.split("|")
    if ods not in instance.get_dynamic_partitions(TRUSTS):
        instance.add_dynamic_partitions(TRUSTS, [ods])
    outcome = {
        "trust_ods_code": ods,
        "period": period,
        "status": "accepted" if accepted else "rejected",
        "source_bucket": f"psw-{ods.lower()}",
        "source_key": f"returns/{period}/r.csv",
        "received_at": "2025-07-01T00:00:00+00:00",
        "rows": 1,
        "errors": 0 if accepted else 1,
        "warnings": 0,
        "submission_id": partition,
        "landed": None,
    }

    @dg.op
    def report(context):
        yield from upload_events([(outcome, None)], context.instance, context.run_id)
        yield dg.Output(None)

    @dg.job
    def intake_stand_in():
        report()

    assert intake_stand_in.execute_in_process(instance=instance).success


@pytest.mark.slow
def test_a_rejected_upload_beside_an_accepted_one_does_not_hide_it(instance):
    """Checks are partitioned: the latest result elsewhere (a rejection, or a run in
    progress) does not stand for this trust-month."""
    first, cursor = evaluate(instance)
    mark_built(instance, first)
    _, cursor = evaluate(instance, cursor)
    run_upload(instance, "2025-06|RV3", accepted=True)
    run_upload(instance, "2025-06|RWK", accepted=False)
    requested, _ = evaluate(instance, cursor)
    assert dg.AssetKey(["published", "pub_psw_headcount"]) in requested


@pytest.mark.slow
def test_a_return_landing_while_a_build_finishes_is_not_lost(instance):
    first, cursor = evaluate(instance)
    mark_built(instance, first)
    _, cursor = evaluate(instance, cursor)
    run_upload(instance, "2025-07|RV3", accepted=True)
    mark_built(instance, first)  # a build finishes in the same tick window
    requested, _ = evaluate(instance, cursor)
    assert dg.AssetKey(["published", "pub_psw_headcount"]) in requested


@pytest.mark.slow
def test_a_return_accepted_before_the_tick_after_a_request_is_not_lost(instance):
    """`make demo` lost these: the initial build was requested, a return was accepted
    while it ran, and the next tick (which sees the request as `newly_requested`) let
    the reset win over the new return. Later builds had the same window."""
    first, cursor = evaluate(instance)
    run_upload(instance, "2025-04|RV3", accepted=True)  # while the initial build runs
    mark_built(instance, first)
    requested, cursor = evaluate(instance, cursor)
    graph = platform_definitions().resolve_asset_graph()
    downstream = dg.AssetSelection.assets(SUBMISSION).downstream().resolve(graph)
    assert requested == downstream & automated_keys()  # the whole chain, in one build
    mark_built(instance, requested)
    settled, cursor = evaluate(instance, cursor)
    assert settled == set()  # and not again: a build does not re-trigger itself

    again, cursor = evaluate(instance, cursor)
    assert again == set()
    # the same window after a later build
    run_upload(instance, "2025-05|RV3", accepted=True)
    requested, cursor = evaluate(instance, cursor)
    run_upload(instance, "2025-06|RV3", accepted=True)
    mark_built(instance, requested)
    assert evaluate(instance, cursor)[0] == downstream & automated_keys()


@pytest.mark.parametrize(
    "asset, says",
    [
        ("serving_database", "last dbt build did not finish (or none has run yet)"),
        ("national_report", "no serving database at"),
    ],
)
def test_publishing_on_a_platform_that_never_built_says_why(tmp_path, monkeypatch, asset, says):
    """Launched from the UI before any build: a plain failure naming what is missing,
    nothing written (no half-made serving file or report folder)."""
    from orchestration.marts import publication

    monkeypatch.setenv("PSW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PSW_LAKE_URL", raising=False)
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [getattr(publication, asset)], instance=instance, raise_on_error=False
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert says in failure.step_failure_data.error.message
    assert not (tmp_path / "serving").exists()
