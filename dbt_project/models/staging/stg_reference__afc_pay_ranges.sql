with source as (
    select * from {{ ref('afc_pay_ranges') }}
),

renamed as (
    select
        cast(pay_year as {{ type_text() }}) as pay_year,
        cast(afc_band as {{ type_text() }}) as afc_band,
        cast(min_gbp as {{ type_double() }}) as min_gbp,
        cast(max_gbp as {{ type_double() }}) as max_gbp
    from source
)

select * from renamed
