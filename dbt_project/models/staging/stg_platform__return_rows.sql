-- Rows of every accepted return as landed: renamed and cast only. The free-text job
-- title is never landed (files landed before that still hold it: it is not selected).
with source as (
    select * from {{ external_source('platform', 'return_rows') }}
),

renamed as (
    select
        cast(submission_id as {{ type_text() }}) as submission_id,
        cast(trust_ods_code as {{ type_text() }}) as trust_ods_code,
        cast(reporting_period_end as date) as period_end,
        cast(staff_key as {{ type_text() }}) as staff_key,
        cast(assignment_id as {{ type_text() }}) as assignment_id,
        cast(source_row as integer) as source_row,
        cast(role_category as {{ type_text() }}) as role_category,
        cast(afc_band as {{ type_text() }}) as afc_band,
        cast(fte as {{ type_double() }}) as fte,
        cast(annual_salary_fte_gbp as {{ type_double() }}) as annual_salary_fte_gbp,
        cast(contract_type as {{ type_text() }}) as contract_type,
        cast(fixed_term_end_date as date) as fixed_term_end_date,
        cast(employing_sector as {{ type_text() }}) as employing_sector,
        cast(service_setting as {{ type_text() }}) as service_setting,
        cast(start_date_in_role as date) as start_date_in_role,
        cast(leaving_date as date) as leaving_date,
        cast(ethnic_category as {{ type_text() }}) as ethnic_category,
        cast(gender_identity as {{ type_text() }}) as gender_identity,
        cast(disability as {{ type_text() }}) as disability,
        cast(age_band as {{ type_text() }}) as age_band,
        cast(peer_supervision as {{ type_text() }}) as peer_supervision,
        cast(training as {{ type_text() }}) as training
    from source
)

select * from renamed
