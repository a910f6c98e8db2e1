-- The data-quality measure per trust and month (the months of submission_status): its
-- parts and score where a return is in force; a month without one has no score and is
-- not on time. The counts the shares are of are kept for the published table, which works
-- its shares out from perturbed counts.
with status as (
    select * from {{ ref('int_trust_month_status') }}
),

quality as (
    select * from {{ ref('int_trust_month_quality') }}
)

select
    status.period_end,
    status.trust_ods_code,
    status.trust_name,
    status.region_code,
    status.status,
    status.data_rows,
    status.rows_key,
    quality.values_given,
    quality.values_not_stated,
    quality.warnings,
    quality.completeness,
    quality.stated,
    quality.clean,
    coalesce(quality.is_on_time, false) as is_on_time,
    quality.score
from status
left join quality
    on
        status.trust_ods_code = quality.trust_ods_code
        and status.period_end = quality.period_end
