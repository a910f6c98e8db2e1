{{ config(meta={'dagster': {'ref': {'name': 'psw_role_diversity'}}}) }}
-- The shares of every non-empty breakdown (pay bands included) sum to 1.
with breakdowns as (
    select * from {{ ref('int_geography_breakdowns') }}
)

select
    period_end,
    geography_level,
    geography_code,
    dimension,
    sum(headcount_share) as total_share
from breakdowns
group by period_end, geography_level, geography_code, dimension
having sum(headcount) > 0 and abs(sum(headcount_share) - 1) > 1e-9
