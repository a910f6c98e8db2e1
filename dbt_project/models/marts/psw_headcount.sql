-- Headcount, FTE, joiners, leavers and turnover by month at national, region and trust
-- level. National and regional figures are sums over the trusts with a return in force;
-- joiners, leavers and turnover over the trusts whose previous month is in force too
-- (trusts_compared). Regions appear every month, trusts only in months they submitted.
-- trusts_expected counts the trusts open that month (registry dates). In a merger month
-- (int_merger_months) the successor's joiners and leavers cannot be linked to the closed
-- trust's staff, so they are left out (the trust is not compared) and merger_in_month
-- flags the row and the rows above it.
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

trust_level as (
    select
        trust_months.period_end,
        'trust' as geography_level,
        trust_months.trust_ods_code as geography_code,
        trusts.trust_name as geography_name,
        trusts.region_code as parent_geography_code,
        trust_months.headcount,
        trust_months.fte,
        case when trust_months.is_compared then trust_months.joiners end as joiners,
        case when trust_months.is_compared then trust_months.leavers end as leavers,
        1 as trusts_submitted,
        case when {{ trust_is_open('trusts', 'trust_months.period_end') }} then 1 else 0 end
            as trusts_expected,
        case when trust_months.is_compared then 1 else 0 end as trusts_compared,
        case when trust_months.is_compared then trust_months.headcount end
            as compared_headcount,
        case when trust_months.is_compared then trust_months.previous_headcount end
            as compared_previous_headcount,
        trust_months.merger_in_month
    from trust_months_compared as trust_months
    inner join trusts
        on trust_months.trust_ods_code = trusts.trust_ods_code
),

region_grid as (
    select
        months.period_end,
        trusts.region_code,
        min(trusts.region_name) as region_name,
        cast(count(*) filter (
            where {{ trust_is_open('trusts', 'months.period_end') }}
        ) as bigint) as trusts_expected
    from months
    cross join trusts
    group by months.period_end, trusts.region_code
),

region_level as (
    select
        region_grid.period_end,
        'region' as geography_level,
        region_grid.region_code as geography_code,
        region_grid.region_name as geography_name,
        'ENG' as parent_geography_code,
        cast(sum(trust_level.headcount) as bigint) as headcount,
        sum(trust_level.fte) as fte,
        cast(sum(trust_level.joiners) as bigint) as joiners,
        cast(sum(trust_level.leavers) as bigint) as leavers,
        cast(count(trust_level.geography_code) as bigint) as trusts_submitted,
        region_grid.trusts_expected,
        coalesce(cast(sum(trust_level.trusts_compared) as bigint), 0) as trusts_compared,
        cast(sum(trust_level.compared_headcount) as bigint) as compared_headcount,
        cast(sum(trust_level.compared_previous_headcount) as bigint) as compared_previous_headcount,
        coalesce(bool_or(trust_level.merger_in_month), false) as merger_in_month
    from region_grid
    left join trust_level
        on
            region_grid.period_end = trust_level.period_end
            and region_grid.region_code = trust_level.parent_geography_code
    group by
        region_grid.period_end,
        region_grid.region_code,
        region_grid.region_name,
        region_grid.trusts_expected
),

national_level as (
    select
        period_end,
        'national' as geography_level,
        'ENG' as geography_code,
        'England' as geography_name,
        cast(null as {{ type_text() }}) as parent_geography_code,
        cast(sum(headcount) as bigint) as headcount,
        sum(fte) as fte,
        cast(sum(joiners) as bigint) as joiners,
        cast(sum(leavers) as bigint) as leavers,
        cast(sum(trusts_submitted) as bigint) as trusts_submitted,
        cast(sum(trusts_expected) as bigint) as trusts_expected,
        cast(sum(trusts_compared) as bigint) as trusts_compared,
        cast(sum(compared_headcount) as bigint) as compared_headcount,
        cast(sum(compared_previous_headcount) as bigint) as compared_previous_headcount,
        bool_or(merger_in_month) as merger_in_month
    from region_level
    group by period_end
),

all_levels as (
    select * from trust_level
    union all
    select * from region_level
    union all
    select * from national_level
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
    merger_in_month
from all_levels
