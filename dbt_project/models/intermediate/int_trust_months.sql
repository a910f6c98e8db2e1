-- Headcount, FTE, joiners and leavers of each trust month with a return in force.
-- Joiners and leavers need the previous calendar month in force too, else they are null.
-- A leaver is a person not in post at this month end who either has a leaving_date this
-- month or was in post last month and is absent now; someone ending one of two
-- assignments is still in post, so is not a leaver. Each count has its cell key: the sum
-- of its people's record keys (disclosure control).
with in_force as (
    select * from {{ ref('int_submissions_in_force') }}
),

staff as (
    select * from {{ ref('int_staff_months') }}
),

totals as (
    select
        in_force.trust_ods_code,
        in_force.period_end,
        count(staff.staff_key) filter (where staff.is_in_post) as headcount,
        coalesce(sum(staff.fte_in_post), 0) as fte,
        {{ sdc_cell_key('sum(staff.record_key) filter (where staff.is_in_post)') }}
            as headcount_key
    from in_force
    left join staff
        on
            in_force.trust_ods_code = staff.trust_ods_code
            and in_force.period_end = staff.period_end
    group by in_force.trust_ods_code, in_force.period_end
),

pairs as (
    select
        this_month.trust_ods_code,
        this_month.period_end,
        previous_month.period_end as previous_period_end
    from in_force as this_month
    inner join in_force as previous_month
        on
            this_month.trust_ods_code = previous_month.trust_ods_code
            and previous_month.period_end
            = {{ add_days("cast(date_trunc('month', this_month.period_end) as date)", -1) }}
),

staff_now as (
    select
        pairs.trust_ods_code,
        pairs.period_end,
        staff.staff_key,
        staff.record_key,
        staff.is_in_post,
        staff.has_leaving_date
    from pairs
    inner join staff
        on
            pairs.trust_ods_code = staff.trust_ods_code
            and pairs.period_end = staff.period_end
),

staff_before as (
    select
        pairs.trust_ods_code,
        pairs.period_end,
        staff.staff_key,
        staff.record_key
    from pairs
    inner join staff
        on
            pairs.trust_ods_code = staff.trust_ods_code
            and pairs.previous_period_end = staff.period_end
    where staff.is_in_post
),

compared as (
    select
        coalesce(staff_now.trust_ods_code, staff_before.trust_ods_code) as trust_ods_code,
        coalesce(staff_now.period_end, staff_before.period_end) as period_end,
        coalesce(staff_now.record_key, staff_before.record_key) as record_key,
        coalesce(staff_now.is_in_post, false) as in_post_now,
        coalesce(staff_now.has_leaving_date, false) as left_this_month,
        staff_before.staff_key is not null as in_post_before
    from staff_now
    full outer join staff_before
        on
            staff_now.trust_ods_code = staff_before.trust_ods_code
            and staff_now.period_end = staff_before.period_end
            and staff_now.staff_key = staff_before.staff_key
),

movements as (
    select
        trust_ods_code,
        period_end,
        count(*) filter (where in_post_now and not in_post_before) as joiners,
        count(*) filter (
            where not in_post_now and (left_this_month or in_post_before)
        ) as leavers,
        {{ sdc_cell_key('sum(record_key) filter (where in_post_now and not in_post_before)') }}
            as joiners_key,
        {{ sdc_cell_key(
            'sum(record_key) filter (where not in_post_now and (left_this_month or in_post_before))'
        ) }} as leavers_key
    from compared
    group by trust_ods_code, period_end
)

select
    totals.trust_ods_code,
    totals.period_end,
    totals.headcount,
    totals.headcount_key,
    totals.fte,
    pairs.trust_ods_code is not null as has_previous_month,
    case when pairs.trust_ods_code is not null then coalesce(movements.joiners, 0) end as joiners,
    case when pairs.trust_ods_code is not null then coalesce(movements.leavers, 0) end as leavers,
    coalesce(movements.joiners_key, 0) as joiners_key,
    coalesce(movements.leavers_key, 0) as leavers_key,
    previous_totals.headcount as previous_headcount,
    previous_totals.headcount_key as previous_headcount_key
from totals
left join pairs
    on
        totals.trust_ods_code = pairs.trust_ods_code
        and totals.period_end = pairs.period_end
left join movements
    on
        totals.trust_ods_code = movements.trust_ods_code
        and totals.period_end = movements.period_end
left join totals as previous_totals
    on
        pairs.trust_ods_code = previous_totals.trust_ods_code
        and pairs.previous_period_end = previous_totals.period_end
