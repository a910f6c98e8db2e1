-- Distinct staff in post by a pair of dimensions (docs/measures.md): a person counts in
-- a cell when one of their in-post assignments has both
-- categories, so a person with two assignments can count in two cells of a pair. The
-- pairs are the spec's, rows by columns (written here, the one place); an assignment without a category on either side (not
-- stated) is in no cell of that pair. Trust counts roll up through int_geography_rollup
-- (a person in two trusts of a region counts in each, as in every headcount); a cell's
-- key is the sum of its people's record keys, so a cell of the same people as a one-way
-- breakdown's cell has that cell's key and its published value.
{% set crosstab_pairs = [
    ['role_category', 'afc_band'],
    ['role_family', 'afc_band'],
    ['role_family', 'peer_supervision'],
    ['role_family', 'training'],
    ['afc_band', 'training'],
    ['role_family', 'employing_sector'],
    ['role_family', 'contract_type'],
] %}

with assignments as (
    select * from {{ ref('int_assignments_in_force') }}
    where is_in_post
),

rollup as (
    select * from {{ ref('int_geography_rollup') }}
),

code_labels as (
    select * from {{ ref('stg_reference__code_labels') }}
),

long_form as (
    {% for pair in crosstab_pairs %}
        select distinct
            trust_ods_code,
            period_end,
            staff_key,
            '{{ pair[0] }}' as row_dimension,
            {{ pair[0] }} as row_category,
            '{{ pair[1] }}' as col_dimension,
            {{ pair[1] }} as col_category
        from assignments
        where {{ pair[0] }} is not null and {{ pair[1] }} is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

trust_cells as (
    select
        trust_ods_code,
        period_end,
        row_dimension,
        row_category,
        col_dimension,
        col_category,
        count(*) as headcount,
        sum({{ sdc_record_key('staff_key') }}) as key_sum
    from long_form
    group by trust_ods_code, period_end, row_dimension, row_category, col_dimension, col_category
),

all_levels as (
    select
        trust_cells.period_end,
        rollup.geography_level,
        rollup.geography_code,
        min(rollup.geography_name) as geography_name,
        trust_cells.row_dimension,
        trust_cells.row_category,
        trust_cells.col_dimension,
        trust_cells.col_category,
        cast(sum(trust_cells.headcount) as bigint) as headcount,
        {{ sdc_cell_key('sum(trust_cells.key_sum)') }} as cell_key
    from trust_cells
    inner join rollup
        on trust_cells.trust_ods_code = rollup.trust_ods_code
    group by
        trust_cells.period_end,
        rollup.geography_level,
        rollup.geography_code,
        trust_cells.row_dimension,
        trust_cells.row_category,
        trust_cells.col_dimension,
        trust_cells.col_category
)

select
    all_levels.period_end,
    all_levels.geography_level,
    all_levels.geography_code,
    all_levels.geography_name,
    all_levels.row_dimension,
    all_levels.row_category,
    row_labels.label as row_category_label,
    row_labels.sort_order as row_sort_order,
    all_levels.col_dimension,
    all_levels.col_category,
    col_labels.label as col_category_label,
    col_labels.sort_order as col_sort_order,
    all_levels.headcount,
    all_levels.cell_key
from all_levels
left join code_labels as row_labels
    on
        all_levels.row_dimension = row_labels.dimension
        and all_levels.row_category = row_labels.code
left join code_labels as col_labels
    on
        all_levels.col_dimension = col_labels.dimension
        and all_levels.col_category = col_labels.code
