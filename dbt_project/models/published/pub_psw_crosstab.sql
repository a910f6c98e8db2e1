{{ config(alias='psw_crosstab') }}
-- psw_crosstab with every count perturbed by its cell key (int_disclosure_cells).
with crosstab as (
    select * from {{ ref('psw_crosstab') }}
),

cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'crosstab'
)

select
    crosstab.period_end,
    crosstab.geography_level,
    crosstab.geography_code,
    crosstab.geography_name,
    crosstab.row_dimension,
    crosstab.row_category,
    crosstab.row_category_label,
    crosstab.row_sort_order,
    crosstab.col_dimension,
    crosstab.col_category,
    crosstab.col_category_label,
    crosstab.col_sort_order,
    cells.published_value as headcount
from crosstab
inner join cells
    on
        crosstab.period_end = cells.period_end
        and crosstab.geography_level = cells.geography_level
        and crosstab.geography_code = cells.geography_code
        and crosstab.row_dimension || '|' || crosstab.col_dimension = cells.dimension
        and crosstab.row_category || '|' || crosstab.col_category = cells.category
