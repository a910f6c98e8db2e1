with source as (
    select * from {{ ref('ethnic_groups') }}
),

renamed as (
    select
        cast(ethnic_category as varchar) as ethnic_category,
        cast(ethnic_group as varchar) as ethnic_group
    from source
)

select * from renamed
