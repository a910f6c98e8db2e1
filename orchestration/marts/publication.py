"""What is published from the marts, each an asset downstream of the published models.

`serving_database` publishes the file analysts open; then, from it, `national_report`
rebuilds the report, `trust_histories` refreshes each trust's data-quality history in its
bucket (with the published score) and `serving_postgres` copies the published schema to
PostgreSQL for BI tools (when configured). They run in the same run as the build that
changed a published table, only when it succeeded, and each can be launched from the UI
alone. The jobs `psw run` launches are here too.
"""

import time
from collections.abc import Iterator
from typing import Any

import dagster as dg

from orchestration.marts.assets import psw_dbt_models
from orchestration.marts.automation import rebuild_on_new_returns
from psw.core.settings import current
from psw.lake.layout import Lake
from psw.site.national import build_report
from psw.storage import S3Settings, data_dir, s3_client
from psw.warehouse.publish import publish_serving
from psw.warehouse.writer import holds_successful_build, writer_lock

SERVING_DATABASE = dg.AssetKey("serving_database")
NATIONAL_REPORT = dg.AssetKey("national_report")
TRUST_HISTORIES = dg.AssetKey("trust_histories")
SERVING_POSTGRES = dg.AssetKey("serving_postgres")

PUBLISHED_MODELS = [key for key in psw_dbt_models.keys if key.path[0] == "published"]


def after_publish(key: dg.AssetKey, description: str, **extra: Any) -> Any:
    """An asset made from the serving file after each publish, in the same run."""
    return dg.asset(
        key=key,
        deps=[SERVING_DATABASE],
        group_name="published",
        automation_condition=rebuild_on_new_returns(),
        description=description,
        **extra,
    )


@dg.asset(
    key=SERVING_DATABASE,
    deps=PUBLISHED_MODELS,
    group_name="published",
    pool="warehouse",
    automation_condition=rebuild_on_new_returns(),
    description=(
        "$PSW_DATA_DIR/serving/psw.duckdb: the published schema analysts open read-only, "
        "replaced atomically after each successful build that changed a published table "
        "(revisions recorded and the disclosure guard passed first)."
    ),
)
def serving_database(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    folder = data_dir().resolve()
    with writer_lock(folder):  # it reads the warehouse: never beside a dbt build
        # Another build may have run between this run's build and now: publish only a
        # warehouse whose last build finished (a failed one leaves old and new tables).
        if not holds_successful_build(folder):
            raise dg.Failure(
                "the warehouse's last dbt build did not finish (or none has run yet): nothing "
                "was published, and the serving database keeps its previous figures until a "
                "build succeeds"
            )
        published = publish_serving(folder)
    context.log.info(f"published {published.path} in {published.seconds:.1f} s")
    return dg.MaterializeResult(
        metadata={
            "path": str(published.path),
            "bytes": dg.MetadataValue.int(published.bytes),
            "seconds": dg.MetadataValue.float(round(published.seconds, 2)),
            "revisions": dg.MetadataValue.int(published.revisions),
            **{
                f"rows.{name}": dg.MetadataValue.int(rows)
                for name, rows in published.tables.items()
            },
        }
    )


@after_publish(
    NATIONAL_REPORT,
    (
        "$PSW_DATA_DIR/serving/report/: the national report (static HTML with charts, one "
        "page for England, each region and each trust), rebuilt from the serving database "
        "after each publish; `psw report` writes it on demand."
    ),
)
def national_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    # The report reads only the published file, so it follows its disclosure control;
    # a failure here leaves the published figures standing.
    lake = Lake.from_env(data_dir().resolve())
    if not lake.serving.exists():
        raise dg.Failure(
            f"no serving database at {lake.serving} yet: a successful build publishes it"
        )
    from psw.warehouse.dbt_docs import static_docs

    docs = static_docs(lake.docs_cache)  # made once per version of the dbt project
    report = build_report(lake.serving, lake.report, lake.chart_cache, docs=docs)
    return dg.MaterializeResult(
        metadata={
            "path": str(report.folder / "index.html"),
            "pages": dg.MetadataValue.int(report.pages),
            "seconds": dg.MetadataValue.float(round(report.seconds, 2)),
        }
    )


@after_publish(
    TRUST_HISTORIES,
    (
        "feedback/history.json and .html in each trust's bucket: its uploads, findings and "
        "data-quality score beside the published national median, refreshed after each "
        "publish (intake refreshes a trust's after its uploads are processed)."
    ),
)
def trust_histories(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    # Each write is isolated: a trust whose bucket fails keeps its older history.
    from psw.site.history import refresh_all

    lake = Lake.from_env(data_dir().resolve())
    started = time.monotonic()
    trusts = lake.trusts_with_uploads()
    written = refresh_all(s3_client(S3Settings.from_env()), lake, trusts)
    seconds = time.monotonic() - started
    context.log.info(
        f"data-quality histories refreshed for {written} of {len(trusts)} trusts in {seconds:.1f} s"
    )
    return dg.MaterializeResult(
        metadata={
            "trusts": dg.MetadataValue.int(len(trusts)),
            "written": dg.MetadataValue.int(written),
            "seconds": dg.MetadataValue.float(round(seconds, 2)),
        }
    )


@after_publish(
    SERVING_POSTGRES,
    (
        "Schema published in the PostgreSQL database at PSW_SERVING_POSTGRES_URL, for BI "
        "tools that cannot open a DuckDB file: a copy of the serving database after each "
        "publish, readable by role psw_reader. Never materialised when that is unset."
    ),
    output_required=False,
)
def serving_postgres(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    # Its own asset: a PostgreSQL server that is down fails this step, shown red in the
    # UI, while the serving file, the report and the histories stand.
    from psw.warehouse.serving_postgres import copy_to_postgres

    target = current().serving_postgres()
    if target is None:
        context.log.info("PSW_SERVING_POSTGRES_URL is not set: no PostgreSQL copy")
        return
    lake = Lake.from_env(data_dir().resolve())
    copied = copy_to_postgres(lake.serving, *target)
    context.log.info(
        f"published schema copied to PostgreSQL: {copied.tables} tables, {copied.rows} rows "
        f"in {copied.seconds:.1f} s"
    )
    yield dg.MaterializeResult(
        metadata={
            "tables": dg.MetadataValue.int(copied.tables),
            "rows": dg.MetadataValue.int(copied.rows),
            "seconds": dg.MetadataValue.float(round(copied.seconds, 2)),
        }
    )


# What follows each publish.
PUBLICATION = [national_report, trust_histories, serving_postgres]


marts_job = dg.define_asset_job(
    "build_marts",
    selection=dg.AssetSelection.assets(psw_dbt_models, serving_database, *PUBLICATION),
)

# The report and histories alone, from the serving file as it is: `psw run` launches it
# when the report was left behind by a kill after a publish (issue 21).
report_job = dg.define_asset_job("publish_report", selection=dg.AssetSelection.assets(*PUBLICATION))

# The serving file published again from the warehouse's last build, then the report:
# `psw run` launches it when the served file is lost or corrupt and the build already
# holds every return (issue 21), which spares a dbt build.
republish_job = dg.define_asset_job(
    "republish", selection=dg.AssetSelection.assets(serving_database, *PUBLICATION)
)
