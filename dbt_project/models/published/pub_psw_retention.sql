{{ config(alias='psw_retention') }}
-- psw_retention with disclosure control at every level: the cohort, stayers, 12-month
-- leavers and the two headcounts of the mean each perturbed by their cell keys (a trust's
-- cohort and headcounts are the same people as its published headcounts, so the same
-- values); the index and rate worked out from the perturbed counts. The stability index
-- is capped at 1: noise can lift stayers above the cohort.
{% set measures = ['stability_cohort', 'stability_stayers', 'turnover_12m_leavers',
    'turnover_12m_start_headcount', 'turnover_12m_end_headcount'] %}
with retention as (
    select * from {{ ref('psw_retention') }}
),

cells as (
    select * from {{ ref('int_disclosure_cells') }}
    where source_table = 'retention'
),

perturbed as (
    select
        retention.period_end,
        retention.geography_level,
        retention.geography_code,
        retention.geography_name,
        retention.stability_trusts,
        retention.turnover_trusts,
        {% for measure in measures %}
            {{ measure }}_cell.published_value as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from retention
    {% for measure in measures %}
        left join cells as {{ measure }}_cell
            on
                retention.period_end = {{ measure }}_cell.period_end
                and retention.geography_level = {{ measure }}_cell.geography_level
                and retention.geography_code = {{ measure }}_cell.geography_code
                and {{ measure }}_cell.dimension = '{{ measure }}'
    {% endfor %}
)

select
    period_end,
    geography_level,
    geography_code,
    geography_name,
    stability_trusts,
    stability_cohort,
    stability_stayers,
    case
        when stability_cohort > 0
            then least(1.0, {{ sdc_ratio('stability_stayers', 'stability_cohort') }})
    end as stability_index,
    turnover_trusts,
    turnover_12m_leavers,
    cast(turnover_12m_start_headcount + turnover_12m_end_headcount as {{ type_double() }}) / 2
        as turnover_12m_mean_headcount,
    {{ sdc_ratio(
        'turnover_12m_leavers',
        '((turnover_12m_start_headcount + turnover_12m_end_headcount) / 2.0)') }}
        as turnover_12m
from perturbed
