{{ config(
    store_failures=true,
    schema='audit',
    meta={'dagster': {'ref': {'name': 'int_submissions_in_force'}}}
) }}
-- Every return in force has its landed rows. The lake is derived (`psw lake rebuild`
-- makes it again from the archive): a lost file must fail the build and be named here,
-- never shrink the marts. Failing rows are kept in audit.<this test> for `psw run`.
with in_force as (
    select * from {{ ref('int_submissions_in_force') }}
),

landed as (
    {{ landed_files() }}
)

select
    in_force.trust_ods_code,
    in_force.period_end,
    in_force.submission_id,
    in_force.source_key
from in_force
where in_force.submission_id || '.parquet' not in (select landed.file_name from landed)
