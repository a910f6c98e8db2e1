"""Resources of the marts domain: the dbt project and its CLI."""

from dagster_dbt import DbtCliResource, DbtProject

from psw.paths import dbt_project_dir
from psw.warehouse import dbt_executable

dbt_project = DbtProject(project_dir=dbt_project_dir(), profiles_dir=dbt_project_dir())


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project_dir()),
        dbt_executable=dbt_executable(),
    )
