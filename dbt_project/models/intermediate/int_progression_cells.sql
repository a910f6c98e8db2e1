-- The 12-month outcomes of each cohort (int_retention_cohorts) counted by the primary role
-- family and band at M-12 and outcome, at trust, region and England (a region sums the
-- cohorts of its trusts that qualify). Only cells with people: a true 0 is published as
-- 0, so an absent cell tells no more than a zero would. cell_key is the sum of the
-- cell's people's record keys.
with cohorts as (
    select * from {{ ref('int_retention_cohorts') }}
),

rollup as (
    select * from {{ ref('int_geography_rollup') }}
),

code_labels as (
    select * from {{ ref('stg_reference__code_labels') }}
),

counted as (
    select
        cohorts.period_end,
        rollup.geography_level,
        rollup.geography_code,
        min(rollup.geography_name) as geography_name,
        cohorts.start_role_family as role_family,
        cohorts.start_afc_band as afc_band,
        cohorts.outcome,
        cast(count(*) as bigint) as headcount,
        {{ sdc_cell_key('sum(cohorts.record_key)') }} as cell_key
    from cohorts
    inner join rollup
        on cohorts.trust_ods_code = rollup.trust_ods_code
    group by
        cohorts.period_end,
        rollup.geography_level,
        rollup.geography_code,
        cohorts.start_role_family,
        cohorts.start_afc_band,
        cohorts.outcome
)

select
    counted.period_end,
    counted.geography_level,
    counted.geography_code,
    counted.geography_name,
    counted.role_family,
    family_labels.label as role_family_label,
    family_labels.sort_order as role_family_sort_order,
    counted.afc_band,
    band_labels.label as afc_band_label,
    band_labels.sort_order as afc_band_sort_order,
    counted.outcome,
    case counted.outcome
        when 'left' then 1
        when 'band_up' then 2
        when 'band_down' then 3
        when 'role_changed' then 4
        else 5
    end as outcome_sort_order,
    counted.headcount,
    counted.cell_key
from counted
left join code_labels as family_labels
    on
        family_labels.dimension = 'role_family'
        and counted.role_family = family_labels.code
left join code_labels as band_labels
    on
        band_labels.dimension = 'afc_band'
        and counted.afc_band = band_labels.code
