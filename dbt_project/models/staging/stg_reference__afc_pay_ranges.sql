with source as (
    select * from {{ ref('afc_pay_ranges') }}
),

renamed as (
    select
        cast(pay_year as varchar) as pay_year,
        cast(afc_band as varchar) as afc_band,
        cast(min_gbp as double) as min_gbp,
        cast(max_gbp as double) as max_gbp
    from source
)

select * from renamed
