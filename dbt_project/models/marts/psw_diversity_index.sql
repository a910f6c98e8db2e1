-- How many categories of each dimension are present, and how many equally sized
-- categories would give the same Shannon entropy (exp(H); 1 = everyone alike).
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
    cast(sum(headcount) as bigint) as breakdown_total,
    count(*) filter (where headcount > 0) as categories_present,
    case
        when sum(headcount) > 0
            then exp(-sum(
                case
                    when headcount > 0 then headcount_share * ln(headcount_share) else 0
                end
            ))
    end as effective_categories
from breakdowns
group by period_end, geography_level, geography_code, geography_name, dimension
