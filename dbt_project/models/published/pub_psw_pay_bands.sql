{{ config(alias='psw_pay_bands') }}
-- psw_pay_bands with disclosure control below national level.
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
    {{ sdc_count('pay_bands.headcount', 'cells.is_suppressed', 'pay_bands.geography_level') }}
        as headcount,
    {{ sdc_flag('pay_bands.headcount', 'cells.is_primary', 'cells.is_suppressed',
        'pay_bands.geography_level') }} as headcount_flag,
    case
        when pay_bands.geography_level = 'national' then pay_bands.fte
        when cells.is_suppressed then null
        else round(pay_bands.fte, 1)
    end as fte,
    case
        when pay_bands.geography_level = 'national' then pay_bands.headcount_share
        else {{ sdc_ratio('pay_bands.headcount', 'pay_bands.breakdown_total',
            'cells.is_suppressed', sdc_is_small('pay_bands.breakdown_total')) }}
    end as headcount_share
from pay_bands
inner join cells
    on
        pay_bands.period_end = cells.period_end
        and pay_bands.geography_level = cells.geography_level
        and pay_bands.geography_code = cells.geography_code
        and pay_bands.afc_band = cells.category
