{{ config(alias='data_quality') }}
-- data_quality as analysts see it: each share as a whole percentage point, so it gives
-- no exact count away; NULL (flag 'suppressed') where the trust's row count is 1-7, as
-- its counts are.
with quality as (
    select * from {{ ref('data_quality') }}
),

flagged as (
    select
        *,
        coalesce({{ sdc_is_small('data_rows') }}, false) as is_small
    from quality
)

select
    period_end,
    trust_ods_code,
    trust_name,
    region_code,
    status,
    {% for part in ['completeness', 'stated', 'clean', 'score'] %}
        case when not is_small then {{ round_to(part, 2) }} end as {{ part }},
    {% endfor %}
    is_on_time,
    case when is_small then 'suppressed' else 'rounded' end as quality_flag
from flagged
