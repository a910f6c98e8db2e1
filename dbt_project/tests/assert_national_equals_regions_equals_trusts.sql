{{ config(meta={'dagster': {'ref': {'name': 'psw_headcount'}}}) }}
-- Headcount, FTE, joiners and leavers: England = the sum of its regions = the sum of
-- its trusts, every month. Rows returned are months where that fails.
with headcount as (
    select * from {{ ref('psw_headcount') }}
),

by_level as (
    select
        period_end,
        geography_level,
        coalesce(sum(headcount), 0) as headcount,
        {{ round_to('coalesce(sum(fte), 0)', 2) }} as fte,
        coalesce(sum(joiners), 0) as joiners,
        coalesce(sum(leavers), 0) as leavers
    from headcount
    group by period_end, geography_level
)

select
    national.period_end,
    national.headcount as national_headcount,
    regions.headcount as regions_headcount,
    trusts.headcount as trusts_headcount
from by_level as national
inner join by_level as regions
    on national.period_end = regions.period_end and regions.geography_level = 'region'
inner join by_level as trusts
    on national.period_end = trusts.period_end and trusts.geography_level = 'trust'
where
    national.geography_level = 'national'
    and (
        national.headcount != regions.headcount
        or regions.headcount != trusts.headcount
        or abs(national.fte - regions.fte) > 0.05
        or abs(regions.fte - trusts.fte) > 0.05
        or national.joiners != regions.joiners
        or regions.joiners != trusts.joiners
        or national.leavers != regions.leavers
        or regions.leavers != trusts.leavers
    )
