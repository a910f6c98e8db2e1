{{ config(meta={'dagster': {'ref': {'name': 'stg_reference__trusts'}}}) }}
-- A merger names a trust of the registry as the successor, and only a closed trust
-- (one with valid_to) has one.
with trusts as (
    select * from {{ ref('stg_reference__trusts') }}
)

select
    closed.trust_ods_code,
    closed.successor_ods_code
from trusts as closed
left join trusts as successor
    on closed.successor_ods_code = successor.trust_ods_code
where
    closed.successor_ods_code is not null
    and (successor.trust_ods_code is null or closed.valid_to is null)
