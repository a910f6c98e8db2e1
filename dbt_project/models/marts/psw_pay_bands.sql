-- Distinct staff in post and FTE per Agenda for Change band (NON_AFC included).
with breakdowns as (
    select * from {{ ref('int_geography_breakdowns') }}
    where dimension = 'afc_band'
)

select
    period_end,
    geography_level,
    geography_code,
    geography_name,
    category as afc_band,
    category_label as afc_band_label,
    sort_order,
    headcount,
    {{ round_to('fte', 2) }} as fte,
    breakdown_total,
    headcount_share
from breakdowns
