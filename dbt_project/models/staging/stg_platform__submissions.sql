-- The submissions ledger: one row per processed upload, accepted or rejected.
with source as (
    select * from {{ external_source('platform', 'submissions') }}
),

renamed as (
    select
        cast(submission_id as varchar) as submission_id,
        cast(trust_ods_code as varchar) as trust_ods_code,
        last_day(cast(period || '-01' as date)) as period_end,
        cast(status as varchar) as status,
        cast(source_bucket as varchar) as source_bucket,
        cast(source_key as varchar) as source_key,
        cast(received_at as timestamptz) as submitted_at,
        cast(processed_at as timestamptz) as processed_at,
        cast(rows as integer) as data_rows,
        cast(errors as integer) as errors,
        cast(warnings as integer) as warnings,
        cast(landed as varchar) as landed_path
    from source
)

select * from renamed
