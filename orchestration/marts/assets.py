"""The dbt project as Dagster assets.

Each model, seed and test of `dbt_project/` becomes an asset or an asset check; the
platform source (landed Parquet and the ledger) maps to the `submission` asset, so the
graph runs from uploads to marts. One op builds everything selected, holding the
warehouse's writer lock (and the `warehouse` pool, limit 1) so there is one writer at a
time. What is published from the published models is in publication.py.
"""

import json
import time
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.marts.automation import rebuild_on_new_returns
from orchestration.marts.resources import dbt_project
from psw.core.settings import current
from psw.lake.layout import Lake
from psw.storage import data_dir
from psw.warehouse.dbt_builds import keep_parse, new_build_folder, prune_build_folders
from psw.warehouse.writer import (
    built_with,
    environment_for_dbt,
    mark_build,
    project_fingerprint,
    record_build,
    writer_lock,
)

LAYER_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


class PlatformTranslator(DagsterDbtTranslator):
    """The dbt project's assets as the platform shows them: each model and seed in the
    group of its layer and rebuilt on new accepted returns; each dbt test a check of its
    model. The sources are the `submission` asset (meta.dagster.asset_key in the
    generated sources YAML, psw/warehouse/dbt_artifacts.py)."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        return spec.replace_attributes(
            group_name=_layer_group(props), automation_condition=rebuild_on_new_returns()
        )

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dbt tests run with the model they test, and show as its checks in the UI
        (without a condition of their own, automated builds log them as observations)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return dg.AssetCheckSpec(
            spec.name,
            asset=spec.asset_key,
            description=spec.description,
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
            automation_condition=dg.AutomationCondition.any_deps_updated(),
        )


def _layer_group(props: Mapping[str, Any]) -> str:
    """Seeds are reference data; models take the group of their folder."""
    if props["resource_type"] == "seed":
        return "reference"
    folder = props.get("fqn", ["", ""])[1]
    return LAYER_GROUPS.get(folder, "published")


translator = PlatformTranslator(
    settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)
)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool="warehouse",
)
def psw_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    folder = data_dir().resolve()
    with writer_lock(folder):
        _check_ledger(Lake.from_env(folder))
        _load_lake(context, folder)
        # A build after a failed one, a change of the project or a lake made again is
        # whole, with the project's unit tests (they test its code); else it reads only
        # the submissions newly in force (dbt_project/macros/in_force_increments.sql).
        code = project_fingerprint()
        whole = built_with(folder) != code
        if whole:
            context.log.info("a whole build (--full-refresh), with the project's unit tests")
        mode = ["--full-refresh"] if whole else ["--exclude-resource-type", "unit_test"]
        # raise_on_error (the default): a failed model or error test ends the step here,
        # after its events, and nothing is published. dbt gets its environment (an
        # absolute data dir, the lake, the warehouse) for this call only.
        mark_build(folder, succeeded=False)
        started = time.time()  # every ledger entry older than this is in the build
        # Each build in its own folder in the data dir, starting from the parse the last
        # one kept (psw/warehouse/dbt_builds.py: a whole parse is 5 s more of a 14 s dbt build).
        builds, name = Lake(folder).dbt_builds, context.op_execution_context.op.name
        target = new_build_folder(builds, name, context.run_id)
        with environment_for_dbt(folder):
            invocation = dbt.cli(["build", *mode], context=context, target_path=target)
        record_build(folder, invocation.process.pid)
        try:
            yield from invocation.stream()
        finally:  # never leave dbt running (and holding DuckDB's lock) behind a failed step
            if invocation.process.poll() is None:
                invocation.process.kill()
                invocation.process.wait()
            else:  # dbt finished on its own: its parse was written whole (a half one
                # would only cost the next build a whole parse)
                keep_parse(target)
            prune_build_folders(builds, name)
        # Only reached when dbt raised no error. A whole build of some models only (from
        # the UI) leaves the next build whole, unless it held every incremental model.
        rebuilt = {key.path[-1] for key in context.selected_asset_keys}
        in_step = not whole or _incremental_models() <= rebuilt
        mark_build(folder, succeeded=True, code=code if in_step else "", started=started)


@cache
def _incremental_models() -> frozenset[str]:
    """The names of the incremental models (dbt_project/macros/in_force_increments.sql)."""
    nodes = json.loads(Path(dbt_project.manifest_path).read_text())["nodes"].values()
    return frozenset(
        node["name"]
        for node in nodes
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    )


def _check_ledger(lake: Lake) -> None:
    """Nothing is built while a ledger entry is unreadable: its trust's month would be
    published as missing (psw/lake/ledger.py). Entries found now are set aside too."""
    lake.check_ledger()
    held = lake.quarantined()
    if held:
        raise dg.Failure(
            f"{len(held)} ledger entries are unreadable and set aside in the lake's "
            f"quarantine/ ({', '.join(held[:5])}{', ...' if len(held) > 5 else ''}): nothing "
            "is built or published until `psw lake rebuild` makes them again from the archive"
        )


def _load_lake(context: dg.AssetExecutionContext, folder) -> None:
    """A warehouse that cannot read the lake (PostgreSQL, Spark) gets it as tables first."""
    from psw.warehouse.engines import load_lake, warehouse_kind

    kind = warehouse_kind()
    registry = current().trust_registry
    started = time.monotonic()
    loaded = load_lake(kind, Lake.from_env(folder), registry)
    if loaded is not None:
        context.log.info(
            f"lake copied into the {kind} warehouse: {loaded.rows} rows "
            f"in {time.monotonic() - started:.1f} s"
        )
