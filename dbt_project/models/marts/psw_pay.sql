-- Pay of assignments in post with a salary, by month, geography and breakdown: how many,
-- median, quartiles and mean of the full-time-equivalent salary. Exact (platform staff
-- only); published.psw_pay applies the pay rule and disclosure control.
with pay as (
    select * from {{ ref('int_pay_cells') }}
)

select
    period_end,
    geography_level,
    geography_code,
    geography_name,
    breakdown,
    category,
    category_label,
    sort_order,
    assignments,
    median_salary_fte,
    lower_quartile_salary_fte,
    upper_quartile_salary_fte,
    mean_salary_fte
from pay
