{{ config(meta={'dagster': {'ref': {'name': 'pub_psw_role_diversity'}}}) }}
-- Secondary suppression worked: no breakdown of one geography has exactly one suppressed
-- cell while another of its cells is non-zero and shown (the suppressed one could then
-- be worked out from the breakdown's total).
with cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'breakdown'
)

select
    period_end,
    geography_code,
    dimension
from cells
group by period_end, geography_code, dimension
having
    count(*) filter (where is_suppressed) = 1
    and count(*) filter (where not is_suppressed and value > 0) > 0
