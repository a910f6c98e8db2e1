-- The data-quality measure of each trust month with a return in force, as the standard
-- defines it (`data_quality` in schemas/return_v1.yaml, read through generated macros):
-- completeness, stated, clean and on_time, each a share in [0, 1] where 1 is best, and
-- their mean as the score. A nil return has no rows, so only on_time applies to it.
{%- set completeness_columns = dq_completeness_columns() %}
{%- set not_stated = dq_not_stated_codes() %}
with in_force as (
    select * from {{ ref('int_submissions_in_force') }}
),

assignments as (
    select * from {{ ref('int_assignments_in_force') }}
),

submissions as (
    select * from {{ ref('stg_platform__submissions') }}
),

first_accepted as (
    select
        trust_ods_code,
        period_end,
        min(submitted_at) as first_accepted_at
    from submissions
    where status in {{ in_force_statuses() }}
    group by trust_ods_code, period_end
),

row_values as (
    select
        submission_id,
        count(*) as assignment_rows,
        {% for column in completeness_columns -%}
            count({{ column }}){{ ' +' if not loop.last }}
        {% endfor -%} as values_given,
        {% for column, codes in not_stated.items() -%}
            count(*) filter (
                where {{ column }} in ('{{ codes | join("', '") }}')
            ){{ ' +' if not loop.last }}
        {% endfor -%} as values_not_stated
    from assignments
    group by submission_id
),

parts as (
    select
        in_force.trust_ods_code,
        in_force.period_end,
        in_force.warnings,
        row_values.assignment_rows,
        row_values.values_given,
        row_values.values_not_stated,
        cast(row_values.values_given as {{ type_double() }})
        / (row_values.assignment_rows * {{ completeness_columns | length }}) as completeness,
        1 - cast(row_values.values_not_stated as {{ type_double() }})
        / (row_values.assignment_rows * {{ not_stated | length }}) as stated,
        case
            when row_values.assignment_rows > 0
                then greatest(0, 1 - cast(in_force.warnings as {{ type_double() }}) / row_values.assignment_rows)
        end as clean,
        -- On time: accepted by the due day of the following month, UTC (seconds since
        -- 1970 read a timestamp without zone as UTC, whatever the session's time zone).
        case
            when
                {{ epoch_seconds('first_accepted.first_accepted_at') }}
                < {{ epoch_seconds(
                    'cast(' ~ add_days('in_force.period_end', dq_due_day() ~ ' + 1') ~ ' as timestamp)'
                ) }}
                then 1.0
            else 0.0
        end as on_time
    from in_force
    inner join first_accepted
        on
            in_force.trust_ods_code = first_accepted.trust_ods_code
            and in_force.period_end = first_accepted.period_end
    left join row_values
        on in_force.submission_id = row_values.submission_id
)

select
    trust_ods_code,
    period_end,
    assignment_rows,
    values_given,
    values_not_stated,
    warnings,
    completeness,
    stated,
    clean,
    on_time = 1 as is_on_time,
    (coalesce(completeness, 0) + coalesce(stated, 0) + coalesce(clean, 0) + on_time)
    / (
        1
        + case when completeness is null then 0 else 1 end
        + case when stated is null then 0 else 1 end
        + case when clean is null then 0 else 1 end
    ) as score
from parts
