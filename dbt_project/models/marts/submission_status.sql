-- Each registered trust's return status for every month it is open, and any other
-- month it sent a file for.
with status as (
    select * from {{ ref('int_trust_month_status') }}
)

select
    period_end,
    trust_ods_code,
    trust_name,
    region_code,
    is_open as expected,
    status,
    source_key,
    submitted_at,
    data_rows,
    errors,
    warnings,
    files_received,
    rows_key
from status
