-- The month each successor took over a closed trust's services: the month after the
-- closed trust's valid_to. Staff cannot be linked across trusts in that month (each
-- trust has its own staff ids), so the marts leave the successor's joiners and leavers
-- out of it (see psw_headcount).
with trusts as (
    select * from {{ ref('stg_reference__trusts') }}
)

select distinct
    successor_ods_code as trust_ods_code,
    {{ month_end(add_days('valid_to', 1)) }} as period_end
from trusts
where successor_ods_code is not null and valid_to is not null
