-- The submissions ledger: one row per processed upload, accepted or rejected.
with source as (
    select * from {{ external_source('platform', 'submissions') }}
),

renamed as (
    select
        cast(submission_id as {{ type_text() }}) as submission_id,
        cast(trust_ods_code as {{ type_text() }}) as trust_ods_code,
        {{ month_end("cast(period || '-01' as date)") }} as period_end,
        cast(status as {{ type_text() }}) as status,
        cast(source_bucket as {{ type_text() }}) as source_bucket,
        cast(source_key as {{ type_text() }}) as source_key,
        cast(received_at as {{ type_instant() }}) as submitted_at,
        cast(processed_at as {{ type_instant() }}) as processed_at,
        cast(receipt as bigint) as receipt,
        cast(rows as integer) as data_rows,
        cast(errors as integer) as errors,
        cast(warnings as integer) as warnings,
        cast(landed as {{ type_text() }}) as landed_path
    from source
)

select * from renamed
