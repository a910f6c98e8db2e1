with source as (
    select * from {{ ref('ref_population') }}
),

renamed as (
    select
        cast(dimension as {{ type_text() }}) as dimension,
        cast(category as {{ type_text() }}) as category,
        cast(share as {{ type_double() }}) as share,
        cast(source as {{ type_text() }}) as source,
        cast(source_url as {{ type_text() }}) as source_url,
        cast(note as {{ type_text() }}) as note
    from source
)

select * from renamed
