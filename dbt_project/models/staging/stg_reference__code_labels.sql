with source as (
    select * from {{ ref('code_labels') }}
),

renamed as (
    select
        cast(dimension as {{ type_text() }}) as dimension,
        cast(code as {{ type_text() }}) as code,
        cast(label as {{ type_text() }}) as label,
        cast(sort_order as integer) as sort_order
    from source
)

select * from renamed
