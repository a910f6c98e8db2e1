{{ config(alias='psw_headcount') }}
-- psw_headcount with disclosure control at every level: each count perturbed by its cell
-- key, FTE with noise of its own, turnover worked out from the perturbed counts.
with headcount as (
    select * from {{ ref('psw_headcount') }}
),

cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'headcount'
),

perturbed as (
    select
        headcount.*,
        {% for alias, measure in [
            ('people', 'headcount'), ('joined', 'joiners'), ('departed', 'leavers'),
            ('compared_now', 'compared_headcount'),
            ('compared_before', 'compared_previous_headcount')] %}
            {{ alias }}.published_value as published_{{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}
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
    published_headcount as headcount,
    {{ sdc_fte('fte', 'headcount_key') }} as fte,
    published_joiners as joiners,
    published_leavers as leavers,
    case
        when turnover_rate is not null
            then {{ sdc_ratio(
                'published_leavers',
                '((published_compared_headcount + published_compared_previous_headcount) / 2.0)') }}
    end as turnover_rate,
    trusts_submitted,
    trusts_expected,
    trusts_compared,
    merger_in_month
from perturbed
