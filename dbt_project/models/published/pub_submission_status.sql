{{ config(alias='submission_status') }}
-- Return status per trust and month. Its counts of rows and findings are about people
-- (a trust's row count is close to its headcount; its warnings can count leavers), so
-- they follow the same disclosure control as headcounts. The file name is left out: it
-- is the trust's free text, and analysts need the status, not the name.
with status as (
    select * from {{ ref('submission_status') }}
)

select
    period_end,
    trust_ods_code,
    trust_name,
    region_code,
    expected,
    status,
    submitted_at,
    {{ sdc_count('data_rows', sdc_is_small('data_rows'), "'trust'") }} as data_rows,
    {{ sdc_flag('data_rows', sdc_is_small('data_rows'), sdc_is_small('data_rows'), "'trust'") }}
        as data_rows_flag,
    {{ sdc_count('errors', sdc_is_small('errors'), "'trust'") }} as errors,
    {{ sdc_flag('errors', sdc_is_small('errors'), sdc_is_small('errors'), "'trust'") }}
        as errors_flag,
    {{ sdc_count('warnings', sdc_is_small('warnings'), "'trust'") }} as warnings,
    {{ sdc_flag('warnings', sdc_is_small('warnings'), sdc_is_small('warnings'), "'trust'") }}
        as warnings_flag,
    files_received
from status
