-- One row per registered trust and reporting month in which it is open (valid_from to
-- valid_to) or sent a file: the file in force, else the latest rejected file, else
-- missing. A trust is never missing outside its open months, and a closed trust keeps
-- the months it submitted. rows_key is the return's disclosure-control key (none for a
-- file with no landed rows).
with trusts as (
    select * from {{ ref('stg_reference__trusts') }}
),

months as (
    select * from {{ ref('int_reporting_months') }}
),

in_force as (
    select * from {{ ref('int_submissions_in_force') }}
),

submissions as (
    select * from {{ ref('stg_platform__submissions') }}
),

submission_keys as (
    select * from {{ ref('int_submission_keys') }}
),

latest_file as (
    select
        *,
        count(*) over (partition by trust_ods_code, period_end) as files_received,
        row_number() over (
            partition by trust_ods_code, period_end
            order by {{ newest_file_first() }}
        ) as recency
    from submissions
),

grid as (
    select
        trusts.trust_ods_code,
        trusts.trust_name,
        trusts.region_code,
        months.period_end,
        {{ trust_is_open('trusts', 'months.period_end') }} as is_open
    from trusts
    cross join months
    where
        {{ trust_is_open('trusts', 'months.period_end') }}
        or exists (
            select 1 from submissions
            where
                submissions.trust_ods_code = trusts.trust_ods_code
                and submissions.period_end = months.period_end
        )
)

select
    grid.period_end,
    grid.trust_ods_code,
    grid.trust_name,
    grid.region_code,
    grid.is_open,
    coalesce(
        in_force.status,
        case when latest_file.status = 'rejected' then 'rejected' end,
        'missing'
    ) as status,
    coalesce(in_force.submission_id, latest_file.submission_id) as submission_id,
    coalesce(in_force.source_key, latest_file.source_key) as source_key,
    coalesce(in_force.submitted_at, latest_file.submitted_at) as submitted_at,
    coalesce(in_force.data_rows, latest_file.data_rows) as data_rows,
    coalesce(in_force.errors, latest_file.errors) as errors,
    coalesce(in_force.warnings, latest_file.warnings) as warnings,
    coalesce(latest_file.files_received, 0) as files_received,
    submission_keys.rows_key
from grid
left join in_force
    on
        grid.trust_ods_code = in_force.trust_ods_code
        and grid.period_end = in_force.period_end
left join latest_file
    on
        grid.trust_ods_code = latest_file.trust_ods_code
        and grid.period_end = latest_file.period_end
        and latest_file.recency = 1
left join submission_keys
    on coalesce(in_force.submission_id, latest_file.submission_id) = submission_keys.submission_id
