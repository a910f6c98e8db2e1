-- The 12-month cohorts (docs/measures.md): for trust T at month
-- M, when T has a return in force (accepted or nil) for both M-12 and M, every person in
-- post in T at M-12, with their primary assignment then and now and their outcome, the
-- first that applies: left (not in post in T at M); band_up / band_down (primary band
-- higher / lower, not compared when either is not on Agenda for Change); role_changed
-- (primary role code differs); no_change. The stability index's stayers are the cohort
-- less its leavers. A gap in T's months between M-12 and M does not matter here; the
-- 12-month turnover needs every month (psw_retention).
with in_force as (
    select * from {{ ref('int_submissions_in_force') }}
),

primary_assignments as (
    select * from {{ ref('int_primary_assignments') }}
),

qualifying as (
    select
        this_month.trust_ods_code,
        this_month.period_end,
        year_before.period_end as start_period_end
    from in_force as this_month
    inner join in_force as year_before
        on
            this_month.trust_ods_code = year_before.trust_ods_code
            and {{ month_index('year_before.period_end') }}
            = {{ month_index('this_month.period_end') }} - 12
),

cohort as (
    select
        qualifying.trust_ods_code,
        qualifying.period_end,
        qualifying.start_period_end,
        start_primary.staff_key,
        start_primary.record_key,
        start_primary.role_category as start_role_category,
        start_primary.role_family as start_role_family,
        start_primary.afc_band as start_afc_band,
        start_primary.band_rank as start_band_rank,
        end_primary.role_category as end_role_category,
        end_primary.afc_band as end_afc_band,
        end_primary.band_rank as end_band_rank,
        end_primary.staff_key is not null as is_stayer
    from qualifying
    inner join primary_assignments as start_primary
        on
            qualifying.trust_ods_code = start_primary.trust_ods_code
            and qualifying.start_period_end = start_primary.period_end
    left join primary_assignments as end_primary
        on
            qualifying.trust_ods_code = end_primary.trust_ods_code
            and qualifying.period_end = end_primary.period_end
            and start_primary.staff_key = end_primary.staff_key
)

select
    *,
    case
        when not is_stayer then 'left'
        when start_band_rank > 0 and end_band_rank > 0 and end_band_rank > start_band_rank
            then 'band_up'
        when start_band_rank > 0 and end_band_rank > 0 and end_band_rank < start_band_rank
            then 'band_down'
        when end_role_category <> start_role_category then 'role_changed'
        else 'no_change'
    end as outcome
from cohort
