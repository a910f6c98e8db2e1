{{ config(alias='psw_progression') }}
-- psw_progression with every count perturbed by its cell key (int_disclosure_cells).
with progression as (
    select * from {{ ref('psw_progression') }}
),

cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'progression'
)

select
    progression.period_end,
    progression.geography_level,
    progression.geography_code,
    progression.geography_name,
    progression.role_family,
    progression.role_family_label,
    progression.role_family_sort_order,
    progression.afc_band,
    progression.afc_band_label,
    progression.afc_band_sort_order,
    progression.outcome,
    progression.outcome_sort_order,
    cells.published_value as headcount
from progression
inner join cells
    on
        progression.period_end = cells.period_end
        and progression.geography_level = cells.geography_level
        and progression.geography_code = cells.geography_code
        and progression.role_family || '|' || progression.afc_band = cells.dimension
        and progression.outcome = cells.category
