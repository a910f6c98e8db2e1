"""Resources of the marts domain: the dbt project and its CLI."""

from functools import cached_property
from importlib import metadata

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from psw.core.paths import dbt_project_dir
from psw.warehouse.writer import dbt_executable

dbt_project = DbtProject(project_dir=dbt_project_dir(), profiles_dir=dbt_project_dir())


class PlatformDbtCli(DbtCliResource):
    """dagster-dbt's CLI resource without two fixed costs it adds before every build
    (issue 21: 9 s of a 55 s publish on 2 cores): a `dbt --version` process, to learn a
    version the installed package already states, and a dbt adapter loaded in this
    process, used only to fetch column metadata and row counts, which the platform's
    assets never ask for. Both are private to dagster-dbt; should it rename them, these
    overrides go unused and the build is as before, only slower."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ANN001, ANN202 - dagster-dbt's signature
        return None


def dbt_resource() -> DbtCliResource:
    return PlatformDbtCli(
        project_dir=str(dbt_project.project_dir),
        profiles_dir=str(dbt_project_dir()),
        dbt_executable=dbt_executable(),
        # dbt's debug log file (every statement of every node) costs a fifth of a build's
        # CPU; what operators need (each node's result, errors) is in the Dagster run log.
        global_config_flags=["--log-level-file", "warn"],
    )
