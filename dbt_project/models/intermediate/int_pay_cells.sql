-- Pay per cell (docs/measures.md): over assignments in post
-- with a salary and fte above 0, the salary as given (already full-time equivalent), by
-- month, geography and breakdown (all, band, role, role family). Quantiles need every
-- salary of a cell, so region and England are worked out from the assignments, not from
-- trust figures.
-- cell_key: each person in the cell brings their record key once, and a derived key for
-- each further assignment, so a pay cell of the same people, one assignment each, as a
-- headcount cell has that cell's key and its noise (no second view of the same count).
with assignments as (
    select * from {{ ref('int_assignments_in_force') }}
    where is_in_post and annual_salary_fte_gbp is not null and fte > 0
),

rollup as (
    select * from {{ ref('int_geography_rollup') }}
),

code_labels as (
    select * from {{ ref('stg_reference__code_labels') }}
),

long_form as (
    {% for breakdown in ['all', 'afc_band', 'role_category', 'role_family'] %}
        select
            trust_ods_code,
            period_end,
            staff_key,
            annual_salary_fte_gbp as salary,
            '{{ breakdown }}' as breakdown,
            {{ "'all'" if breakdown == 'all' else breakdown }} as category
        from assignments
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

by_geography as (
    select
        long_form.*,
        rollup.geography_level,
        rollup.geography_code,
        rollup.geography_name
    from long_form
    inner join rollup
        on long_form.trust_ods_code = rollup.trust_ods_code
),

people as (
    -- One row per person in a cell (a person in two trusts of a region counts in each,
    -- as in every headcount): their record key, plus one derived key per further
    -- assignment.
    select
        period_end,
        geography_level,
        geography_code,
        breakdown,
        category,
        trust_ods_code,
        staff_key,
        {{ sdc_record_key('staff_key') }}
        + (count(*) - 1) * {{ sdc_record_key("staff_key || ':assignment'") }} as member_key
    from by_geography
    group by period_end, geography_level, geography_code, breakdown, category, trust_ods_code, staff_key
),

keys as (
    select
        period_end,
        geography_level,
        geography_code,
        breakdown,
        category,
        {{ sdc_cell_key('sum(member_key)') }} as cell_key
    from people
    group by period_end, geography_level, geography_code, breakdown, category
),

pay as (
    select
        period_end,
        geography_level,
        geography_code,
        min(geography_name) as geography_name,
        breakdown,
        category,
        count(*) as assignments,
        {{ quantile_cont('salary', 0.5) }} as median_salary_fte,
        {{ quantile_cont('salary', 0.25) }} as lower_quartile_salary_fte,
        {{ quantile_cont('salary', 0.75) }} as upper_quartile_salary_fte,
        avg(salary) as mean_salary_fte
    from by_geography
    group by period_end, geography_level, geography_code, breakdown, category
)

select
    pay.period_end,
    pay.geography_level,
    pay.geography_code,
    pay.geography_name,
    pay.breakdown,
    pay.category,
    case when pay.breakdown = 'all' then 'All' else code_labels.label end as category_label,
    case when pay.breakdown = 'all' then 0 else code_labels.sort_order end as sort_order,
    cast(pay.assignments as bigint) as assignments,
    pay.median_salary_fte,
    pay.lower_quartile_salary_fte,
    pay.upper_quartile_salary_fte,
    pay.mean_salary_fte,
    keys.cell_key
from pay
inner join keys
    on
        pay.period_end = keys.period_end
        and pay.geography_level = keys.geography_level
        and pay.geography_code = keys.geography_code
        and pay.breakdown = keys.breakdown
        and pay.category = keys.category
left join code_labels
    on
        pay.breakdown = code_labels.dimension
        and pay.category = code_labels.code
