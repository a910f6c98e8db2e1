with source as (
    select * from {{ ref('role_families') }}
),

renamed as (
    select
        cast(role_category as {{ type_text() }}) as role_category,
        cast(role_family as {{ type_text() }}) as role_family
    from source
)

select * from renamed
