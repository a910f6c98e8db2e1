-- Each person's primary assignment in each trust month they are in post
-- (docs/measures.md): the in-post assignment with the highest fte; ties go to
-- the higher band (a band not on Agenda for Change counts below band 2), then to the role
-- code first in alphabetical order. band_rank orders the bands as the standard lists
-- them (2 < 3 < ... < 9), NON_AFC 0: progression compares bands by it.
with assignments as (
    select * from {{ ref('int_assignments_in_force') }}
    where is_in_post
),

band_ranks as (
    select
        code as afc_band,
        case when code = 'NON_AFC' then 0 else sort_order end as band_rank
    from {{ ref('stg_reference__code_labels') }}
    where dimension = 'afc_band'
),

ranked as (
    select
        assignments.trust_ods_code,
        assignments.period_end,
        assignments.staff_key,
        assignments.role_category,
        assignments.role_family,
        assignments.afc_band,
        coalesce(band_ranks.band_rank, 0) as band_rank,
        row_number() over (
            partition by assignments.trust_ods_code, assignments.period_end, assignments.staff_key
            order by
                assignments.fte desc nulls last,
                coalesce(band_ranks.band_rank, 0) desc,
                assignments.role_category asc
        ) as preference
    from assignments
    left join band_ranks
        on assignments.afc_band = band_ranks.afc_band
)

select
    trust_ods_code,
    period_end,
    staff_key,
    {{ sdc_record_key('staff_key') }} as record_key,
    role_category,
    role_family,
    afc_band,
    band_rank
from ranked
where preference = 1
