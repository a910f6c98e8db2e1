"""The marts' sensors, both on by default.

`marts_automation` evaluates the marts' automation conditions every 60 s at most: uploads
that arrive together are built together, and on two cores the builds leave room for the
ingestion runs. `release_calendar` says, hourly, when an official release is due.
"""

import datetime as dt

import dagster as dg

marts_automation = dg.AutomationConditionSensorDefinition(
    "marts_automation",
    target=dg.AssetSelection.groups("reference", "staging", "intermediate", "marts", "published"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
)


@dg.sensor(
    name="release_calendar",
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Says in its ticks when an official release is due by the standard's release "
        "calendar and not made. It never releases: a person runs `psw release YYYY-MM` once "
        "the figures are signed off."
    ),
)
def release_calendar(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    from psw.lake.layout import Lake
    from psw.storage import data_dir
    from psw.warehouse.releases import calendar, published_months, releases, releases_dir

    folder = data_dir().resolve()
    made = releases(releases_dir(folder))
    latest = made[-1]["release_month"] if made else None
    standing = calendar(latest, dt.datetime.now(dt.UTC).date())
    if standing.overdue:
        month, due = standing.overdue
        serving = Lake(folder).serving
        published = published_months(serving)[1] if serving.exists() else None
        if published is None or f"{published:%Y-%m}" < month:
            shown = f"{published:%Y-%m}" if published else "none"
            return dg.SkipReason(
                f"the official release of {month} was due on {due:%Y-%m-%d}, but its figures "
                f"are not published yet (the latest month published: {shown})"
            )
        return dg.SkipReason(
            f"the official release of {month} was due on {due:%Y-%m-%d} and is not made: "
            f"once its figures are signed off, run `psw release {month}`"
        )
    month, due = standing.upcoming
    return dg.SkipReason(
        f"every release due is made (the latest: {latest}); the next, of {month}, is due on "
        f"{due:%Y-%m-%d}"
    )
