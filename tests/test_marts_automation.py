"""Declarative automation of the marts, evaluated against a real Dagster instance:
accepted uploads trigger a rebuild (late months too, missing trusts never hold it back),
rejected ones do not; plus the asset graph the UI shows."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.ingestion.assets import CONTRACT_CHECK

SUBMISSION = dg.AssetKey("submission")


@pytest.fixture()
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def dbt_keys() -> set[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    return {
        key for key in graph.get_all_asset_keys() if graph.get(key).automation_condition is not None
    }


def evaluate(instance, cursor=None):
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    requested = {r.key for r in result.results if r.true_subset.size}
    assets = {k for k in requested if isinstance(k, dg.AssetKey)}
    if assets:  # dbt tests go with the models they check, so they show as checks in the UI
        assert {k.asset_key for k in requested - assets} <= assets
    return assets, result.cursor


def mark_built(instance) -> None:
    for key in dbt_keys():
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key))


def upload(instance, partition: str, accepted: bool) -> None:
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=SUBMISSION, partition=partition)
    )
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=SUBMISSION,
            check_name=CONTRACT_CHECK,
            passed=accepted,
            severity=dg.AssetCheckSeverity.ERROR,
            partition=partition,
        )
    )


def test_accepted_returns_rebuild_and_rejected_ones_do_not(instance):
    first, cursor = evaluate(instance)
    assert first == dbt_keys()  # an empty platform still builds (empty) marts once
    mark_built(instance)
    nothing, cursor = evaluate(instance, cursor)
    assert nothing == set()

    upload(instance, "2025-06|RV3", accepted=False)
    rejected, cursor = evaluate(instance, cursor)
    assert rejected == set()

    # One trust's late return for an old month, 48 trusts never having submitted at all.
    upload(instance, "2024-05|RWK", accepted=True)
    late, cursor = evaluate(instance, cursor)
    graph = defs.resolve_asset_graph()
    downstream = dg.AssetSelection.assets(SUBMISSION).downstream().resolve(graph)
    assert late == downstream & dbt_keys()  # reference tables are current already
    assert dg.AssetKey(["published", "pub_psw_headcount"]) in late
    mark_built(instance)
    settled, _ = evaluate(instance, cursor)
    assert settled == set()


def test_asset_graph_runs_from_uploads_to_the_serving_database():
    graph = defs.resolve_asset_graph()
    staging = dg.AssetKey(["staging", "stg_platform__return_rows"])
    assert SUBMISSION in graph.get(staging).parent_keys
    serving = graph.get(dg.AssetKey("serving_database"))
    assert {k.path[-1] for k in serving.parent_keys} == {
        "pub_psw_headcount",
        "pub_psw_pay_bands",
        "pub_psw_role_diversity",
        "pub_psw_diversity_index",
        "pub_submission_status",
        "pub_ref_trusts",
        "pub_ref_regions",
        "pub_ref_code_labels",
        "pub_ref_ethnic_groups",
        "pub_ref_afc_pay_ranges",
    }
    groups = {graph.get(k).group_name for k in dbt_keys()}
    assert groups == {"reference", "staging", "intermediate", "marts", "published"}
    marts = graph.get(dg.AssetKey(["marts", "psw_headcount"]))
    assert marts.pools == {"warehouse"} or "warehouse" in str(marts)
    checks = {c.name for c in graph.asset_check_keys}
    assert "assert_national_equals_regions_equals_trusts" in checks
    assert any(name.startswith("unique_combination") for name in checks)
