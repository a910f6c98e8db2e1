-- The NHS's 12-month retention measures by month and geography (docs/measures.md),
-- exact (published.psw_retention perturbs the counts):
-- - stability index at M: of the staff in post at M-12 (the cohort), the share still in
--   post at M, over trusts with a return in force for both months;
-- - 12-month turnover at M: the monthly leavers of M-11..M over the mean of the headcount
--   at M-12 and M, over trusts with a return for every month M-12..M whose leavers are
--   counted every month (a merger month, with no leavers, breaks the run).
-- Region and England sum numerators and denominators over the trusts that qualify. Every
-- region and England appear every month, a trust in the months it has a return. The
-- *_key columns are the counts' cell keys (sums of their people's record keys).
with trust_months as (
    select * from {{ ref('int_trust_months') }}
),

merger_months as (
    select * from {{ ref('int_merger_months') }}
),

cohorts as (
    select * from {{ ref('int_retention_cohorts') }}
),

in_force as (
    select * from {{ ref('int_submissions_in_force') }}
),

months as (
    select * from {{ ref('int_reporting_months') }}
),

rollup as (
    select * from {{ ref('int_geography_rollup') }}
),

numbered as (
    select
        trust_months.trust_ods_code,
        trust_months.period_end,
        {{ month_index('trust_months.period_end') }} as month_number,
        trust_months.headcount,
        trust_months.headcount_key,
        trust_months.leavers,
        trust_months.leavers_key,
        trust_months.has_previous_month and merger_months.trust_ods_code is null as is_compared
    from trust_months
    left join merger_months
        on
            trust_months.trust_ods_code = merger_months.trust_ods_code
            and trust_months.period_end = merger_months.period_end
),

-- Trusts with a return for M and M-12, with their cohort (possibly none: a nil return).
stability as (
    select
        this_month.trust_ods_code,
        this_month.period_end,
        count(cohorts.staff_key) as cohort,
        count(cohorts.staff_key) filter (where cohorts.is_stayer) as stayers,
        sum(cohorts.record_key) as cohort_key_sum,
        sum(cohorts.record_key) filter (where cohorts.is_stayer) as stayers_key_sum
    from in_force as this_month
    inner join in_force as year_before
        on
            this_month.trust_ods_code = year_before.trust_ods_code
            and {{ month_index('year_before.period_end') }}
            = {{ month_index('this_month.period_end') }} - 12
    left join cohorts
        on
            this_month.trust_ods_code = cohorts.trust_ods_code
            and this_month.period_end = cohorts.period_end
    group by this_month.trust_ods_code, this_month.period_end
),

-- Trusts whose leavers are counted in each of M-11..M (so with returns for M-12..M).
turnover as (
    select
        this_month.trust_ods_code,
        this_month.period_end,
        min(this_month.month_number) as month_number,
        sum(window_month.leavers) as leavers,
        sum(window_month.leavers_key) as leavers_key_sum,
        min(this_month.headcount) as end_headcount,
        min(this_month.headcount_key) as end_headcount_key
    from numbered as this_month
    inner join numbered as window_month
        on
            this_month.trust_ods_code = window_month.trust_ods_code
            and window_month.month_number
            between this_month.month_number - 11 and this_month.month_number
    group by this_month.trust_ods_code, this_month.period_end
    having count(*) filter (where window_month.is_compared) = 12
),

turnover_with_start as (
    select
        turnover.*,
        year_before.headcount as start_headcount,
        year_before.headcount_key as start_headcount_key
    from turnover
    inner join numbered as year_before
        on
            turnover.trust_ods_code = year_before.trust_ods_code
            and year_before.month_number = turnover.month_number - 12
),

trust_figures as (
    select
        coalesce(stability.trust_ods_code, turnover_with_start.trust_ods_code) as trust_ods_code,
        coalesce(stability.period_end, turnover_with_start.period_end) as period_end,
        stability.trust_ods_code is not null as is_stability_trust,
        turnover_with_start.trust_ods_code is not null as is_turnover_trust,
        stability.cohort,
        stability.stayers,
        stability.cohort_key_sum,
        stability.stayers_key_sum,
        turnover_with_start.leavers,
        turnover_with_start.leavers_key_sum,
        turnover_with_start.start_headcount,
        turnover_with_start.start_headcount_key,
        turnover_with_start.end_headcount,
        turnover_with_start.end_headcount_key
    from stability
    full outer join turnover_with_start
        on
            stability.trust_ods_code = turnover_with_start.trust_ods_code
            and stability.period_end = turnover_with_start.period_end
),

figures as (
    select
        trust_figures.period_end,
        rollup.geography_level,
        rollup.geography_code,
        cast(count(*) filter (where trust_figures.is_stability_trust) as bigint)
            as stability_trusts,
        cast(sum(trust_figures.cohort) as bigint) as stability_cohort,
        cast(sum(trust_figures.stayers) as bigint) as stability_stayers,
        {{ sdc_cell_key('sum(trust_figures.cohort_key_sum)') }} as stability_cohort_key,
        {{ sdc_cell_key('sum(trust_figures.stayers_key_sum)') }} as stability_stayers_key,
        cast(count(*) filter (where trust_figures.is_turnover_trust) as bigint)
            as turnover_trusts,
        cast(sum(trust_figures.leavers) as bigint) as turnover_12m_leavers,
        cast(sum(trust_figures.start_headcount) as bigint) as turnover_12m_start_headcount,
        cast(sum(trust_figures.end_headcount) as bigint) as turnover_12m_end_headcount,
        {{ sdc_cell_key('sum(trust_figures.leavers_key_sum)') }} as turnover_12m_leavers_key,
        {{ sdc_cell_key('sum(trust_figures.start_headcount_key)') }}
            as turnover_12m_start_headcount_key,
        {{ sdc_cell_key('sum(trust_figures.end_headcount_key)') }}
            as turnover_12m_end_headcount_key
    from trust_figures
    inner join rollup
        on trust_figures.trust_ods_code = rollup.trust_ods_code
    group by trust_figures.period_end, rollup.geography_level, rollup.geography_code
),

geographies as (
    select
        months.period_end,
        rollup.geography_level,
        rollup.geography_code,
        min(rollup.geography_name) as geography_name
    from months
    cross join rollup
    where rollup.geography_level != 'trust'
    group by months.period_end, rollup.geography_level, rollup.geography_code
    union all
    select
        trust_months.period_end,
        rollup.geography_level,
        rollup.geography_code,
        rollup.geography_name
    from trust_months
    inner join rollup
        on
            trust_months.trust_ods_code = rollup.trust_ods_code
            and rollup.geography_level = 'trust'
)

select
    geographies.period_end,
    geographies.geography_level,
    geographies.geography_code,
    geographies.geography_name,
    coalesce(figures.stability_trusts, 0) as stability_trusts,
    case when figures.stability_trusts > 0 then figures.stability_cohort end as stability_cohort,
    case when figures.stability_trusts > 0 then figures.stability_stayers end as stability_stayers,
    case
        when figures.stability_cohort > 0
            then cast(figures.stability_stayers as {{ type_double() }}) / figures.stability_cohort
    end as stability_index,
    coalesce(figures.turnover_trusts, 0) as turnover_trusts,
    case when figures.turnover_trusts > 0 then figures.turnover_12m_leavers end
        as turnover_12m_leavers,
    case when figures.turnover_trusts > 0 then figures.turnover_12m_start_headcount end
        as turnover_12m_start_headcount,
    case when figures.turnover_trusts > 0 then figures.turnover_12m_end_headcount end
        as turnover_12m_end_headcount,
    case
        when figures.turnover_trusts > 0
            then cast(
                figures.turnover_12m_start_headcount + figures.turnover_12m_end_headcount
                as {{ type_double() }}
            ) / 2
    end as turnover_12m_mean_headcount,
    case
        when figures.turnover_12m_start_headcount + figures.turnover_12m_end_headcount > 0
            then cast(figures.turnover_12m_leavers as {{ type_double() }}) / (
                (figures.turnover_12m_start_headcount + figures.turnover_12m_end_headcount) / 2.0
            )
    end as turnover_12m,
    figures.stability_cohort_key,
    figures.stability_stayers_key,
    figures.turnover_12m_leavers_key,
    figures.turnover_12m_start_headcount_key,
    figures.turnover_12m_end_headcount_key
from geographies
left join figures
    on
        geographies.period_end = figures.period_end
        and geographies.geography_level = figures.geography_level
        and geographies.geography_code = figures.geography_code
