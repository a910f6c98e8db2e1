-- The submission in force for each trust and month: the last good file wins. A rejected
-- file never replaces an accepted one; a nil return is a good file with no rows.
-- Newest first: see macros/newest_file_first.sql.
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
    where status in ('accepted', 'accepted_with_warnings', 'nil_return')
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
