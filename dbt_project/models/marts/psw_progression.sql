-- Where each 12-month cohort went (docs/measures.md): people in
-- post at M-12 by their primary role family and band then, and their outcome at M (left,
-- band_up, band_down, role_changed, no_change), by month and geography. Exact (platform
-- staff only); published.psw_progression perturbs the counts.
select
    period_end,
    geography_level,
    geography_code,
    geography_name,
    role_family,
    role_family_label,
    role_family_sort_order,
    afc_band,
    afc_band_label,
    afc_band_sort_order,
    outcome,
    outcome_sort_order,
    headcount
from {{ ref('int_progression_cells') }}
