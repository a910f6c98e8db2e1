{{ config(alias='psw_headcount') }}
-- psw_headcount with disclosure control below national level. FTE goes with its
-- headcount (NULL when that is suppressed, else one decimal); turnover is worked out
-- from the published counts.
with headcount as (
    select * from {{ ref('psw_headcount') }}
),

cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'headcount'
),

flagged as (
    select
        headcount.*,
        coalesce(people.is_suppressed, false) as headcount_suppressed,
        people.is_primary as headcount_primary,
        coalesce(joined.is_suppressed, false) as joiners_suppressed,
        joined.is_primary as joiners_primary,
        coalesce(departed.is_suppressed, false) as leavers_suppressed,
        departed.is_primary as leavers_primary,
        coalesce(compared_now.is_suppressed, false)
        or coalesce(compared_before.is_suppressed, false) as turnover_base_suppressed
    from headcount
    {% for alias, measure in [
        ('people', 'headcount'), ('joined', 'joiners'), ('departed', 'leavers'),
        ('compared_now', 'compared_headcount'),
        ('compared_before', 'compared_previous_headcount')] %}
        left join cells as {{ alias }}
            on
                headcount.period_end = {{ alias }}.period_end
                and headcount.geography_level = {{ alias }}.geography_level
                and headcount.geography_code = {{ alias }}.geography_code
                and {{ alias }}.dimension = '{{ measure }}'
    {% endfor %}
)

select
    period_end,
    geography_level,
    geography_code,
    geography_name,
    {{ sdc_count('headcount', 'headcount_suppressed', 'geography_level') }} as headcount,
    {{ sdc_flag('headcount', 'headcount_primary', 'headcount_suppressed', 'geography_level') }}
        as headcount_flag,
    case
        when geography_level = 'national' then fte
        when headcount_suppressed then null
        else {{ round_to('fte', 1) }}
    end as fte,
    {{ sdc_count('joiners', 'joiners_suppressed', 'geography_level') }} as joiners,
    {{ sdc_flag('joiners', 'joiners_primary', 'joiners_suppressed', 'geography_level') }}
        as joiners_flag,
    {{ sdc_count('leavers', 'leavers_suppressed', 'geography_level') }} as leavers,
    {{ sdc_flag('leavers', 'leavers_primary', 'leavers_suppressed', 'geography_level') }}
        as leavers_flag,
    case
        when geography_level = 'national' then turnover_rate
        when turnover_rate is null then null
        else {{ sdc_ratio(
            'leavers',
            '(compared_headcount + compared_previous_headcount) / 2.0',
            'leavers_suppressed',
            'turnover_base_suppressed') }}
    end as turnover_rate,
    trusts_submitted,
    trusts_expected,
    trusts_compared,
    merger_in_month
from flagged
