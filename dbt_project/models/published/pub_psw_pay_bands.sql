{{ config(alias='psw_pay_bands') }}
-- psw_pay_bands with disclosure control at every level (the afc_band cells of
-- int_disclosure_cells, so the same figures as psw_role_diversity's afc_band rows).
with pay_bands as (
    select * from {{ ref('psw_pay_bands') }}
),

cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'breakdown' and dimension = 'afc_band'
)

select
    pay_bands.period_end,
    pay_bands.geography_level,
    pay_bands.geography_code,
    pay_bands.geography_name,
    pay_bands.afc_band,
    pay_bands.afc_band_label,
    pay_bands.sort_order,
    {{ sdc_breakdown_measures('pay_bands', 'cells') }}
from pay_bands
inner join cells
    on
        pay_bands.period_end = cells.period_end
        and pay_bands.geography_level = cells.geography_level
        and pay_bands.geography_code = cells.geography_code
        and pay_bands.afc_band = cells.category
