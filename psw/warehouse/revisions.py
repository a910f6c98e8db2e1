"""Revisions analysts can see: what each publish changed in figures already published.

A late or corrected return changes figures of months analysts have already read. At each
publish the new `published` tables are compared with the serving database they replace
(the figures analysts had, disclosure control applied), and every figure of a month
published before that changed is recorded in `published.revisions`. The latest month
published is provisional (its figures grow as that month's returns arrive, within a
minute of each); once a later month has been published, any change to it is a revision.
Each revision records where, which table and breakdown, which measure, the previous and
the new published value and flag, when, and the submissions that caused it. Rows of the
measured tables carry `revised` (true when any of their figures ever changed). The
history travels from one serving file to the next, with a copy beside it
(`revisions.parquet`) in case the serving file is lost.

Values are compared as published (perturbed, docs/disclosure-control.md), so a change
the noise hides is not a revision (analysts could not see it), and no revision pairs an
exact change with its cause: the previous and the new value are each the true count plus
the noise of its own cell key.

One module (about 325 lines): the comparison, the history it keeps and the `revised`
marks read and write the same table definitions, which are easier to check together.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from psw.core.sql import literal, scalar

if TYPE_CHECKING:
    import datetime as dt

    from duckdb import DuckDBPyConnection

SCHEMA = "published"
TABLE = "revisions"
# Measured tables -> how one row's breakdown is named, given the row's alias ({t});
# 'total' for a geography's total (never NULL: the comparison joins on it).
BREAKDOWNS = {
    "psw_headcount": "'total'",
    "psw_pay_bands": "'afc_band=' || {t}.afc_band",
    "psw_role_diversity": "{t}.dimension || '=' || {t}.category",
    "psw_diversity_index": "{t}.dimension",
    "psw_pay": "{t}.breakdown || '=' || {t}.category",
    "psw_retention": "'total'",
    "psw_progression": "{t}.role_family || ',' || {t}.afc_band || '=' || {t}.outcome",
    "psw_crosstab": (
        "{t}.row_dimension || '=' || {t}.row_category || ','"
        " || {t}.col_dimension || '=' || {t}.col_category"
    ),
}
BREAKDOWN_COLUMNS = {
    "psw_headcount": set(),
    "psw_pay_bands": {"afc_band"},
    "psw_role_diversity": {"dimension", "category"},
    "psw_diversity_index": {"dimension"},
    "psw_pay": {"breakdown", "category"},
    "psw_retention": set(),
    "psw_progression": {"role_family", "afc_band", "outcome"},
    "psw_crosstab": {"row_dimension", "row_category", "col_dimension", "col_category"},
}
PLACE = {"period_end", "geography_level", "geography_code"}
NOT_MEASURES = {  # integer columns that order rows, not figures
    "sort_order",
    "row_sort_order",
    "col_sort_order",
    "role_family_sort_order",
    "afc_band_sort_order",
    "outcome_sort_order",
}
NUMERIC = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT", "DECIMAL"}
KEY = ("period_end", "geography_level", "geography_code", "table_name", "breakdown", "measure")
NO_SUBMISSION = "no new return for the month: a change of registry, reference data or method"

COLUMNS = {
    "period_end": ("date", "The month whose figure changed (last day)."),
    "geography_level": ("varchar", "national, region or trust."),
    "geography_code": ("varchar", "ENG, the region code or the trust's ODS code."),
    "table_name": ("varchar", "The published table the figure is in."),
    "breakdown": (
        "varchar",
        "The row within the geography: afc_band=<band>, <dimension>=<category> (role "
        "diversity), <breakdown>=<category> (pay), the dimension of a diversity index, or "
        "'total' for psw_headcount.",
    ),
    "measure": ("varchar", "The column that changed (headcount, fte, joiners, ...)."),
    "previous_value": ("double", "The value published before (NULL: absent, or withheld)."),
    "previous_flag": (
        "varchar",
        "'not published' when the row did not exist (revisions recorded before cell-key "
        "perturbation hold the disclosure flag of the time).",
    ),
    "new_value": ("double", "The value published now (NULL: absent, or withheld)."),
    "new_flag": ("varchar", "'not published' when the row is gone."),
    "revised_at": ("timestamp", "When the new value was published (UTC)."),
    "caused_by": (
        "varchar",
        "The submissions of that month, in that geography, that changed since the previous "
        "publish: trust, status and upload time.",
    ),
}


def record_revisions(
    db: DuckDBPyConnection, previous: Path | None, backup: Path, now: dt.datetime
) -> int:
    """Create `published.revisions` in the new serving database `db` (its `published`
    schema complete), mark `revised` rows, and return how many revisions are new.

    previous: the last publish (psw.warehouse.publish.previous_publish; None when there is none)."""
    history_source = _history_source(db, previous, backup)
    columns = ", ".join(f"{name} {kind}" for name, (kind, _) in COLUMNS.items())
    db.execute(f"create table {SCHEMA}.{TABLE} ({columns})")
    if history_source:
        names = ", ".join(COLUMNS)
        db.execute(f"insert into {SCHEMA}.{TABLE} select {names} from {history_source}")
    new = 0
    if previous is not None:
        new = _compare(db, now)
        db.execute("detach previous")
    this = scalar(db, "select current_database()")
    for table in _measured(db, this):
        _mark_revised(db, table, BREAKDOWNS[table])
    for name, (_, comment) in COLUMNS.items():
        db.execute(f"comment on column {SCHEMA}.{TABLE}.{name} is {literal(comment)}")
    db.execute(
        f"comment on table {SCHEMA}.{TABLE} is "
        + literal(
            "Every published figure of a month already published that a later publish "
            "changed (the latest month is provisional: its figures grow as its returns "
            "arrive): previous and new value, when, and the submissions that caused it."
        )
    )
    return new


def _history_source(db, previous: Path | None, backup: Path) -> str | None:
    """Where the revisions recorded so far are: the last publish (psw.warehouse.publish
    previous_publish), else the copy beside the serving file, else nowhere (the first)."""
    if previous is not None:
        db.execute(f"attach '{previous}' as previous (read_only)")
        found = db.execute(
            "select count(*) from duckdb_tables() where database_name = 'previous' "
            "and schema_name = ? and table_name = ?",
            [SCHEMA, TABLE],
        ).fetchone()[0]
        if found:
            return f"previous.{SCHEMA}.{TABLE}"
    if backup.exists():
        return f"read_parquet('{backup}')"
    return None


def _columns(db, database: str, table: str) -> dict[str, str]:
    return dict(
        db.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = ? and schema_name = ? and table_name = ?",
            [database, SCHEMA, table],
        ).fetchall()
    )


def _measured(db, database: str) -> list[str]:
    """The measured tables a database has, with their place and breakdown columns."""
    return [t for t in BREAKDOWNS if PLACE | BREAKDOWN_COLUMNS[t] <= set(_columns(db, database, t))]


def _long(table: str, prefix: str, measures: list[str], flags: set[str]) -> str:
    """The figures of one table, one row per measure (prefix: '' or 'previous.')."""
    breakdown = BREAKDOWNS[table].format(t="figures")
    return " union all ".join(
        f"select period_end, geography_level, geography_code, '{table}' as table_name, "
        f"{breakdown} as breakdown, '{m}' as measure, cast({m} as double) as value, "
        f"{f'{m}_flag' if f'{m}_flag' in flags else 'cast(null as varchar)'} as flag "
        f"from {prefix}{SCHEMA}.{table} as figures"
        for m in measures
    )


def _compare(db, now) -> int:
    this = db.execute("select current_database()").fetchone()[0]
    parts_new, parts_old = [], []
    for table in set(_measured(db, this)) & set(_measured(db, "previous")):
        new_columns, old_columns = _columns(db, this, table), _columns(db, "previous", table)
        measures = sorted(
            c
            for c in new_columns.keys() & old_columns.keys()
            if new_columns[c].split("(")[0] in NUMERIC and c not in NOT_MEASURES
        )
        if measures:
            parts_new.append(_long(table, "", measures, set(new_columns)))
            parts_old.append(_long(table, "previous.", measures, set(old_columns)))
    if not parts_new:
        return 0
    key = ", ".join(KEY)
    before = db.execute(f"select count(*) from {SCHEMA}.{TABLE}").fetchone()[0]
    db.execute(
        f"""
        insert into {SCHEMA}.{TABLE}
        with now_published as ({" union all ".join(parts_new)}),
        before as ({" union all ".join(parts_old)}),
        -- The latest month published is provisional: its figures grow as the month's
        -- returns arrive. Once a later month is published, a change is a revision.
        months_final as (
            select distinct period_end from before
            where period_end < (select max(period_end) from before)
        ),
        changed as (
            select
                {key},
                before.value as previous_value,
                case when before.measure is null then 'not published' else before.flag end
                    as previous_flag,
                now_published.value as new_value,
                case when now_published.measure is null then 'not published'
                    else now_published.flag end as new_flag
            from now_published
            full outer join before using ({key})
            where
                period_end in (select period_end from months_final)
                and (
                    before.measure is null
                    or now_published.measure is null
                    or before.flag is distinct from now_published.flag
                    or (before.value is null) != (now_published.value is null)
                    or abs(before.value - now_published.value)
                    > 1e-9 * greatest(1, abs(before.value))
                )
        ),
        submissions_changed as ({_submissions_changed(db, this)})
        select
            {", ".join(f"changed.{c}" for c in KEY)},
            changed.previous_value,
            changed.previous_flag,
            changed.new_value,
            changed.new_flag,
            cast(? as timestamp) as revised_at,
            coalesce(
                (
                    select string_agg(distinct s.submission, '; ' order by s.submission)
                    from submissions_changed as s
                    where
                        s.period_end = changed.period_end
                        and (
                            changed.geography_level = 'national'
                            or (changed.geography_level = 'region'
                                and s.region_code = changed.geography_code)
                            or (changed.geography_level = 'trust'
                                and s.trust_ods_code = changed.geography_code)
                        )
                ),
                '{NO_SUBMISSION}'
            ) as caused_by
        from changed
        """,
        [now],
    )
    return db.execute(f"select count(*) from {SCHEMA}.{TABLE}").fetchone()[0] - before


def _submissions_changed(db, this: str) -> str:
    """The trust-months whose submission changed since the previous publish (new, other
    status, other upload), each as one line: trust, status, upload time."""
    needed = {"period_end", "trust_ods_code", "region_code", "status", "submitted_at"}
    if not all(
        needed <= set(_columns(db, database, "submission_status"))
        for database in (this, "previous")
    ):
        return (
            "select cast(null as date) as period_end, cast(null as varchar) as trust_ods_code, "
            "cast(null as varchar) as region_code, cast(null as varchar) as submission where false"
        )
    return f"""
            select
                now_status.period_end,
                now_status.trust_ods_code,
                now_status.region_code,
                now_status.trust_ods_code || ' ' || now_status.status
                || coalesce(' (uploaded ' || cast(now_status.submitted_at as varchar) || ')', '')
                    as submission
            from {SCHEMA}.submission_status as now_status
            left join previous.{SCHEMA}.submission_status as before_status
                using (period_end, trust_ods_code)
            where
                before_status.trust_ods_code is null
                or before_status.status is distinct from now_status.status
                or before_status.submitted_at is distinct from now_status.submitted_at
    """


def _mark_revised(db, table: str, breakdown: str) -> None:
    db.execute(f"alter table {SCHEMA}.{table} add column revised boolean default false")
    db.execute(
        f"""
        update {SCHEMA}.{table} as t set revised = true
        where exists (
            select 1 from {SCHEMA}.{TABLE} as r
            where
                r.table_name = '{table}'
                and r.period_end = t.period_end
                and r.geography_level = t.geography_level
                and r.geography_code = t.geography_code
                and r.breakdown = ({breakdown.format(t="t")})
        )
        """
    )
    db.execute(
        f"comment on column {SCHEMA}.{table}.revised is "
        + literal(
            "True when a figure of this row changed after it was first published "
            "(a late or corrected return): see published.revisions."
        )
    )


def export_backup(db: DuckDBPyConnection, backup: Path) -> Path:
    """The revision history written as Parquet next to `backup`, from the new serving
    database before it is swapped in; rename it over `backup` once the swap is done."""
    partial = backup.with_name(f".{backup.name}.new")
    db.execute(f"copy {SCHEMA}.{TABLE} to '{partial}' (format parquet)")
    return partial
