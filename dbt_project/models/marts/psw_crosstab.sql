-- Distinct staff in post by pairs of dimensions (int_crosstab_cells lists the spec's pairs), by month and
-- geography: a person counts in a cell when one of their in-post assignments has both
-- categories. Exact (platform staff only); published.psw_crosstab perturbs the counts.
select
    period_end,
    geography_level,
    geography_code,
    geography_name,
    row_dimension,
    row_category,
    row_category_label,
    row_sort_order,
    col_dimension,
    col_category,
    col_category_label,
    col_sort_order,
    headcount
from {{ ref('int_crosstab_cells') }}
