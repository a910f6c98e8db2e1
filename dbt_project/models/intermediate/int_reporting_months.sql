-- Every month from the earliest accepted return to the latest, gaps included.
with in_force as (
    select * from {{ ref('int_submissions_in_force') }}
),

bounds as (
    select
        min(period_end) as first_month_end,
        max(period_end) as last_month_end
    from in_force
),

month_starts as (
    {{ month_starts('bounds', 'first_month_end', 'last_month_end') }}
)

select {{ month_end('month_start') }} as period_end
from month_starts
