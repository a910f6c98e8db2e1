-- The submission in force for each trust and month: the last good file wins. A rejected
-- file never replaces an accepted one; a nil return is a good file with no rows.
-- Both rules come from psw/lake/layout.py through macros/last_good_file_wins.sql.
with submissions as (
    select * from {{ ref('stg_platform__submissions') }}
),

good_files as (
    select
        *,
        row_number() over (
            partition by trust_ods_code, period_end
            order by {{ newest_file_first() }}
        ) as recency
    from submissions
    where status in {{ in_force_statuses() }}
)

select
    good_files.trust_ods_code,
    good_files.period_end,
    good_files.submission_id,
    good_files.status,
    good_files.source_key,
    good_files.submitted_at,
    good_files.data_rows,
    good_files.errors,
    good_files.warnings
from good_files
where good_files.recency = 1
