-- The assignment rows of the submissions in force (superseded files drop out here).
-- Incremental by submission (macros/in_force_increments.sql): a build reads only the
-- files of submissions newly in force.
{{ config(
    materialized=in_force_materialization(),
    pre_hook="{{ drop_replaced_submissions() }}",
) }}

with return_rows as (
    select * from {{ ref('stg_platform__return_rows') }}
    where {{ new_in_force() }}
),

in_force as (
    select * from {{ ref('int_submissions_in_force') }}
    where {{ new_in_force() }}
),

ethnic_groups as (
    select * from {{ ref('stg_reference__ethnic_groups') }}
),

role_families as (
    select * from {{ ref('stg_reference__role_families') }}
)

select
    return_rows.*,
    ethnic_groups.ethnic_group,
    role_families.role_family,
    return_rows.leaving_date is null as is_in_post
from return_rows
inner join in_force
    on return_rows.submission_id = in_force.submission_id
left join ethnic_groups
    on return_rows.ethnic_category = ethnic_groups.ethnic_category
left join role_families
    on return_rows.role_category = role_families.role_category
