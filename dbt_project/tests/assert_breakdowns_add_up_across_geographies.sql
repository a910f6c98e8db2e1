{{ config(meta={'dagster': {'ref': {'name': 'psw_role_diversity'}}}) }}
-- Every breakdown category: England = the sum of its regions = the sum of its trusts.
with breakdowns as (
    select * from {{ ref('int_geography_breakdowns') }}
),

by_level as (
    select
        period_end,
        dimension,
        category,
        geography_level,
        sum(headcount) as headcount
    from breakdowns
    group by period_end, dimension, category, geography_level
),

pivoted as (
    select
        period_end,
        dimension,
        category,
        sum(headcount) filter (where geography_level = 'national') as national,
        sum(headcount) filter (where geography_level = 'region') as regions,
        sum(headcount) filter (where geography_level = 'trust') as trusts
    from by_level
    group by period_end, dimension, category
)

select * from pivoted
where national != regions or regions != trusts
