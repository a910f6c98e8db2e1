{{ config(alias='psw_role_diversity') }}
-- psw_role_diversity with disclosure control at every level.
with role_diversity as (
    select * from {{ ref('psw_role_diversity') }}
),

cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'breakdown'
)

select
    role_diversity.period_end,
    role_diversity.geography_level,
    role_diversity.geography_code,
    role_diversity.geography_name,
    role_diversity.dimension,
    role_diversity.category,
    role_diversity.category_label,
    role_diversity.sort_order,
    {{ sdc_breakdown_measures('role_diversity', 'cells') }}
from role_diversity
inner join cells
    on
        role_diversity.period_end = cells.period_end
        and role_diversity.geography_level = cells.geography_level
        and role_diversity.geography_code = cells.geography_code
        and role_diversity.dimension = cells.dimension
        and role_diversity.category = cells.category
