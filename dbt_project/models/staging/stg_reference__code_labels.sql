with source as (
    select * from {{ ref('code_labels') }}
),

renamed as (
    select
        cast(dimension as varchar) as dimension,
        cast(code as varchar) as code,
        cast(label as varchar) as label,
        cast(sort_order as integer) as sort_order
    from source
)

select * from renamed
