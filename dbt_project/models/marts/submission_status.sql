-- Each registered trust's return status for every reporting month.
with status as (
    select * from {{ ref('int_trust_month_status') }}
)

select
    period_end,
    trust_ods_code,
    trust_name,
    region_code,
    status,
    source_key,
    submitted_at,
    data_rows,
    errors,
    warnings,
    files_received
from status
