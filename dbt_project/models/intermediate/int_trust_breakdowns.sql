-- Distinct staff in post and their FTE per trust month, dimension and category. Every
-- category of the code list appears, with zeros, so secondary suppression and the
-- diversity index see the whole breakdown. A person in two categories counts in both.
-- cell_key is the sum of the cell's people's record keys (disclosure control).
-- Incremental by the submission in force (macros/in_force_increments.sql).
{{ config(
    materialized=in_force_materialization(),
    pre_hook="{{ drop_replaced_submissions() }}",
) }}

with assignments as (
    select * from {{ ref('int_assignments_in_force') }}
    where is_in_post and {{ new_in_force() }}
),

in_force as (
    select * from {{ ref('int_submissions_in_force') }}
    where {{ new_in_force() }}
),

code_labels as (
    select * from {{ ref('stg_reference__code_labels') }}
),

long_form as (
    {% for dimension in var('breakdown_dimensions') %}
        select
            trust_ods_code,
            period_end,
            staff_key,
            fte,
            '{{ dimension }}' as dimension,
            {{ dimension }} as category
        from assignments
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

people as (
    select
        trust_ods_code,
        period_end,
        dimension,
        category,
        staff_key,
        sum(fte) as fte
    from long_form
    group by trust_ods_code, period_end, dimension, category, staff_key
),

counted as (
    select
        trust_ods_code,
        period_end,
        dimension,
        category,
        count(*) as headcount,
        sum(fte) as fte,
        {{ sdc_cell_key('sum(' ~ sdc_record_key('staff_key') ~ ')') }} as cell_key
    from people
    group by trust_ods_code, period_end, dimension, category
),

grid as (
    select
        in_force.trust_ods_code,
        in_force.period_end,
        in_force.submission_id,
        code_labels.dimension,
        code_labels.code as category,
        code_labels.label as category_label,
        code_labels.sort_order
    from in_force
    cross join code_labels
    where code_labels.dimension in (
        {% for dimension in var('breakdown_dimensions') %}
            '{{ dimension }}'{% if not loop.last %},{% endif %}
        {% endfor %}
    )
)

select
    grid.trust_ods_code,
    grid.period_end,
    grid.submission_id,
    grid.dimension,
    grid.category,
    grid.category_label,
    grid.sort_order,
    coalesce(counted.headcount, 0) as headcount,
    coalesce(counted.fte, 0) as fte,
    coalesce(counted.cell_key, 0) as cell_key
from grid
left join counted
    on
        grid.trust_ods_code = counted.trust_ods_code
        and grid.period_end = counted.period_end
        and grid.dimension = counted.dimension
        and grid.category = counted.category
