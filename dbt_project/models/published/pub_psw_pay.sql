{{ config(alias='psw_pay') }}
-- psw_pay with disclosure control: `assignments` perturbed like every count (the pay
-- cells of int_disclosure_cells), and the pay rule: pay figures only where at least
-- sdc_pay_min_assignments() assignments contribute (their true count), each rounded to
-- the nearest sdc_pay_rounding_gbp() pounds, halves up, at every level.
with pay as (
    select * from {{ ref('psw_pay') }}
),

cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'pay'
)

select
    pay.period_end,
    pay.geography_level,
    pay.geography_code,
    pay.geography_name,
    pay.breakdown,
    pay.category,
    pay.category_label,
    pay.sort_order,
    cells.published_value as assignments,
    {% for measure in ['median', 'lower_quartile', 'upper_quartile', 'mean'] %}
        case
            when pay.assignments >= {{ sdc_pay_min_assignments() }}
                then cast(
                    floor(pay.{{ measure }}_salary_fte / {{ sdc_pay_rounding_gbp() }} + 0.5)
                    * {{ sdc_pay_rounding_gbp() }} as bigint
                )
        end as {{ measure }}_salary_fte{% if not loop.last %},{% endif %}
    {% endfor %}
from pay
inner join cells
    on
        pay.period_end = cells.period_end
        and pay.geography_level = cells.geography_level
        and pay.geography_code = cells.geography_code
        and pay.breakdown = cells.dimension
        and pay.category = cells.category
