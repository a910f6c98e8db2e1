-- Headcount, FTE, joiners, leavers and turnover by month at national, region and trust
-- level. National and regional figures are sums over the trusts with a return in force;
-- joiners, leavers and turnover over the trusts whose previous month is in force too
-- (trusts_compared). Regions appear every month, trusts only in months they submitted.
-- trusts_expected counts the trusts open that month (registry dates). In a merger month
-- (int_merger_months) the successor's joiners and leavers cannot be linked to the closed
-- trust's staff, so they are left out (the trust is not compared) and merger_in_month
-- flags the row and the rows above it. The *_key columns are the counts' cell keys for
-- disclosure control (sums of their trusts' keys); they are not published.
with trust_months as (
    select * from {{ ref('int_trust_months') }}
),

trusts as (
    select * from {{ ref('stg_reference__trusts') }}
),

months as (
    select * from {{ ref('int_reporting_months') }}
),

merger_months as (
    select * from {{ ref('int_merger_months') }}
),

rollup as (
    select * from {{ ref('int_geography_rollup') }}
),

trust_months_compared as (
    select
        trust_months.*,
        merger_months.trust_ods_code is not null as merger_in_month,
        trust_months.has_previous_month and merger_months.trust_ods_code is null as is_compared
    from trust_months
    left join merger_months
        on
            trust_months.trust_ods_code = merger_months.trust_ods_code
            and trust_months.period_end = merger_months.period_end
),

-- Each trust month in force, with what counts towards the figures above it.
trust_figures as (
    select
        period_end,
        trust_ods_code,
        headcount,
        fte,
        is_compared,
        case when is_compared then joiners end as joiners,
        case when is_compared then leavers end as leavers,
        case when is_compared then headcount end as compared_headcount,
        case when is_compared then previous_headcount end as compared_previous_headcount,
        headcount_key,
        case when is_compared then joiners_key end as joiners_key,
        case when is_compared then leavers_key end as leavers_key,
        case when is_compared then headcount_key end as compared_headcount_key,
        case when is_compared then previous_headcount_key end as compared_previous_headcount_key,
        merger_in_month
    from trust_months_compared
),

open_trusts as (
    select
        months.period_end,
        trusts.trust_ods_code
    from months
    cross join trusts
    where {{ trust_is_open('trusts', 'months.period_end') }}
),

-- The rows of the mart: every region and England every month, a trust in the months
-- it has a return in force.
geographies as (
    select distinct
        months.period_end,
        rollup.geography_level,
        rollup.geography_code,
        rollup.geography_name,
        rollup.parent_geography_code
    from months
    cross join rollup
    where rollup.geography_level != 'trust'
    union all
    select
        trust_figures.period_end,
        rollup.geography_level,
        rollup.geography_code,
        rollup.geography_name,
        rollup.parent_geography_code
    from trust_figures
    inner join rollup
        on
            trust_figures.trust_ods_code = rollup.trust_ods_code
            and rollup.geography_level = 'trust'
),

-- Every trust month that counts anywhere: open that month (expected), with a return in
-- force, or both (a return may come for a month the registry has closed).
trust_months_counted as (
    select
        coalesce(trust_figures.period_end, open_trusts.period_end) as period_end,
        coalesce(trust_figures.trust_ods_code, open_trusts.trust_ods_code) as trust_ods_code,
        open_trusts.trust_ods_code is not null as is_expected,
        trust_figures.trust_ods_code is not null as has_return,
        trust_figures.headcount,
        trust_figures.fte,
        trust_figures.is_compared,
        trust_figures.joiners,
        trust_figures.leavers,
        trust_figures.compared_headcount,
        trust_figures.compared_previous_headcount,
        trust_figures.headcount_key,
        trust_figures.joiners_key,
        trust_figures.leavers_key,
        trust_figures.compared_headcount_key,
        trust_figures.compared_previous_headcount_key,
        trust_figures.merger_in_month
    from trust_figures
    full outer join open_trusts
        on
            trust_figures.trust_ods_code = open_trusts.trust_ods_code
            and trust_figures.period_end = open_trusts.period_end
),

-- The trust months rolled up: each counts towards itself, its region and England.
figures as (
    select
        trust_months_counted.period_end,
        rollup.geography_level,
        rollup.geography_code,
        cast(sum(trust_months_counted.headcount) as bigint) as headcount,
        sum(trust_months_counted.fte) as fte,
        cast(sum(trust_months_counted.joiners) as bigint) as joiners,
        cast(sum(trust_months_counted.leavers) as bigint) as leavers,
        cast(count(*) filter (where trust_months_counted.has_return) as bigint)
            as trusts_submitted,
        cast(count(*) filter (where trust_months_counted.is_expected) as bigint)
            as trusts_expected,
        cast(count(*) filter (where trust_months_counted.is_compared) as bigint)
            as trusts_compared,
        cast(sum(trust_months_counted.compared_headcount) as bigint) as compared_headcount,
        cast(sum(trust_months_counted.compared_previous_headcount) as bigint)
            as compared_previous_headcount,
        {% for measure in ['headcount', 'joiners', 'leavers', 'compared_headcount', 'compared_previous_headcount'] %}
            {{ sdc_cell_key('sum(trust_months_counted.' ~ measure ~ '_key)') }} as {{ measure }}_key,
        {% endfor %}
        bool_or(trust_months_counted.merger_in_month) as merger_in_month
    from trust_months_counted
    inner join rollup
        on trust_months_counted.trust_ods_code = rollup.trust_ods_code
    group by
        trust_months_counted.period_end,
        rollup.geography_level,
        rollup.geography_code
),

all_levels as (
    select
        geographies.*,
        figures.headcount,
        figures.fte,
        figures.joiners,
        figures.leavers,
        coalesce(figures.trusts_submitted, 0) as trusts_submitted,
        coalesce(figures.trusts_expected, 0) as trusts_expected,
        coalesce(figures.trusts_compared, 0) as trusts_compared,
        figures.compared_headcount,
        figures.compared_previous_headcount,
        {% for measure in ['headcount', 'joiners', 'leavers', 'compared_headcount', 'compared_previous_headcount'] %}
            figures.{{ measure }}_key,
        {% endfor %}
        coalesce(figures.merger_in_month, false) as merger_in_month
    from geographies
    left join figures
        on
            geographies.period_end = figures.period_end
            and geographies.geography_level = figures.geography_level
            and geographies.geography_code = figures.geography_code
)

select
    period_end,
    geography_level,
    geography_code,
    geography_name,
    parent_geography_code,
    headcount,
    {{ round_to('fte', 2) }} as fte,
    case when trusts_compared > 0 then joiners end as joiners,
    case when trusts_compared > 0 then leavers end as leavers,
    case
        when trusts_compared > 0 and compared_headcount + compared_previous_headcount > 0
            then cast(leavers as {{ type_double() }}) / ((compared_headcount + compared_previous_headcount) / 2.0)
    end as turnover_rate,
    trusts_submitted,
    trusts_expected,
    trusts_compared,
    compared_headcount,
    compared_previous_headcount,
    merger_in_month,
    headcount_key,
    joiners_key,
    leavers_key,
    compared_headcount_key,
    compared_previous_headcount_key
from all_levels
