-- Every count analysts see, at every level, with its published value decided once:
-- the true count plus the noise its cell key picks (macros/disclosure_control.sql).
-- published_total is a breakdown's sum of published counts, the denominator of its
-- published shares. Not served: the published models read it.
with breakdowns as (
    select * from {{ ref('int_geography_breakdowns') }}
),

headcount as (
    select * from {{ ref('psw_headcount') }}
),

pay as (
    select * from {{ ref('int_pay_cells') }}
),

retention as (
    select * from {{ ref('psw_retention') }}
),

progression as (
    select * from {{ ref('int_progression_cells') }}
),

crosstab as (
    select * from {{ ref('int_crosstab_cells') }}
),

cells as (
    select
        'breakdown' as source_table,
        period_end,
        geography_level,
        geography_code,
        dimension,
        category,
        headcount as value,
        cell_key
    from breakdowns
    {#- A table's counts of a place and month, one cell each, keyed by <measure>_key. -#}
    {% for table, measures in [
        ('headcount', ['headcount', 'joiners', 'leavers', 'compared_headcount', 'compared_previous_headcount']),
        ('retention', ['stability_cohort', 'stability_stayers', 'turnover_12m_leavers', 'turnover_12m_start_headcount', 'turnover_12m_end_headcount']),
    ] %}
        {% for measure in measures %}
            union all
            select
                '{{ table }}' as source_table,
                period_end,
                geography_level,
                geography_code,
                '{{ measure }}' as dimension,
                '{{ measure }}' as category,
                {{ measure }} as value,
                {{ measure }}_key as cell_key
            from {{ table }}
            where {{ measure }} is not null
        {% endfor %}
    {% endfor %}
    union all
    select
        'pay' as source_table,
        period_end,
        geography_level,
        geography_code,
        breakdown as dimension,
        category,
        assignments as value,
        cell_key
    from pay
    union all
    select
        'progression' as source_table,
        period_end,
        geography_level,
        geography_code,
        role_family || '|' || afc_band as dimension,
        outcome as category,
        headcount as value,
        cell_key
    from progression
    union all
    select
        'crosstab' as source_table,
        period_end,
        geography_level,
        geography_code,
        row_dimension || '|' || col_dimension as dimension,
        row_category || '|' || col_category as category,
        headcount as value,
        cell_key
    from crosstab
),

perturbed as (
    select
        *,
        {{ sdc_perturb('value', 'cell_key') }} as published_value
    from cells
)

select
    source_table,
    period_end,
    geography_level,
    geography_code,
    dimension,
    category,
    value,
    cell_key,
    published_value,
    sum(published_value) over (
        partition by source_table, period_end, geography_level, geography_code, dimension
    ) as published_total
from perturbed
