{{ config(alias='psw_role_diversity') }}
-- psw_role_diversity with disclosure control below national level.
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
    {{ sdc_count('role_diversity.headcount', 'cells.is_suppressed',
        'role_diversity.geography_level') }} as headcount,
    {{ sdc_flag('role_diversity.headcount', 'cells.is_primary', 'cells.is_suppressed',
        'role_diversity.geography_level') }} as headcount_flag,
    case
        when role_diversity.geography_level = 'national' then role_diversity.fte
        when cells.is_suppressed then null
        else round(role_diversity.fte, 1)
    end as fte,
    case
        when role_diversity.geography_level = 'national' then role_diversity.headcount_share
        else {{ sdc_ratio('role_diversity.headcount', 'role_diversity.breakdown_total',
            'cells.is_suppressed', sdc_is_small('role_diversity.breakdown_total')) }}
    end as headcount_share
from role_diversity
inner join cells
    on
        role_diversity.period_end = cells.period_end
        and role_diversity.geography_level = cells.geography_level
        and role_diversity.geography_code = cells.geography_code
        and role_diversity.dimension = cells.dimension
        and role_diversity.category = cells.category
