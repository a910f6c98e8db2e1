with source as (
    select * from {{ ref('ethnic_groups') }}
),

renamed as (
    select
        cast(ethnic_category as {{ type_text() }}) as ethnic_category,
        cast(ethnic_group as {{ type_text() }}) as ethnic_group
    from source
)

select * from renamed
