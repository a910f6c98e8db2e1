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
    select
        unnest(
            generate_series(
                date_trunc('month', first_month_end),
                date_trunc('month', last_month_end),
                interval 1 month
            )
        ) as month_start
    from bounds
    where first_month_end is not null
)

select last_day(cast(month_start as date)) as period_end
from month_starts
