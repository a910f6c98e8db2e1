-- One row per trust, month and person (staff_key): in post when any of their assignments
-- has no leaving_date (two assignments count once). record_key is the person's key for
-- disclosure control (macros/disclosure_control.sql). Incremental by the submission in
-- force (macros/in_force_increments.sql).
-- depends_on: {{ ref('int_submissions_in_force') }}
{{ config(
    materialized=in_force_materialization(),
    pre_hook="{{ drop_replaced_submissions() }}",
) }}

with assignments as (
    select * from {{ ref('int_assignments_in_force') }}
    where {{ new_in_force() }}
)

select
    trust_ods_code,
    period_end,
    submission_id,
    staff_key,
    {{ sdc_record_key('staff_key') }} as record_key,
    bool_or(is_in_post) as is_in_post,
    bool_or(not is_in_post) as has_leaving_date,
    coalesce(sum(fte) filter (where is_in_post), 0) as fte_in_post,
    count(*) as assignments
from assignments
group by trust_ods_code, period_end, submission_id, staff_key
