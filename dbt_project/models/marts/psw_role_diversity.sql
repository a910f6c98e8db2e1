-- Distinct staff in post and FTE per category of each role and diversity dimension.
with breakdowns as (
    select * from {{ ref('int_geography_breakdowns') }}
    where dimension != 'afc_band'
)

select
    period_end,
    geography_level,
    geography_code,
    geography_name,
    dimension,
    category,
    category_label,
    sort_order,
    headcount,
    {{ round_to('fte', 2) }} as fte,
    breakdown_total,
    headcount_share
from breakdowns
