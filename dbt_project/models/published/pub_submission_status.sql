{{ config(alias='submission_status') }}
-- Return status per trust and month. Its counts of rows and findings are about people
-- (a trust's row count is close to its headcount; its warnings can count leavers), so
-- they are perturbed like every count, with keys from the return's landed rows; a return
-- with no landed rows (rejected) has them NULL, a nil return has 0 rows. The file name is
-- left out: it is the trust's free text, and analysts need the status, not the name.
with status as (
    select * from {{ ref('submission_status') }}
)

select
    status.period_end,
    status.trust_ods_code,
    status.trust_name,
    status.region_code,
    status.expected,
    status.status,
    status.submitted_at,
    case
        when status.data_rows = 0 then cast(0 as bigint)
        when status.rows_key is not null then {{ sdc_perturb('status.data_rows', 'status.rows_key') }}
    end as data_rows,
    {% for measure in ['errors', 'warnings'] %}
        case
            when status.rows_key is not null
                then {{ sdc_perturb('status.' ~ measure, sdc_derived_key('status.rows_key', measure)) }}
        end as {{ measure }},
    {% endfor %}
    status.files_received
from status
