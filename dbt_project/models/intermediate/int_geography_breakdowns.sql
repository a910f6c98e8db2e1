-- Breakdowns at trust, region and national level: the trust counts rolled up through
-- int_geography_rollup. Shares are of the breakdown total (the sum of its category
-- counts), so a breakdown's shares sum to 1 even where a person counts in two categories.
-- A cell's key is the sum of its trusts' cell keys (the same people, the same key).
with trust_breakdowns as (
    select * from {{ ref('int_trust_breakdowns') }}
),

rollup as (
    select * from {{ ref('int_geography_rollup') }}
),

all_levels as (
    select
        trust_breakdowns.period_end,
        rollup.geography_level,
        rollup.geography_code,
        min(rollup.geography_name) as geography_name,
        min(rollup.parent_geography_code) as parent_geography_code,
        trust_breakdowns.dimension,
        trust_breakdowns.category,
        min(trust_breakdowns.category_label) as category_label,
        min(trust_breakdowns.sort_order) as sort_order,
        cast(sum(trust_breakdowns.headcount) as bigint) as headcount,
        sum(trust_breakdowns.fte) as fte,
        {{ sdc_cell_key('sum(trust_breakdowns.cell_key)') }} as cell_key
    from trust_breakdowns
    inner join rollup
        on trust_breakdowns.trust_ods_code = rollup.trust_ods_code
    group by
        trust_breakdowns.period_end,
        rollup.geography_level,
        rollup.geography_code,
        trust_breakdowns.dimension,
        trust_breakdowns.category
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
