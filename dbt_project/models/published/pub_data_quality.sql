{{ config(alias='data_quality') }}
-- data_quality as analysts see it: each share worked out from perturbed counts (the
-- return's published rows and warnings, and perturbed counts of values given and not
-- stated, keyed from the return's rows), to 2 places, so no exact count can be solved
-- for. A month without rows keeps only its on-time part.
{%- set completeness_columns = dq_completeness_columns() | length %}
{%- set not_stated_columns = dq_not_stated_codes() | length %}
with quality as (
    select * from {{ ref('data_quality') }}
),

perturbed as (
    select
        quality.*,
        {{ sdc_perturb('quality.data_rows', 'quality.rows_key') }} as rows_shown,
        {% for count in ['values_given', 'values_not_stated', 'warnings'] %}
            {{ sdc_perturb('quality.' ~ count, sdc_derived_key('quality.rows_key', count)) }}
                as {{ count }}_shown{% if not loop.last %},{% endif %}
        {% endfor %}
    from quality
),

shares as (
    select
        *,
        case
            when quality_rows > 0
                then least(1.0, cast(values_given_shown as {{ type_double() }}) / (quality_rows * {{ completeness_columns }}))
        end as completeness_shown,
        case
            when quality_rows > 0
                then greatest(0.0, 1 - cast(values_not_stated_shown as {{ type_double() }}) / (quality_rows * {{ not_stated_columns }}))
        end as stated_shown,
        case
            when quality_rows > 0
                then greatest(0.0, 1 - cast(warnings_shown as {{ type_double() }}) / quality_rows)
        end as clean_shown
    from (
        select
            *,
            case when completeness is not null then rows_shown end as quality_rows
        from perturbed
    ) as counted
)

select
    period_end,
    trust_ods_code,
    trust_name,
    region_code,
    status,
    {{ round_to('completeness_shown', 2) }} as completeness,
    {{ round_to('stated_shown', 2) }} as stated,
    {{ round_to('clean_shown', 2) }} as clean,
    case
        when score is not null
            then {{ round_to(
                '(coalesce(completeness_shown, 0) + coalesce(stated_shown, 0) '
                ~ '+ coalesce(clean_shown, 0) + case when is_on_time then 1 else 0 end) '
                ~ '/ (1 + case when completeness_shown is null then 0 else 1 end '
                ~ '+ case when stated_shown is null then 0 else 1 end '
                ~ '+ case when clean_shown is null then 0 else 1 end)', 2) }}
    end as score,
    is_on_time
from shares
