-- Breakdowns at trust, region and national level. Regional and national counts are sums
-- of trust counts. Shares are of the breakdown total (the sum of its category counts),
-- so a breakdown's shares sum to 1 even where a person counts in two categories.
with trust_breakdowns as (
    select * from {{ ref('int_trust_breakdowns') }}
),

trusts as (
    select * from {{ ref('stg_reference__trusts') }}
),

trust_level as (
    select
        trust_breakdowns.period_end,
        'trust' as geography_level,
        trust_breakdowns.trust_ods_code as geography_code,
        trusts.trust_name as geography_name,
        trusts.region_code as parent_geography_code,
        trust_breakdowns.dimension,
        trust_breakdowns.category,
        trust_breakdowns.category_label,
        trust_breakdowns.sort_order,
        trust_breakdowns.headcount,
        trust_breakdowns.fte
    from trust_breakdowns
    inner join trusts
        on trust_breakdowns.trust_ods_code = trusts.trust_ods_code
),

region_level as (
    select
        trust_level.period_end,
        'region' as geography_level,
        trust_level.parent_geography_code as geography_code,
        min(trusts.region_name) as geography_name,
        'ENG' as parent_geography_code,
        trust_level.dimension,
        trust_level.category,
        min(trust_level.category_label) as category_label,
        min(trust_level.sort_order) as sort_order,
        cast(sum(trust_level.headcount) as bigint) as headcount,
        sum(trust_level.fte) as fte
    from trust_level
    inner join trusts
        on trust_level.geography_code = trusts.trust_ods_code
    group by
        trust_level.period_end,
        trust_level.parent_geography_code,
        trust_level.dimension,
        trust_level.category
),

national_level as (
    select
        period_end,
        'national' as geography_level,
        'ENG' as geography_code,
        'England' as geography_name,
        cast(null as {{ type_text() }}) as parent_geography_code,
        dimension,
        category,
        min(category_label) as category_label,
        min(sort_order) as sort_order,
        cast(sum(headcount) as bigint) as headcount,
        sum(fte) as fte
    from trust_level
    group by period_end, dimension, category
),

all_levels as (
    select * from trust_level
    union all
    select * from region_level
    union all
    select * from national_level
)

select
    *,
    cast(sum(headcount) over (
        partition by period_end, geography_level, geography_code, dimension
    ) as bigint) as breakdown_total,
    cast(headcount as {{ type_double() }}) / nullif(
        sum(headcount) over (
            partition by period_end, geography_level, geography_code, dimension
        ),
        0
    ) as headcount_share
from all_levels
