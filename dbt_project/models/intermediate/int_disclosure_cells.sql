-- Every count analysts see below national level, with its suppression decided once:
-- primary (1-7), then secondary within each breakdown (the categories of one geography),
-- then among the children of one parent (trusts of a region; regions of England, whose
-- total is exact, so there a zero region may have to be suppressed too), then once more
-- within breakdowns. Not served: the published models read it.
with breakdowns as (
    select * from {{ ref('int_geography_breakdowns') }}
),

headcount as (
    select * from {{ ref('psw_headcount') }}
),

cells as (
    select
        'breakdown' as source_table,
        period_end,
        geography_level,
        geography_code,
        parent_geography_code,
        dimension,
        category,
        headcount as value
    from breakdowns
    {% for measure in ['headcount', 'joiners', 'leavers', 'compared_headcount', 'compared_previous_headcount'] %}
        union all
        select
            'headcount' as source_table,
            period_end,
            geography_level,
            geography_code,
            parent_geography_code,
            '{{ measure }}' as dimension,
            '{{ measure }}' as category,
            {{ measure }} as value
        from headcount
        where {{ measure }} is not null
    {% endfor %}
),

primary_suppression as (
    select
        *,
        geography_level != 'national' and {{ sdc_is_small('value') }} as is_primary
    from cells
),

within_breakdowns as (
    select
        *,
        is_primary or {{ sdc_secondary(
            'source_table, period_end, geography_level, geography_code, dimension',
            'value', 'is_primary', 'category') }} as is_suppressed_a
    from primary_suppression
),

among_siblings as (
    select
        *,
        is_suppressed_a or (
            geography_level != 'national'
            and {{ sdc_secondary(
                'source_table, period_end, geography_level, parent_geography_code, dimension, category',
                'value', 'is_suppressed_a', 'geography_code',
                zero_allowed="geography_level = 'region'") }}
        ) as is_suppressed_b
    from within_breakdowns
),

within_breakdowns_again as (
    select
        *,
        is_suppressed_b or {{ sdc_secondary(
            'source_table, period_end, geography_level, geography_code, dimension',
            'value', 'is_suppressed_b', 'category') }} as is_suppressed
    from among_siblings
)

select
    source_table,
    period_end,
    geography_level,
    geography_code,
    parent_geography_code,
    dimension,
    category,
    value,
    is_primary,
    is_suppressed,
    {{ sdc_flag('value', 'is_primary', 'is_suppressed', 'geography_level') }} as flag
from within_breakdowns_again
